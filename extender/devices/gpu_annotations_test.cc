// The pod annotations of a GPU placement: what bind writes, and reading it back (one
// dynamic MIG instance, several, and malformed lists).
#include "extender/devices/gpu_annotations.h"

#include <gtest/gtest.h>

#include "gpu/gpu_test_util.h"

namespace quotient::extender::state {
namespace {

using gpu::testing::DynamicMigNode;

PodInfo BoundPod(const std::string& placement) {
  PodInfo pod;
  pod.name = "p";
  pod.ns = "a";
  pod.node_name = "n1";
  pod.annotations = {{std::string(kMigPlacement), placement}};
  return pod;
}

gpu::GpuRequest MigN(const std::string& profile, int64_t n) {
  return gpu::testing::Request(quota::ResourceList{{"nvidia.com/mig-" + profile, n}});
}

// Places `request` on `node`, writes its annotation, reads it back.
void RoundTrip(const gpu::NodeGpus& node, const gpu::GpuRequest& request,
               const std::string& annotation) {
  const gpu::GpuFit fit = gpu::FitGpuRequest(node, request, gpu::FitOptions{});
  ASSERT_TRUE(fit.fits());
  const StringPairs written = BindAnnotations(fit.assignment, node, 0);
  ASSERT_EQ(written.size(), 1u);
  EXPECT_EQ(written[0].first, kMigPlacement);
  EXPECT_EQ(written[0].second, annotation);
  gpu::GpuAssignment read;
  std::string why;
  ASSERT_TRUE(AssignmentFromPod(BoundPod(written[0].second), request, node, &read, &why)) << why;
  EXPECT_EQ(read, fit.assignment);
}

TEST(GpuAnnotationsTest, OneInstanceRoundTripsInTheSingleForm) {
  RoundTrip(DynamicMigNode("A100-40GB", 1), gpu::testing::Fraction("0.5"),
            "gpu=0,profile=3g.20gb,start=4,size=4");
}

TEST(GpuAnnotationsTest, SeveralInstancesRoundTripAsAList) {
  RoundTrip(DynamicMigNode("A100-40GB", 1), MigN("1g.5gb", 2),
            "gpu=0,profile=1g.5gb,start=4,size=1;gpu=0,profile=1g.5gb,start=5,size=1");
  RoundTrip(DynamicMigNode("A100-40GB", 2), MigN("3g.20gb", 3),
            "gpu=0,profile=3g.20gb,start=4,size=4;gpu=0,profile=3g.20gb,start=0,size=4;"
            "gpu=1,profile=3g.20gb,start=4,size=4");
}

TEST(GpuAnnotationsTest, AListIsReadInstanceByInstance) {
  const gpu::NodeGpus node = DynamicMigNode("A100-40GB", 2);
  gpu::GpuAssignment read;
  std::string why;
  ASSERT_TRUE(AssignmentFromPod(
      BoundPod("gpu=1,profile=1g.5gb,start=0,size=1;gpu=0,profile=1g.5gb,start=6"),
      MigN("1g.5gb", 2), node, &read, &why))
      << why;
  EXPECT_EQ(read.kind, gpu::GpuRequestKind::kMig);
  EXPECT_EQ(read.gpus, 0b11u);
  const int p = node.inventory().model->FindProfile("1g.5gb");
  EXPECT_EQ(read.instances, (gpu::MigSlots{{1, p, 0}, {0, p, 6}}));
}

struct Malformed {
  const char* name;
  const char* annotation;
  const char* why;
};

TEST(GpuAnnotationsTest, MalformedPlacementsAreRejectedWithWhy) {
  const std::vector<Malformed> table = {
      {"a field that is not key=value", "gpu=0,profile=1g.5gb,start",
       "quotient.io/mig-placement: \"start\" is not key=value"},
      {"an empty annotation", "", "quotient.io/mig-placement is empty"},
      {"a trailing ';'", "gpu=0,profile=1g.5gb,start=0;",
       "quotient.io/mig-placement: instance 2 is empty"},
      {"an empty entry between two", "gpu=0,profile=1g.5gb,start=0;;gpu=0,profile=1g.5gb,start=1",
       "quotient.io/mig-placement: instance 2 is empty"},
      {"a number that is not one", "gpu=0,profile=1g.5gb,start=0;gpu=x,profile=1g.5gb,start=1",
       "quotient.io/mig-placement: instance 2: gpu=x is not a number"},
      {"a GPU the node lacks", "gpu=0,profile=1g.5gb,start=0;gpu=1,profile=1g.5gb,start=1",
       "quotient.io/mig-placement: instance 2: GPU 1 profile 1g.5gb is not on this node"},
      {"an unknown profile", "gpu=0,profile=1g.6gb,start=0",
       "quotient.io/mig-placement: GPU 0 profile 1g.6gb is not on this node"},
      {"a missing start", "gpu=0,profile=1g.5gb",
       "quotient.io/mig-placement: gpu, profile and start are required"},
      {"a size that is not the profile's", "gpu=0,profile=1g.5gb,start=0,size=2",
       "quotient.io/mig-placement: 1g.5gb has size 1, not 2"},
      {"a start that is not a placement of the profile",
       "gpu=0,profile=1g.5gb,start=0;gpu=0,profile=3g.20gb,start=2,size=4",
       "quotient.io/mig-placement: instance 2: 3g.20gb cannot start at slice 2"},
  };
  const gpu::NodeGpus node = DynamicMigNode("A100-40GB", 1);
  for (const Malformed& c : table) {
    SCOPED_TRACE(c.name);
    gpu::GpuAssignment read;
    std::string why;
    EXPECT_FALSE(AssignmentFromPod(BoundPod(c.annotation), MigN("1g.5gb", 2), node, &read, &why));
    EXPECT_EQ(why, c.why);
  }
}

TEST(GpuAnnotationsTest, MoreInstancesThanTheNodeCanHoldAreRejected) {
  // An A100-40GB holds at most 7 instances.
  std::string eight;
  for (int i = 0; i < 8; ++i) {
    if (i > 0) eight += ';';
    eight += "gpu=0,profile=1g.5gb,start=" + std::to_string(i % 7);
  }
  gpu::GpuAssignment read;
  std::string why;
  EXPECT_FALSE(AssignmentFromPod(BoundPod(eight), MigN("1g.5gb", 8), DynamicMigNode("A100-40GB", 1),
                                 &read, &why));
  EXPECT_EQ(why, "quotient.io/mig-placement: more instances than the node's 1 GPUs can hold (7)");
}

}  // namespace
}  // namespace quotient::extender::state
