#include "extender/state/reclaim_planner.h"

#include <algorithm>
#include <charconv>

#include "extender/pod_enricher.h"
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

int64_t Digits(std::string_view s, size_t pos, size_t n, bool* ok) {
  int64_t value = 0;
  if (pos + n > s.size()) {
    *ok = false;
    return 0;
  }
  auto [end, ec] = std::from_chars(s.data() + pos, s.data() + pos + n, value);
  if (ec != std::errc() || end != s.data() + pos + n) *ok = false;
  return value;
}

// Days since 1970-01-01 of a civil date (H. Hinnant's algorithm).
int64_t DaysFromCivil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

// Creation order: the timestamp (whole seconds), then, within a second, the order in
// which the watch brought the pods (creation order for pods added while watching).
int64_t CreationRank(const PodRecord& pod) {
  constexpr int64_t kPerSecond = int64_t{1} << 20;
  return ParseTimestampSeconds(pod.creation_timestamp) * kPerSecond +
         static_cast<int64_t>(pod.first_seen % kPerSecond);
}

}  // namespace

int64_t ParseTimestampSeconds(std::string_view s) {
  bool ok = s.size() >= 20 && s[4] == '-' && s[7] == '-' && s[10] == 'T' && s[13] == ':' &&
            s[16] == ':' && s.back() == 'Z';
  if (!ok) return 0;
  const int64_t year = Digits(s, 0, 4, &ok), month = Digits(s, 5, 2, &ok),
                day = Digits(s, 8, 2, &ok), hour = Digits(s, 11, 2, &ok),
                minute = Digits(s, 14, 2, &ok), second = Digits(s, 17, 2, &ok);
  if (!ok || month < 1 || month > 12 || day < 1 || day > 31) return 0;
  return DaysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second;
}

std::vector<ReclaimCandidate> FindReclaimCandidates(
    const quota::QuotaUsage& usage, const PodMap& pods,
    const std::unordered_set<std::string>& waiting,
    const std::vector<std::string>& scheduler_names,
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
    if (!WithinLeafGuarantee(usage, leaf, pod.requests)) continue;
    out.push_back({{pod.ns, pod.name, uid}, leaf, pod.requests, pod.priority,
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

ReclaimChoice PlanReclaimFor(const quota::QuotaUsage& usage, const ReclaimCandidate& candidate,
                             const NodeMap& nodes, const PodMap& pods, const VictimFilter& filter,
                             std::string_view only_node) {
  const quota::QuotaTree& tree = usage.tree();
  std::vector<std::string_view> dims;  // the resources the node must fit
  quota::ReclaimRequest request{candidate.leaf, tree.ToSparse(candidate.requests), {},
                                candidate.priority, {}};
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
  std::vector<std::pair<const std::string*, const PodRecord*>> relevant;
  std::vector<int64_t> room(dims.size());
  std::vector<std::string_view> leaving_uids;  // device checks
  for (const auto& [name, node] : nodes) {
    if (!only_node.empty() && name != only_node) continue;
    if (!node.known || !quota::InNodePool(node.info.labels, selector)) continue;
    relevant.clear();
    bool any_leaving = false;
    for (size_t d = 0; d < dims.size(); ++d) room[d] = node.FreeFor(dims[d], candidate.pod.uid);
    for (const PodEntry* entry : node.held_by) {
      const auto& [uid, pod] = *entry;
      const bool leaving = pod.terminating || (filter.leaving && filter.leaving(uid));
      if (!leaving) {
        const quota::QuotaId leaf = tree.LeafForNamespace(pod.ns);
        if (!pod.preemptible || leaf == quota::kNoQuota ||
            (leaf == candidate.leaf && pod.priority >= candidate.priority) ||
            (filter.blocked && filter.blocked(uid))) {
          continue;
        }
      }
      any_leaving |= leaving;
      for (size_t d = 0; d < dims.size(); ++d) room[d] += pod.requests.Get(dims[d]);
      relevant.emplace_back(&uid, &pod);
    }
    // A node that cannot take the pod even if every relevant pod left is no candidate;
    // one holding a leaving pod is passed all the same (its quota relief counts).
    bool could_fit = true;
    for (size_t d = 0; d < dims.size(); ++d) could_fit &= room[d] >= request.node_request[d];
    if (!could_fit && !any_leaving) continue;
    if (devices != nullptr) {
      // Not even with every possible victim gone: no candidate at device level.
      leaving_uids.clear();
      for (const auto& [uid_ptr, pod_ptr] : relevant) leaving_uids.emplace_back(*uid_ptr);
      if (!devices->FitsAfter(candidate.pod.uid, name, leaving_uids)) continue;
    }
    pool.push_back(&node);
    pool_names.push_back(&name);
    std::vector<quota::ReclaimPod>& list = pod_lists.emplace_back();
    list.reserve(relevant.size());
    for (const auto& [uid_ptr, pod_ptr] : relevant) {
      const std::string& uid = *uid_ptr;
      const PodRecord& pod = *pod_ptr;
      quota::ReclaimPod victim;
      victim.id = static_cast<uint32_t>(uid_of.size());
      victim.leaf = tree.LeafForNamespace(pod.ns);
      victim.quota_amounts = tree.ToSparse(pod.requests);
      for (std::string_view dim : dims) victim.node_amounts.push_back(pod.requests.Get(dim));
      victim.priority = pod.priority;
      victim.creation_rank = CreationRank(pod);
      victim.preemptible = pod.preemptible && !(filter.blocked && filter.blocked(uid));
      victim.terminating = pod.terminating || (filter.leaving && filter.leaving(uid));
      list.push_back(std::move(victim));
      uid_of.push_back(uid_ptr);
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
    std::vector<std::string_view> gone;
    request.device_fit = [&, gone](uint32_t node_id,
                                   std::span<const uint32_t> victims) mutable {
      gone.clear();
      for (uint32_t id : victims) gone.emplace_back(*uid_of[id]);
      for (const quota::ReclaimPod& pod : pod_lists[node_id]) {
        if (pod.terminating) gone.emplace_back(*uid_of[pod.id]);
      }
      return devices->FitsAfter(candidate.pod.uid, *pool_names[node_id], gone);
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
