// Effective pod requests against vectors computed by the real
// k8s.io/component-helpers/resource.PodRequests (test/golden/pod_requests.json).
#include "extender/objects/pod_decode.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "extender/objects/pod_requests.h"
#include "test/support/golden.h"

namespace quotient::extender {
namespace {

quota::ResourceList ExpectedRequests(const nlohmann::json& requests) {
  quota::ResourceList out;
  for (const auto& [name, quantity] : requests.items()) {
    int64_t amount = 0;
    std::string error;
    EXPECT_TRUE(quota::ParseResourceAmount(name, quantity.get<std::string>(), &amount, &error))
        << name << ": " << error;
    out.Set(name, amount);
  }
  return out;
}

TEST(PodRequestsGoldenTest, MatchesKubernetesPodRequestsForEveryVector) {
  auto vectors = nlohmann::json::parse(quotient::testing::ReadGolden("pod_requests.json"));
  ASSERT_GE(vectors.size(), 20u);
  for (const auto& v : vectors) {
    const std::string name = v["name"];
    SCOPED_TRACE(name);
    RequestBody body = RequestBody::Copy(v["pod"].dump());
    PodInfo pod;
    DecodeError error;
    ASSERT_TRUE(DecodePodJson(body, &pod, &error)) << error.message;
    quota::ResourceList want = ExpectedRequests(v["requests"]);
    if (name.starts_with("limits only, RAW")) {
      // Deliberate difference: PodRequests ignores limits on a pod the API server never
      // defaulted; Quotient applies that defaulting (a limit without a request is the
      // request), so a raw limits-only pod counts its limits, as it will once stored.
      EXPECT_TRUE(want.empty());
      want = quota::ResourceList{{"cpu", 2000}, {"memory", int64_t{4} << 30}};
    }
    want.Set("pods", 1);
    EXPECT_EQ(pod.requests, want) << "got " << pod.requests.ToString() << ", want "
                                  << want.ToString();
  }
}

TEST(PodRequestsTest, RestartableSidecarsAddToContainersAndLaterInitContainers) {
  PodResourceSpec spec;
  spec.containers.push_back({{{"cpu", 1000}}, {}, false});
  spec.init_containers.push_back({{{"cpu", 500}}, {}, true});    // sidecar
  spec.init_containers.push_back({{{"cpu", 2000}}, {}, false});  // sees 500 of sidecar
  EXPECT_EQ(ComputePodRequests(spec).Get("cpu"), 2500);
}

TEST(PodRequestsTest, OverheadIsAddedAfterEverythingElse) {
  PodResourceSpec spec;
  spec.containers.push_back({{{"memory", 100}}, {}, false});
  spec.pod_level_requests = quota::ResourceList{{"memory", 300}};
  spec.overhead = quota::ResourceList{{"memory", 10}};
  EXPECT_EQ(ComputePodRequests(spec).Get("memory"), 310);
}

TEST(PodDecodeTest, RefusesAPodThatIsNotAnObject) {
  RequestBody body = RequestBody::Copy("[]");
  PodInfo pod;
  DecodeError error;
  EXPECT_FALSE(DecodePodJson(body, &pod, &error));
  EXPECT_EQ(error.failure, DecodeFailure::kWrongType);
}

TEST(PodDecodeTest, ReadsTheSchedulerNameAndTheUnschedulableCondition) {
  RequestBody body = RequestBody::Copy(R"({"metadata":{"name":"p","uid":"u1"},
    "spec":{"schedulerName":"default-scheduler","containers":[]},
    "status":{"phase":"Pending","nominatedNodeName":"n3","conditions":[
      {"type":"Initialized","status":"True"},
      {"type":"PodScheduled","status":"False","reason":"Unschedulable","message":"0/4 nodes"}]}})");
  PodInfo pod;
  DecodeError error;
  ASSERT_TRUE(DecodePodJson(body, &pod, &error)) << error.message;
  EXPECT_EQ(pod.scheduler_name, "default-scheduler");
  EXPECT_TRUE(pod.unschedulable);
  EXPECT_TRUE(pod.nominated);
  EXPECT_EQ(pod.nominated_node, "n3");
}

TEST(PodDecodeTest, APodScheduledConditionThatIsTrueIsNotUnschedulable) {
  RequestBody body = RequestBody::Copy(R"({"metadata":{"uid":"u1"},"spec":{},
    "status":{"conditions":[{"type":"PodScheduled","status":"True"}]}})");
  PodInfo pod;
  DecodeError error;
  ASSERT_TRUE(DecodePodJson(body, &pod, &error)) << error.message;
  EXPECT_FALSE(pod.unschedulable);
  EXPECT_EQ(pod.scheduler_name, "");
}

}  // namespace
}  // namespace quotient::extender
