#include "extender/decide/leader_gate_decider.h"

#include <utility>

namespace quotient::extender::state {

FilterDecision LeaderGateDecider::Filter(const ExtenderArgs& args) {
  if (fence_->MayWrite()) return inner_->Filter(args);
  FilterDecision d;
  d.result = DecisionResult::kError;
  d.reason = DecisionReason::kNotLeader;
  d.message = "quotient: " + fence_->Why();
  d.answer.error = d.message;
  return d;
}

PrioritizeDecision LeaderGateDecider::Prioritize(const ExtenderArgs& args) {
  if (fence_->MayWrite()) return inner_->Prioritize(args);
  PrioritizeDecision d;
  d.scores.assign(args.nodes.size(), 0);
  d.reason = DecisionReason::kNotLeader;
  return d;
}

PreemptDecision LeaderGateDecider::Preempt(const PreemptionArgs& args) {
  if (fence_->MayWrite()) return inner_->Preempt(args);
  PreemptDecision d;  // no node: no preemption from a replica that does not lead
  d.result = DecisionResult::kError;
  d.reason = DecisionReason::kNotLeader;
  return d;
}

boost::asio::awaitable<BindDecision> LeaderGateDecider::Bind(BindingArgs args) {
  if (!fence_->MayWrite()) {
    BindDecision d;
    d.result = DecisionResult::kError;
    d.reason = DecisionReason::kNotLeader;
    d.error = "quotient: " + fence_->Why();
    co_return d;
  }
  co_return co_await inner_->Bind(std::move(args));
}

}  // namespace quotient::extender::state
