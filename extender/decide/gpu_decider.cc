#include "extender/decide/gpu_decider.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <chrono>
#include <utility>

#include "extender/devices/gpu_annotations.h"
#include "extender/devices/gpu_reclaim_fit.h"
#include "extender/telemetry/logging.h"

namespace quotient::extender::state {

GpuDecider::GpuDecider(std::unique_ptr<Decider> inner, GpuState* state, PodPatcher* patcher,
                       gpu::FitOptions options)
    : inner_(std::move(inner)), state_(state), patcher_(patcher), options_(options) {}

std::string GpuDecider::Describe() const {
  return inner_->Describe() + " + GPU placement";
}

bool GpuDecider::Parse(const PodInfo& pod, gpu::GpuRequest* request, std::string* error) const {
  return gpu::ParseGpuRequest(pod.requests, pod.labels, pod.annotations, state_->catalog(), request,
                              error);
}

bool GpuDecider::LeftToDeviceClasses(std::string_view node_name,
                                     const gpu::GpuRequest& request) const {
  return state_->Read([&](auto lookup) {
    const gpu::NodeGpus* node = lookup(node_name);
    return node != nullptr && gpu::WholeGpusLeftToDeviceClasses(*node, request);
  });
}

constexpr std::string_view kNotInGpuCache = "gpu: the node is not in Quotient's GPU cache yet";

FilterDecision GpuDecider::Filter(const ExtenderArgs& args) {
  gpu::GpuRequest request;
  std::string error;
  if (!Parse(args.pod, &request, &error)) {
    FilterDecision d;
    d.result = DecisionResult::kRejected;
    d.reason = DecisionReason::kNodeFit;
    d.message = "gpu: " + error;
    for (size_t i = 0; i < args.nodes.size(); ++i) {
      d.answer.failed_unresolvable.emplace_back(i, d.message);
    }
    return d;
  }
  if (!request.any()) return inner_->Filter(args);
  // Device level first, so that the inner decider reserves quota only for a pod some
  // node can take at device level (a pod refused here reserves nothing).
  // Per-node texts do not name the node (kube-scheduler keys them by node and counts equal
  // texts: "0/5000 nodes are available: 4990 gpu: ..."); the decision's message, for the
  // log, names the first node that failed.
  FilterAnswer device;
  std::string first_failure;
  state_->Read([&](auto lookup) {
    for (size_t i = 0; i < args.nodes.size(); ++i) {
      const std::string_view name = args.nodes[i].name;
      const gpu::NodeGpus* node = lookup(name);
      if (node == nullptr) {
        device.failed.emplace_back(i, std::string(kNotInGpuCache));
        if (first_failure.empty()) first_failure = fmt::format("{} ({})", kNotInGpuCache, name);
        continue;
      }
      const gpu::GpuFit fit = gpu::FitGpuRequest(*node, request, options_);
      // Whole GPUs on a node without a device plugin for them: kube-scheduler passed it
      // because a DRA device class serves them (KEP-5004); its DynamicResources plugin
      // chose the device. Only the model asked is Quotient's to check.
      if (fit.fits() || (gpu::WholeGpusLeftToDeviceClasses(*node, request) &&
                         fit.code != gpu::FitCode::kWrongModel)) {
        device.passed.push_back(i);
        continue;
      }
      // Another model, or more than the node ever holds: preemption cannot help.
      auto& failed = fit.code == gpu::FitCode::kWrongModel || fit.code == gpu::FitCode::kExceedsNode
                         ? device.failed_unresolvable
                         : device.failed;
      failed.emplace_back(i, gpu::FormatGpuFit(fit, request, *node, ""));
      if (first_failure.empty()) first_failure = gpu::FormatGpuFit(fit, request, *node, name);
    }
  });
  FilterDecision d;
  if (device.passed.empty()) {
    d.result = DecisionResult::kRejected;
    d.reason = DecisionReason::kNodeFit;
    d.message = !first_failure.empty() ? first_failure : "gpu: no node";
    d.answer = std::move(device);
    return d;
  }
  if (!args.pod.uid.empty()) state_->NoteRequest(args.pod.uid, request);  // bind: watch lag
  // The inner decider sees only the nodes that fit; its indexes are mapped back.
  ExtenderArgs fitting;
  fitting.pod = args.pod;
  fitting.has_node_names = args.has_node_names;
  fitting.has_nodes = args.has_nodes;
  fitting.nodes.reserve(device.passed.size());
  for (size_t i : device.passed) fitting.nodes.push_back(args.nodes[i]);
  d = inner_->Filter(fitting);
  if (d.result == DecisionResult::kError) return d;
  for (size_t& i : d.answer.passed) i = device.passed[i];
  for (auto& [i, why] : d.answer.failed) i = device.passed[i];
  for (auto& [i, why] : d.answer.failed_unresolvable) i = device.passed[i];
  for (auto& entry : device.failed) d.answer.failed.push_back(std::move(entry));
  for (auto& entry : device.failed_unresolvable) {
    d.answer.failed_unresolvable.push_back(std::move(entry));
  }
  return d;
}

PrioritizeDecision GpuDecider::Prioritize(const ExtenderArgs& args) {
  PrioritizeDecision d = inner_->Prioritize(args);
  gpu::GpuRequest request;
  std::string error;
  if (!Parse(args.pod, &request, &error) || !request.any()) return d;
  d.scores.resize(args.nodes.size(), 0);
  state_->Read([&](auto lookup) {
    for (size_t i = 0; i < args.nodes.size(); ++i) {
      const gpu::NodeGpus* node = lookup(args.nodes[i].name);
      if (node == nullptr) continue;
      const gpu::GpuFit fit = gpu::FitGpuRequest(*node, request, options_);
      if (fit.fits()) d.scores[i] = (d.scores[i] + fit.score + 1) / 2;
    }
  });
  d.reason = DecisionReason::kScored;
  return d;
}

PreemptDecision GpuDecider::Preempt(const PreemptionArgs& args) {
  PreemptDecision d = inner_->Preempt(args);
  gpu::GpuRequest request;
  std::string error;
  if (d.result == DecisionResult::kError || !Parse(args.pod, &request, &error) || !request.any()) {
    return d;
  }
  // kube-scheduler's dry run counted resources; which GPU memory or MIG slices its
  // victims free is device placement.
  const GpuReclaimFit devices(state_, options_);
  std::vector<std::string_view> leaving;
  std::vector<std::string> dropped;
  std::erase_if(d.nodes, [&](const NodeVictims& node) {
    if (LeftToDeviceClasses(node.node, request)) return false;  // not device-plugin GPUs
    leaving.assign(node.victim_uids.begin(), node.victim_uids.end());
    if (devices.RequestFitsAfter(request, node.node, leaving)) return false;
    dropped.emplace_back(node.node);
    return true;
  });
  if (!dropped.empty()) {
    d.reason = DecisionReason::kPreemptGpuFiltered;
    Log(spdlog::level::info, "preempt filtered",
        {{"pod", fmt::format("{}/{}", args.pod.ns, args.pod.name)},
         {"detail", fmt::format("gpu: evicting the proposed victims on {} frees no room for "
                                "the pod's GPU request at device level",
                                fmt::join(dropped, ", "))}});
  }
  return d;
}

namespace {

// Ends a kReserved bind exactly once (GpuState::FinishBind), also when the coroutine is
// destroyed before it finishes. Made before Reserve and armed after it without allocating,
// so that no throw can come between a Reserve and its guard.
class BindInFlight {
 public:
  BindInFlight(GpuState* state, std::string uid) : state_(state), uid_(std::move(uid)) {}
  BindInFlight(const BindInFlight&) = delete;
  BindInFlight& operator=(const BindInFlight&) = delete;
  ~BindInFlight() { Finish(false); }
  void Arm() noexcept { armed_ = true; }
  void Finish(bool bound) {
    if (armed_) state_->FinishBind(uid_, bound);
    armed_ = false;
  }

 private:
  GpuState* const state_;
  const std::string uid_;
  bool armed_ = false;
};

BindDecision BindRefused(DecisionResult result, DecisionReason reason, std::string error) {
  BindDecision refused;
  refused.result = result;
  refused.reason = reason;
  refused.error = std::move(error);
  return refused;
}

}  // namespace

boost::asio::awaitable<BindDecision> GpuDecider::Bind(BindingArgs args) {
  gpu::GpuRequest request;
  const bool known = state_->FindRequest(args.pod_uid, &request);
  if (!known && !state_->PodsListed()) {
    // Started since the pod's filter and before the pod watch's first list: whether the
    // pod asks for devices is unknown, and binding a GPU pod without its placement would
    // leave its devices uncounted. kube-scheduler retries the pod.
    co_return BindRefused(DecisionResult::kError, DecisionReason::kNotSynced,
                          "gpu: the pod watch has not completed its first list, so the pod's "
                          "GPU request is unknown; retry");
  }
  // Whole GPUs on a node without a device plugin for them are a DRA claim's (KEP-5004),
  // written by kube-scheduler before this bind: nothing to place or count here.
  const bool placed_here = known && request.any() && !LeftToDeviceClasses(args.node, request);
  StringPairs annotations;
  BindInFlight in_flight(state_, args.pod_uid);
  if (placed_here) {
    gpu::GpuAssignment assignment;
    std::string why;
    const int64_t now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
    // Chosen and counted at once: binds run concurrently, and the next one must not
    // choose the same devices while this one talks to the API.
    switch (state_->Reserve(args.pod_uid, args.node, request, options_, now_ns, &assignment,
                            &annotations, &why)) {
      case GpuState::ReserveResult::kReserved: in_flight.Arm(); break;
      case GpuState::ReserveResult::kNoFit:
        co_return BindRefused(DecisionResult::kRejected, DecisionReason::kNodeFit, why);
      case GpuState::ReserveResult::kDuplicate:
        co_return BindRefused(DecisionResult::kError, DecisionReason::kBindDuplicate, why);
    }
  }
  if (!annotations.empty()) {
    // The pod's UID in the patch is a precondition: a pod of the same name created since
    // (a StatefulSet's) is not annotated (the API server refuses the UID change).
    // Named values, not temporaries, inside co_await (GCC 12 bug 99576).
    auto patch = patcher_->Patch(args.pod_namespace, args.pod_name,
                                 AnnotationPatch(annotations, args.pod_uid));
    std::string failed = co_await std::move(patch);
    if (!failed.empty()) {
      co_return BindRefused(DecisionResult::kError, DecisionReason::kApiUnavailable,
                            "gpu: writing the device placement failed: " + failed);
    }
  }
  auto inner = inner_->Bind(std::move(args));
  BindDecision decision = co_await std::move(inner);
  in_flight.Finish(decision.error.empty());
  co_return decision;
}

}  // namespace quotient::extender::state
