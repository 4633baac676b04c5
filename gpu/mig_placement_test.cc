// Dynamic MIG placement per GPU model: sequences of requests on partitionable GPUs, each
// with where it lands or why it does not fit.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "gpu/gpu_test_util.h"
#include "gpu/mig_churn.h"

namespace quotient::gpu {
namespace {

using testing::DynamicMigNode;
using testing::Fraction;
using testing::Mig;

// One request of a sequence: a MIG profile ("3g.20gb") or a fraction ("0.5").
struct Ask {
  const char* what;
  int gpu = -1;    // expected GPU, -1 when it must not fit
  int start = -1;  // expected first memory slice
  FitCode code = FitCode::kFits;
};

struct Sequence {
  const char* name;
  const char* model;
  int gpus;
  std::vector<Ask> asks;
};

GpuRequest Parse(const char* what) {
  return std::string_view(what).find('g') != std::string_view::npos ? Mig(what) : Fraction(what);
}

void Play(const Sequence& s) {
  SCOPED_TRACE(s.name);
  NodeGpus node = DynamicMigNode(s.model, s.gpus);
  int pod = 0;
  for (const Ask& ask : s.asks) {
    SCOPED_TRACE(ask.what);
    const GpuFit fit = FitGpuRequest(node, Parse(ask.what), FitOptions{});
    EXPECT_EQ(FitCodeName(fit.code), FitCodeName(ask.code));
    if (ask.gpu < 0) continue;
    ASSERT_TRUE(fit.fits());
    EXPECT_EQ(fit.assignment.gpu(), ask.gpu);
    ASSERT_EQ(fit.assignment.instances.size(), 1u);
    EXPECT_EQ(fit.assignment.instances[0].start, ask.start);
    EXPECT_TRUE(node.Assign("pod-" + std::to_string(pod++), fit.assignment));
  }
}

constexpr FitCode kMax = FitCode::kMigInstances;
constexpr FitCode kPlace = FitCode::kMigPlacement;

TEST(MigPlacementTest, A100_40GB) {
  const std::vector<Sequence> table = {
      {"two halves fit: the first keeps the 4g placement at 0 free",
       "A100-40GB",
       1,
       {{"0.5", 0, 4}, {"0.5", 0, 0}, {"0.25", -1, -1, kPlace}}},
      {"a half and two quarters fit",
       "A100-40GB",
       1,
       {{"0.5", 0, 4}, {"0.25", 0, 0}, {"0.25", 0, 2}}},
      {"four quarters do not, although they sum to one GPU: a 2g.10gb has at most 3 "
       "instances",
       "A100-40GB",
       1,
       {{"0.25", 0, 4}, {"0.25", 0, 0}, {"0.25", 0, 2}, {"0.25", -1, -1, kMax}}},
      {"a whole-GPU fraction takes all 8 slices",
       "A100-40GB",
       1,
       {{"1.0", 0, 0}, {"1g.5gb", -1, -1, kPlace}}},
      {"a small instance goes where it costs the least: not at 6, which would leave slice 7 "
       "unusable, and not below 4, which would rule out a 4g",
       "A100-40GB",
       1,
       {{"1g.5gb", 0, 4},
        {"4g.20gb", 0, 0},
        {"1g.10gb", 0, 6},
        {"1g.5gb", 0, 5},
        {"1g.5gb", -1, -1, kPlace}}},
      {"seven 1g.5gb fit, the eighth does not",
       "A100-40GB",
       1,
       {{"1g.5gb", 0, 4},
        {"1g.5gb", 0, 5},
        {"1g.5gb", 0, 0},
        {"1g.5gb", 0, 1},
        {"1g.5gb", 0, 2},
        {"1g.5gb", 0, 3},
        {"1g.5gb", 0, 6},
        {"1g.5gb", -1, -1, kMax}}},
      {"only one media-extension instance per GPU",
       "A100-40GB",
       1,
       {{"1g.5gb+me", 0, 4}, {"1g.5gb.me", -1, -1, kMax}, {"1g.5gb", 0, 5}}},
      {"a second GPU is opened only when the first cannot hold the request",
       "A100-40GB",
       2,
       {{"3g.20gb", 0, 4}, {"2g.10gb", 0, 0}, {"3g.20gb", 1, 4}, {"1g.10gb", 0, 2}}},
      {"an unknown profile is refused",
       "A100-40GB",
       1,
       {{"3g.40gb", -1, -1, FitCode::kUnknownProfile}}},
      {"a fraction without a profile is refused",
       "A100-40GB",
       1,
       {{"0.125", -1, -1, FitCode::kNoFraction}}},
  };
  for (const Sequence& s : table) Play(s);
}

TEST(MigPlacementTest, A100_80GB) {
  Play({"a 7g.80gb takes the whole GPU",
        "A100-80GB",
        1,
        {{"7g.80gb", 0, 0}, {"1g.10gb", -1, -1, kPlace}}});
  Play({"halves are 3g.40gb", "A100-80GB", 1, {{"0.5", 0, 4}, {"0.5", 0, 0}}});
  Play({"four 1g.20gb fill the GPU two slices each",
        "A100-80GB",
        1,
        {{"1g.20gb", 0, 6},
         {"1g.20gb", 0, 4},
         {"1g.20gb", 0, 0},
         {"1g.20gb", 0, 2},
         {"1g.10gb", -1, -1, kPlace}}});
}

TEST(MigPlacementTest, A30_24GB) {
  Play({"four quarters fit on an A30: 1g.6gb has 4 instances",
        "A30-24GB",
        1,
        {{"0.25", 0, 0}, {"0.25", 0, 1}, {"0.25", 0, 2}, {"0.25", 0, 3}, {"0.25", -1, -1, kMax}}});
  Play({"a half is 2g.12gb, two of them fill the GPU",
        "A30-24GB",
        1,
        {{"0.5", 0, 0}, {"0.5", 0, 2}, {"1g.6gb", -1, -1, kPlace}}});
  Play({"the whole A30 is 4g.24gb", "A30-24GB", 1, {{"1.0", 0, 0}, {"0.25", -1, -1, kPlace}}});
}

TEST(MigPlacementTest, H100_80GB) {
  Play({"a 4g and a 3g share a GPU (supported since R510)",
        "H100-80GB",
        1,
        {{"4g.40gb", 0, 0}, {"3g.40gb", 0, 4}}});
  Play({"halves are 3g.40gb and quarters 2g.20gb",
        "H100-80GB",
        1,
        {{"0.5", 0, 4}, {"0.25", 0, 0}, {"0.25", 0, 2}, {"0.25", -1, -1, kPlace}}});
}

TEST(MigPlacementTest, H100_94GB_NVL) {
  Play({"three 2g.24gb and a 1g.24gb",
        "H100-94GB-NVL",
        1,
        {{"2g.24gb", 0, 4}, {"2g.24gb", 0, 0}, {"2g.24gb", 0, 2}, {"1g.24gb", 0, 6}}});
}

TEST(MigPlacementTest, H200_141GB) {
  Play({"a 3g.71gb then a 4g.71gb", "H200-141GB", 1, {{"3g.71gb", 0, 4}, {"4g.71gb", 0, 0}}});
  Play({"a 1g.35gb at the top keeps the 4g and a 3g",
        "H200-141GB",
        1,
        {{"1g.35gb", 0, 6}, {"4g.71gb", 0, 0}, {"3g.71gb", -1, -1, kPlace}}});
}

TEST(MigPlacementTest, GH200_96GB) {
  // The production layout of U-Tokyo's Miyabi: 3 x 2g.24gb + 1 x 1g.24gb per GH200.
  Play({"Miyabi's layout fits",
        "GH200-96GB",
        1,
        {{"2g.24gb", 0, 4},
         {"2g.24gb", 0, 0},
         {"2g.24gb", 0, 2},
         {"1g.24gb", 0, 6},
         {"1g.12gb", -1, -1, kPlace}}});
}

TEST(MigPlacementTest, GH200_144GB) {
  Play({"two 3g.72gb fill the GPU",
        "GH200-144GB",
        1,
        {{"3g.72gb", 0, 4}, {"3g.72gb", 0, 0}, {"3g.72gb", -1, -1, kMax}}});
}

TEST(MigPlacementTest, B200_180GB) {
  Play({"two 3g.90gb and nothing else",
        "B200-180GB",
        1,
        {{"3g.90gb", 0, 4}, {"3g.90gb", 0, 0}, {"1g.23gb", -1, -1, kPlace}}});
  Play({"a whole B200 is 7g.180gb", "B200-180GB", 2, {{"1.0", 0, 0}, {"1.0", 1, 0}}});
}

TEST(MigPlacementTest, InstancesFreedOutOfOrderLeaveTheirHoles) {
  NodeGpus node = DynamicMigNode("A100-40GB", 1);
  // Seven 1g.5gb at 4, 5, 0, 1, 2, 3, 6 (see the A100 table above).
  for (int i = 0; i < 7; ++i) {
    const GpuFit fit = FitGpuRequest(node, Mig("1g.5gb"), FitOptions{});
    ASSERT_TRUE(fit.fits());
    node.Assign("pod-" + std::to_string(i), fit.assignment);
  }
  // Free the ones at slices 0 and 2 (pods 2 and 4), not adjacent: 2 slices free, no 2g.
  EXPECT_TRUE(node.Release("pod-4"));
  EXPECT_TRUE(node.Release("pod-2"));
  EXPECT_EQ(node.use()[0].mask, 0b0111'1010);
  GpuFit fit = FitGpuRequest(node, Mig("2g.10gb"), FitOptions{});
  EXPECT_EQ(fit.code, FitCode::kMigPlacement);
  EXPECT_EQ(fit.have, 1);
  EXPECT_EQ(FormatGpuFit(fit, Mig("2g.10gb"), node, "n1"),
            "gpu: no free placement for 2g.10gb (2 memory slices) on any GPU of node n1 "
            "(largest placeable: 1 of 8 slices)");
  // Freeing the one at 1 (pod 3) joins 0..2: a 2g fits at 0 again.
  EXPECT_TRUE(node.Release("pod-3"));
  EXPECT_FALSE(node.Release("pod-3"));
  fit = FitGpuRequest(node, Mig("2g.10gb"), FitOptions{});
  ASSERT_TRUE(fit.fits());
  ASSERT_EQ(fit.assignment.instances.size(), 1u);
  EXPECT_EQ(fit.assignment.instances[0].start, 0);
}

GpuRequest MigN(const std::string& profile, int64_t n) {
  return testing::Request(quota::ResourceList{{"nvidia.com/mig-" + profile, n}});
}

// gpu:start of every instance, in placement order.
std::vector<std::string> Where(const GpuAssignment& a) {
  std::vector<std::string> out;
  for (const MigSlot& s : a.instances) out.push_back(fmt::format("{}:{}", s.gpu, s.start));
  return out;
}

struct ManyCase {
  const char* name;
  int gpus;
  const char* layout;  // quotient.io/gpu-layout, "" for none
  const char* profile;
  int64_t count;
  std::vector<std::string> where;  // empty: does not fit
  int score = -1;
  const char* text = "";
};

TEST(MigPlacementTest, ManyInstancesArePlacedOneAtATime) {
  const std::vector<ManyCase> table = {
      {"two 1g.5gb fit on one A100-40GB, where two single ones would go",
       1,
       "",
       "1g.5gb",
       2,
       {"0:4", "0:5"},
       5},
      {"four 3g.20gb fill a 2-GPU node two per GPU",
       2,
       "",
       "3g.20gb",
       4,
       {"0:4", "0:0", "1:4", "1:0"},
       10},
      {"five 3g.20gb are more than the node ever holds: at most 2 instances per GPU",
       2,
       "",
       "3g.20gb",
       5,
       {},
       -1,
       "gpu: the pod asks for 5 3g.20gb instances; node n1 holds at most 4"},
      {"four 1g.10gb next to an existing one: the per-profile limit stops the fourth",
       1,
       "0:mig-dynamic:1g.10gb@6",
       "1g.10gb",
       4,
       {},
       -1,
       "gpu: only 3 of 4 1g.10gb instances fit on node n1: then every partitionable GPU "
       "holds the most allowed (4 per GPU, or 7 instances in all)"},
      {"three 3g.20gb fill one GPU and open the next; the score is the mean of both GPUs'",
       2,
       "",
       "3g.20gb",
       3,
       {"0:4", "0:0", "1:4"},
       9},
      {"two 7g.40gb take a GPU each", 2, "", "7g.40gb", 2, {"0:0", "1:0"}, 10},
      {"on a tie the GPU already holding one of the pod's instances wins over a fuller one",
       2,
       "0:mig-dynamic:1g.5gb@4;1:mig-dynamic:3g.20gb@4",
       "1g.5gb",
       2,
       {"0:5", "0:0"},
       4},
      {"existing instances leave their holes: the second 2g.10gb has no placement",
       1,
       "0:mig-dynamic:1g.5gb@0,1g.5gb@4",
       "2g.10gb",
       2,
       {},
       -1,
       "gpu: only 1 of 2 2g.10gb instances fit on node n1: then no free placement (2 memory "
       "slices) on any GPU (largest placeable: 2 of 8 slices)"},
      {"a GPU whose existing instances block the profile is skipped",
       2,
       "0:mig-dynamic:1g.5gb@0,1g.5gb@4",
       "3g.20gb",
       2,
       {"1:4", "1:0"},
       10},
      {"three 1g.5gb beside an existing 4g.20gb",
       1,
       "0:mig-dynamic:4g.20gb@0",
       "1g.5gb",
       3,
       {"0:4", "0:5", "0:6"},
       4},
      {"none fit: 0 of 2",
       1,
       "0:mig-dynamic:7g.40gb@0",
       "1g.5gb",
       2,
       {},
       -1,
       "gpu: only 0 of 2 1g.5gb instances fit on node n1: then no free placement (1 memory "
       "slices) on any GPU (largest placeable: 0 of 8 slices)"},
  };
  for (const ManyCase& c : table) {
    SCOPED_TRACE(c.name);
    StringPairs annotations;
    if (*c.layout != '\0') annotations.emplace_back("quotient.io/gpu-layout", c.layout);
    NodeGpus node = DynamicMigNode("A100-40GB", c.gpus, annotations);
    const GpuRequest request = MigN(c.profile, c.count);
    const GpuFit fit = FitGpuRequest(node, request, FitOptions{});
    EXPECT_EQ(FormatGpuFit(fit, request, node, "n1"), c.text);
    if (c.where.empty()) {
      EXPECT_FALSE(fit.fits());
      EXPECT_LT(fit.placed, c.count);
      EXPECT_TRUE(fit.assignment.instances.empty());
      continue;
    }
    ASSERT_TRUE(fit.fits());
    EXPECT_EQ(fit.placed, c.count);
    EXPECT_EQ(Where(fit.assignment), c.where);
    EXPECT_EQ(fit.score, c.score);
    EXPECT_TRUE(node.Assign("pod", fit.assignment));
  }
}

TEST(MigPlacementTest, ManyInstancesAreCountedAndReleasedTogether) {
  NodeGpus node = DynamicMigNode("A100-40GB", 2);
  const GpuFit three = FitGpuRequest(node, MigN("3g.20gb", 3), FitOptions{});
  ASSERT_TRUE(three.fits());
  EXPECT_EQ(three.assignment.gpus, 0b11u);
  ASSERT_TRUE(node.Assign("three", three.assignment));
  EXPECT_EQ(node.use()[0].mask, 0xFF);
  EXPECT_EQ(node.use()[0].instances, 2);
  EXPECT_EQ(node.use()[1].mask, 0xF0);
  // The hole left is the one 3g.20gb placement at 0 of GPU 1.
  GpuFit next = FitGpuRequest(node, MigN("3g.20gb", 2), FitOptions{});
  EXPECT_EQ(next.code, FitCode::kMigInstances);
  EXPECT_EQ(next.placed, 1);
  next = FitGpuRequest(node, Mig("3g.20gb"), FitOptions{});
  ASSERT_TRUE(next.fits());
  EXPECT_EQ(Where(next.assignment), std::vector<std::string>{"1:0"});
  // Releasing the pod frees every instance it held.
  EXPECT_TRUE(node.Release("three"));
  EXPECT_EQ(node.use()[0].mask, 0);
  EXPECT_EQ(node.use()[1].mask, 0);
  EXPECT_EQ(node.use()[0].instances + node.use()[1].instances, 0);
}

TEST(MigPlacementTest, AFractionIsAlwaysOneInstance) {
  const GpuFit fit = FitGpuRequest(DynamicMigNode("A100-40GB", 2), Fraction("0.5"), FitOptions{});
  ASSERT_TRUE(fit.fits());
  EXPECT_EQ(Where(fit.assignment), std::vector<std::string>{"0:4"});
}

TEST(MigPlacementTest, NodeFragmentationCountsFreeSlicesNoInstanceCanUse) {
  NodeGpus node = DynamicMigNode("A100-40GB", 2,
                                 {{"quotient.io/gpu-layout", "0:mig-dynamic:1g.5gb@0,1g.5gb@4"}});
  // GPU 0: 6 free slices, the largest placeable instance takes 2; GPU 1: 8 of 8.
  EXPECT_DOUBLE_EQ(NodeFragmentation(node), 1.0 - 10.0 / 14.0);
  EXPECT_DOUBLE_EQ(NodeFragmentation(DynamicMigNode("A100-40GB", 2)), 0.0);
}

TEST(MigPlacementTest, ExistingInstancesFromTheNodeAnnotationBlockTheirSlices) {
  // Capacity is not fit: 1g instances at 0 and 4 leave 6 slices and no 3g placement.
  NodeGpus node = DynamicMigNode("A100-40GB", 1,
                                 {{"quotient.io/gpu-layout", "0:mig-dynamic:1g.5gb@0,1g.5gb@4"}});
  const GpuFit fit = FitGpuRequest(node, Fraction("0.5"), FitOptions{});
  EXPECT_EQ(fit.code, FitCode::kMigPlacement);
  EXPECT_EQ(FormatGpuFit(fit, Fraction("0.5"), node, "n1"),
            "gpu: no free placement for 3g.20gb (0.5 GPU) (4 memory slices) on any GPU of node "
            "n1 (largest placeable: 2 of 8 slices)");
}

// Keep-largest against first-fit on one pseudo-random stream of arrivals and departures
// (departures out of arrival order) over 4 A100-40GB: refusals while the node still has as
// many free memory slices as the request needs. docs/gpu.md quotes the same measurement
// from bench_gpu (BM_MigChurn).
TEST(MigPlacementTest, KeepingLargeProfilesPlaceableRefusesLessThanFirstFit) {
  const MigChurn keep = RunMigChurn(MigPolicy::kKeepLargest, 4, 5000, 42);
  const MigChurn first = RunMigChurn(MigPolicy::kFirstFit, 4, 5000, 42);
  EXPECT_EQ(keep.requests, first.requests);
  EXPECT_EQ(keep.requests, 5000);
  EXPECT_LT(keep.refused_with_room, first.refused_with_room);
  EXPECT_LT(keep.mean_fragmentation, first.mean_fragmentation);
}

}  // namespace
}  // namespace quotient::gpu
