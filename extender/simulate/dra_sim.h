// The DRA half of `quotient simulate` (docs/simulate.md, "DRA devices"): what kube-scheduler's
// DynamicResources plugin and Quotient's claim charge do live, on the simulator's nodes
// and pods.
//
//  - The scenario's deviceClasses are dra.deviceClasses in devices mode (one device counts
//    1 of the class's quota resource).
//  - A node's `devices: {driver, count}` is one ResourceSlice publishing gpu-0 ..
//    gpu-<count-1> in a pool named after the node.
//  - Each pod of a create with `claims` has one ResourceClaim per entry (as a template
//    would generate), charged to its quota before allocation as quotient serve charges it
//    (quota::ChargeClaimRequests); it fits a node when gpu::FitClaims can allocate its
//    claims there, and binding allocates the devices FitClaims chose. An evicted pod's
//    devices are free at once: the simulator has no resourceclaim controller delay.
//
// Thread safety: thread-compatible, like the Simulator.
#pragma once

#include <string>
#include <vector>

#include "config/scenario.h"
#include "gpu/claim_fit.h"
#include "quota/device_charge.h"
#include "quota/resource_list.h"

namespace quotient::extender::simulate {

// The scenario's device classes and the ceilings of every node's published devices.
struct SimDra {
  quota::DeviceChargeConfig config;
  quota::DeviceCeilings ceilings;
};
SimDra SimDraOf(const config::Scenario& scenario);

// The devices a scenario node publishes (none without `devices`).
gpu::ClaimFitNode SimNodeDevices(const config::ScenarioNode& node);

// The pod's claims' requests and their quota charge. A charge refused (it cannot happen
// for a valid scenario's devices-mode classes) returns false with *error.
bool SimPodClaims(const config::CreateAction& spec, const SimDra& dra,
                  std::vector<quota::DeviceRequest>* claims, quota::ResourceList* charge,
                  std::string* error);

}  // namespace quotient::extender::simulate
