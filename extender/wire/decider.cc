#include "extender/wire/decider.h"

namespace quotient::extender {

std::string_view DecisionResultName(DecisionResult result) {
  switch (result) {
    case DecisionResult::kAccepted: return "accepted";
    case DecisionResult::kRejected: return "rejected";
    case DecisionResult::kError: return "error";
  }
  return "unknown";
}

std::string_view DecisionReasonName(DecisionReason reason) {
  switch (reason) {
    case DecisionReason::kNoPolicy: return "no_policy";
    case DecisionReason::kBindingUnavailable: return "binding_unavailable";
    case DecisionReason::kNotSynced: return "not_synced";
    case DecisionReason::kQuotaAdmitted: return "quota_admitted";
    case DecisionReason::kUnquoted: return "unquoted_namespace";
    case DecisionReason::kUnquotedDenied: return "unquoted_namespace_denied";
    case DecisionReason::kQuotaMax: return "quota_max";
    case DecisionReason::kNodeFit: return "node_fit";
    case DecisionReason::kNodePool: return "node_pool";
    case DecisionReason::kUnknownNode: return "unknown_node";
    case DecisionReason::kScored: return "scored";
    case DecisionReason::kBound: return "bound";
    case DecisionReason::kBindRefused: return "api_refused";
    case DecisionReason::kApiUnavailable: return "api_unavailable";
    case DecisionReason::kQuotaMin: return "quota_min";
    case DecisionReason::kPreemptPassed: return "preempt_passed";
    case DecisionReason::kPreemptQuotaFiltered: return "preempt_quota_filtered";
    case DecisionReason::kReclaiming: return "reclaiming";
    case DecisionReason::kReclaimHold: return "reclaim_hold";
    case DecisionReason::kPreemptGpuFiltered: return "preempt_gpu_filtered";
    case DecisionReason::kNotLeader: return "not_leader";
    case DecisionReason::kClaimPending: return "claim_pending";
    case DecisionReason::kClaimRefused: return "claim_refused";
    case DecisionReason::kQuotaMaxClaim: return "quota_max_claim";
    case DecisionReason::kPreemptVictimsLeaving: return "preempt_victims_leaving";
    case DecisionReason::kBindDuplicate: return "bind_duplicate";
  }
  return "unknown";
}

std::string PassThroughDecider::Describe() const {
  return "pass-through (no API connection: filter admits every node, prioritize scores 0, "
         "quota not enforced; give --kubeconfig or run in-cluster)";
}

FilterDecision PassThroughDecider::Filter(const ExtenderArgs& args) {
  FilterDecision decision;
  decision.answer.passed.resize(args.nodes.size());
  for (size_t i = 0; i < args.nodes.size(); ++i) decision.answer.passed[i] = i;
  return decision;
}

PrioritizeDecision PassThroughDecider::Prioritize(const ExtenderArgs& args) {
  PrioritizeDecision decision;
  decision.scores.assign(args.nodes.size(), 0);
  return decision;
}

PreemptDecision PassThroughDecider::Preempt(const PreemptionArgs& args) {
  PreemptDecision decision;
  decision.nodes = args.nodes;
  return decision;
}

boost::asio::awaitable<BindDecision> PassThroughDecider::Bind(BindingArgs /*args*/) {
  BindDecision decision;
  decision.result = DecisionResult::kError;
  decision.reason = DecisionReason::kBindingUnavailable;
  decision.error =
      "quotient cannot bind: no Kubernetes API connection is configured; "
      "remove bindVerb from the scheduler's extender configuration";
  co_return decision;
}

}  // namespace quotient::extender
