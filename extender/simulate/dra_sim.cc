#include "extender/simulate/dra_sim.h"

#include <fmt/format.h>

namespace quotient::extender::simulate {

SimDra SimDraOf(const config::Scenario& scenario) {
  SimDra dra;
  std::string error;
  quota::DeviceChargeConfig::Build(scenario.device_classes, &dra.config, &error);  // validated
  std::vector<quota::PublishedDevice> all;
  for (const config::ScenarioNode& node : scenario.nodes) {
    const gpu::ClaimFitNode devices = SimNodeDevices(node);
    all.insert(all.end(), devices.devices.begin(), devices.devices.end());
  }
  dra.ceilings = quota::DeviceCeilings::Build(dra.config, all);
  return dra;
}

gpu::ClaimFitNode SimNodeDevices(const config::ScenarioNode& node) {
  gpu::ClaimFitNode out;
  for (int64_t i = 0; i < node.device_count; ++i) {
    out.devices.push_back({node.device_driver, node.name, fmt::format("gpu-{}", i), {}, {}});
  }
  return out;
}

bool SimPodClaims(const config::CreateAction& spec, const SimDra& dra,
                  std::vector<quota::DeviceRequest>* claims, quota::ResourceList* charge,
                  std::string* error) {
  for (size_t i = 0; i < spec.claims.size(); ++i) {
    quota::DeviceSubRequest sub;
    sub.device_class = spec.claims[i].device_class;
    sub.count = spec.claims[i].count;
    std::vector<quota::DeviceRequest> one = {{fmt::format("claim-{}", i), false, {sub}}};
    const quota::ClaimCharge c = quota::ChargeClaimRequests(dra.config, dra.ceilings, one);
    if (!c.charged()) {
      *error = quota::FormatClaimRefusal(c);
      return false;
    }
    charge->AddAll(c.charge);
    claims->push_back(std::move(one[0]));
  }
  return true;
}

}  // namespace quotient::extender::simulate
