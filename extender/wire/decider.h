// The decision seam between the webhook handlers and Quotient's policy.
//
// Handlers decode the wire request, call one Decider method, and encode its answer.
// A Decider sees domain-shaped arguments (wire.h) and answers with node indexes,
// scores and victim lists plus a bounded reason code for metrics; it never touches
// HTTP or JSON. state::QuotaDecider is the real one (it needs the API connection);
// without one, PassThroughDecider admits every node.
//
// Thread safety: implementations must be thread-safe; handlers call them concurrently
// from every server thread.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "extender/wire/wire.h"

namespace quotient::extender {

// Bounded outcome labels for quotient_decisions_total{verb,result,reason}.
enum class DecisionResult { kAccepted, kRejected, kError };
inline constexpr int kDecisionResultCount = 3;
std::string_view DecisionResultName(DecisionResult result);

enum class DecisionReason {
  kNoPolicy,               // pass-through: no quota or GPU policy is loaded
  kBindingUnavailable,     // bind asked but no Kubernetes API client is configured
  kNotSynced,              // the watch caches have not completed their first list
  kQuotaAdmitted,          // quota admitted (and reserved) the pod
  kUnquoted,               // namespace on no quota leaf, allowed by policy
  kUnquotedDenied,         // namespace on no quota leaf, denied by policy
  kQuotaMax,               // some quota on the pod's path would exceed its max
  kNodeFit,                // no candidate node has room for a resource Quotient manages
  kNodePool,               // no candidate node is in the pod's quota node pool
  kUnknownNode,            // no candidate node is in Quotient's node cache
  kScored,                 // prioritize scored from live node usage
  kBound,                  // the API server accepted the Binding
  kBindRefused,            // the API server refused the Binding (4xx)
  kApiUnavailable,         // the API server could not be reached or failed (5xx)
  kQuotaMin,               // a non-preemptible pod would take a quota on its path past its min
  kPreemptPassed,          // preempt: every node and victim the scheduler proposed keeps the rules
  kPreemptQuotaFiltered,   // preempt: victims or nodes dropped by the quota rules
  kReclaiming,             // the pod is reclaiming its guarantee: waiting for its victims to leave
  kReclaimHold,            // the room left on the candidate nodes is held for reclaiming pods
  kPreemptGpuFiltered,     // preempt: nodes dropped whose victims free no room at device level
  kNotLeader,              // this replica does not hold the leader Lease: it decides nothing
  kClaimPending,           // a DRA claim of the pod does not exist yet: its charge is unknown
  kClaimRefused,           // a DRA claim's quota charge is refused (e.g. too many devices)
  kQuotaMaxClaim,          // quota max exceeded on a resource the pod's DRA claims are charged
  kPreemptVictimsLeaving,  // preempt: victims chosen for this pod earlier are leaving or just left
  kBindDuplicate,          // bind: the pod is bound already, or another bind of it is in flight
};
inline constexpr int kDecisionReasonCount = 26;
std::string_view DecisionReasonName(DecisionReason reason);

struct FilterDecision {
  FilterAnswer answer;  // node indexes into ExtenderArgs::nodes
  DecisionResult result = DecisionResult::kAccepted;
  DecisionReason reason = DecisionReason::kNoPolicy;
  std::string message;  // why, for the log line of a rejection ("quota root.a: cpu ...")
};

struct PrioritizeDecision {
  std::vector<int64_t> scores;  // one per ExtenderArgs::nodes entry; clamped to 0..10
  DecisionReason reason = DecisionReason::kNoPolicy;
};

struct PreemptDecision {
  std::vector<NodeVictims> nodes;  // nodes of the input only; empty victim lists are dropped
  // Backs victim UIDs the decider chose itself (the views in `nodes` otherwise point into
  // the request); a deque, so that moving the decision keeps the views valid.
  std::deque<std::string> storage;
  DecisionResult result = DecisionResult::kAccepted;
  DecisionReason reason = DecisionReason::kNoPolicy;
};

struct BindDecision {
  std::string error;  // empty on success
  DecisionResult result = DecisionResult::kAccepted;
  DecisionReason reason = DecisionReason::kNoPolicy;
};

class Decider {
 public:
  virtual ~Decider() = default;
  // One line for /version and logs, e.g. "pass-through (no quota or GPU policy)".
  virtual std::string Describe() const = 0;
  virtual FilterDecision Filter(const ExtenderArgs& args) = 0;
  virtual PrioritizeDecision Prioritize(const ExtenderArgs& args) = 0;
  virtual PreemptDecision Preempt(const PreemptionArgs& args) = 0;
  // Binding talks to the API server, so it may suspend.
  virtual boost::asio::awaitable<BindDecision> Bind(BindingArgs args) = 0;
};

// Admits every node, scores 0, accepts the scheduler's victims as proposed, and
// refuses to bind (there is no API connection).
class PassThroughDecider : public Decider {
 public:
  std::string Describe() const override;
  FilterDecision Filter(const ExtenderArgs& args) override;
  PrioritizeDecision Prioritize(const ExtenderArgs& args) override;
  PreemptDecision Preempt(const PreemptionArgs& args) override;
  boost::asio::awaitable<BindDecision> Bind(BindingArgs args) override;
};

}  // namespace quotient::extender
