#include "extender/decide/preemptions_in_flight.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace quotient::extender::state {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

PreemptDecision Decision(std::string_view node, std::vector<std::string_view> victims) {
  PreemptDecision d;
  d.nodes.push_back(NodeVictims{node, std::move(victims), 0});
  return d;
}

// The victims approved for `preemptor` on `node` (empty if none).
std::vector<std::string> VictimsOn(const PreemptionsInFlight& memory, std::string_view preemptor,
                                   std::string_view node) {
  const PreemptionsInFlight::NodeVictimUids approved = memory.Approved(preemptor).victims;
  auto it = approved.find(node);
  return it == approved.end() ? std::vector<std::string>{} : it->second;
}

TEST(PreemptionsInFlightTest, RemembersVictimsPerNodeForTheTtl) {
  auto now = PreemptionsInFlight::Clock::time_point{} + std::chrono::hours(1);
  PreemptionsInFlight memory(std::chrono::seconds(30), [&] { return now; });
  PreemptDecision d = Decision("n1", {"a", "b"});
  d.nodes.push_back(NodeVictims{"n2", {"c"}, 0});
  memory.Record("p", d);
  EXPECT_THAT(VictimsOn(memory, "p", "n1"), ElementsAre("a", "b"));
  EXPECT_THAT(VictimsOn(memory, "p", "n2"), ElementsAre("c"));
  EXPECT_THAT(VictimsOn(memory, "p", "n3"), IsEmpty());
  EXPECT_EQ(memory.Approved("p").victims.size(), 2u);
  EXPECT_FALSE(memory.Approved("p").refused_recently);
  EXPECT_THAT(VictimsOn(memory, "q", "n1"), IsEmpty());
  memory.Record("p", PreemptDecision{});  // no victims: the earlier record stands
  EXPECT_THAT(VictimsOn(memory, "p", "n1"), ElementsAre("a", "b"));
  memory.Record("p", Decision("n2", {"d"}));  // a new answer replaces it
  EXPECT_THAT(VictimsOn(memory, "p", "n1"), IsEmpty());
  now += std::chrono::seconds(30);
  EXPECT_THAT(VictimsOn(memory, "p", "n2"), IsEmpty());
  memory.Record("q", Decision("n1", {"e"}));  // prunes the expired record
  EXPECT_EQ(memory.size(), 1u);
}

TEST(PreemptionsInFlightTest, RemembersARecentFilterRefusalOfAPreemptor) {
  auto now = PreemptionsInFlight::Clock::time_point{} + std::chrono::hours(1);
  PreemptionsInFlight memory(std::chrono::seconds(30), [&] { return now; });
  memory.NoteRefusal("p");  // no record yet: not kept
  memory.Record("p", Decision("n1", {"a"}));
  EXPECT_FALSE(memory.Approved("p").refused_recently);
  memory.NoteRefusal("p");
  EXPECT_TRUE(memory.Approved("p").refused_recently);
  now += PreemptionsInFlight::kRecentRefusal;
  EXPECT_FALSE(memory.Approved("p").refused_recently);
  memory.NoteRefusal("p");
  memory.Record("p", Decision("n2", {"b"}));  // a new answer starts afresh
  EXPECT_FALSE(memory.Approved("p").refused_recently);
  EXPECT_EQ(memory.size(), 1u);
}

TEST(PreemptionsInFlightTest, IsBoundedDroppingTheOldest) {
  auto now = PreemptionsInFlight::Clock::time_point{} + std::chrono::hours(1);
  PreemptionsInFlight memory(std::chrono::hours(1), [&] { return now; });
  for (size_t i = 0; i < PreemptionsInFlight::kMaxEntries + 10; ++i) {
    now += std::chrono::milliseconds(1);
    memory.Record("p" + std::to_string(i), Decision("n1", {"v"}));
  }
  EXPECT_EQ(memory.size(), PreemptionsInFlight::kMaxEntries);
  EXPECT_THAT(VictimsOn(memory, "p0", "n1"), IsEmpty());
  EXPECT_THAT(VictimsOn(memory, "p" + std::to_string(PreemptionsInFlight::kMaxEntries + 9), "n1"),
              ElementsAre("v"));
}

}  // namespace
}  // namespace quotient::extender::state
