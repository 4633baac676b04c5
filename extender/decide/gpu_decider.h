// GpuDecider: a Decider decorator that adds the device-level GPU check (gpu/placement.h)
// to another decider (the live QuotaDecider):
//  * filter: the device-level check first, on GpuState: every node where the request does
//    not fit is failed with its reason ("gpu: no GPU on node n1 has 8Gi of GPU memory free
//    (largest 4Gi)"; another GPU model is unresolvable); then the inner decider (quota,
//    node pools, node fit, and its quota reservation) sees only the nodes that fit, and its
//    answer is mapped back to the input's indexes. So a pod that fits no node at device
//    level reaches the inner decider not at all and reserves no quota. A malformed GPU
//    request fails every node, unresolvable. Pods without GPUs go to the inner decider
//    untouched. Whole GPUs asked on a node whose device plugin offers none
//    (gpu::WholeGpusLeftToDeviceClasses) pass unless the pod asks for another model:
//    kube-scheduler sends only the nodes its own filters passed, and NodeResourcesFit
//    passes such a node only when a DRA DeviceClass names nvidia.com/gpu
//    (spec.extendedResourceName, KEP-5004), whose device its DynamicResources plugin
//    allocates. The quota still charges the container's request.
//  * prioritize: for pods with GPUs, the mean of the inner score and the placement score
//    (the inner score alone on a node where they do not fit or DRA serves them).
//  * bind: for a pod with GPUs, the placement is chosen again on the target node and
//    counted at once (GpuState::Reserve); for memory shares and dynamic MIG it is written
//    to the pod (gpu_annotations.h; a JSON merge patch carrying the pod's UID as a
//    precondition) before the inner bind is delegated; a failed patch or Binding releases
//    it (GpuState::FinishBind). A pod bound already, or with another bind of it in flight
//    (kube-scheduler retried a bind that outlived its httpTimeout), gets an error
//    (bind_duplicate) and changes nothing. Before the pod watch's first list, a pod the
//    state does not know gets an error (not_synced): it may ask for devices. Whole GPUs
//    and static MIG devices write nothing (their device plugins choose the device); whole
//    GPUs a DRA claim holds are neither placed nor counted. Preempt keeps such nodes
//    (their devices are not modelled).
//
// Thread safety: thread-safe when the inner decider is; the state is GpuState's.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <memory>
#include <string>
#include <string_view>

#include "extender/control/pod_patcher.h"
#include "extender/devices/gpu_state.h"
#include "extender/wire/decider.h"
#include "gpu/placement.h"

namespace quotient::extender::state {

class GpuDecider : public Decider {
 public:
  // REQUIRES: state and patcher outlive the decider.
  GpuDecider(std::unique_ptr<Decider> inner, GpuState* state, PodPatcher* patcher,
             gpu::FitOptions options = {});

  std::string Describe() const override;
  FilterDecision Filter(const ExtenderArgs& args) override;
  PrioritizeDecision Prioritize(const ExtenderArgs& args) override;
  PreemptDecision Preempt(const PreemptionArgs& args) override;
  boost::asio::awaitable<BindDecision> Bind(BindingArgs args) override;

 private:
  bool Parse(const PodInfo& pod, gpu::GpuRequest* request, std::string* error) const;
  // gpu::WholeGpusLeftToDeviceClasses on the node of that name (false if not seen).
  bool LeftToDeviceClasses(std::string_view node_name, const gpu::GpuRequest& request) const;

  const std::unique_ptr<Decider> inner_;
  GpuState* const state_;
  PodPatcher* const patcher_;
  const gpu::FitOptions options_;
};

}  // namespace quotient::extender::state
