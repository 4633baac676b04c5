// Wire protocol tests: golden vectors from real Go encodings (test/golden), Go's
// decoding rules (case-insensitive keys, nulls, unknown keys), and refused input.
#include "extender/wire/wire_codec.h"

#include <gtest/gtest.h>

#include "test/support/golden.h"

namespace quotient::extender {
namespace {

using quotient::testing::ReadGolden;

ExtenderArgs DecodeArgsOrDie(std::string_view json, RequestBody* keep) {
  *keep = RequestBody::Copy(json);
  ExtenderArgs args;
  DecodeError error;
  EXPECT_TRUE(DecodeExtenderArgs(*keep, &args, &error)) << error.message;
  return args;
}

FilterAnswer PassAll(const ExtenderArgs& args) {
  FilterAnswer answer;
  for (size_t i = 0; i < args.nodes.size(); ++i) answer.passed.push_back(i);
  return answer;
}

TEST(WireGoldenTest, FilterWithNodeNamesDecodesAndEchoesExactlyAsGoEncodes) {
  RequestBody body;
  ExtenderArgs args = DecodeArgsOrDie(ReadGolden("filter_names_request.json"), &body);
  EXPECT_TRUE(args.has_node_names);
  EXPECT_FALSE(args.has_nodes);
  ASSERT_EQ(args.nodes.size(), 3u);
  EXPECT_EQ(args.nodes[0].name, "node-1");
  EXPECT_EQ(args.nodes[2].name, "node-3");
  EXPECT_FALSE(args.pod.name.empty());
  EXPECT_FALSE(args.pod.uid.empty());
  std::string out;
  EncodeFilterResult(args, PassAll(args), &out);
  EXPECT_EQ(out, ReadGolden("filter_names_response_all.json"));
}

TEST(WireGoldenTest, FilterWithFullNodesEchoesTheNodeObjectsByteForByte) {
  RequestBody body;
  ExtenderArgs args = DecodeArgsOrDie(ReadGolden("filter_nodes_request.json"), &body);
  EXPECT_TRUE(args.has_nodes);
  EXPECT_FALSE(args.has_node_names);
  ASSERT_EQ(args.nodes.size(), 3u);
  EXPECT_EQ(args.nodes[1].name, "node-2");
  EXPECT_EQ(args.nodes[1].raw_json.front(), '{');
  EXPECT_EQ(args.nodes[1].raw_json.back(), '}');
  std::string out;
  EncodeFilterResult(args, PassAll(args), &out);
  EXPECT_EQ(out, ReadGolden("filter_nodes_response_all.json"));
}

TEST(WireGoldenTest, PrioritizeAnswersABareArrayWithIntegerScores) {
  RequestBody body;
  ExtenderArgs args = DecodeArgsOrDie(ReadGolden("filter_names_request.json"), &body);
  std::string out;
  EncodeHostPriorities(args, std::vector<int64_t>(args.nodes.size(), 0), &out);
  EXPECT_EQ(out, ReadGolden("prioritize_response_zero.json"));
}

TEST(WireGoldenTest, PreemptInBothModesYieldsTheSameMetaVictims) {
  for (const char* file : {"preempt_meta_request.json", "preempt_victims_request.json"}) {
    SCOPED_TRACE(file);
    RequestBody body = RequestBody::Copy(ReadGolden(file));
    PreemptionArgs args;
    DecodeError error;
    ASSERT_TRUE(DecodePreemptionArgs(body, &args, &error)) << error.message;
    EXPECT_EQ(args.pod.priority, 1000);
    std::string out;
    EncodePreemptionResult(args.nodes, &out);
    EXPECT_EQ(out, ReadGolden("preempt_response_echo.json"));
  }
}

TEST(WireGoldenTest, BindArgsDecodeAndSuccessEncodesAsEmptyError) {
  RequestBody body = RequestBody::Copy(ReadGolden("bind_request.json"));
  BindingArgs args;
  DecodeError error;
  ASSERT_TRUE(DecodeBindingArgs(body, &args, &error)) << error.message;
  EXPECT_FALSE(args.pod_name.empty());
  EXPECT_FALSE(args.pod_namespace.empty());
  EXPECT_FALSE(args.pod_uid.empty());
  EXPECT_FALSE(args.node.empty());
  std::string out;
  EncodeBindingResult("", &out);
  EXPECT_EQ(out, ReadGolden("bind_response_ok.json"));
}

// A request of `count` nodes in the form `form` takes ("NodeNames", "Nodes", "Victims").
std::string RequestOfNodes(std::string_view form, size_t count) {
  std::string body = R"({"Pod":{"metadata":{"name":"p","uid":"u"}},)";
  if (form == "NodeNames") body += R"("NodeNames":[)";
  if (form == "Nodes") body += R"("Nodes":{"items":[)";
  if (form == "Victims") body += R"("NodeNameToMetaVictims":{)";
  for (size_t i = 0; i < count; ++i) {
    if (i > 0) body += ",";
    const std::string name = "n" + std::to_string(i);
    if (form == "NodeNames") body += "\"" + name + "\"";
    if (form == "Nodes") body += R"({"metadata":{"name":")" + name + R"("}})";
    if (form == "Victims") body += "\"" + name + R"(":{"Pods":[{"UID":"v"}]})";
  }
  body += form == "Nodes" ? "]}}" : form == "Victims" ? "}}" : "]}";
  return body;
}

TEST(WireDecodeTest, ARequestMayNameAsManyNodesAsTheBoundAndNotOneMore) {
  for (std::string_view form : {"NodeNames", "Nodes", "Victims"}) {
    SCOPED_TRACE(form);
    for (size_t count : {kMaxNodesPerRequest, kMaxNodesPerRequest + 1}) {
      RequestBody body = RequestBody::Copy(RequestOfNodes(form, count));
      DecodeError error;
      bool ok = false;
      size_t decoded = 0;
      if (form == "Victims") {
        PreemptionArgs args;
        ok = DecodePreemptionArgs(body, &args, &error);
        decoded = args.nodes.size();
      } else {
        ExtenderArgs args;
        ok = DecodeExtenderArgs(body, &args, &error);
        decoded = args.nodes.size();
      }
      if (count == kMaxNodesPerRequest) {
        EXPECT_TRUE(ok) << error.message;
        EXPECT_EQ(decoded, count);
      } else {
        EXPECT_FALSE(ok);
        EXPECT_EQ(error.failure, DecodeFailure::kTooManyNodes);
        EXPECT_NE(error.message.find("more than 100000 nodes, the most one request may name"),
                  std::string::npos)
            << error.message;
      }
    }
  }
}

TEST(WireDecodeTest, KeysMatchCaseInsensitivelyLikeGo) {
  RequestBody body;
  ExtenderArgs args = DecodeArgsOrDie(
      R"({"pod":{"METADATA":{"Name":"p","namespace":"ns"}},"nodenames":["a","b"]})", &body);
  EXPECT_EQ(args.pod.name, "p");
  EXPECT_EQ(args.pod.ns, "ns");
  ASSERT_EQ(args.nodes.size(), 2u);
  EXPECT_TRUE(args.has_node_names);
}

TEST(WireDecodeTest, UnknownKeysAndNullsAreIgnored) {
  RequestBody body;
  ExtenderArgs args = DecodeArgsOrDie(
      R"({"Extra":{"deep":[1,2,{"x":null}]},"Pod":{"metadata":{"name":"p",)"
      R"("creationTimestamp":null,"labels":null},"spec":{"containers":null,"priority":null},)"
      R"("status":{"conditions":[{"lastProbeTime":null}]}},"Nodes":null,"NodeNames":["n"]})",
      &body);
  EXPECT_EQ(args.pod.name, "p");
  EXPECT_TRUE(args.pod.creation_timestamp.empty());
  EXPECT_EQ(args.pod.priority, 0);
  ASSERT_EQ(args.nodes.size(), 1u);
}

TEST(WireDecodeTest, PodFieldsNeededForDecisionsAreRead) {
  RequestBody body;
  ExtenderArgs args = DecodeArgsOrDie(
      R"({"Pod":{"metadata":{"name":"p","namespace":"team-a","uid":"u-1",)"
      R"("creationTimestamp":"2026-07-30T09:15:02Z","deletionTimestamp":"2026-07-30T10:00:00Z",)"
      R"("labels":{"app":"x"},"annotations":{"k":"v"}},)"
      R"("spec":{"nodeName":"n1","priority":-5,"preemptionPolicy":"Never",)"
      R"("containers":[{"resources":{"requests":{"cpu":"1.5","nvidia.com/gpu":"2"}}}]},)"
      R"("status":{"phase":"Running"}},"NodeNames":[]})",
      &body);
  const PodInfo& pod = args.pod;
  EXPECT_EQ(pod.uid, "u-1");
  EXPECT_EQ(pod.node_name, "n1");
  EXPECT_EQ(pod.priority, -5);
  EXPECT_TRUE(pod.preemption_never);
  EXPECT_TRUE(pod.terminating);
  EXPECT_EQ(pod.phase, "Running");
  EXPECT_EQ(pod.creation_timestamp, "2026-07-30T09:15:02Z");
  ASSERT_NE(FindValue(pod.labels, "app"), nullptr);
  EXPECT_EQ(*FindValue(pod.labels, "app"), "x");
  EXPECT_EQ(*FindValue(pod.annotations, "k"), "v");
  EXPECT_EQ(pod.requests.Get("cpu"), 1500);
  EXPECT_EQ(pod.requests.Get("nvidia.com/gpu"), 2);
  EXPECT_EQ(pod.requests.Get("pods"), 1);
  EXPECT_TRUE(args.has_node_names);
  EXPECT_TRUE(args.nodes.empty());
}

TEST(WireDecodeTest, QuantitiesMayBeBareNumbersAsGoAccepts) {
  RequestBody body;
  ExtenderArgs args = DecodeArgsOrDie(
      R"({"Pod":{"spec":{"containers":[{"resources":{"requests":{"cpu":2,"memory":" 1Gi "}}}]}},)"
      R"("NodeNames":["a"]})",
      &body);
  EXPECT_EQ(args.pod.requests.Get("cpu"), 2000);
  EXPECT_EQ(args.pod.requests.Get("memory"), int64_t{1} << 30);
}

struct BadInput {
  const char* name;
  const char* json;
  DecodeFailure failure;
  const char* message_part;
};

class WireBadInputTest : public ::testing::TestWithParam<BadInput> {};

TEST_P(WireBadInputTest, IsRefusedWithAClearReason) {
  const BadInput& c = GetParam();
  RequestBody body = RequestBody::Copy(c.json);
  ExtenderArgs args;
  DecodeError error;
  ASSERT_FALSE(DecodeExtenderArgs(body, &args, &error));
  EXPECT_EQ(error.failure, c.failure) << error.message;
  EXPECT_NE(error.message.find(c.message_part), std::string::npos) << error.message;
}

INSTANTIATE_TEST_SUITE_P(
    Table, WireBadInputTest,
    ::testing::Values(
        BadInput{"empty", "", DecodeFailure::kMalformedJson, "empty request body"},
        BadInput{"truncated", R"({"Pod":{"metadata":)", DecodeFailure::kMalformedJson,
                 "malformed JSON"},
        BadInput{"trailing_garbage", R"({"Pod":{},"NodeNames":[]} {})",
                 DecodeFailure::kMalformedJson, "after the top-level value"},
        BadInput{"top_level_array", "[1,2]", DecodeFailure::kWrongType, "must be a JSON object"},
        BadInput{"pod_is_number", R"({"Pod":5})", DecodeFailure::kWrongType, "Pod: expected"},
        BadInput{"pod_missing", R"({"NodeNames":["a"]})", DecodeFailure::kMissingField, "Pod"},
        BadInput{"pod_null", R"({"Pod":null,"NodeNames":["a"]})", DecodeFailure::kMissingField,
                 "Pod"},
        BadInput{"node_name_number", R"({"Pod":{},"NodeNames":["a",7]})", DecodeFailure::kWrongType,
                 "NodeNames[1]: expected string"},
        BadInput{"node_names_object", R"({"Pod":{},"NodeNames":{}})", DecodeFailure::kWrongType,
                 "NodeNames: expected array"},
        BadInput{"node_item_string", R"({"Pod":{},"Nodes":{"items":["x"]}})",
                 DecodeFailure::kWrongType, "Nodes.items[0]: expected Node object"},
        BadInput{"both_node_forms", R"({"Pod":{},"Nodes":{"items":[]},"NodeNames":[]})",
                 DecodeFailure::kWrongType, "both set"},
        BadInput{
            "bad_quantity",
            R"({"Pod":{"spec":{"initContainers":[{},{"resources":{"limits":{"memory":"1.2.3"}}}]}},"NodeNames":[]})",
            DecodeFailure::kInvalidQuantity,
            "Pod.spec.initContainers[1].resources.limits.memory: invalid quantity \"1.2.3\""},
        BadInput{
            "negative_quantity",
            R"({"Pod":{"spec":{"containers":[{"resources":{"requests":{"cpu":"-1"}}}]}},"NodeNames":[]})",
            DecodeFailure::kInvalidQuantity, "negative"},
        BadInput{
            "quantity_is_bool",
            R"({"Pod":{"spec":{"containers":[{"resources":{"requests":{"cpu":true}}}]}},"NodeNames":[]})",
            DecodeFailure::kWrongType, "expected quantity string"},
        BadInput{"priority_float", R"({"Pod":{"spec":{"priority":1.5}},"NodeNames":[]})",
                 DecodeFailure::kWrongType, "Pod.spec.priority"},
        BadInput{"labels_not_strings", R"({"Pod":{"metadata":{"labels":{"a":1}}},"NodeNames":[]})",
                 DecodeFailure::kWrongType, "Pod.metadata.labels.a: expected string"}),
    [](const ::testing::TestParamInfo<BadInput>& p) { return p.param.name; });

TEST(WireDecodeTest, BindRequiresPodNameNamespaceAndNode) {
  RequestBody body = RequestBody::Copy(R"({"PodName":"p","PodNamespace":"ns","PodUID":"u"})");
  BindingArgs args;
  DecodeError error;
  ASSERT_FALSE(DecodeBindingArgs(body, &args, &error));
  EXPECT_EQ(error.failure, DecodeFailure::kMissingField);
  EXPECT_NE(error.message.find("Node"), std::string::npos);
}

TEST(WireEncodeTest, FailureMapsAreSortedLikeGoMapsAndNameOnlyInputNodes) {
  RequestBody body;
  ExtenderArgs args = DecodeArgsOrDie(R"({"Pod":{},"NodeNames":["c","a","b"]})", &body);
  FilterAnswer answer;
  answer.passed = {1};
  answer.failed = {{2, "quota exceeded"}, {0, "quota exceeded"}};
  std::string out;
  EncodeFilterResult(args, answer, &out);
  EXPECT_EQ(out, R"({"Nodes":null,"NodeNames":["a"],"FailedNodes":{"b":"quota exceeded",)"
                 R"("c":"quota exceeded"},"FailedAndUnresolvableNodes":{},"Error":""})");
}

TEST(WireEncodeTest, PreemptOmitsNodesWithoutVictims) {
  std::vector<NodeVictims> nodes = {{"n2", {"u2"}, 1}, {"n1", {}, 0}};
  std::string out;
  EncodePreemptionResult(nodes, &out);
  EXPECT_EQ(out,
            R"({"NodeNameToMetaVictims":{"n2":{"Pods":[{"UID":"u2"}],"NumPDBViolations":1}}})");
}

}  // namespace
}  // namespace quotient::extender
