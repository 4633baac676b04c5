#include "extender/kube/query.h"

#include <gtest/gtest.h>

namespace quotient::extender::kube {
namespace {

TEST(QueryTest, EncodesParameterValues) {
  Query query("/api/v1/pods");
  query.Add("limit", "500");
  query.Add("continue", "eyJ2IjoibWV0YS5rOHMuaW8vdjEifQ==");
  query.Add("fieldSelector", "spec.nodeName=node 1,status.phase!=Succeeded");
  EXPECT_EQ(query.target(),
            "/api/v1/pods?limit=500&continue=eyJ2IjoibWV0YS5rOHMuaW8vdjEifQ%3D%3D"
            "&fieldSelector=spec.nodeName%3Dnode%201%2Cstatus.phase%21%3DSucceeded");
}

TEST(QueryTest, AppendsToAnExistingQuery) {
  Query query("/apis/x/v1/things?labelSelector=a");
  query.Add("watch", "1");
  EXPECT_EQ(query.target(), "/apis/x/v1/things?labelSelector=a&watch=1");
}

TEST(QueryTest, APathAloneStaysAsItIs) {
  EXPECT_EQ(Query("/api/v1/nodes").target(), "/api/v1/nodes");
  EXPECT_EQ(UrlEncode("a-b_c.d~e"), "a-b_c.d~e");
}

}  // namespace
}  // namespace quotient::extender::kube
