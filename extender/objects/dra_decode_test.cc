// The DRA decoders over resource.k8s.io/v1 objects shaped as the API server returns them for
// NVIDIA's DRA driver (k8s-dra-driver-gpu: classes gpu.nvidia.com and mig.nvidia.com, pool =
// node name, devices gpu-<minor> and gpu-<minor>-mig-<profile>-<gi>-<start>, DynamicMIG's
// shared counter set per GPU with memory-slice-<i> counters). The inline objects are written
// by hand (for variants and bad input); DraGoldenTest decodes test/golden/dra_objects.json,
// generated from the real Go types. Neither is captured from a cluster.
#include "extender/objects/dra_decode.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "extender/objects/pod_decode.h"
#include "test/support/golden.h"

namespace quotient::extender {
namespace {

constexpr int64_t kGi = int64_t{1} << 30;

template <typename Info, typename DecodeFn>
bool Decode(std::string_view text, DecodeFn decode, Info* out, DecodeError* error) {
  RequestBody body = RequestBody::Copy(text);
  json::od::document doc;
  if (!json::Iterate(body, &doc, error)) return false;
  json::od::value value;
  if (auto code = doc.get_value().get(value); code != simdjson::SUCCESS) {
    return json::FailJson(error, nullptr, code);
  }
  return decode(value, nullptr, out, error) && json::ExpectEnd(doc, error);
}

bool DecodeClaim(std::string_view text, ResourceClaimInfo* out, DecodeError* error) {
  return Decode(text, DecodeResourceClaimObject, out, error);
}
bool DecodeSlice(std::string_view text, ResourceSliceInfo* out, DecodeError* error) {
  return Decode(text, DecodeResourceSliceObject, out, error);
}

// A claim generated from a template for pod trainer-0, allocated and reserved by
// kube-scheduler's DynamicResources PreBind.
constexpr std::string_view kAllocatedGpuClaim = R"({
  "kind": "ResourceClaim", "apiVersion": "resource.k8s.io/v1",
  "metadata": {"name": "trainer-0-gpu-x7k2p", "generateName": "trainer-0-gpu-",
    "namespace": "team-a", "uid": "c1a1m-0001", "resourceVersion": "4711",
    "annotations": {"resource.kubernetes.io/pod-claim-name": "gpu"},
    "ownerReferences": [{"apiVersion": "v1", "kind": "Pod", "name": "trainer-0",
      "uid": "p0d-0001", "controller": true, "blockOwnerDeletion": true}],
    "finalizers": ["resource.kubernetes.io/delete-protection"]},
  "spec": {"devices": {"requests": [{"name": "gpu", "exactly": {
    "deviceClassName": "gpu.nvidia.com", "allocationMode": "ExactCount", "count": 2,
    "selectors": [{"cel": {"expression": "device.attributes['gpu.nvidia.com'].productName == 'NVIDIA H100 80GB HBM3'"}}]}}]}},
  "status": {
    "allocation": {
      "devices": {"results": [
        {"request": "gpu", "driver": "gpu.nvidia.com", "pool": "node-1", "device": "gpu-0"},
        {"request": "gpu", "driver": "gpu.nvidia.com", "pool": "node-1", "device": "gpu-1"}]},
      "nodeSelector": {"nodeSelectorTerms": [{"matchFields": [
        {"key": "metadata.name", "operator": "In", "values": ["node-1"]}]}]}},
    "reservedFor": [{"resource": "pods", "name": "trainer-0", "uid": "p0d-0001"}]}})";

TEST(ResourceClaimDecodeTest, ReadsTheRequestsTheAllocationAndTheConsumers) {
  ResourceClaimInfo claim;
  DecodeError error;
  ASSERT_TRUE(DecodeClaim(kAllocatedGpuClaim, &claim, &error)) << error.message;
  EXPECT_EQ(claim.name, "trainer-0-gpu-x7k2p");
  EXPECT_EQ(claim.ns, "team-a");
  EXPECT_EQ(claim.uid, "c1a1m-0001");
  EXPECT_EQ(claim.annotations, (StringPairs{{"resource.kubernetes.io/pod-claim-name", "gpu"}}));
  ASSERT_EQ(claim.requests.size(), 1u);
  EXPECT_EQ(claim.requests[0],
            (quota::DeviceRequest{
                "gpu",
                false,
                {{"", "gpu.nvidia.com", quota::AllocationMode::kExactCount, 2, {}, false}}}));
  EXPECT_TRUE(claim.allocated);
  ASSERT_EQ(claim.results.size(), 2u);
  EXPECT_EQ(claim.results[1].request, "gpu");
  EXPECT_EQ(claim.results[1].driver, "gpu.nvidia.com");
  EXPECT_EQ(claim.results[1].pool, "node-1");
  EXPECT_EQ(claim.results[1].device, "gpu-1");
  EXPECT_FALSE(claim.results[1].published.has_value());
  EXPECT_EQ(claim.reserved_for,
            (std::vector<ClaimConsumer>{{"", "pods", "trainer-0", "p0d-0001"}}));
}

TEST(ResourceClaimDecodeTest, ReadsFirstAvailableAllCapacityAndDefaults) {
  ResourceClaimInfo claim;
  DecodeError error;
  ASSERT_TRUE(DecodeClaim(R"({"metadata": {"name": "c", "namespace": "ns"},
    "spec": {"devices": {"requests": [
      {"name": "gpu", "firstAvailable": [
        {"name": "full", "deviceClassName": "gpu.nvidia.com"},
        {"name": "mig", "deviceClassName": "mig.nvidia.com", "count": 2,
         "selectors": [{"cel": {"expression": "device.attributes['gpu.nvidia.com'].profile == '1g.10gb'"}}]}]},
      {"name": "node-gpus", "exactly": {"deviceClassName": "gpu.nvidia.com", "allocationMode": "All"}},
      {"name": "shared", "exactly": {"deviceClassName": "shared.gpu.nvidia.com",
        "capacity": {"requests": {"memory": "10Gi", "multiprocessors": 33}}, "adminAccess": null}}]}},
    "status": {}})",
                          &claim, &error))
      << error.message;
  ASSERT_EQ(claim.requests.size(), 3u);
  EXPECT_TRUE(claim.requests[0].first_available);
  ASSERT_EQ(claim.requests[0].alternatives.size(), 2u);
  EXPECT_EQ(claim.requests[0].alternatives[0].count, 1);  // defaulted
  EXPECT_EQ(claim.requests[0].alternatives[1].name, "mig");
  EXPECT_EQ(claim.requests[0].alternatives[1].count, 2);
  EXPECT_EQ(claim.requests[1].alternatives[0].mode, quota::AllocationMode::kAll);
  EXPECT_EQ(claim.requests[2].alternatives[0].capacity,
            (quota::ResourceList{{"memory", 10 * kGi}, {"multiprocessors", 33}}));
  EXPECT_FALSE(claim.allocated);
  EXPECT_TRUE(claim.results.empty());
}

// DynamicMIG on Kubernetes >= 1.35: one slice with the counter sets, one per GPU with the
// full GPU and its MIG placements.
constexpr std::string_view kCounterSlice = R"({
  "metadata": {"name": "node-1-gpu.nvidia.com-counters"},
  "spec": {"driver": "gpu.nvidia.com", "nodeName": "node-1",
    "pool": {"name": "node-1", "generation": 3, "resourceSliceCount": 2},
    "sharedCounters": [{"name": "gpu-0-counter-set", "counters": {
      "multiprocessors": {"value": "132"}, "memory": {"value": "80Gi"},
      "memory-slice-0": {"value": "1"}, "memory-slice-1": {"value": "1"},
      "memory-slice-2": {"value": "1"}, "memory-slice-3": {"value": "1"}}}]}})";

constexpr std::string_view kDeviceSlice = R"({
  "metadata": {"name": "node-1-gpu.nvidia.com-gpu-0"},
  "spec": {"pool": {"name": "node-1", "generation": 3, "resourceSliceCount": 2},
    "driver": "gpu.nvidia.com", "nodeName": "node-1",
    "devices": [
      {"name": "gpu-0",
       "attributes": {"type": {"string": "gpu"}, "productName": {"string": "NVIDIA H100 80GB HBM3"},
                      "cudaComputeCapability": {"version": "9.0.0"}},
       "capacity": {"memory": {"value": "80Gi"}, "multiprocessors": {"value": "132"}},
       "consumesCounters": [{"counterSet": "gpu-0-counter-set", "counters": {
         "multiprocessors": {"value": "132"}, "memory": {"value": "80Gi"},
         "memory-slice-0": {"value": "1"}, "memory-slice-1": {"value": "1"},
         "memory-slice-2": {"value": "1"}, "memory-slice-3": {"value": "1"}}}]},
      {"name": "gpu-0-mig-1g10gb-19-0",
       "attributes": {"type": {"string": "mig"}, "profile": {"string": "1g.10gb"}},
       "capacity": {"memory": {"value": "10Gi"}, "multiprocessors": {"value": "16"}},
       "consumesCounters": [{"counterSet": "gpu-0-counter-set", "counters": {
         "multiprocessors": {"value": "16"}, "memory": {"value": "10Gi"},
         "memory-slice-0": {"value": "1"}}}]}]}})";

TEST(ResourceSliceDecodeTest, ReadsSharedCountersAndDevicesWithTheirConsumption) {
  ResourceSliceInfo counters, devices;
  DecodeError error;
  ASSERT_TRUE(DecodeSlice(kCounterSlice, &counters, &error)) << error.message;
  EXPECT_EQ(counters.driver, "gpu.nvidia.com");
  EXPECT_EQ(counters.pool, "node-1");
  EXPECT_EQ(counters.pool_generation, 3);
  EXPECT_EQ(counters.pool_slice_count, 2);
  EXPECT_EQ(counters.node_name, "node-1");
  ASSERT_EQ(counters.shared_counters.size(), 1u);
  EXPECT_EQ(counters.shared_counters[0].name, "gpu-0-counter-set");
  EXPECT_EQ(counters.shared_counters[0].counters.Get("memory"), 80 * kGi);
  EXPECT_TRUE(counters.devices.empty());

  ASSERT_TRUE(DecodeSlice(kDeviceSlice, &devices, &error)) << error.message;
  ASSERT_EQ(devices.devices.size(), 2u);
  const quota::PublishedDevice& mig = devices.devices[1];
  EXPECT_EQ(mig.driver, "gpu.nvidia.com");  // filled from the slice though spec.driver came later
  EXPECT_EQ(mig.pool, "node-1");
  EXPECT_EQ(mig.name, "gpu-0-mig-1g10gb-19-0");
  EXPECT_EQ(mig.capacity, (quota::ResourceList{{"memory", 10 * kGi}, {"multiprocessors", 16}}));
  ASSERT_EQ(mig.consumes.size(), 1u);
  EXPECT_EQ(mig.consumes[0].counter_set, "gpu-0-counter-set");
  EXPECT_EQ(mig.consumes[0].counters.Get("memory-slice-0"), 1);
}

TEST(DeviceClassDecodeTest, ReadsTheNameAndTheExtendedResourceName) {
  DeviceClassInfo device_class;
  DecodeError error;
  ASSERT_TRUE(Decode(R"({"apiVersion": "resource.k8s.io/v1", "kind": "DeviceClass",
      "metadata": {"name": "gpu.nvidia.com"},
      "spec": {"selectors": [{"cel": {"expression": "device.driver == 'gpu.nvidia.com' && device.attributes['gpu.nvidia.com'].type == 'gpu'"}}],
               "extendedResourceName": "nvidia.com/gpu"}})",
                     DecodeDeviceClassObject, &device_class, &error))
      << error.message;
  EXPECT_EQ(device_class.name, "gpu.nvidia.com");
  EXPECT_EQ(device_class.extended_resource_name, "nvidia.com/gpu");
}

TEST(PodDecodeTest, ReadsResourceClaimsTheirGeneratedNamesAndTheExtendedResourceClaim) {
  RequestBody body = RequestBody::Copy(R"({"metadata": {"name": "trainer-0", "uid": "p0d-0001"},
    "spec": {"containers": [{"name": "c", "resources": {"claims": [{"name": "gpu"}]}}],
      "resourceClaims": [{"name": "gpu", "resourceClaimTemplateName": "two-gpus"},
                         {"name": "shared", "resourceClaimName": "team-a-shared-gpu"}]},
    "status": {"resourceClaimStatuses": [{"name": "gpu", "resourceClaimName": "trainer-0-gpu-x7k2p"}],
      "extendedResourceClaimStatus": {"resourceClaimName": "trainer-0-extended-resources-q8z4m",
        "requestMappings": [{"containerName": "c", "resourceName": "nvidia.com/gpu",
                             "requestName": "container-0-request-0"}]}}})");
  PodInfo pod;
  DecodeError error;
  ASSERT_TRUE(DecodePodJson(body, &pod, &error)) << error.message;
  EXPECT_EQ(pod.resource_claims, (std::vector<PodClaimRef>{{"gpu", "", "two-gpus"},
                                                           {"shared", "team-a-shared-gpu", ""}}));
  EXPECT_EQ(pod.resource_claim_statuses, (StringPairs{{"gpu", "trainer-0-gpu-x7k2p"}}));
  EXPECT_EQ(pod.extended_resource_claim, "trainer-0-extended-resources-q8z4m");
}

// test/golden/dra_objects.json: the same shapes serialised by json.Marshal from the real
// k8s.io/api v0.36.6 types (test/golden/gen/dra.go), so the field names are the API's.
class DraGoldenTest : public ::testing::Test {
 protected:
  std::string Object(const char* key) { return golden_[key].dump(); }
  nlohmann::json golden_ = nlohmann::json::parse(quotient::testing::ReadGolden("dra_objects.json"));
};

TEST_F(DraGoldenTest, DecodesTheAllocatedClaimOfTheRealTypes) {
  ResourceClaimInfo claim;
  DecodeError error;
  ASSERT_TRUE(DecodeClaim(Object("claimAllocated"), &claim, &error)) << error.message;
  EXPECT_EQ(claim.name, "trainer-0-gpu-x7k2p");
  EXPECT_EQ(claim.ns, "team-a");
  EXPECT_FALSE(claim.uid.empty());
  ASSERT_EQ(claim.requests.size(), 1u);
  EXPECT_EQ(claim.requests[0].alternatives[0].device_class, "gpu.nvidia.com");
  EXPECT_EQ(claim.requests[0].alternatives[0].count, 2);
  EXPECT_TRUE(claim.allocated);
  ASSERT_EQ(claim.results.size(), 2u);
  EXPECT_EQ(claim.results[0].device, "gpu-0");
  EXPECT_EQ(claim.results[0].pool, "node-1");
  ASSERT_EQ(claim.reserved_for.size(), 1u);
  EXPECT_EQ(claim.reserved_for[0].resource, "pods");
  EXPECT_EQ(claim.reserved_for[0].name, "trainer-0");
}

TEST_F(DraGoldenTest, DecodesTheRequestKindsOfTheRealTypes) {
  ResourceClaimInfo claim;
  DecodeError error;
  ASSERT_TRUE(DecodeClaim(Object("claimRequests"), &claim, &error)) << error.message;
  ASSERT_EQ(claim.requests.size(), 3u);
  EXPECT_TRUE(claim.requests[0].first_available);
  ASSERT_EQ(claim.requests[0].alternatives.size(), 2u);
  EXPECT_EQ(claim.requests[0].alternatives[1].device_class, "mig.nvidia.com");
  EXPECT_EQ(claim.requests[0].alternatives[1].count, 2);
  EXPECT_EQ(claim.requests[1].alternatives[0].mode, quota::AllocationMode::kAll);
  EXPECT_EQ(claim.requests[2].alternatives[0].capacity,
            (quota::ResourceList{{"memory", 10 * kGi}, {"multiprocessors", 33}}));
  EXPECT_FALSE(claim.allocated);
}

TEST_F(DraGoldenTest, DecodesTheSlicesTheClassAndThePodOfTheRealTypes) {
  ResourceSliceInfo counters, devices;
  DecodeError error;
  ASSERT_TRUE(DecodeSlice(Object("sliceCounters"), &counters, &error)) << error.message;
  ASSERT_EQ(counters.shared_counters.size(), 1u);
  EXPECT_EQ(counters.shared_counters[0].counters.Get("memory-slice-7"), 1);
  EXPECT_EQ(counters.pool_slice_count, 2);
  ASSERT_TRUE(DecodeSlice(Object("sliceDevices"), &devices, &error)) << error.message;
  ASSERT_EQ(devices.devices.size(), 3u);
  EXPECT_EQ(devices.node_name, "node-1");
  EXPECT_EQ(devices.devices[2].name, "gpu-0-mig-3g40gb-9-4");
  EXPECT_EQ(devices.devices[2].capacity.Get("memory"), 40 * kGi);
  EXPECT_EQ(devices.devices[2].consumes[0].counters.Get("memory-slice-4"), 1);
  EXPECT_FALSE(devices.devices[2].consumes[0].counters.Has("memory-slice-0"));

  DeviceClassInfo device_class;
  ASSERT_TRUE(Decode(Object("deviceClass"), DecodeDeviceClassObject, &device_class, &error))
      << error.message;
  EXPECT_EQ(device_class.extended_resource_name, "nvidia.com/gpu");

  RequestBody body = RequestBody::Copy(Object("pod"));
  PodInfo pod;
  ASSERT_TRUE(DecodePodJson(body, &pod, &error)) << error.message;
  EXPECT_EQ(pod.resource_claims,
            (std::vector<PodClaimRef>{{"gpu", "", "two-h100"}, {"shared", "team-a-mixed", ""}}));
  EXPECT_EQ(pod.resource_claim_statuses, (StringPairs{{"gpu", "trainer-0-gpu-x7k2p"}}));
  EXPECT_EQ(pod.extended_resource_claim, "trainer-0-extended-resources-q8z4m");
}

// MIG charged by memory slices over the real slices: before allocation the largest device
// (the whole GPU, 8 slices); after, the 3g.40gb partition's 4.
TEST_F(DraGoldenTest, ChargesAMigClaimFromTheRealSlices) {
  ResourceSliceInfo slice;
  DecodeError error;
  ASSERT_TRUE(DecodeSlice(Object("sliceDevices"), &slice, &error)) << error.message;
  quota::DeviceChargeConfig config;
  std::string config_error;
  ASSERT_TRUE(quota::DeviceChargeConfig::Build(
      {{"mig.nvidia.com", "quotient.io/gpu-memory-slices", quota::DeviceChargeMode::kCounter,
        "memory-slice-*", "gpu.nvidia.com"}},
      &config, &config_error));
  std::vector<quota::DeviceRequest> requests = {
      {"mig", false, {{"", "mig.nvidia.com", quota::AllocationMode::kExactCount, 1, {}, false}}}};
  quota::ClaimCharge before = quota::ChargeClaimRequests(
      config, quota::DeviceCeilings::Build(config, slice.devices), requests);
  EXPECT_EQ(before.charge.Get("quotient.io/gpu-memory-slices"), 8);
  std::vector<quota::AllocatedDevice> allocation = {
      {"mig", "gpu.nvidia.com", "node-1", "gpu-0-mig-3g40gb-9-4", false, {}, slice.devices[2]}};
  quota::ClaimCharge after = quota::ChargeClaimAllocation(config, requests, allocation);
  EXPECT_EQ(after.charge.Get("quotient.io/gpu-memory-slices"), 4);
}

std::string Repeat(std::string_view item, int times) {
  std::string out;
  for (int i = 0; i < times; ++i) {
    if (i > 0) out += ',';
    out += item;
  }
  return out;
}

TEST(DraDecodeTest, RefusesMalformedObjectsNamingTheField) {
  struct Case {
    const char* name;
    std::string json;
    DecodeFailure failure;
    std::string message;
  };
  const std::string request = R"({"name":"r","exactly":{"deviceClassName":"c"}})";
  const std::vector<Case> cases = {
      {"an unknown allocation mode",
       R"({"metadata":{"name":"c"},"spec":{"devices":{"requests":[{"name":"r","exactly":{"deviceClassName":"c","allocationMode":"Some"}}]}}})",
       DecodeFailure::kWrongType,
       "spec.devices.requests[0].exactly.allocationMode: unknown allocation mode \"Some\""},
      {"a count that is a string",
       R"({"metadata":{"name":"c"},"spec":{"devices":{"requests":[{"name":"r","exactly":{"deviceClassName":"c","count":"2"}}]}}})",
       DecodeFailure::kWrongType,
       "spec.devices.requests[0].exactly.count: expected integer, got string"},
      {"a request without device class",
       R"({"metadata":{"name":"c"},"spec":{"devices":{"requests":[{"name":"r","exactly":{"count":1}}]}}})",
       DecodeFailure::kMissingField, "spec.devices.requests[0].exactly: deviceClassName missing"},
      {"a request with neither exactly nor firstAvailable",
       R"({"metadata":{"name":"c"},"spec":{"devices":{"requests":[{"name":"r"}]}}})",
       DecodeFailure::kMissingField,
       "spec.devices.requests[0]: neither exactly nor firstAvailable"},
      {"33 requests",
       R"({"metadata":{"name":"c"},"spec":{"devices":{"requests":[)" + Repeat(request, 33) + "]}}}",
       DecodeFailure::kWrongType, "spec.devices.requests: more than 32 entries"},
      {"9 alternatives",
       R"({"metadata":{"name":"c"},"spec":{"devices":{"requests":[{"name":"r","firstAvailable":[)" +
           Repeat(R"({"name":"a","deviceClassName":"c"})", 9) + "]}]}}}",
       DecodeFailure::kWrongType, "spec.devices.requests[0].firstAvailable: more than 8 entries"},
      {"an invalid capacity request",
       R"({"metadata":{"name":"c"},"spec":{"devices":{"requests":[{"name":"r","exactly":{"deviceClassName":"c","capacity":{"requests":{"memory":"10GB"}}}}]}}})",
       DecodeFailure::kInvalidQuantity,
       "spec.devices.requests[0].exactly.capacity.requests.memory: invalid quantity \"10GB\": "
       "invalid suffix \"GB\""},
      {"results that are not a list",
       R"({"metadata":{"name":"c"},"status":{"allocation":{"devices":{"results":{}}}}})",
       DecodeFailure::kWrongType, "status.allocation.devices.results: expected array, got object"},
      {"a claim without name", R"({"metadata":{},"spec":{}})", DecodeFailure::kMissingField,
       "metadata.name missing"},
      {"a truncated claim", R"({"metadata":{"name":"c"},"spec":{"devices":)",
       DecodeFailure::kMalformedJson, ""},
  };
  for (const Case& tc : cases) {
    SCOPED_TRACE(tc.name);
    ResourceClaimInfo claim;
    DecodeError error;
    EXPECT_FALSE(DecodeClaim(tc.json, &claim, &error));
    EXPECT_EQ(error.failure, tc.failure);
    if (!tc.message.empty()) {
      EXPECT_EQ(error.message, tc.message);
    }
  }
}

TEST(DraDecodeTest, RefusesMalformedSlicesNamingTheField) {
  ResourceSliceInfo slice;
  DecodeError error;
  EXPECT_FALSE(DecodeSlice(
      R"({"metadata":{"name":"s"},"spec":{"devices":[{"name":"d","capacity":{"memory":{"value":"-1"}}}]}})",
      &slice, &error));
  EXPECT_EQ(error.failure, DecodeFailure::kInvalidQuantity);
  EXPECT_EQ(error.message.substr(0, 40), "spec.devices[0].capacity.memory.value: i");
  const std::string device = R"({"name":"d"})";
  EXPECT_FALSE(
      DecodeSlice(R"({"metadata":{"name":"s"},"spec":{"devices":[)" + Repeat(device, 129) + "]}}",
                  &slice, &error));
  EXPECT_EQ(error.message, "spec.devices: more than 128 entries");
  EXPECT_FALSE(DecodeSlice(
      R"({"metadata":{"name":"s"},"spec":{"devices":[{"name":"d","consumesCounters":[{},{},{}]}]}})",
      &slice, &error));
  EXPECT_EQ(error.message, "spec.devices[0].consumesCounters: more than 2 entries");
  EXPECT_FALSE(DecodeSlice(R"({"metadata":{"name":"s"},"spec":{"pool":{"generation":"1"}}})",
                           &slice, &error));
  EXPECT_EQ(error.message, "spec.pool.generation: expected integer, got string");

  RequestBody body =
      RequestBody::Copy(R"({"spec":{"resourceClaims":[{"resourceClaimName":"x"}]}})");
  PodInfo pod;
  EXPECT_FALSE(DecodePodJson(body, &pod, &error));
  EXPECT_EQ(error.message, "spec.resourceClaims[0]: name missing");
}

// Decoded objects charge as quota/device_charge.h says: the allocated MIG partition costs
// the one memory slice it consumes, found in the decoded slice.
TEST(DraDecodeTest, ADecodedAllocationChargesTheDevicesOfTheDecodedSlice) {
  ResourceClaimInfo claim;
  ResourceSliceInfo slice;
  DecodeError error;
  ASSERT_TRUE(DecodeClaim(R"({"metadata":{"name":"c"},
    "spec":{"devices":{"requests":[{"name":"mig","exactly":{"deviceClassName":"mig.nvidia.com"}}]}},
    "status":{"allocation":{"devices":{"results":[
      {"request":"mig","driver":"gpu.nvidia.com","pool":"node-1","device":"gpu-0-mig-1g10gb-19-0"}]}}}})",
                          &claim, &error))
      << error.message;
  ASSERT_TRUE(DecodeSlice(kDeviceSlice, &slice, &error)) << error.message;
  quota::DeviceChargeConfig config;
  std::string config_error;
  ASSERT_TRUE(quota::DeviceChargeConfig::Build(
      {{"mig.nvidia.com", "quotient.io/gpu-memory-slices", quota::DeviceChargeMode::kCounter,
        "memory-slice-*", "gpu.nvidia.com"}},
      &config, &config_error));
  for (quota::AllocatedDevice& result : claim.results) {
    for (const quota::PublishedDevice& device : slice.devices) {
      if (device.driver == result.driver && device.pool == result.pool &&
          device.name == result.device) {
        result.published = device;
      }
    }
  }
  quota::ClaimCharge before = quota::ChargeClaimRequests(
      config, quota::DeviceCeilings::Build(config, slice.devices), claim.requests);
  EXPECT_EQ(before.charge.Get("quotient.io/gpu-memory-slices"), 4);  // the whole GPU's slices
  quota::ClaimCharge after = quota::ChargeClaimAllocation(config, claim.requests, claim.results);
  ASSERT_TRUE(after.charged()) << quota::FormatClaimRefusal(after);
  EXPECT_EQ(after.charge, (quota::ResourceList{{"quotient.io/gpu-memory-slices", 1}}));
}

}  // namespace
}  // namespace quotient::extender
