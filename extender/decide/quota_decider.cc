#include "extender/decide/quota_decider.h"

#include <fmt/format.h>

#include <algorithm>

#include "extender/control/reclaimer.h"
#include "extender/objects/preemptible.h"
#include "extender/telemetry/logging.h"
#include "extender/wire/decision_text.h"
#include "quota/dcheck.h"
#include "quota/node_pool.h"

namespace quotient::extender::state {
namespace {

using quota::AdmitCode;

constexpr int64_t kMaxScore = 10;

quota::PodDemand DemandOf(const PodInfo& pod) {
  return {pod.uid, pod.ns, QuotaRequests(pod), IsPreemptible(pod)};
}

void FailAll(const ExtenderArgs& args, const std::string& why, bool resolvable,
             FilterAnswer* answer) {
  answer->passed.clear();
  answer->failed.clear();
  answer->failed_unresolvable.clear();
  auto& failed = resolvable ? answer->failed : answer->failed_unresolvable;
  failed.reserve(args.nodes.size());
  for (size_t i = 0; i < args.nodes.size(); ++i) failed.emplace_back(i, why);
}

constexpr std::string_view kHeldText =
    "node room is held for a pod that is reclaiming its guaranteed quota";

// Whether the room left on `node`, after the holds of other reclaiming pods, takes the
// pod's requests (every resource a hold covers).
bool FitsBesideHolds(const NodeEntry& node, const PodInfo& pod) {
  for (const NodeHold& hold : node.holds) {
    if (hold.uid == pod.uid) continue;
    for (const auto& entry : hold.requests) {
      if (IsDerivedResource(entry.name)) continue;  // quota only, on no node
      const int64_t request = pod.requests.Get(entry.name);
      if (request > 0 && request > node.FreeFor(entry.name, pod.uid)) return false;
    }
  }
  return true;
}

}  // namespace

QuotaDecider::QuotaDecider(quota::QuotaLedger* ledger, ClusterState* state, PodBinder* binder,
                           std::function<std::string()> not_synced, QuotaDeciderOptions options,
                           QuotaMetrics* metrics, std::function<Clock::time_point()> now)
    : ledger_(ledger),
      state_(state),
      binder_(binder),
      metrics_(metrics),
      not_synced_(std::move(not_synced)),
      options_(std::move(options)),
      now_(std::move(now)) {}

std::string QuotaDecider::Describe() const {
  std::string fit = options_.fit_resources.empty() ? "none" : "";
  for (const auto& r : options_.fit_resources) fit += (fit.empty() ? "" : ",") + r;
  return fmt::format("live: quota {}, node pools, node fit for [{}], reclaim {}, bind {}",
                     ledger_ != nullptr ? "enforced" : "off (no quota tree)", fit,
                     reclaimer_ != nullptr ? "on" : "off",
                     binder_ != nullptr ? "through the API" : "off");
}

bool QuotaDecider::AdmitQuota(const quota::PodDemand& demand, bool reserve,
                              FilterDecision* decision, const PodInfo* pod,
                              quota::AdmitDecision* result) const {
  quota::AdmitDecision admit = reserve ? ledger_->Reserve(demand, now_() + options_.reservation_ttl)
                                       : ledger_->Check(demand);
  if (result != nullptr) *result = admit;
  // The IDs of `admit` are of the tree it was made on, not of a tree reloaded since.
  QUOTIENT_DCHECK(admit.tree != nullptr);
  const quota::QuotaTree& tree = *admit.tree;
  // Counted once per decision: the reservation, or a refusal by the check before it.
  if (metrics_ != nullptr && (reserve || !admit.admitted())) {
    const quota::QuotaId leaf =
        admit.leaf != quota::kNoQuota ? admit.leaf : tree.LeafForNamespace(demand.ns);
    metrics_->CountAdmission(leaf != quota::kNoQuota ? tree.name(leaf) : "(unquoted)", admit.code);
  }
  switch (admit.code) {
    case AdmitCode::kAdmitted:
    case AdmitCode::kAlreadyHeld: decision->reason = DecisionReason::kQuotaAdmitted; return true;
    case AdmitCode::kUnquoted: decision->reason = DecisionReason::kUnquoted; return true;
    case AdmitCode::kRejectedMax:
      decision->reason =
          admit.refused_by_min() ? DecisionReason::kQuotaMin : DecisionReason::kQuotaMax;
      decision->message = QuotaRefusalText(tree, admit.refusal);
      if (pod != nullptr && !admit.refused_by_min() &&
          pod->claim_charge.Has(tree.resource_name(admit.refusal.resource))) {
        // The pod's DRA claims are charged the refused resource: say which.
        decision->reason = DecisionReason::kQuotaMaxClaim;
        decision->message += fmt::format(" (DRA: {})", pod->claim_note);
      }
      return false;
    case AdmitCode::kRejectedUnquoted:
      decision->reason = DecisionReason::kUnquotedDenied;
      decision->message = UnquotedDeniedText(demand.ns);
      return false;
  }
  return false;
}

bool QuotaDecider::ClaimsFitBesideHolds(const NodeEntry& node, const ExtenderArgs& args) const {
  if (options_.claims == nullptr || args.pod.resource_claims.empty()) return true;
  std::vector<std::string_view> holders;
  for (const NodeHold& hold : node.holds) {
    if (hold.uid != args.pod.uid) holders.emplace_back(hold.uid);
  }
  if (holders.empty() || !options_.claims->Applies(args.pod.uid)) return true;
  const gpu::ClaimFit fit = options_.claims->Check(args.pod.uid, node.info.name, {}, holders);
  // No request named: the node publishes no device (the claims are served by devices not
  // local to it), which the holds do not concern.
  return fit.fits || fit.request.empty();
}

bool QuotaDecider::RequestsFitResource(const PodInfo& pod) const {
  for (const std::string& r : options_.fit_resources) {
    if (pod.requests.Get(r) > 0) return true;
  }
  return false;
}

void QuotaDecider::CheckNodes(const ExtenderArgs& args, const quota::QuotaTree* tree,
                              quota::QuotaId leaf, FilterDecision* decision) const {
  static const std::vector<std::string> kNoSelector;
  const std::vector<std::string>& selector =
      tree && leaf != quota::kNoQuota ? tree->node_selector(leaf) : kNoSelector;
  std::string pool_text;
  if (!selector.empty()) {
    std::string terms;
    for (const auto& t : selector) terms += (terms.empty() ? "" : ",") + t;
    pool_text =
        fmt::format("node pool: quota {} allows only nodes labelled {}", tree->name(leaf), terms);
  }
  FilterAnswer& answer = decision->answer;
  if (!args.nodes.empty() && selector.empty() && !RequestsFitResource(args.pod) &&
      !state_->HasHolds()) {
    answer.passed.resize(args.nodes.size());
    for (size_t i = 0; i < args.nodes.size(); ++i) answer.passed[i] = i;
    return;
  }
  size_t unknown = 0, outside_pool = 0, no_room = 0, held = 0;
  state_->ReadNodes([&](auto lookup) {
    for (size_t i = 0; i < args.nodes.size(); ++i) {
      const NodeEntry* node = lookup(args.nodes[i].name);
      if (node == nullptr || !node->known) {
        ++unknown;
        answer.failed.emplace_back(i, "node not in Quotient's cache yet");
        continue;
      }
      if (!quota::InNodePool(node->info.labels, selector)) {
        ++outside_pool;
        answer.failed_unresolvable.emplace_back(i, pool_text);
        continue;
      }
      std::string short_of;
      for (const std::string& r : options_.fit_resources) {
        const int64_t request = args.pod.requests.Get(r);
        if (request <= 0) continue;
        const int64_t allocatable = node->info.allocatable.Get(r);
        const int64_t free = allocatable - node->requested.Get(r);
        if (request <= free) continue;
        short_of = fmt::format("node fit: {} requested {}, free {} of {}", r,
                               quota::FormatResourceAmount(r, request),
                               quota::FormatResourceAmount(r, std::max<int64_t>(free, 0)),
                               quota::FormatResourceAmount(r, allocatable));
        break;
      }
      if (!short_of.empty()) {
        ++no_room;
        answer.failed.emplace_back(i, std::move(short_of));
        continue;
      }
      if (!node->holds.empty() &&
          (!FitsBesideHolds(*node, args.pod) || !ClaimsFitBesideHolds(*node, args))) {
        ++held;
        answer.failed.emplace_back(i, std::string(kHeldText));
        continue;
      }
      answer.passed.push_back(i);
    }
    return 0;
  });
  if (!answer.passed.empty()) return;
  decision->result = DecisionResult::kRejected;
  if (held > 0 && held >= no_room && held >= outside_pool && held >= unknown) {
    decision->reason = DecisionReason::kReclaimHold;
    decision->message = std::string(kHeldText);
  } else if (no_room >= outside_pool && no_room >= unknown) {
    decision->reason = DecisionReason::kNodeFit;
    decision->message = "no candidate node has room for the pod's managed resources";
  } else if (outside_pool >= unknown) {
    decision->reason = DecisionReason::kNodePool;
    decision->message = pool_text;
  } else {
    decision->reason = DecisionReason::kUnknownNode;
    decision->message = "no candidate node is in Quotient's node cache yet";
  }
}

FilterDecision QuotaDecider::Filter(const ExtenderArgs& args) {
  FilterDecision decision;
  if (std::string why = not_synced_(); !why.empty()) {
    decision.result = DecisionResult::kError;
    decision.reason = DecisionReason::kNotSynced;
    decision.message = "Quotient is not ready: " + why;
    decision.answer.error = decision.message;
    return decision;
  }
  if (reclaimer_ != nullptr && reclaimer_->AwaitingEvictions(args.pod.uid)) {
    RefuseWhileEvicting(args, &decision);
    return decision;
  }
  if (args.pod.claim_problem != ClaimProblem::kNone) {
    RefuseForClaims(args, &decision);
    return decision;
  }
  const quota::PodDemand demand = DemandOf(args.pod);
  quota::AdmitDecision check;  // its leaf (kNoQuota without a ledger) is of check.tree
  if (ledger_ != nullptr) {
    if (!AdmitQuota(demand, /*reserve=*/false, &decision, &args.pod, &check)) {
      RefuseForQuota(args, &decision);
      return decision;
    }
  } else {
    decision.reason = DecisionReason::kNoPolicy;
  }
  CheckNodes(args, check.tree, check.leaf, &decision);
  if (decision.answer.passed.empty()) {
    // Room on the node that a victim's departure frees (not a pool, a hold, a cache miss).
    if (decision.reason == DecisionReason::kNodeFit) preemptor_.NoteFilterRefusal(args.pod.uid);
    ReportOwnReclaim(args, &decision);
    return decision;
  }
  if (ledger_ == nullptr) return decision;
  // Reserve only once some node can take the pod; a concurrent admission may have
  // taken the room since the check, in which case the pod fails like above.
  if (!AdmitQuota(demand, /*reserve=*/true, &decision, &args.pod)) {
    RefuseForQuota(args, &decision);
  } else if (reclaimer_ != nullptr && reclaimer_->AwaitingEvictions(args.pod.uid)) {
    RefuseWhileEvicting(args, &decision);  // a reclaim for this pod started meanwhile
  }
  return decision;
}

void QuotaDecider::RefuseForQuota(const ExtenderArgs& args, FilterDecision* decision) const {
  preemptor_.NoteFilterRefusal(args.pod.uid);
  decision->result = DecisionResult::kRejected;
  const quota::QuotaTree& tree = ledger_->usage().tree();
  const quota::QuotaId leaf = tree.LeafForNamespace(args.pod.ns);
  const bool preemption_may_help =
      leaf != quota::kNoQuota && !args.pod.preemption_never &&
      state_->HasPreemptiblePodBelow(tree.namespaces(leaf), args.pod.priority);
  FailAll(args, decision->message, preemption_may_help, &decision->answer);
}

void QuotaDecider::RefuseForClaims(const ExtenderArgs& args, FilterDecision* decision) const {
  decision->result = DecisionResult::kRejected;
  const bool pending = args.pod.claim_problem == ClaimProblem::kPending;
  decision->reason = pending ? DecisionReason::kClaimPending : DecisionReason::kClaimRefused;
  decision->message =
      fmt::format("DRA: {}{}", args.pod.claim_note,
                  pending ? ": its quota charge is unknown until the claim exists" : "");
  // Unresolvable: no preemption creates the claim or makes its charge computable.
  FailAll(args, decision->message, /*resolvable=*/false, &decision->answer);
}

void QuotaDecider::RefuseWhileEvicting(const ExtenderArgs& args, FilterDecision* decision) const {
  const ReclaimStatus status = reclaimer_->StatusOf(args.pod.uid);
  decision->result = DecisionResult::kRejected;
  decision->reason = DecisionReason::kReclaiming;
  decision->message = status.active ? status.text : "reclaiming: evicting";
  // Unresolvable: kube-scheduler must not preempt on top of the reclaim in flight.
  FailAll(args, decision->message, /*resolvable=*/false, &decision->answer);
}

void QuotaDecider::ReportOwnReclaim(const ExtenderArgs& args, FilterDecision* decision) const {
  if (reclaimer_ == nullptr) return;
  const ReclaimStatus status = reclaimer_->StatusOf(args.pod.uid);
  if (!status.active) return;
  decision->reason = DecisionReason::kReclaiming;
  decision->message = status.text;
  for (auto& [index, why] : decision->answer.failed) why = status.text;
}

PrioritizeDecision QuotaDecider::Prioritize(const ExtenderArgs& args) {
  PrioritizeDecision decision;
  decision.reason = DecisionReason::kScored;
  decision.scores.assign(args.nodes.size(), 0);
  std::vector<std::pair<const std::string*, int64_t>> requested;
  for (const std::string& r : options_.fit_resources) {
    if (int64_t amount = args.pod.requests.Get(r); amount > 0) requested.emplace_back(&r, amount);
  }
  if (requested.empty()) return decision;
  state_->ReadNodes([&](auto lookup) {
    for (size_t i = 0; i < args.nodes.size(); ++i) {
      const NodeEntry* node = lookup(args.nodes[i].name);
      if (node == nullptr) continue;
      int64_t sum = 0;
      for (const auto& [resource, amount] : requested) {
        const int64_t allocatable = node->info.allocatable.Get(*resource);
        if (allocatable <= 0) continue;
        const int64_t after = std::min(node->requested.Get(*resource) + amount, allocatable);
        sum += after * kMaxScore / allocatable;  // fuller after placement = higher score
      }
      decision.scores[i] = sum / static_cast<int64_t>(requested.size());
    }
    return 0;
  });
  return decision;
}

PreemptDecision QuotaDecider::Preempt(const PreemptionArgs& args) {
  if (!not_synced_().empty()) {
    // Every victim would be unknown and dropped: refuse the round instead, the
    // scheduler tries again on the pod's next attempt.
    PreemptDecision decision;
    decision.result = DecisionResult::kError;
    decision.reason = DecisionReason::kNotSynced;
    return decision;
  }
  std::string message;
  PreemptDecision decision = preemptor_.Preempt(args, &message);
  if (!message.empty()) Log(spdlog::level::info, "preempt filtered", {{"detail", message}});
  return decision;
}

boost::asio::awaitable<BindDecision> QuotaDecider::Bind(BindingArgs args) {
  BindDecision decision;
  if (binder_ == nullptr) {
    decision.result = DecisionResult::kError;
    decision.reason = DecisionReason::kBindingUnavailable;
    decision.error = "quotient cannot bind: no Kubernetes API connection is configured";
    co_return decision;
  }
  quota::PodDemand demand;
  bool known = ledger_ != nullptr && ledger_->Lookup(args.pod_uid, &demand);
  PodRecord record;
  if (!known && state_->FindPod(args.pod_uid, &record)) {
    demand = quota::PodDemand{args.pod_uid, record.ns, record.quota_requests(), record.preemptible};
  } else if (!known) {
    // Neither reserved nor seen by the watch (Quotient restarted since filter, or the
    // watch lags): read the pod, so that its quota is checked before it binds.
    PodInfo pod;
    auto get = binder_->GetPod(args.pod_namespace, args.pod_name, &pod);
    ApiOutcome read = co_await std::move(get);
    if (read.kind != ApiOutcome::Kind::kOk) {
      decision.result = DecisionResult::kError;
      decision.reason = read.kind == ApiOutcome::Kind::kRefused ? DecisionReason::kBindRefused
                                                                : DecisionReason::kApiUnavailable;
      decision.error =
          fmt::format("reading pod {}/{}: {}", args.pod_namespace, args.pod_name, read.message);
      co_return decision;
    }
    if (!args.pod_uid.empty() && pod.uid != args.pod_uid) {
      decision.result = DecisionResult::kError;
      decision.reason = DecisionReason::kBindRefused;
      decision.error = fmt::format("pod {}/{} has UID {}, not {}: it was recreated",
                                   args.pod_namespace, args.pod_name, pod.uid, args.pod_uid);
      co_return decision;
    }
    if (options_.enricher != nullptr) options_.enricher->Enrich(&pod);
    if (pod.claim_problem != ClaimProblem::kNone) {
      decision.result = DecisionResult::kRejected;
      decision.reason = pod.claim_problem == ClaimProblem::kPending ? DecisionReason::kClaimPending
                                                                    : DecisionReason::kClaimRefused;
      decision.error = fmt::format("DRA: {}", pod.claim_note);
      co_return decision;
    }
    demand = DemandOf(pod);
  }
  if (!known) {
    if (ledger_ != nullptr) {
      FilterDecision quota_check;
      if (!AdmitQuota(demand, /*reserve=*/true, &quota_check)) {
        decision.result = DecisionResult::kRejected;
        decision.reason = quota_check.reason;
        decision.error = quota_check.message;
        co_return decision;
      }
    }
  }
  if (reclaimer_ != nullptr && reclaimer_->AwaitingEvictions(args.pod_uid)) {
    // A reclaim started between this pod's filter and its bind: its reservation is now the
    // reclaim's (kept), and the pod binds once its victims are evicted.
    decision.result = DecisionResult::kError;
    decision.reason = DecisionReason::kReclaiming;
    decision.error = reclaimer_->StatusOf(args.pod_uid).text;
    co_return decision;
  }
  auto bind = binder_->Bind(args);
  ApiOutcome outcome = co_await std::move(bind);
  if (outcome.kind == ApiOutcome::Kind::kOk) {
    state_->AssumeBound(demand, args.pod_name, args.node);
    decision.reason = DecisionReason::kBound;
    co_return decision;
  }
  // Refused: forget the reservation. Without an answer (a timeout, a reset, a 5xx), or
  // refused because the pod is bound already (409: an earlier Binding of it landed although
  // its answer was lost), the Binding may have taken effect: the reservation stays, so that
  // no other pod is admitted into the pod's room before the watch shows it bound (the
  // ledger then charges it in place of the reservation). One that did not land lapses
  // after the reservation TTL, or is extended by the pod's next filter.
  const bool maybe_bound = outcome.kind == ApiOutcome::Kind::kUnavailable || outcome.status == 409;
  if (ledger_ != nullptr && !maybe_bound) ledger_->CancelReservation(args.pod_uid);
  decision.result = DecisionResult::kError;
  decision.reason = outcome.kind == ApiOutcome::Kind::kRefused ? DecisionReason::kBindRefused
                                                               : DecisionReason::kApiUnavailable;
  decision.error = outcome.message;
  co_return decision;
}

}  // namespace quotient::extender::state
