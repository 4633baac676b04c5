#include "extender/state/requeuer.h"

#include <gtest/gtest.h>

namespace quotient::extender::state {
namespace {

TEST(RequeuerTest, ThePatchSetsOneAnnotation) {
  EXPECT_EQ(Requeuer::PatchBody("2026-11-22T14:00:00Z"),
            R"({"metadata":{"annotations":{"quotient.io/requeued-at":"2026-11-22T14:00:00Z"}}})");
}

class RequeuerSetTest : public ::testing::Test {
 protected:
  boost::asio::io_context ioc_;
  kube::ApiClient client_{ioc_, kube::ClientConfig{}};
  metrics::Registry registry_;
  std::vector<std::string> asked_;
  Requeuer requeuer_{ioc_, &client_, &registry_, [this](const std::string& uid) {
                       asked_.push_back(uid);
                       return false;  // every pod has bound or gone meanwhile
                     }};
};

TEST_F(RequeuerSetTest, APodRefusedTwiceIsTrackedOnce) {
  requeuer_.NoteRefused("u1", "ns", "p1");
  requeuer_.NoteRefused("u1", "ns", "p1");
  EXPECT_EQ(requeuer_.tracked(), 1u);
}

TEST_F(RequeuerSetTest, TheSetIsBoundedByDroppingTheOldest) {
  for (size_t i = 0; i < Requeuer::kMaxTracked + 5; ++i) {
    requeuer_.NoteRefused("u" + std::to_string(i), "ns", "p");
  }
  EXPECT_EQ(requeuer_.tracked(), Requeuer::kMaxTracked);
}

TEST_F(RequeuerSetTest, ANudgeSkipsPodsNoLongerWaitingAndEmptiesTheSet) {
  requeuer_.NoteRefused("u1", "ns", "p1");
  requeuer_.NoteRefused("u2", "ns", "p2");
  EXPECT_EQ(requeuer_.NudgeAll("test"), 0u);
  EXPECT_EQ(asked_, (std::vector<std::string>{"u1", "u2"}));
  EXPECT_EQ(requeuer_.tracked(), 0u);
}

}  // namespace
}  // namespace quotient::extender::state
