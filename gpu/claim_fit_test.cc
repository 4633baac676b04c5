#include "gpu/claim_fit.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

namespace quotient::gpu {
namespace {

quota::DeviceChargeConfig Config(std::string driver = "") {
  quota::DeviceChargeConfig config;
  std::string error;
  EXPECT_TRUE(quota::DeviceChargeConfig::Build(
      {{"gpu.example.com", "nvidia.com/gpu", quota::DeviceChargeMode::kDevices, "", driver}},
      &config, &error))
      << error;
  return config;
}

quota::PublishedDevice Device(std::string name, std::string driver = "gpu.example.com") {
  quota::PublishedDevice d;
  d.driver = std::move(driver);
  d.pool = "node-1";
  d.name = std::move(name);
  return d;
}

ClaimFitNode FourGpus(std::vector<std::string> in_use = {}) {
  ClaimFitNode node;
  for (int i = 0; i < 4; ++i) node.devices.push_back(Device(fmt::format("gpu-{}", i)));
  for (const std::string& d : in_use)
    node.in_use.push_back(DeviceKey("gpu.example.com", "node-1", d));
  return node;
}

quota::DeviceRequest Exactly(int64_t count, std::string name = "gpu",
                             quota::AllocationMode mode = quota::AllocationMode::kExactCount) {
  quota::DeviceRequest r;
  r.name = std::move(name);
  quota::DeviceSubRequest sub;
  sub.device_class = "gpu.example.com";
  sub.mode = mode;
  sub.count = count;
  r.alternatives.push_back(sub);
  return r;
}

TEST(ClaimFitTest, TwoGpusFitWhereTwoOfFourAreFreeAndTheFitNamesThem) {
  const std::vector<quota::DeviceRequest> requests = {Exactly(2)};
  const ClaimFit fit = FitClaims(Config(), FourGpus({"gpu-0", "gpu-2"}), {}, requests);
  EXPECT_TRUE(fit.fits);
  EXPECT_EQ(fit.devices, (std::vector<std::string>{"gpu.example.com/node-1/gpu-1",
                                                   "gpu.example.com/node-1/gpu-3"}));
}

TEST(ClaimFitTest, TwoGpusDoNotFitWhereOneIsFreeAndTheRefusalSaysSo) {
  const std::vector<quota::DeviceRequest> requests = {Exactly(2)};
  const ClaimFit fit = FitClaims(Config(), FourGpus({"gpu-0", "gpu-1", "gpu-2"}), {}, requests);
  EXPECT_FALSE(fit.fits);
  EXPECT_EQ(fit.request, "gpu");
  EXPECT_EQ(fit.wanted, 2);
  EXPECT_EQ(fit.free, 1);
  EXPECT_EQ(FormatClaimFit(fit),
            "claim request gpu (device class gpu.example.com): 2 devices, 1 free");
}

TEST(ClaimFitTest, HeldRequestsTakeTheirDevicesFirst) {
  const std::vector<quota::DeviceRequest> held = {Exactly(1)};
  const std::vector<quota::DeviceRequest> requests = {Exactly(2)};
  EXPECT_FALSE(FitClaims(Config(), FourGpus({"gpu-0", "gpu-1"}), held, requests).fits);
  EXPECT_TRUE(FitClaims(Config(), FourGpus({"gpu-0"}), held, requests).fits);
}

TEST(ClaimFitTest, AHeldRequestThatCannotBeServedTakesWhatItCanAndRefusesNothing) {
  const std::vector<quota::DeviceRequest> held = {Exactly(8)};
  const std::vector<quota::DeviceRequest> none;
  EXPECT_TRUE(FitClaims(Config(), FourGpus(), held, none).fits);
}

TEST(ClaimFitTest, AMappingWithADriverMatchesOnlyThatDriversDevices) {
  ClaimFitNode node = FourGpus({"gpu-0", "gpu-1", "gpu-2", "gpu-3"});
  node.devices.push_back(Device("nic-0", "nic.example.com"));
  const std::vector<quota::DeviceRequest> requests = {Exactly(1)};
  EXPECT_FALSE(FitClaims(Config("gpu.example.com"), node, {}, requests).fits);
  EXPECT_TRUE(FitClaims(Config(), node, {}, requests).fits);  // no driver: any device
}

TEST(ClaimFitTest, AllNeedsEveryMatchingDeviceFree) {
  const std::vector<quota::DeviceRequest> requests = {
      Exactly(0, "all", quota::AllocationMode::kAll)};
  EXPECT_TRUE(FitClaims(Config(), FourGpus(), {}, requests).fits);
  const ClaimFit fit = FitClaims(Config(), FourGpus({"gpu-3"}), {}, requests);
  EXPECT_FALSE(fit.fits);
  EXPECT_EQ(fit.wanted, 4);
  EXPECT_EQ(fit.free, 3);
}

TEST(ClaimFitTest, FirstAvailableTakesTheFirstAlternativeThatCanBeServed) {
  quota::DeviceRequest request = Exactly(3);
  request.first_available = true;
  quota::DeviceSubRequest one = request.alternatives[0];
  one.count = 1;
  request.alternatives.push_back(one);
  const std::vector<quota::DeviceRequest> requests = {request};
  EXPECT_TRUE(FitClaims(Config(), FourGpus({"gpu-0", "gpu-1", "gpu-2"}), {}, requests).fits);
  EXPECT_FALSE(
      FitClaims(Config(), FourGpus({"gpu-0", "gpu-1", "gpu-2", "gpu-3"}), {}, requests).fits);
}

TEST(ClaimFitTest, AdminAccessTakesNothing) {
  quota::DeviceRequest request = Exactly(1);
  request.alternatives[0].admin_access = true;
  const std::vector<quota::DeviceRequest> requests = {request};
  EXPECT_TRUE(
      FitClaims(Config(), FourGpus({"gpu-0", "gpu-1", "gpu-2", "gpu-3"}), {}, requests).fits);
}

TEST(ClaimFitTest, PartitionsOfOneGpuShareItsCounters) {
  ClaimFitNode node;
  node.counter_sets.push_back({"gpu.example.com", "node-1", "gpu-0-counters",
                               quota::ResourceList{{"memory-slice-0", 1}, {"memory-slice-1", 1}}});
  auto partition = [](std::string name, std::vector<std::string> slices) {
    quota::PublishedDevice d = Device(std::move(name));
    quota::CounterConsumption c;
    c.counter_set = "gpu-0-counters";
    for (const std::string& s : slices) c.counters.Set(s, 1);
    d.consumes.push_back(c);
    return d;
  };
  node.devices.push_back(partition("gpu-0", {"memory-slice-0", "memory-slice-1"}));
  node.devices.push_back(partition("gpu-0-mig-0", {"memory-slice-0"}));
  node.devices.push_back(partition("gpu-0-mig-1", {"memory-slice-1"}));
  const std::vector<quota::DeviceRequest> one = {Exactly(1)};
  const std::vector<quota::DeviceRequest> two = {Exactly(2)};
  EXPECT_TRUE(FitClaims(Config(), node, {}, one).fits);
  node.in_use = {DeviceKey("gpu.example.com", "node-1", "gpu-0-mig-0")};
  EXPECT_TRUE(FitClaims(Config(), node, {}, one).fits);   // gpu-0-mig-1
  EXPECT_FALSE(FitClaims(Config(), node, {}, two).fits);  // the whole GPU overlaps mig-0
  node.counter_sets.clear();  // counters not published: nothing partitionable is free
  EXPECT_FALSE(FitClaims(Config(), node, {}, one).fits);
}

}  // namespace
}  // namespace quotient::gpu
