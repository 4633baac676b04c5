#include "extender/decide/quota_preemptor.h"

#include <fmt/format.h>

#include <algorithm>
#include <numeric>
#include <span>
#include <string_view>
#include <vector>

#include "extender/control/reclaim_planner.h"
#include "extender/objects/pod_enricher.h"
#include "extender/objects/preemptible.h"
#include "quota/preempt_check.h"

namespace quotient::extender::state {
namespace {

using quota::NodeVerdict;
using quota::VictimVerdict;

// A proposed victim: `record` points into the ClusterState (valid under its shared lock),
// null when the pod is unknown.
struct VictimInfo {
  std::string_view uid;
  std::string_view node;
  const PodRecord* record = nullptr;
  std::string_view created() const {
    return record != nullptr ? std::string_view(record->creation_timestamp) : std::string_view();
  }
};

// Creation ranks within one node: the order of the RFC 3339 timestamps (the API server
// writes them all in UTC with a "Z", so text order is time order); equal times share a
// rank, a missing one counts as the oldest.
void RankByCreation(std::span<const VictimInfo> infos, std::span<quota::PreemptVictim> victims) {
  std::vector<size_t> order(infos.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return infos[a].created() < infos[b].created(); });
  int64_t rank = 0;
  for (size_t i = 0; i < order.size(); ++i) {
    if (i > 0 && infos[order[i]].created() != infos[order[i - 1]].created()) ++rank;
    victims[order[i]].creation_rank = rank;
  }
}

std::string Amount(const quota::QuotaTree& tree, int32_t r, int64_t amount) {
  return quota::FormatResourceAmount(tree.resource_name(r), amount);
}

std::string VictimText(const quota::QuotaTree* tree, const PreemptionArgs& args,
                       const VictimInfo& v, const quota::DroppedVictim& d) {
  const std::string who =
      v.record == nullptr ? fmt::format("victim {} on {}", v.uid, v.node)
                          : fmt::format("victim {}/{} on {}", v.record->ns, v.record->name, v.node);
  switch (d.verdict) {
    case VictimVerdict::kKept: break;
    case VictimVerdict::kUnknown: return who + ": not in Quotient's cache";
    case VictimVerdict::kNonPreemptible:
      return fmt::format("{}: labelled {}=false", who, kPreemptibleLabel);
    case VictimVerdict::kNotLowerPriority:
      return fmt::format("{}: priority {} is not below the preemptor's {}", who, v.record->priority,
                         args.pod.priority);
    case VictimVerdict::kBeyondGuarantee:
      if (tree == nullptr || d.quota == quota::kNoQuota) {
        return tree != nullptr && tree->LeafForNamespace(args.pod.ns) == quota::kNoQuota
                   ? fmt::format(
                         "{}: the preemptor's namespace {} is on no quota leaf; it may "
                         "take only lower-priority pods of such namespaces",
                         who, args.pod.ns)
                   : fmt::format(
                         "{}: the preemptor requests nothing its quota guarantees; it "
                         "may take only lower-priority pods of its own quota",
                         who);
      }
      return fmt::format(
          "{}: the preemptor is beyond its min at quota {} ({} {} + {} > min {}); it may take "
          "only lower-priority pods of its own quota",
          who, tree->name(d.quota), tree->resource_name(d.resource),
          Amount(*tree, d.resource, d.charged), Amount(*tree, d.resource, d.amount),
          Amount(*tree, d.resource, d.min));
    case VictimVerdict::kBelowMin:
      return fmt::format("{}: quota {} would fall below its min {} {} ({} {} - {} < {})", who,
                         tree->name(d.quota), tree->resource_name(d.resource),
                         Amount(*tree, d.resource, d.min), tree->resource_name(d.resource),
                         Amount(*tree, d.resource, d.charged), Amount(*tree, d.resource, d.amount),
                         Amount(*tree, d.resource, d.min));
  }
  return who;
}

std::string NodeText(const quota::QuotaTree* tree, std::string_view node,
                     const quota::PreemptNodeCheck& c, const std::vector<std::string>& dims,
                     const std::vector<int64_t>& request) {
  switch (c.verdict) {
    case NodeVerdict::kUnchanged:
    case NodeVerdict::kFiltered: break;
    case NodeVerdict::kNoVictimLeft: return fmt::format("node {} dropped: no victim left", node);
    case NodeVerdict::kNoRoom: {
      const std::string& r = dims[c.dim];
      return fmt::format("node {} dropped: the victims left free {} {} of the {} requested", node,
                         r, quota::FormatResourceAmount(r, std::max<int64_t>(c.available, 0)),
                         quota::FormatResourceAmount(r, request[c.dim]));
    }
    case NodeVerdict::kQuota: {
      const quota::ChargeRefusal& r = c.refusal;
      const std::string text =
          r.crossed == quota::ChargeBound::kMin
              ? fmt::format("{} > min {} (non-preemptible pods may use only the guaranteed min)",
                            Amount(*tree, r.resource, r.used + r.request),
                            Amount(*tree, r.resource, r.min))
              : fmt::format("{} > max {}", Amount(*tree, r.resource, r.used + r.request),
                            Amount(*tree, r.resource, r.max));
      return fmt::format(
          "node {} dropped: once its victims leave, quota {}: {} {} + request {} = {}", node,
          tree->name(r.quota), tree->resource_name(r.resource), Amount(*tree, r.resource, r.used),
          Amount(*tree, r.resource, r.request), text);
    }
  }
  return fmt::format("node {}", node);
}

// A node whose proposed victims break the quota rules may still take the pod with others:
// the reclaim planner on that node alone chooses them under the same rules (same-quota
// pods of lower priority; other quotas' pods only within the preemptor's guarantee and
// above their own min; quota/reclaim.h). The scheduler's dry run checked the pod's fit
// with its own victims, so only a set that frees at least as much of every requested
// resource is offered (the planner's rule 4a, from the live node state).
void SwapVictims(const PreemptionArgs& args, const quota::QuotaUsage& usage, quota::QuotaId leaf,
                 const NodeVictims& proposed, const NodeMap& node_map, const PodMap& pod_map,
                 const DeviceFitCheck* devices, PreemptDecision* decision,
                 std::vector<std::string>* why) {
  ReclaimCandidate candidate{{args.pod.ns, args.pod.name, args.pod.uid},
                             leaf,
                             args.pod.requests,
                             args.pod.claim_charge,
                             args.pod.priority,
                             args.pod.creation_timestamp};
  const ReclaimChoice choice = PlanReclaimFor(usage, candidate, node_map, pod_map,
                                              VictimFilter{{}, {}, devices}, proposed.node);
  if (choice.outcome != quota::ReclaimOutcome::kPlanned || choice.victims.empty()) return;
  NodeVictims& swapped = decision->nodes.emplace_back();
  swapped.node = proposed.node;
  std::vector<std::string> names;
  for (const PodRef& victim : choice.victims) {
    swapped.victim_uids.push_back(decision->storage.emplace_back(victim.uid));
    names.push_back(victim.ns + "/" + victim.name);
  }
  if (why != nullptr) {
    why->push_back(
        fmt::format("node {}: swapped in {} instead", proposed.node, fmt::join(names, ", ")));
  }
}

// The scheduler's proposal as quota::CheckPreemption's input: the victims flat (each
// node's slice ranked by creation), every PreemptNode spanning its slice. `infos[i]` names
// victim i. REQUIRES: the cluster state's shared lock held (records are pointed to).
struct PreemptInput {
  std::vector<VictimInfo> infos;
  std::vector<quota::PreemptVictim> victims;
  std::vector<quota::PreemptNode> nodes;
};

void FlattenVictims(const PreemptionArgs& args, const quota::QuotaTree* tree,
                    const std::vector<std::string>& dims, const PodMap& pod_map, PreemptInput* in,
                    std::vector<size_t>* begin) {
  begin->assign(args.nodes.size() + 1, 0);
  for (size_t n = 0; n < args.nodes.size(); ++n) {
    (*begin)[n] = in->victims.size();
    for (std::string_view uid : args.nodes[n].victim_uids) {
      VictimInfo& info = in->infos.emplace_back(VictimInfo{uid, args.nodes[n].node, nullptr});
      quota::PreemptVictim& v = in->victims.emplace_back();
      v.id = static_cast<uint32_t>(in->victims.size() - 1);
      auto it = pod_map.find(uid);
      v.known = it != pod_map.end();
      if (!v.known) continue;
      const PodRecord& r = it->second;
      info.record = &r;
      if (tree != nullptr) {
        v.leaf = tree->LeafForNamespace(r.ns);
        v.quota_amounts = tree->ToSparse(r.quota_requests());
      }
      for (const std::string& d : dims) v.node_amounts.push_back(r.requests.Get(d));
      v.priority = r.priority;
      v.preemptible = r.preemptible;
      v.terminating = r.terminating;
    }
    const size_t count = in->victims.size() - (*begin)[n];
    RankByCreation(std::span(in->infos).subspan((*begin)[n], count),
                   std::span(in->victims).subspan((*begin)[n], count));
  }
  (*begin)[args.nodes.size()] = in->victims.size();
}

void BuildPreemptInput(const PreemptionArgs& args, const quota::QuotaTree* tree,
                       const std::vector<std::string>& dims, const NodeMap& node_map,
                       const PodMap& pod_map, PreemptInput* in) {
  std::vector<size_t> begin;
  FlattenVictims(args, tree, dims, pod_map, in, &begin);
  in->nodes.resize(args.nodes.size());
  for (size_t n = 0; n < args.nodes.size(); ++n) {
    quota::PreemptNode& node = in->nodes[n];
    node.id = static_cast<uint32_t>(n);
    node.victims = std::span(in->victims).subspan(begin[n], begin[n + 1] - begin[n]);
    node.pdb_violations = args.nodes[n].num_pdb_violations;
    auto it = node_map.find(args.nodes[n].node);
    if (it == node_map.end() || !it->second.known) continue;  // free unknown: fit not checked
    const NodeEntry& entry = it->second;
    for (const std::string& d : dims) node.free.push_back(entry.FreeFor(d, args.pod.uid));
    node.held = std::any_of(entry.holds.begin(), entry.holds.end(),
                            [&](const NodeHold& h) { return h.uid != args.pod.uid; });
  }
}

// The rest of Preempt, under the cluster state's shared lock.
PreemptDecision Decide(const PreemptionArgs& args, const quota::QuotaUsage* usage,
                       const quota::PreemptRequest& request, const std::vector<std::string>& dims,
                       const NodeMap& node_map, const PodMap& pod_map,
                       const DeviceFitCheck* devices, std::string* message) {
  const quota::QuotaTree* tree = usage != nullptr ? &usage->tree() : nullptr;
  PreemptInput in;
  BuildPreemptInput(args, tree, dims, node_map, pod_map, &in);
  const std::vector<VictimInfo>& infos = in.infos;
  const std::vector<quota::PreemptNodeCheck> checks =
      quota::CheckPreemption(usage, request, in.nodes);
  PreemptDecision decision;
  decision.reason = DecisionReason::kPreemptPassed;
  std::vector<std::string> why;
  for (const quota::PreemptNodeCheck& check : checks) {
    const NodeVictims& proposed = args.nodes[check.node_id];
    if (check.verdict != NodeVerdict::kUnchanged) {
      decision.reason = DecisionReason::kPreemptQuotaFiltered;
    }
    if (message != nullptr) {
      for (const quota::DroppedVictim& d : check.dropped) {
        why.push_back(VictimText(tree, args, infos[d.id], d));
      }
      if (!check.stays()) {
        why.push_back(NodeText(tree, proposed.node, check, dims, request.node_request));
      }
    }
    if (!check.stays()) {
      if (usage != nullptr && request.leaf != quota::kNoQuota) {
        SwapVictims(args, *usage, request.leaf, proposed, node_map, pod_map, devices, &decision,
                    message != nullptr ? &why : nullptr);
      }
      continue;
    }
    NodeVictims& kept = decision.nodes.emplace_back();
    kept.node = proposed.node;
    kept.num_pdb_violations = check.pdb_violations;
    for (uint32_t id : check.kept) kept.victim_uids.push_back(infos[id].uid);
  }
  if (!args.nodes.empty() && decision.nodes.empty()) decision.result = DecisionResult::kRejected;
  if (message != nullptr) {
    message->clear();
    if (!why.empty()) {
      *message = fmt::format("preempt {}/{}: kept {} of {} nodes; {}", args.pod.ns, args.pod.name,
                             decision.nodes.size(), args.nodes.size(), fmt::join(why, "; "));
    }
  }
  return decision;
}

// The victims approved for the preemptor by an earlier call (less than the memory's ttl
// ago), and what the preemptor requests of a node (`request[i]` of resource `dims[i]`).
struct EarlierVictims {
  PreemptionsInFlight::NodeVictimUids approved;  // node -> victim UIDs
  bool refused_recently;  // Quotient's filter refused the pod just before this call
  const std::vector<std::string>& dims;
  const std::vector<int64_t>& request;
};

bool Fits(const EarlierVictims& earlier, std::string_view pod_uid, const NodeMap& node_map,
          std::string_view node) {
  auto it = node_map.find(node);
  if (it == node_map.end() || !it->second.known) return false;
  for (size_t d = 0; d < earlier.dims.size(); ++d) {
    if (it->second.FreeFor(earlier.dims[d], pod_uid) < earlier.request[d]) return false;
  }
  return true;
}

// Why kube-scheduler should get no new victims for this preemptor now (empty: none). It
// deleted the victims of the node it chose among those approved earlier, nominated the pod
// there and retried it; a preempt call now may come from a filter that refused the pod
// from a cache that had not seen them leave (preemptions_in_flight.h). The chosen node is
// the pod's nominated node if victims were approved there; otherwise (the scheduler's
// status write has not reached its own informer, or names an older nomination) every node
// where an approved victim is terminating or gone. While a victim of a chosen node is still
// in the cache, it is leaving. Once all have left: if Quotient's filter refused the pod
// just before this call and the pod now fits a chosen node within its quota
// (`quota_admits`), that refusal read the cache before they left, and the Requeuer's retry
// (requeuer.h) places the pod. Otherwise (the room was taken meanwhile, or something
// Quotient does not model refused the pod) preemption goes on. REQUIRES: the cluster
// state's shared lock.
std::string WaitForEarlierVictims(const PreemptionArgs& args, const EarlierVictims& earlier,
                                  bool quota_admits, const NodeMap& node_map, const PodMap& pod_map,
                                  PreemptDecision* same) {
  std::vector<std::string_view> chosen;
  if (earlier.approved.contains(args.pod.nominated_node)) {
    chosen.push_back(args.pod.nominated_node);
  } else {
    for (const auto& [node, uids] : earlier.approved) {
      if (std::any_of(uids.begin(), uids.end(), [&](const std::string& uid) {
            auto it = pod_map.find(uid);
            return it == pod_map.end() || it->second.terminating;
          })) {
        chosen.push_back(node);
      }
    }
  }
  std::vector<std::string> leaving;
  for (std::string_view node : chosen) {
    for (const std::string& uid : earlier.approved.find(node)->second) {
      if (auto it = pod_map.find(uid); it != pod_map.end()) {
        leaving.push_back(it->second.ns + "/" + it->second.name);
      }
    }
  }
  if (!leaving.empty()) {
    // The scheduler proposing a chosen node with no victim but those approved there and
    // being deleted (its dry run counts them, terminating, still on the node) gets that
    // node back alone: it deletes nothing (it skips victims with a deletionTimestamp) and
    // nominates the pod there again, which also restores a nomination a failed retry
    // dropped (kube-scheduler keeps no nomination its informer has not seen yet when a
    // cycle fails without one).
    for (const NodeVictims& proposed : args.nodes) {
      auto approved = earlier.approved.find(proposed.node);
      if (approved == earlier.approved.end() || proposed.victim_uids.empty() ||
          std::find(chosen.begin(), chosen.end(), proposed.node) == chosen.end()) {
        continue;
      }
      // Each one approved there and being deleted (Quotient sees its deletionTimestamp):
      // the answer then makes the scheduler delete nothing.
      const std::vector<std::string>& uids = approved->second;
      if (std::all_of(proposed.victim_uids.begin(), proposed.victim_uids.end(),
                      [&](std::string_view uid) {
                        auto it = pod_map.find(uid);
                        return it != pod_map.end() && it->second.terminating &&
                               std::find(uids.begin(), uids.end(), uid) != uids.end();
                      })) {
        same->nodes.push_back(proposed);
        return fmt::format(
            "preempt {}/{}: no new victims: kept node {} alone, whose victims {} chosen for it "
            "earlier still leave",
            args.pod.ns, args.pod.name, proposed.node, fmt::join(leaving, ", "));
      }
    }
    return fmt::format("preempt {}/{}: no more victims while {} chosen for it on {} still leave",
                       args.pod.ns, args.pod.name, fmt::join(leaving, ", "),
                       fmt::join(chosen, ", "));
  }
  if (!earlier.refused_recently || !quota_admits) return {};
  for (std::string_view node : chosen) {
    if (Fits(earlier, args.pod.uid, node_map, node)) {
      return fmt::format(
          "preempt {}/{}: no more victims: those chosen for it on {} have left, and it fits "
          "there and within its quota now (Quotient's refusal read its cache before they "
          "left; its retry places the pod)",
          args.pod.ns, args.pod.name, node);
    }
  }
  return {};
}

}  // namespace

QuotaPreemptor::QuotaPreemptor(const quota::QuotaLedger* ledger, const ClusterState* state,
                               const DeviceFitCheck* devices, PreemptionsInFlight::Now now)
    : ledger_(ledger),
      state_(state),
      devices_(devices),
      in_flight_(std::chrono::seconds(30), std::move(now)) {}

PreemptDecision QuotaPreemptor::Preempt(const PreemptionArgs& args, std::string* message) const {
  const quota::QuotaUsage* usage = ledger_ != nullptr ? &ledger_->usage() : nullptr;
  const quota::QuotaTree* tree = usage != nullptr ? &usage->tree() : nullptr;
  // The preemptor, over the resources it requests (the node dims, in name order).
  quota::PreemptRequest request;
  std::vector<std::string> dims;
  for (const auto& [name, amount] : args.pod.requests) {
    if (amount <= 0 || IsDerivedResource(name)) continue;  // quota only, on no node
    dims.push_back(name);
    request.node_request.push_back(amount);
  }
  request.priority = args.pod.priority;
  request.preemptible = IsPreemptible(args.pod);
  if (tree != nullptr) {
    request.leaf = tree->LeafForNamespace(args.pod.ns);
    request.quota_amounts = tree->ToSparse(QuotaRequests(args.pod));
    request.already_charged = ledger_->Holds(args.pod.uid);
  }
  PreemptionsInFlight::Approval approval = in_flight_.Approved(args.pod.uid);
  const EarlierVictims earlier{std::move(approval.victims), approval.refused_recently, dims,
                               request.node_request};
  const bool quota_admits =
      !earlier.refused_recently || ledger_ == nullptr ||
      ledger_->Check({args.pod.uid, args.pod.ns, QuotaRequests(args.pod), request.preemptible})
          .admitted();

  // Everything below reads the cluster under one shared lock, without copying records.
  std::string wait;
  PreemptDecision decision = state_->ReadAll([&](const NodeMap& node_map, const PodMap& pod_map) {
    if (!earlier.approved.empty()) {
      PreemptDecision same;
      wait = WaitForEarlierVictims(args, earlier, quota_admits, node_map, pod_map, &same);
      if (!wait.empty()) return same;
    }
    return Decide(args, usage, request, dims, node_map, pod_map, devices_, message);
  });
  if (!wait.empty()) {
    decision.result =
        decision.nodes.empty() ? DecisionResult::kRejected : DecisionResult::kAccepted;
    decision.reason = DecisionReason::kPreemptVictimsLeaving;
    if (message != nullptr) *message = std::move(wait);
    return decision;  // the earlier record stands
  }
  in_flight_.Record(args.pod.uid, decision);
  return decision;
}

void QuotaPreemptor::NoteFilterRefusal(std::string_view pod_uid) const {
  in_flight_.NoteRefusal(pod_uid);
}

}  // namespace quotient::extender::state
