#include "extender/control/reclaim_planner.h"

#include <algorithm>
#include <charconv>

#include "extender/objects/pod_enricher.h"
#include "quota/node_pool.h"

namespace quotient::extender::state {
namespace {

bool Contains(const std::vector<std::string>& names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

// Rule 3a of quota/reclaim.h at the pod's own leaf: within the guarantee for every
// guaranteed resource it requests (and it requests at least one).
bool WithinLeafGuarantee(const quota::QuotaUsage& usage, quota::QuotaId leaf,
                         const quota::ResourceList& requests) {
  const quota::QuotaTree& tree = usage.tree();
  bool any = false;
  for (const auto& entry : requests) {
    if (entry.amount <= 0) continue;
    const int32_t r = tree.ResourceIndex(entry.name);
    if (r < 0 || !tree.guaranteed(r)) continue;
    any = true;
    if (usage.Charged(leaf, r) + entry.amount > tree.Min(leaf, r)) return false;
  }
  return any;
}

// Creation order: the timestamp (whole seconds), then, within a second, the order in
// which the watch brought the pods (creation order for pods added while watching).
int64_t CreationRank(const PodRecord& pod) {
  constexpr int64_t kPerSecond = int64_t{1} << 20;
  return pod.creation_seconds * kPerSecond + static_cast<int64_t>(pod.first_seen % kPerSecond);
}

}  // namespace

quota::ResourceList ReclaimCandidate::quota_requests() const {
  if (claim_charge.empty()) return requests;
  quota::ResourceList total = requests;
  total.AddAll(claim_charge);
  return total;
}

std::vector<ReclaimCandidate> FindReclaimCandidates(
    const quota::QuotaUsage& usage, const PodMap& pods,
    const std::unordered_set<std::string>& waiting, const std::vector<std::string>& scheduler_names,
    const std::function<bool(const std::string& uid)>& skip) {
  const quota::QuotaTree& tree = usage.tree();
  std::vector<ReclaimCandidate> out;
  for (const std::string& uid : waiting) {
    auto it = pods.find(uid);
    if (it == pods.end()) continue;
    const PodRecord& pod = it->second;
    if (!pod.node.empty() || pod.terminal || pod.terminating || !pod.unschedulable ||
        pod.preemption_never || pod.nominated) {
      continue;
    }
    const std::string& scheduler =
        pod.scheduler_name.empty() ? std::string("default-scheduler") : pod.scheduler_name;
    if (!Contains(scheduler_names, scheduler)) continue;
    const quota::QuotaId leaf = tree.LeafForNamespace(pod.ns);
    if (leaf == quota::kNoQuota || skip(uid)) continue;
    if (!WithinLeafGuarantee(usage, leaf, pod.quota_requests())) continue;
    out.push_back({{pod.ns, pod.name, uid},
                   leaf,
                   pod.requests,
                   pod.claim_charge,
                   pod.priority,
                   pod.creation_timestamp});
  }
  std::sort(out.begin(), out.end(), [](const ReclaimCandidate& a, const ReclaimCandidate& b) {
    if (a.priority != b.priority) return a.priority > b.priority;
    if (a.creation_timestamp != b.creation_timestamp) {
      return a.creation_timestamp < b.creation_timestamp;  // RFC 3339 UTC sorts as text
    }
    return a.pod.uid < b.pod.uid;
  });
  return out;
}

// One function on purpose (about 125 lines): its phases share scratch vectors reused across
// nodes, and the spans handed to quota::PlanReclaim point into them, so splitting it would
// mean a struct of buffers passed around for no gain in reading. The phases: the pod's
// request in the node's dimensions; per node, the pods that may be victims or are leaving
// (nodes that could not fit the pod even if all left are skipped); the plan; the choice.
ReclaimChoice PlanReclaimFor(const quota::QuotaUsage& usage, const ReclaimCandidate& candidate,
                             const NodeMap& nodes, const PodMap& pods, const VictimFilter& filter,
                             std::string_view only_node) {
  const quota::QuotaTree& tree = usage.tree();
  std::vector<std::string_view> dims;  // the resources the node must fit
  quota::ReclaimRequest request{
      candidate.leaf, tree.ToSparse(candidate.quota_requests()), {}, candidate.priority, {}};
  const DeviceFitCheck* devices =
      filter.devices != nullptr && filter.devices->Applies(candidate.pod.uid) ? filter.devices
                                                                              : nullptr;
  for (const auto& entry : candidate.requests) {
    if (entry.amount <= 0 || IsDerivedResource(entry.name)) continue;  // quota only
    if (devices != nullptr && devices->DecidesResource(entry.name)) continue;
    dims.push_back(entry.name);
    request.node_request.push_back(entry.amount);
  }
  const std::vector<std::string>& selector = tree.node_selector(candidate.leaf);

  // Every pod vector is complete before a span over it is taken.
  std::vector<const NodeEntry*> pool;
  std::vector<const std::string*> pool_names;
  std::vector<std::vector<quota::ReclaimPod>> pod_lists;
  std::vector<const std::string*> uid_of;  // ReclaimPod::id -> UID
  // Per node, the pods that matter: those that may be victims and those leaving (relief).
  // Pods that can never be victims (non-preemptible, unquoted, of the pod's own quota
  // without a lower priority, refused by a budget) are left out unless leaving.
  struct Relevant {
    const std::string* uid;
    const PodRecord* pod;
    quota::QuotaId leaf;
  };
  std::vector<Relevant> relevant;
  std::vector<int64_t> relevant_amounts;  // [relevant index * dims + d]
  std::vector<int64_t> room(dims.size());
  std::vector<std::string_view> gone;                  // device checks: the pods leaving the node
  std::vector<std::vector<std::string_view>> holders;  // per pool node: other pods' holds
  for (const auto& [name, node] : nodes) {
    if (!only_node.empty() && name != only_node) continue;
    if (!node.known || !quota::InNodePool(node.info.labels, selector)) continue;
    relevant.clear();
    relevant_amounts.clear();
    bool any_leaving = false;
    for (size_t d = 0; d < dims.size(); ++d) room[d] = node.FreeFor(dims[d], candidate.pod.uid);
    for (const PodEntry* entry : node.held_by) {
      const auto& [uid, pod] = *entry;
      const bool leaving = pod.terminating || (filter.leaving && filter.leaving(uid));
      const quota::QuotaId leaf = tree.LeafForNamespace(pod.ns);
      if (!leaving) {
        if (!pod.preemptible || leaf == quota::kNoQuota ||
            (leaf == candidate.leaf && pod.priority >= candidate.priority) ||
            (filter.blocked && filter.blocked(uid))) {
          continue;
        }
      }
      any_leaving |= leaving;
      for (size_t d = 0; d < dims.size(); ++d) {
        const int64_t amount = pod.requests.Get(dims[d]);
        room[d] += amount;
        relevant_amounts.push_back(amount);
      }
      relevant.push_back({&uid, &pod, leaf});
    }
    // A node that cannot take the pod even if every relevant pod left is no candidate;
    // one holding a leaving pod is passed all the same (its quota relief counts).
    bool could_fit = true;
    for (size_t d = 0; d < dims.size(); ++d) could_fit &= room[d] >= request.node_request[d];
    if (!could_fit && !any_leaving) continue;
    std::vector<std::string_view> held_for;  // for the device check only
    for (const NodeHold& hold : node.holds) {
      if (devices != nullptr && hold.uid != candidate.pod.uid) held_for.emplace_back(hold.uid);
    }
    if (devices != nullptr) {
      // Not even with every possible victim gone: no candidate at device level.
      gone.clear();
      for (const Relevant& r : relevant) gone.emplace_back(*r.uid);
      if (!devices->FitsAfter(candidate.pod.uid, name, gone, held_for)) continue;
    }
    holders.push_back(std::move(held_for));
    pool.push_back(&node);
    pool_names.push_back(&name);
    std::vector<quota::ReclaimPod>& list = pod_lists.emplace_back();
    list.reserve(relevant.size());
    for (size_t i = 0; i < relevant.size(); ++i) {
      const std::string& uid = *relevant[i].uid;
      const PodRecord& pod = *relevant[i].pod;
      quota::ReclaimPod victim;
      victim.id = static_cast<uint32_t>(uid_of.size());
      victim.leaf = relevant[i].leaf;
      victim.quota_amounts = tree.ToSparse(pod.quota_requests());
      const auto amounts = relevant_amounts.begin() + static_cast<ptrdiff_t>(i * dims.size());
      victim.node_amounts.assign(amounts, amounts + static_cast<ptrdiff_t>(dims.size()));
      victim.priority = pod.priority;
      victim.creation_rank = CreationRank(pod);
      victim.preemptible = pod.preemptible && !(filter.blocked && filter.blocked(uid));
      victim.terminating = pod.terminating || (filter.leaving && filter.leaving(uid));
      list.push_back(std::move(victim));
      uid_of.push_back(relevant[i].uid);
    }
  }
  std::vector<quota::ReclaimNode> candidates;
  candidates.reserve(pool.size());
  for (size_t i = 0; i < pool.size(); ++i) {
    quota::ReclaimNode n{static_cast<uint32_t>(i), {}, pod_lists[i]};
    for (std::string_view dim : dims) n.free.push_back(pool[i]->FreeFor(dim, candidate.pod.uid));
    candidates.push_back(std::move(n));
  }
  if (devices != nullptr) {
    // Rule 4c: the pod fits at device level once the victims and the node's leaving pods
    // are gone; the planner keeps taking victims in key order until it does.
    request.device_fit = [&](uint32_t node_id, std::span<const uint32_t> victims) {
      gone.clear();
      for (uint32_t id : victims) gone.emplace_back(*uid_of[id]);
      for (const quota::ReclaimPod& pod : pod_lists[node_id]) {
        if (pod.terminating) gone.emplace_back(*uid_of[pod.id]);
      }
      return devices->FitsAfter(candidate.pod.uid, *pool_names[node_id], gone, holders[node_id]);
    };
  }
  const quota::ReclaimPlan plan = quota::PlanReclaim(usage, request, candidates);
  ReclaimChoice choice;
  choice.outcome = plan.outcome;
  if (plan.outcome != quota::ReclaimOutcome::kPlanned) return choice;
  choice.node = *pool_names[plan.node_id];
  for (uint32_t id : plan.victim_ids) {
    const PodRecord& pod = pods.find(*uid_of[id])->second;
    choice.victims.push_back({pod.ns, pod.name, *uid_of[id]});
    const quota::QuotaId leaf = tree.LeafForNamespace(pod.ns);
    choice.victim_quotas.push_back(leaf == quota::kNoQuota ? "(unquoted)" : tree.name(leaf));
  }
  return choice;
}

}  // namespace quotient::extender::state
