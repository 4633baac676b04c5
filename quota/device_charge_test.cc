#include "quota/device_charge.h"

#include <gtest/gtest.h>

#include <limits>

namespace quotient::quota {
namespace {

constexpr int64_t kGi = int64_t{1} << 30;

// NVIDIA's driver: whole GPUs by count, MIG partitions by the memory slices they consume, a
// shared GPU class by the memory capacity it gives a claim.
DeviceChargeConfig NvidiaConfig() {
  DeviceChargeConfig config;
  std::string error;
  EXPECT_TRUE(DeviceChargeConfig::Build(
      {{"gpu.nvidia.com", "nvidia.com/gpu", DeviceChargeMode::kDevices, "", ""},
       {"mig.nvidia.com", "quotient.io/gpu-memory-slices", DeviceChargeMode::kCounter,
        "memory-slice-*", "gpu.nvidia.com"},
       {"shared.gpu.nvidia.com", "quotient.io/gpu-memory", DeviceChargeMode::kCapacity, "memory",
        "gpu.nvidia.com"}},
      &config, &error))
      << error;
  return config;
}

PublishedDevice Gpu(std::string pool, std::string name) {
  PublishedDevice d{"gpu.nvidia.com", std::move(pool), std::move(name), {{"memory", 80 * kGi}}, {}};
  ResourceList slices;
  for (int i = 0; i < 8; ++i) slices.Set("memory-slice-" + std::to_string(i), 1);
  slices.Set("memory", 80 * kGi);
  d.consumes.push_back({d.name + "-counter-set", slices});
  return d;
}

PublishedDevice Mig(std::string pool, std::string name, int first_slice, int slices) {
  PublishedDevice d{"gpu.nvidia.com", std::move(pool), std::move(name), {}, {}};
  ResourceList counters;
  for (int i = first_slice; i < first_slice + slices; ++i) {
    counters.Set("memory-slice-" + std::to_string(i), 1);
  }
  d.consumes.push_back({"gpu-0-counter-set", counters});
  return d;
}

DeviceRequest Exactly(std::string name, std::string device_class, int64_t count = 1) {
  return {std::move(name),
          false,
          {{"", std::move(device_class), AllocationMode::kExactCount, count, {}, false}}};
}

struct Fixture {
  DeviceChargeConfig config = NvidiaConfig();
  std::vector<PublishedDevice> devices = {
      Gpu("node-1", "gpu-0"), Gpu("node-1", "gpu-1"), Mig("node-1", "gpu-0-mig-1g10gb-19-0", 0, 1),
      Mig("node-1", "gpu-0-mig-3g40gb-9-4", 4, 4), Gpu("node-2", "gpu-0")};
  DeviceCeilings ceilings = DeviceCeilings::Build(config, devices);
};

TEST(DeviceChargeConfigTest, RefusesAClassMappedTwiceAndACounterWithoutSource) {
  DeviceChargeConfig config;
  std::string error;
  EXPECT_FALSE(DeviceChargeConfig::Build({{"a", "r", DeviceChargeMode::kDevices, "", ""},
                                          {"a", "s", DeviceChargeMode::kDevices, "", ""}},
                                         &config, &error));
  EXPECT_EQ(error, "mappings[1]: device class \"a\" mapped twice (mappings[0])");
  EXPECT_FALSE(DeviceChargeConfig::Build({{"a", "r", DeviceChargeMode::kCounter, "", "d"}}, &config,
                                         &error));
  EXPECT_EQ(error, "mappings[0]: device class \"a\": counter mode needs a source name");
  EXPECT_FALSE(
      DeviceChargeConfig::Build({{"a", "", DeviceChargeMode::kDevices, "", ""}}, &config, &error));
}

TEST(DeviceCeilingsTest, TakeTheLargestDeviceAndTheLargestPoolOfTheDriver) {
  Fixture f;
  // The whole GPU consumes all 8 memory slices; node-1 publishes 4 devices.
  EXPECT_EQ(f.ceilings.PerDevice("mig.nvidia.com"), 8);
  EXPECT_EQ(f.ceilings.PerDevice("shared.gpu.nvidia.com"), 80 * kGi);
  EXPECT_EQ(f.ceilings.LargestPool("gpu.nvidia.com"), 4);
  EXPECT_EQ(f.ceilings.PerDevice("unmapped.example.com"), 0);
}

TEST(ChargeClaimRequestsTest, ExactCountIsChargedCountDevices) {
  Fixture f;
  std::vector<DeviceRequest> requests = {Exactly("gpus", "gpu.nvidia.com", 2)};
  ClaimCharge c = ChargeClaimRequests(f.config, f.ceilings, requests);
  ASSERT_TRUE(c.charged()) << FormatClaimRefusal(c);
  EXPECT_EQ(c.charge, (ResourceList{{"nvidia.com/gpu", 2}}));
  EXPECT_FALSE(c.estimated);
  EXPECT_TRUE(c.unmapped.empty());
}

TEST(ChargeClaimRequestsTest, AMigRequestIsChargedTheLargestDeviceUntilAllocated) {
  Fixture f;
  std::vector<DeviceRequest> requests = {Exactly("mig", "mig.nvidia.com")};
  ClaimCharge c = ChargeClaimRequests(f.config, f.ceilings, requests);
  ASSERT_TRUE(c.charged());
  EXPECT_EQ(c.charge, (ResourceList{{"quotient.io/gpu-memory-slices", 8}}));
  EXPECT_TRUE(c.estimated);
}

TEST(ChargeClaimRequestsTest, ACapacityRequestIsChargedWhatItAsksPerDevice) {
  Fixture f;
  DeviceRequest request = Exactly("shared", "shared.gpu.nvidia.com", 2);
  request.alternatives[0].capacity.Set("memory", 10 * kGi);
  ClaimCharge c = ChargeClaimRequests(f.config, f.ceilings, std::span(&request, 1));
  ASSERT_TRUE(c.charged());
  EXPECT_EQ(c.charge, (ResourceList{{"quotient.io/gpu-memory", 20 * kGi}}));
  EXPECT_FALSE(c.estimated);
}

TEST(ChargeClaimRequestsTest, AllIsChargedTheLargestPoolAtMostThirtyTwo) {
  Fixture f;
  DeviceRequest request = Exactly("all", "gpu.nvidia.com");
  request.alternatives[0].mode = AllocationMode::kAll;
  ClaimCharge c = ChargeClaimRequests(f.config, f.ceilings, std::span(&request, 1));
  ASSERT_TRUE(c.charged());
  EXPECT_EQ(c.charge.Get("nvidia.com/gpu"), 4);
  EXPECT_TRUE(c.estimated);
  // With no device published yet: the most an allocation holds.
  DeviceCeilings empty = DeviceCeilings::Build(f.config, {});
  c = ChargeClaimRequests(f.config, empty, std::span(&request, 1));
  EXPECT_EQ(c.charge.Get("nvidia.com/gpu"), 32);
}

TEST(ChargeClaimRequestsTest, FirstAvailableIsChargedTheMostExpensiveAlternativePerResource) {
  Fixture f;
  DeviceRequest request{"gpu",
                        true,
                        {{"big", "gpu.nvidia.com", AllocationMode::kExactCount, 2, {}, false},
                         {"small", "mig.nvidia.com", AllocationMode::kExactCount, 1, {}, false},
                         {"one", "gpu.nvidia.com", AllocationMode::kExactCount, 1, {}, false}}};
  ClaimCharge c = ChargeClaimRequests(f.config, f.ceilings, std::span(&request, 1));
  ASSERT_TRUE(c.charged());
  EXPECT_EQ(c.charge, (ResourceList{{"nvidia.com/gpu", 2}, {"quotient.io/gpu-memory-slices", 8}}));
  EXPECT_TRUE(c.estimated);
}

TEST(ChargeClaimRequestsTest, AnUnmappedClassIsReportedNotCharged) {
  Fixture f;
  std::vector<DeviceRequest> requests = {Exactly("gpu", "gpu.nvidia.com"),
                                         Exactly("nic", "rdma.example.com", 2)};
  ClaimCharge c = ChargeClaimRequests(f.config, f.ceilings, requests);
  ASSERT_TRUE(c.charged());
  EXPECT_EQ(c.charge, (ResourceList{{"nvidia.com/gpu", 1}}));
  EXPECT_EQ(c.unmapped, (std::vector<UnmappedDevices>{{"nic", "rdma.example.com", 2}}));
}

TEST(ChargeClaimRequestsTest, AdminAccessIsFree) {
  Fixture f;
  DeviceRequest request = Exactly("monitor", "gpu.nvidia.com", 2);
  request.alternatives[0].admin_access = true;
  ClaimCharge c = ChargeClaimRequests(f.config, f.ceilings, std::span(&request, 1));
  ASSERT_TRUE(c.charged());
  EXPECT_TRUE(c.charge.empty());
}

TEST(ChargeClaimRequestsTest, RefusesAbsurdRequestsWithTheNumbers) {
  Fixture f;
  struct Case {
    const char* name;
    std::vector<DeviceRequest> requests;
    ClaimChargeCode code;
    std::string text;
  };
  DeviceRequest shared = Exactly("shared", "shared.gpu.nvidia.com", 32);
  shared.alternatives[0].capacity.Set("memory", std::numeric_limits<int64_t>::max() / 2);
  std::vector<Case> cases = {
      {"a count above what a claim can hold",
       {Exactly("gpu", "gpu.nvidia.com", 1000)},
       ClaimChargeCode::kTooManyDevices,
       "claim request gpu: 1000 devices > 32 devices a claim can hold"},
      {"a zero count",
       {Exactly("gpu", "gpu.nvidia.com", 0)},
       ClaimChargeCode::kInvalidCount,
       "claim request gpu: count 0 < 1"},
      {"requests summing past 32 devices",
       {Exactly("a", "gpu.nvidia.com", 20), Exactly("b", "rdma.example.com", 20)},
       ClaimChargeCode::kTooManyDevices,
       "claim: 40 devices > 32 devices a claim can hold"},
      {"a product that leaves int64",
       {shared},
       ClaimChargeCode::kOverflow,
       "claim request shared: device class shared.gpu.nvidia.com: charge out of range"},
      {"too many requests", std::vector<DeviceRequest>(33, Exactly("g", "gpu.nvidia.com")),
       ClaimChargeCode::kTooManyRequests, "claim: 33 requests or alternatives > 32"},
  };
  for (const Case& tc : cases) {
    SCOPED_TRACE(tc.name);
    ClaimCharge c = ChargeClaimRequests(f.config, f.ceilings, tc.requests);
    EXPECT_EQ(c.code, tc.code);
    EXPECT_EQ(FormatClaimRefusal(c), tc.text);
  }
}

TEST(ChargeClaimRequestsTest, ACounterClassWithNoPublishedDeviceCannotBeEstimated) {
  Fixture f;
  DeviceCeilings empty = DeviceCeilings::Build(f.config, {});
  std::vector<DeviceRequest> requests = {Exactly("mig", "mig.nvidia.com")};
  ClaimCharge c = ChargeClaimRequests(f.config, empty, requests);
  EXPECT_EQ(c.code, ClaimChargeCode::kNoEstimate);
  EXPECT_EQ(FormatClaimRefusal(c),
            "claim request mig: device class mig.nvidia.com: no published device says what one "
            "device takes");
}

AllocatedDevice Allocated(std::string request, const PublishedDevice& device) {
  return {std::move(request), device.driver, device.pool, device.name, false, {}, device};
}

TEST(ChargeClaimAllocationTest, ChargesTheDevicesTheAllocatorChose) {
  Fixture f;
  std::vector<DeviceRequest> requests = {
      {"gpu",
       true,
       {{"big", "gpu.nvidia.com", AllocationMode::kExactCount, 2, {}, false},
        {"small", "mig.nvidia.com", AllocationMode::kExactCount, 1, {}, false}}},
      Exactly("nic", "rdma.example.com")};
  // The allocator fell back to the 3g.40gb partition: 4 memory slices, no whole GPU.
  std::vector<AllocatedDevice> allocation = {
      Allocated("gpu/small", f.devices[3]),
      {"nic", "rdma.example.com", "node-1", "nic-0", false, {}, {}}};
  ClaimCharge c = ChargeClaimAllocation(f.config, requests, allocation);
  ASSERT_TRUE(c.charged()) << FormatClaimRefusal(c);
  EXPECT_EQ(c.charge, (ResourceList{{"quotient.io/gpu-memory-slices", 4}}));
  EXPECT_FALSE(c.estimated);
  EXPECT_EQ(c.unmapped, (std::vector<UnmappedDevices>{{"nic", "rdma.example.com", 1}}));
}

TEST(ChargeClaimAllocationTest, AllIsChargedTheDevicesItGot) {
  Fixture f;
  DeviceRequest request = Exactly("all", "gpu.nvidia.com");
  request.alternatives[0].mode = AllocationMode::kAll;
  std::vector<AllocatedDevice> allocation = {Allocated("all", f.devices[0]),
                                             Allocated("all", f.devices[1])};
  ClaimCharge c = ChargeClaimAllocation(f.config, std::span(&request, 1), allocation);
  ASSERT_TRUE(c.charged());
  EXPECT_EQ(c.charge.Get("nvidia.com/gpu"), 2);
}

TEST(ChargeClaimAllocationTest, ConsumedCapacityWinsOverTheWholeDevice) {
  Fixture f;
  DeviceRequest request = Exactly("shared", "shared.gpu.nvidia.com");
  AllocatedDevice shared = Allocated("shared", f.devices[0]);
  std::vector<AllocatedDevice> allocation = {shared};
  ClaimCharge c = ChargeClaimAllocation(f.config, std::span(&request, 1), allocation);
  EXPECT_EQ(c.charge.Get("quotient.io/gpu-memory"), 80 * kGi);  // allocated exclusively
  allocation[0].consumed_capacity.Set("memory", 16 * kGi);
  c = ChargeClaimAllocation(f.config, std::span(&request, 1), allocation);
  EXPECT_EQ(c.charge.Get("quotient.io/gpu-memory"), 16 * kGi);
}

TEST(ChargeClaimAllocationTest, RefusesUnknownRequestsAndDevicesItCannotCount) {
  Fixture f;
  std::vector<DeviceRequest> requests = {Exactly("mig", "mig.nvidia.com")};
  std::vector<AllocatedDevice> allocation = {Allocated("other", f.devices[2])};
  ClaimCharge c = ChargeClaimAllocation(f.config, requests, allocation);
  EXPECT_EQ(c.code, ClaimChargeCode::kUnknownRequest);
  allocation = {{"mig", "gpu.nvidia.com", "node-9", "gpu-0-mig-1g10gb-19-0", false, {}, {}}};
  c = ChargeClaimAllocation(f.config, requests, allocation);
  EXPECT_EQ(c.code, ClaimChargeCode::kUnknownDevice);
  EXPECT_EQ(FormatClaimRefusal(c),
            "claim request mig: device gpu.nvidia.com/node-9/gpu-0-mig-1g10gb-19-0 is in no "
            "ResourceSlice");
  allocation = std::vector<AllocatedDevice>(33, Allocated("mig", f.devices[2]));
  EXPECT_EQ(ChargeClaimAllocation(f.config, requests, allocation).code,
            ClaimChargeCode::kTooManyDevices);
}

}  // namespace
}  // namespace quotient::quota
