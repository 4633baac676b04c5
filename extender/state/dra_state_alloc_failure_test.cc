// DraState's strong guarantee (dra_state.h) under allocation failure
// (test/support/alloc_failure.h): every allocation of a watch update is failed in turn,
// and the objects, devices and pod index must then print as before (DebugString), with
// every indexed pod charged as before.
#include <gtest/gtest.h>

#include <functional>
#include <memory>

#include "extender/state/dra_state.h"
#include "test/support/alloc_failure.h"

namespace quotient::extender::state {
namespace {

using quotient::testing::AllocationFailureInjected;
using quotient::testing::ForEachAllocationFailure;
using quotient::testing::RunWithNthAllocationFailing;

std::string Uid(const std::string& name) {
  return "4f8a2d6c-3b1e-4c7a-9e5d-" + name + "-0000000";
}

quota::DeviceChargeConfig GpuMapping() {
  quota::DeviceChargeConfig config;
  std::string error;
  EXPECT_TRUE(quota::DeviceChargeConfig::Build(
      {{"gpu.nvidia.com", "nvidia.com/gpu", quota::DeviceChargeMode::kDevices, "", ""}}, &config,
      &error))
      << error;
  return config;
}

ResourceSliceInfo Slice(const std::string& name, const std::string& node, int devices) {
  ResourceSliceInfo slice;
  slice.name = name;
  slice.driver = "gpu.nvidia.com";
  slice.pool = node;
  slice.node_name = node;
  slice.pool_slice_count = 1;
  for (int i = 0; i < devices; ++i) {
    slice.devices.push_back({"gpu.nvidia.com", node, "gpu-" + std::to_string(i), {}, {}});
  }
  return slice;
}

// Claim `name` in team-a asking for `count` GPUs; allocated on node-1's first devices and
// reserved for `pod` when `pod` is not empty.
ResourceClaimInfo Claim(const std::string& name, int count, const std::string& pod = "") {
  ResourceClaimInfo claim;
  claim.name = name;
  claim.ns = "team-a";
  claim.uid = Uid("claim-" + name);
  quota::DeviceRequest request;
  request.name = "gpu";
  request.alternatives.push_back(
      {"", "gpu.nvidia.com", quota::AllocationMode::kExactCount, count, {}, false});
  claim.requests.push_back(request);
  if (!pod.empty()) {
    claim.allocated = true;
    for (int i = 0; i < count; ++i) {
      quota::AllocatedDevice device;
      device.request = "gpu";
      device.driver = "gpu.nvidia.com";
      device.pool = "node-1";
      device.device = "gpu-" + std::to_string(i);
      claim.results.push_back(device);
    }
    claim.reserved_for.push_back({"", "pods", pod, Uid(pod)});
  }
  return claim;
}

PodInfo Pod(const std::string& name, std::vector<std::string> claims) {
  PodInfo pod;
  pod.name = name;
  pod.ns = "team-a";
  pod.uid = Uid(name);
  for (const std::string& claim : claims) pod.resource_claims.push_back({claim, claim, ""});
  return pod;
}

const char* kPods[] = {"p1", "p2", "p3"};

// DebugString plus the charge of every pod the index holds.
std::string Snapshot(const DraState& dra) {
  std::string out = dra.DebugString();
  for (const char* name : kPods) {
    PodInfo pod;
    if (!dra.IndexedPod(Uid(name), &pod)) continue;
    dra.ChargePod(&pod);
    out += std::string(name) + " charge=" + std::to_string(pod.claim_charge.Get("nvidia.com/gpu")) +
           " problem=" + std::to_string(static_cast<int>(pod.claim_problem)) + "\n";
  }
  return out;
}

// node-1 publishes 4 GPUs; c1 (2 GPUs) is allocated to p1, c2 (1 GPU) is pending for p2.
std::unique_ptr<DraState> Dra() {
  auto dra = std::make_unique<DraState>(GpuMapping(), nullptr);
  auto lock = dra->apply_lock();
  dra->UpsertSlice(Slice("node-1-gpus", "node-1", 4));
  dra->UpsertClaim(Claim("c1", 2, "p1"));
  dra->UpsertClaim(Claim("c2", 1));
  dra->IndexPod(false, Pod("p1", {"c1"}));
  dra->IndexPod(false, Pod("p2", {"c2"}));
  return dra;
}

// Runs `update` on Dra() (then `prepare`, unarmed) with each of its allocations failing in
// turn: a failure must leave the state as it was; `done` checks the update that met none.
// Returns the number of allocations the update makes.
size_t ExpectStrong(const std::function<void(DraState&)>& update,
                    const std::function<void(DraState&)>& done,
                    const std::function<void(DraState&)>& prepare = nullptr) {
  return ForEachAllocationFailure([&](size_t n) {
    std::unique_ptr<DraState> dra = Dra();
    auto lock = dra->apply_lock();
    if (prepare) prepare(*dra);
    const std::string before = Snapshot(*dra);
    if (RunWithNthAllocationFailing(n, [&] { update(*dra); })) {
      EXPECT_EQ(Snapshot(*dra), before) << "allocation " << n << " failed";
    } else {
      EXPECT_FALSE(AllocationFailureInjected()) << "allocation " << n << " failed unseen";
      done(*dra);
    }
  });
}

TEST(DraStateAllocFailureTest, ClaimUpdatesAreAllOrNothing) {
  const ResourceClaimInfo allocated = Claim("c2", 1, "p2");
  EXPECT_GT(ExpectStrong([&](DraState& d) { EXPECT_EQ(d.UpsertClaim(allocated).size(), 1u); },
                         [](DraState& d) { EXPECT_EQ(d.claim_count(), 2u); }),
            0u);
  const ResourceClaimInfo fresh = Claim("c3-with-a-long-name", 1);
  EXPECT_GT(ExpectStrong([&](DraState& d) { d.UpsertClaim(fresh); },
                         [](DraState& d) { EXPECT_EQ(d.claim_count(), 3u); }),
            0u);
  EXPECT_GT(ExpectStrong([](DraState& d) { EXPECT_EQ(d.DeleteClaim("team-a", "c1").size(), 1u); },
                         [](DraState& d) { EXPECT_EQ(d.claim_count(), 1u); }),
            0u);
  const ResourceClaimInfo c1 = Claim("c1", 2, "p1");
  // A relist that no longer contains c2: p2 is to be recharged.
  EXPECT_GT(ExpectStrong([](DraState& d) { EXPECT_EQ(d.EndClaimList().size(), 1u); },
                         [](DraState& d) { EXPECT_EQ(d.claim_count(), 1u); },
                         [&](DraState& d) {
                           d.BeginClaimList();
                           d.UpsertClaim(c1);
                         }),
            0u);
}

TEST(DraStateAllocFailureTest, SliceUpdatesAreAllOrNothing) {
  const ResourceSliceInfo bigger = Slice("node-1-gpus", "node-1", 8);
  EXPECT_GT(ExpectStrong([&](DraState& d) { d.UpsertSlice(bigger); },
                         [](DraState& d) { EXPECT_EQ(d.slice_count(), 1u); }),
            0u);
  const ResourceSliceInfo other = Slice("node-2-gpus", "node-2", 2);
  EXPECT_GT(ExpectStrong([&](DraState& d) { d.UpsertSlice(other); },
                         [](DraState& d) { EXPECT_EQ(d.slice_count(), 2u); }),
            0u);
  EXPECT_GT(ExpectStrong([](DraState& d) { d.DeleteSlice("node-1-gpus"); },
                         [](DraState& d) { EXPECT_EQ(d.slice_count(), 0u); }),
            0u);
  EXPECT_GT(ExpectStrong([](DraState& d) { d.EndSliceList(); },
                         [](DraState& d) { EXPECT_EQ(d.slice_count(), 0u); },
                         [](DraState& d) { d.BeginSliceList(); }),
            0u);
}

TEST(DraStateAllocFailureTest, PodIndexUpdatesAreAllOrNothing) {
  const PodInfo p3 = Pod("p3", {"c1", "c2"});
  EXPECT_GT(ExpectStrong([&](DraState& d) { d.IndexPod(false, p3); },
                         [](DraState& d) {
                           PodInfo pod;
                           EXPECT_TRUE(d.IndexedPod(Uid("p3"), &pod));
                         }),
            0u);
  const PodInfo p1_moved = Pod("p1", {"c2"});
  EXPECT_GT(ExpectStrong([&](DraState& d) { d.IndexPod(false, p1_moved); },
                         [](DraState& d) { EXPECT_EQ(d.DeleteClaim("team-a", "c2").size(), 2u); }),
            0u);
  // Keeps c1 while it joins c2: the key it keeps is neither left nor joined twice.
  const PodInfo p1_more = Pod("p1", {"c1", "c2"});
  EXPECT_GT(ExpectStrong([&](DraState& d) { d.IndexPod(false, p1_more); },
                         [](DraState& d) {
                           EXPECT_EQ(d.DeleteClaim("team-a", "c1").size(), 1u);
                           EXPECT_EQ(d.DeleteClaim("team-a", "c2").size(), 2u);
                         }),
            0u);
  const PodInfo p2 = Pod("p2", {"c2"});
  EXPECT_GT(ExpectStrong([&](DraState& d) { d.IndexPod(true, p2); },
                         [](DraState& d) {
                           PodInfo pod;
                           EXPECT_FALSE(d.IndexedPod(Uid("p2"), &pod));
                         }),
            0u);
}

}  // namespace
}  // namespace quotient::extender::state
