// Notes every pod whose filter was refused on all nodes with the Requeuer, so that it
// can have kube-scheduler retry the pod when the refusal may be out of date
// (requeuer.h). Wraps the outermost decider: refusals for quota, node fit, node pool and
// GPU devices all count; errors (not synced) do not, kube-scheduler retries those
// itself with backoff.
//
// Thread safety: as the wrapped decider; the Requeuer is thread-safe.
#pragma once

#include <memory>

#include "extender/control/requeuer.h"
#include "extender/wire/decider.h"

namespace quotient::extender::state {

class RequeueTrackingDecider : public Decider {
 public:
  // REQUIRES: requeuer outlives the decider.
  RequeueTrackingDecider(std::unique_ptr<Decider> inner, Requeuer* requeuer)
      : inner_(std::move(inner)), requeuer_(requeuer) {}

  std::string Describe() const override { return inner_->Describe(); }
  FilterDecision Filter(const ExtenderArgs& args) override;
  PrioritizeDecision Prioritize(const ExtenderArgs& args) override {
    return inner_->Prioritize(args);
  }
  PreemptDecision Preempt(const PreemptionArgs& args) override { return inner_->Preempt(args); }
  boost::asio::awaitable<BindDecision> Bind(BindingArgs args) override {
    return inner_->Bind(std::move(args));
  }

 private:
  const std::unique_ptr<Decider> inner_;
  Requeuer* const requeuer_;
};

}  // namespace quotient::extender::state
