// A 5,000-node full NodeList filter request (~90 MB, nodeCacheCapable: false), built by
// replicating test/golden/gpu_node_full.json under distinct names: accepted with the
// default limits, and answered with every node echoed, in order, byte for byte.
#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "test/support/http_client.h"
#include "test/support/test_server.h"

namespace quotient::test {
namespace {

constexpr int kNodes = 5'000;
constexpr std::chrono::milliseconds kLargeTimeout{180'000};

TEST(HttpServerLargeRequestTest, FiveThousandFullNodesAreAcceptedAndEchoedInOrder) {
  const std::string node = ReadGolden("gpu_node_full.json");
  const std::string name_prefix = R"({"metadata":{"name":")";
  const std::string golden_name = "ip-10-0-44-17.ec2.internal";
  ASSERT_EQ(node.rfind(name_prefix + golden_name + "\"", 0), 0u) << node.substr(0, 80);
  const std::string_view after_name =
      std::string_view(node).substr(name_prefix.size() + golden_name.size());

  const std::string small = ReadGolden("filter_nodes_request.json");
  const size_t nodes_at = small.find(R"(,"Nodes":)");
  ASSERT_EQ(small.rfind(R"({"Pod":)", 0), 0u);
  ASSERT_NE(nodes_at, std::string::npos);

  std::string request = small.substr(0, nodes_at) + R"(,"Nodes":{"metadata":{},"items":[)";
  const size_t items_begin = request.size();
  request.reserve(items_begin + static_cast<size_t>(kNodes) * (node.size() + 16) + 64);
  for (int i = 0; i < kNodes; ++i) {
    if (i > 0) request += ',';
    request += name_prefix;
    request += "node-" + std::to_string(i);
    request += after_name;
  }
  const size_t items_end = request.size();
  request += R"(]},"NodeNames":null})";
  ASSERT_GT(request.size(), 85u << 20);   // close to the 90 MB the brief describes
  ASSERT_LT(request.size(), 128u << 20);  // and under the default max_body_bytes

  TestServer server;
  ASSERT_TRUE(server.ok()) << server.error();
  HttpClient client(server.port(), kLargeTimeout);
  HttpResult r = client.Post("/filter", request);
  ASSERT_EQ(r.status, 200u) << r.error << r.body.substr(0, 300);

  // The answer is Go's ExtenderFilterResult with the input items echoed verbatim.
  const std::string_view head = R"({"Nodes":{"metadata":{},"items":[)";
  const std::string_view tail =
      R"(]},"NodeNames":null,"FailedNodes":{},"FailedAndUnresolvableNodes":{},"Error":""})";
  const std::string_view items =
      std::string_view(request).substr(items_begin, items_end - items_begin);
  const std::string_view body = r.body;
  ASSERT_EQ(body.size(), head.size() + items.size() + tail.size());
  EXPECT_EQ(body.substr(0, head.size()), head);
  EXPECT_EQ(body.substr(head.size() + items.size()), tail);
  // Node by node, so a failure names the first node that differs.
  size_t at = head.size();
  for (int i = 0; i < kNodes; ++i) {
    std::string expected_start = (i > 0 ? "," : "") + name_prefix + "node-" + std::to_string(i);
    ASSERT_EQ(body.substr(at, expected_start.size()), expected_start) << "node " << i;
    at += expected_start.size() + after_name.size();
  }
  EXPECT_TRUE(body.substr(head.size(), items.size()) == items);
}

}  // namespace
}  // namespace quotient::test
