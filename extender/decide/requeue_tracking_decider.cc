#include "extender/decide/requeue_tracking_decider.h"

namespace quotient::extender::state {

FilterDecision RequeueTrackingDecider::Filter(const ExtenderArgs& args) {
  FilterDecision decision = inner_->Filter(args);
  if (decision.result == DecisionResult::kRejected && decision.answer.passed.empty() &&
      !args.pod.uid.empty()) {
    requeuer_->NoteRefused(args.pod.uid, args.pod.ns, args.pod.name);
  }
  return decision;
}

}  // namespace quotient::extender::state
