#include "extender/objects/node_decode.h"

#include <gtest/gtest.h>

namespace quotient::extender::state {
namespace {

bool Decode(std::string_view text, NodeInfo* node, DecodeError* error) {
  RequestBody body = RequestBody::Copy(text);
  json::od::document doc;
  if (!json::Iterate(body, &doc, error)) return false;
  json::od::value value = doc.get_value();
  return DecodeNodeObject(value, nullptr, node, error);
}

TEST(NodeDecodeTest, ReadsNameLabelsAllocatableAndUnschedulable) {
  NodeInfo node;
  DecodeError error;
  ASSERT_TRUE(Decode(R"({"metadata":{"name":"n1","labels":{"org":"a"}},
      "spec":{"unschedulable":true,"taints":[{"key":"k","effect":"NoSchedule"}]},
      "status":{"capacity":{"cpu":"64","nvidia.com/gpu":"8"},
                "allocatable":{"cpu":"63500m","memory":"250Gi","nvidia.com/gpu":"8"}}})",
                     &node, &error))
      << error.message;
  EXPECT_EQ(node.name, "n1");
  EXPECT_EQ(node.labels, (StringPairs{{"org", "a"}}));
  EXPECT_TRUE(node.unschedulable);
  EXPECT_EQ(node.allocatable.Get("cpu"), 63'500);
  EXPECT_EQ(node.allocatable.Get("nvidia.com/gpu"), 8);
}

TEST(NodeDecodeTest, CapacityStandsInForAMissingAllocatable) {
  NodeInfo node;
  DecodeError error;
  ASSERT_TRUE(
      Decode(R"({"metadata":{"name":"n1"},"status":{"capacity":{"cpu":4}}})", &node, &error));
  EXPECT_EQ(node.allocatable.Get("cpu"), 4'000);
}

TEST(NodeDecodeTest, RefusesANamelessOrMistypedNode) {
  NodeInfo node;
  DecodeError error;
  EXPECT_FALSE(Decode(R"({"metadata":{},"status":{}})", &node, &error));
  EXPECT_EQ(error.message, "metadata.name missing");
  EXPECT_FALSE(
      Decode(R"({"metadata":{"name":"n"},"spec":{"unschedulable":"yes"}})", &node, &error));
  EXPECT_EQ(error.failure, DecodeFailure::kWrongType);
}

}  // namespace
}  // namespace quotient::extender::state
