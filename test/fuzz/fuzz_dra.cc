// The DRA objects as the API server sends them, through the decoders and the charge: the
// first byte picks the object (claim, slice, device class, pod), the rest is its JSON.
// Oracles: a refusal has a message; a decoded claim is charged before allocation (against
// a fixed NVIDIA-like mapping and slice) and after (its results looked up in that slice)
// without crash, a charge is never negative and a refused charge says why; a decoded
// slice's devices give ceilings that are never negative.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "extender/objects/dra_decode.h"
#include "extender/objects/pod_decode.h"
#include "test/fuzz/fuzz_check.h"

namespace {

using namespace quotient;
using namespace quotient::extender;

const quota::DeviceChargeConfig& Config() {
  static const quota::DeviceChargeConfig config = [] {
    quota::DeviceChargeConfig c;
    std::string error;
    quota::DeviceChargeConfig::Build(
        {{"gpu.nvidia.com", "nvidia.com/gpu", quota::DeviceChargeMode::kDevices, "", ""},
         {"mig.nvidia.com", "quotient.io/gpu-memory-slices", quota::DeviceChargeMode::kCounter,
          "memory-slice-*", "gpu.nvidia.com"},
         {"shared.gpu.nvidia.com", "quotient.io/gpu-memory", quota::DeviceChargeMode::kCapacity,
          "memory", "gpu.nvidia.com"}},
        &c, &error);
    return c;
  }();
  return config;
}

const std::vector<quota::PublishedDevice>& Devices() {
  static const std::vector<quota::PublishedDevice> devices = {
      {"gpu.nvidia.com",
       "node-1",
       "gpu-0",
       {{"memory", int64_t{80} << 30}},
       {{"gpu-0-counter-set", {{"memory-slice-0", 1}, {"memory-slice-1", 1}}}}},
      {"gpu.nvidia.com",
       "node-1",
       "gpu-0-mig-1g10gb-19-0",
       {{"memory", int64_t{10} << 30}},
       {{"gpu-0-counter-set", {{"memory-slice-0", 1}}}}}};
  return devices;
}

void CheckCharge(const quota::ClaimCharge& charge) {
  if (!charge.charged()) {
    FUZZ_CHECK(!quota::FormatClaimRefusal(charge).empty(), "a refused charge says why");
    return;
  }
  for (const quota::ResourceAmount& amount : charge.charge) {
    FUZZ_CHECK(amount.amount >= 0, "a charge is never negative");
  }
}

bool Decode(const RequestBody& body, int kind, DecodeError* error) {
  json::od::document doc;
  if (!json::Iterate(body, &doc, error)) return false;
  json::od::value value;
  if (auto code = doc.get_value().get(value); code != simdjson::SUCCESS) {
    return json::FailJson(error, nullptr, code);
  }
  json::od::json_type type{};
  if (!json::ReadType(value, nullptr, &type, error)) return false;
  if (type != json::od::json_type::object) return json::FailType(error, nullptr, "object", type);
  if (kind == 0) {
    ResourceClaimInfo claim;
    if (!DecodeResourceClaimObject(value, nullptr, &claim, error)) return false;
    const quota::DeviceCeilings ceilings = quota::DeviceCeilings::Build(Config(), Devices());
    CheckCharge(quota::ChargeClaimRequests(Config(), ceilings, claim.requests));
    for (quota::AllocatedDevice& result : claim.results) {
      for (const quota::PublishedDevice& device : Devices()) {
        if (device.name == result.device) result.published = device;
      }
    }
    CheckCharge(quota::ChargeClaimAllocation(Config(), claim.requests, claim.results));
  } else if (kind == 1) {
    ResourceSliceInfo slice;
    if (!DecodeResourceSliceObject(value, nullptr, &slice, error)) return false;
    const quota::DeviceCeilings ceilings = quota::DeviceCeilings::Build(Config(), slice.devices);
    for (const auto& mapping : Config().mappings()) {
      FUZZ_CHECK(ceilings.PerDevice(mapping.device_class) >= 0, "a ceiling is never negative");
      FUZZ_CHECK(ceilings.LargestPool(mapping.device_class) <= kMaxSliceDevices,
                 "a pool of one slice holds at most its devices");
    }
  } else {
    DeviceClassInfo device_class;
    if (!DecodeDeviceClassObject(value, nullptr, &device_class, error)) return false;
  }
  return json::ExpectEnd(doc, error);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const int kind = data[0] % 4;
  const RequestBody body = RequestBody::Copy(fuzz::AsText(data + 1, size - 1));
  DecodeError error;
  bool ok = false;
  if (kind == 3) {
    PodInfo pod;
    ok = DecodePodJson(body, &pod, &error);
  } else {
    ok = Decode(body, kind, &error);
  }
  if (!ok) FUZZ_CHECK(!error.message.empty(), "a refusal says why");
  return 0;
}
