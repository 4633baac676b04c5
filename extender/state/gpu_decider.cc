#include "extender/state/gpu_decider.h"

#include <chrono>
#include <utility>

#include "extender/state/gpu_annotations.h"

namespace quotient::extender::state {

GpuDecider::GpuDecider(std::unique_ptr<Decider> inner, GpuState* state, PodPatcher* patcher,
                       gpu::FitOptions options)
    : inner_(std::move(inner)), state_(state), patcher_(patcher), options_(options) {}

std::string GpuDecider::Describe() const { return inner_->Describe() + " + GPU placement"; }

bool GpuDecider::Parse(const PodInfo& pod, gpu::GpuRequest* request, std::string* error) const {
  return gpu::ParseGpuRequest(pod.requests, pod.labels, pod.annotations, state_->catalog(),
                              request, error);
}

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
  FilterDecision d = inner_->Filter(args);
  if (!request.any() || d.result == DecisionResult::kError || d.answer.passed.empty()) return d;
  std::vector<size_t> passed;
  state_->Read([&](auto lookup) {
    for (size_t i : d.answer.passed) {
      const std::string_view name = args.nodes[i].name;
      const gpu::NodeGpus* node = lookup(name);
      if (node == nullptr) {
        d.answer.failed.emplace_back(i, "gpu: node " + std::string(name) +
                                            " is not in Quotient's GPU cache yet");
        continue;
      }
      const gpu::GpuFit fit = gpu::FitGpuRequest(*node, request, options_);
      if (fit.fits()) {
        passed.push_back(i);
      } else if (fit.code == gpu::FitCode::kWrongModel) {
        d.answer.failed_unresolvable.emplace_back(
            i, gpu::FormatGpuFit(fit, request, *node, name));
      } else {
        d.answer.failed.emplace_back(i, gpu::FormatGpuFit(fit, request, *node, name));
      }
    }
  });
  d.answer.passed = std::move(passed);
  if (d.answer.passed.empty()) {
    d.result = DecisionResult::kRejected;
    d.reason = DecisionReason::kNodeFit;
    d.message = !d.answer.failed.empty()               ? d.answer.failed.front().second
                : !d.answer.failed_unresolvable.empty() ? d.answer.failed_unresolvable.front().second
                                                        : "gpu: no node";
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

PreemptDecision GpuDecider::Preempt(const PreemptionArgs& args) { return inner_->Preempt(args); }

boost::asio::awaitable<BindDecision> GpuDecider::Bind(BindingArgs args) {
  gpu::GpuRequest request;
  const bool placed_here = state_->FindRequest(args.pod_uid, &request) && request.any() &&
                           request.kind != gpu::GpuRequestKind::kNone;
  gpu::GpuFit fit;
  StringPairs annotations;
  if (placed_here) {
    std::string why;
    state_->Read([&](auto lookup) {
      const gpu::NodeGpus* node = lookup(args.node);
      if (node == nullptr) {
        why = "gpu: node " + args.node + " is not in Quotient's GPU cache";
        return;
      }
      fit = gpu::FitGpuRequest(*node, request, options_);
      if (!fit.fits()) {
        why = gpu::FormatGpuFit(fit, request, *node, args.node);
        return;
      }
      const int64_t now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count();
      annotations = BindAnnotations(fit.assignment, *node, now_ns);
    });
    if (!why.empty()) {
      BindDecision refused;
      refused.error = why;
      refused.result = DecisionResult::kRejected;
      refused.reason = DecisionReason::kNodeFit;
      co_return refused;
    }
  }
  if (!annotations.empty()) {
    // Named values, not temporaries, inside co_await (GCC 12 bug 99576).
    auto patch = patcher_->Patch(args.pod_namespace, args.pod_name, AnnotationPatch(annotations));
    std::string failed = co_await std::move(patch);
    if (!failed.empty()) {
      BindDecision refused;
      refused.error = "gpu: writing the device placement failed: " + failed;
      refused.result = DecisionResult::kError;
      refused.reason = DecisionReason::kApiUnavailable;
      co_return refused;
    }
  }
  const std::string uid = args.pod_uid;
  const std::string node = args.node;
  auto inner = inner_->Bind(std::move(args));
  BindDecision decision = co_await std::move(inner);
  if (placed_here && decision.error.empty()) state_->Assume(uid, node, fit.assignment);
  co_return decision;
}

}  // namespace quotient::extender::state
