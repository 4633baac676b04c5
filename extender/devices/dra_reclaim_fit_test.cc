// DraReclaimFit: whether a pod's ResourceClaims fit a node once some pods' claims are
// deallocated, beside the room held for other reclaiming pods.
#include "extender/devices/dra_reclaim_fit.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

namespace quotient::extender::state {
namespace {

constexpr std::string_view kClass = "gpu.nvidia.com";

quota::DeviceChargeConfig GpuMapping() {
  quota::DeviceChargeConfig config;
  std::string error;
  EXPECT_TRUE(quota::DeviceChargeConfig::Build(
      {{std::string(kClass), "nvidia.com/gpu", quota::DeviceChargeMode::kDevices, "", ""}}, &config,
      &error))
      << error;
  return config;
}

// node-1 publishes gpu-0..gpu-3; pods b0..b3 each hold one through claim cb<i>; pod "a"
// asks two GPUs through claim "ca" (not allocated).
class DraReclaimFitTest : public ::testing::Test {
 protected:
  DraReclaimFitTest() {
    auto lock = dra_.apply_lock();
    ResourceSliceInfo slice;
    slice.name = "node-1-gpus";
    slice.driver = std::string(kClass);
    slice.pool = "node-1";
    slice.node_name = "node-1";
    for (int i = 0; i < 4; ++i) {
      quota::PublishedDevice d;
      d.driver = slice.driver;
      d.pool = slice.pool;
      d.name = fmt::format("gpu-{}", i);
      slice.devices.push_back(d);
    }
    dra_.UpsertSlice(slice);
    for (int i = 0; i < 4; ++i) {
      const std::string b = fmt::format("b{}", i);
      AddClaim("c" + b, 1, {i}, {b});
      IndexPod(b, {"c" + b});
    }
    AddClaim("ca", 2);
    IndexPod("a", {"ca"});
  }
  // A claim asking `count` GPUs, allocated to gpu-<devices> and reserved for `users`.
  void AddClaim(const std::string& name, int64_t count, std::vector<int> devices = {},
                std::vector<std::string> users = {}) {
    ResourceClaimInfo claim;
    claim.name = name;
    claim.ns = "team";
    claim.uid = "uid-" + name;
    quota::DeviceSubRequest sub;
    sub.device_class = std::string(kClass);
    sub.count = count;
    claim.requests.push_back({"gpu", false, {sub}});
    claim.allocated = !devices.empty();
    for (int d : devices) {
      claim.results.push_back(
          {"gpu", std::string(kClass), "node-1", fmt::format("gpu-{}", d), false, {}, {}});
    }
    for (const std::string& user : users) claim.reserved_for.push_back({"", "pods", user, user});
    dra_.UpsertClaim(std::move(claim));
  }
  void IndexPod(const std::string& uid, std::vector<std::string> claims, bool deleted = false) {
    PodInfo pod;
    pod.uid = uid;
    pod.ns = "team";
    pod.name = uid;
    for (const std::string& c : claims) pod.resource_claims.push_back({c, c, ""});
    dra_.IndexPod(deleted, pod);
  }
  bool Fits(std::vector<std::string_view> leaving, std::vector<std::string_view> holders = {},
            std::string_view node = "node-1", std::string_view uid = "a") const {
    return fit_.FitsAfter(uid, node, leaving, holders);
  }
  DraState dra_{GpuMapping(), nullptr};
  DraReclaimFit fit_{&dra_};
};

TEST_F(DraReclaimFitTest, TwoGpusFitOnlyOnceTwoHoldersClaimsAreReleased) {
  EXPECT_TRUE(fit_.Applies("a"));
  EXPECT_FALSE(Fits({}));
  EXPECT_FALSE(Fits({"b0"}));
  EXPECT_TRUE(Fits({"b0", "b1"}));
  const gpu::ClaimFit short_one = fit_.Check("a", "node-1", {"b0"}, {});
  EXPECT_EQ(gpu::FormatClaimFit(short_one),
            "claim request gpu (device class gpu.nvidia.com): 2 devices, 1 free");
}

TEST_F(DraReclaimFitTest, AClaimWhosePodIsGoneIsOnItsWayToDeallocation) {
  auto lock = dra_.apply_lock();
  IndexPod("b2", {"cb2"}, /*deleted=*/true);  // reservedFor still names it
  EXPECT_TRUE(Fits({"b0"}));
}

TEST_F(DraReclaimFitTest, ADeallocatedClaimFreesItsDevice) {
  auto lock = dra_.apply_lock();
  AddClaim("cb3", 1);  // the resourceclaim controller cleared status.allocation
  EXPECT_TRUE(Fits({"b0"}));
}

TEST_F(DraReclaimFitTest, RoomHeldForAnotherReclaimingPodIsServedFirst) {
  {
    auto lock = dra_.apply_lock();
    AddClaim("ch", 1);
    IndexPod("h", {"ch"});
  }
  EXPECT_FALSE(Fits({"b0", "b1"}, {"h"}));
  EXPECT_TRUE(Fits({"b0", "b1", "b2"}, {"h"}));
}

TEST_F(DraReclaimFitTest, ASharedClaimStaysUntilAllItsPodsLeave) {
  auto lock = dra_.apply_lock();
  AddClaim("cb0", 1, {0}, {"b0", "b1"});
  IndexPod("b1", {"cb1", "cb0"});
  EXPECT_FALSE(Fits({"b0", "b2"}));  // gpu-0 is still b1's
  EXPECT_TRUE(Fits({"b0", "b1"}));
}

TEST_F(DraReclaimFitTest, NoSliceOnTheNodeOrAClaimNotSeenNeverFits) {
  EXPECT_FALSE(Fits({"b0", "b1", "b2", "b3"}, {}, "node-2"));
  auto lock = dra_.apply_lock();
  IndexPod("p", {"not-there"});
  EXPECT_FALSE(fit_.Applies("p"));
  EXPECT_FALSE(Fits({"b0", "b1", "b2", "b3"}, {}, "node-1", "p"));
}

TEST_F(DraReclaimFitTest, AnAllocatedClaimFitsOnlyTheNodeOfItsDevices) {
  auto lock = dra_.apply_lock();
  AddClaim("ca", 1, {3}, {});  // left allocated, unreserved, by an earlier attempt
  EXPECT_TRUE(Fits({}));
}

class Fixed : public DeviceFitCheck {
 public:
  Fixed(bool applies, bool fits) : applies_(applies), fits_(fits) {}
  bool Applies(std::string_view) const override { return applies_; }
  bool DecidesResource(std::string_view r) const override { return r == "x"; }
  bool FitsAfter(std::string_view, std::string_view, const std::vector<std::string_view>&,
                 const std::vector<std::string_view>&) const override {
    return fits_;
  }

 private:
  bool applies_, fits_;
};

TEST(AllDeviceFitsTest, FitsWhenEveryCheckThatAppliesSaysSo) {
  const Fixed fits(true, true), refuses(true, false), elsewhere(false, false);
  EXPECT_TRUE(AllDeviceFits({&fits, &elsewhere, nullptr}).FitsAfter("p", "n", {}, {}));
  EXPECT_FALSE(AllDeviceFits({&fits, &refuses}).FitsAfter("p", "n", {}, {}));
  EXPECT_FALSE(AllDeviceFits({&elsewhere}).Applies("p"));
  EXPECT_TRUE(AllDeviceFits({&elsewhere}).DecidesResource("x"));
}

}  // namespace
}  // namespace quotient::extender::state
