#include "extender/state/cluster_state.h"

#include <algorithm>
#include <mutex>
#include <optional>
#include <type_traits>

#include "extender/objects/preemptible.h"
#include "extender/objects/timestamp.h"
#include "quota/dcheck.h"

namespace quotient::extender::state {
namespace {

bool IsTerminal(std::string_view phase) {
  return phase == "Succeeded" || phase == "Failed";
}

void Subtract(quota::ResourceList* total, const quota::ResourceList& amounts) {
  for (const auto& entry : amounts) total->Add(entry.name, -entry.amount);
}

}  // namespace

quota::ResourceList PodRecord::quota_requests() const {
  if (claim_charge.empty()) return requests;
  quota::ResourceList total = requests;
  total.AddAll(claim_charge);
  return total;
}

int64_t NodeEntry::FreeFor(std::string_view resource, std::string_view except_uid) const {
  int64_t free = info.allocatable.Get(resource) - requested.Get(resource);
  for (const NodeHold& hold : holds) {
    if (hold.uid != except_uid) free -= hold.requests.Get(resource);
  }
  return free;
}

ClusterState::ClusterState(quota::QuotaLedger* ledger, std::function<Clock::time_point()> now)
    : ledger_(ledger), now_(std::move(now)) {}

// The commit half of every update moves these into place: it must not be able to fail.
static_assert(std::is_nothrow_move_assignable_v<PodRecord>);
static_assert(std::is_nothrow_move_assignable_v<quota::ResourceList>);
static_assert(std::is_nothrow_move_assignable_v<NodeInfo>);

class ClusterState::PreparedHold {
 public:
  explicit PreparedHold(ClusterState* state) : state_(state) {}
  PreparedHold(const PreparedHold&) = delete;
  PreparedHold& operator=(const PreparedHold&) = delete;
  ~PreparedHold() {
    if (committed_) return;
    if (!preemptible_ns_.empty()) state_->DropEmptyPreemptible(preemptible_ns_, priority_);
    if (created_node_) state_->DropIfGhost(node_name_);
  }

 private:
  friend class ClusterState;
  ClusterState* const state_;
  NodeEntry* node_ = nullptr;
  std::string_view node_name_;  // the nodes_ key
  bool created_node_ = false;
  quota::ResourceList requested_;    // the node's sum once the hold is committed
  std::string_view preemptible_ns_;  // the preemptible_by_ns_ key, "" if not preemptible
  int32_t priority_ = 0;
  int32_t* preemptible_count_ = nullptr;
  bool committed_ = false;
};

std::pair<NodeEntry*, bool> ClusterState::NodeFor(std::string_view name) {
  if (auto it = nodes_.find(name); it != nodes_.end()) return {&it->second, false};
  NodeEntry entry;
  entry.info.name = std::string(name);
  auto it = nodes_.try_emplace(std::string(name), std::move(entry)).first;
  return {&it->second, true};
}

ClusterState::PreemptibleSlot ClusterState::UncountPreemptible(const PodRecord& record) {
  if (!record.preemptible) return {};
  auto by_ns = preemptible_by_ns_.find(record.ns);
  if (by_ns == preemptible_by_ns_.end()) return {};
  auto count = by_ns->second.find(record.priority);
  if (count != by_ns->second.end()) --count->second;
  return {by_ns->first, record.priority};
}

void ClusterState::DropEmptyPreemptible(std::string_view ns, int32_t priority) {
  if (ns.empty()) return;
  auto by_ns = preemptible_by_ns_.find(ns);
  if (by_ns == preemptible_by_ns_.end()) return;
  auto count = by_ns->second.find(priority);
  if (count != by_ns->second.end() && count->second <= 0) by_ns->second.erase(count);
  if (by_ns->second.empty()) preemptible_by_ns_.erase(by_ns);
}

bool ClusterState::HasPreemptiblePodBelow(const std::vector<std::string>& namespaces,
                                          int32_t priority) const {
  std::shared_lock lock(mu_);
  for (const std::string& ns : namespaces) {
    auto it = preemptible_by_ns_.find(ns);
    if (it != preemptible_by_ns_.end() && !it->second.empty() &&
        it->second.begin()->first < priority) {
      return true;
    }
  }
  return false;
}

bool ClusterState::IsWaiting(const PodRecord& record) {
  return record.unschedulable && record.node.empty() && !record.terminal;
}

void ClusterState::PrepareHold(PreparedHold* out, const PodRecord& record,
                               const PodEntry* releasing) {
  auto [node, created] = NodeFor(record.node);
  out->node_ = node;
  out->node_name_ = nodes_.find(record.node)->first;
  out->created_node_ = created;
  out->requested_ = node->requested;
  if (releasing != nullptr && releasing->second.node == record.node) {
    Subtract(&out->requested_, releasing->second.requests);
  }
  out->requested_.AddAll(record.requests);
  if (node->held_by.size() == node->held_by.capacity()) {
    node->held_by.reserve(std::max<size_t>(4, 2 * node->held_by.capacity()));
  }
  if (record.preemptible) {
    auto by_ns = preemptible_by_ns_.find(record.ns);
    if (by_ns == preemptible_by_ns_.end()) by_ns = preemptible_by_ns_.try_emplace(record.ns).first;
    out->preemptible_ns_ = by_ns->first;
    out->priority_ = record.priority;
    out->preemptible_count_ = &by_ns->second.try_emplace(record.priority, 0).first->second;
  }
}

void ClusterState::CommitHold(PreparedHold* hold, const PodEntry& entry) {
  NodeEntry& node = *hold->node_;
  node.requested = std::move(hold->requested_);
  ++node.pods;
  node.held_by.push_back(&entry);  // room made by PrepareHold
  if (hold->preemptible_count_ != nullptr) ++*hold->preemptible_count_;
  hold->committed_ = true;
}

std::string_view ClusterState::UnholdNode(const PodEntry& entry, PreemptibleSlot* uncounted) {
  const auto& [uid, record] = entry;
  *uncounted = UncountPreemptible(record);
  auto it = nodes_.find(record.node);
  if (it == nodes_.end()) return {};
  // The names are in the sum (the hold added them; a sum never loses a name): in place.
  Subtract(&it->second.requested, record.requests);
  --it->second.pods;
  std::erase(it->second.held_by, &entry);
  return it->first;
}

void ClusterState::Unhold(const PodEntry& entry) {
  PreemptibleSlot uncounted;
  const std::string_view node = UnholdNode(entry, &uncounted);
  if (ledger_ != nullptr) ledger_->Release(entry.first);
  DropEmptyPreemptible(uncounted.ns, uncounted.priority);
  DropIfGhost(node);
}

void ClusterState::DropIfGhost(std::string_view name) {
  if (name.empty()) return;
  auto it = nodes_.find(name);
  if (it != nodes_.end() && !it->second.known && it->second.pods == 0 && it->second.holds.empty()) {
    nodes_.erase(it);
  }
}

void ClusterState::BeginPodList() {
  std::unique_lock lock(mu_);
  ++pod_generation_;
  pod_list_start_ = now_();
}

void ClusterState::UpsertPod(const PodInfo& pod) {
  QUOTIENT_DCHECK(!pod.uid.empty());
  PodRecord fresh;
  fresh.ns = pod.ns;
  fresh.name = pod.name;
  fresh.node = pod.node_name;
  fresh.requests = pod.requests;
  fresh.claim_charge = pod.claim_charge;
  fresh.priority = pod.priority;
  fresh.preemption_never = pod.preemption_never;
  fresh.preemptible = IsPreemptible(pod);
  fresh.unschedulable = pod.unschedulable;
  fresh.nominated = pod.nominated;
  fresh.scheduler_name = pod.scheduler_name;
  fresh.terminal = IsTerminal(pod.phase);
  fresh.terminating = pod.terminating;
  fresh.creation_timestamp = pod.creation_timestamp;
  fresh.creation_seconds = ParseTimestampSeconds(pod.creation_timestamp);

  std::unique_lock lock(mu_);
  fresh.seen = pod_generation_;
  auto [it, inserted] = pods_.try_emplace(pod.uid);
  PodRecord& record = it->second;
  try {
    fresh.first_seen = inserted ? pods_seen_ + 1 : record.first_seen;
    const bool held = !inserted && record.holds_node();
    if (held && fresh.node.empty() && !fresh.terminal) {
      // spec.nodeName never goes back to empty: this is an event older than the binding
      // Quotient already assumed. Keep the binding until the watch confirms it.
      fresh.node = record.node;
      fresh.assumed = record.assumed;
      fresh.assumed_at = record.assumed_at;
    }
    if (held && fresh.holds_node() && record.node == fresh.node &&
        record.requests == fresh.requests && record.claim_charge == fresh.claim_charge) {
      // The common update (status change, or the watch confirming our binding): the
      // charge stands; only the attributes change.
      int32_t* count = nullptr;
      if (record.preemptible != fresh.preemptible && fresh.preemptible) {
        auto by_ns = preemptible_by_ns_.find(fresh.ns);
        if (by_ns == preemptible_by_ns_.end()) {
          by_ns = preemptible_by_ns_.try_emplace(fresh.ns).first;
        }
        try {
          count = &by_ns->second.try_emplace(fresh.priority, 0).first->second;
        } catch (...) {
          DropEmptyPreemptible(fresh.ns, fresh.priority);
          throw;
        }
      }
      PreemptibleSlot uncounted;
      if (record.preemptible != fresh.preemptible) uncounted = UncountPreemptible(record);
      if (count != nullptr) ++*count;
      DropEmptyPreemptible(uncounted.ns, uncounted.priority);
      record = std::move(fresh);
      unschedulable_.erase(it->first);  // it holds a node
      generation_.fetch_add(1, std::memory_order_release);
      return;
    }
    // Allocation first: the hold, the waiting index, the ledger's demand.
    const bool holds = fresh.holds_node();
    std::optional<PreparedHold> hold;
    if (holds) PrepareHold(&hold.emplace(this), fresh, held ? &*it : nullptr);
    const bool waiting = IsWaiting(fresh);
    const bool indexed = waiting && unschedulable_.insert(it->first).second;
    try {
      // The one step that can fail and change something: the ledger's (strong).
      if (ledger_ != nullptr) {
        if (holds) {
          const quota::PodDemand demand{it->first, fresh.ns, fresh.quota_requests()};
          if (held) {
            ledger_->Recharge(demand);  // a new node or new requests
          } else {
            ledger_->Bind(demand);
          }
        } else if (held || fresh.terminal) {
          ledger_->Release(it->first);  // a finished pod frees its quota, reservation included
        }
      }
    } catch (...) {
      if (indexed) unschedulable_.erase(it->first);
      throw;
    }
    // A count or a node the pod leaves is dropped only once the new hold is in: the new
    // hold may count in the same slot, on the same node (PrepareHold points at them).
    PreemptibleSlot uncounted;
    const std::string_view old_node = held ? UnholdNode(*it, &uncounted) : std::string_view();
    record = std::move(fresh);
    if (!waiting) unschedulable_.erase(it->first);
    if (holds) CommitHold(&*hold, *it);
    DropEmptyPreemptible(uncounted.ns, uncounted.priority);
    DropIfGhost(old_node);
    if (inserted) ++pods_seen_;
    generation_.fetch_add(1, std::memory_order_release);
  } catch (...) {
    if (inserted) pods_.erase(it);
    throw;
  }
}

void ClusterState::DeletePod(std::string_view uid) {
  std::unique_lock lock(mu_);
  generation_.fetch_add(1, std::memory_order_release);
  auto it = pods_.find(uid);
  if (it == pods_.end()) {
    if (ledger_ != nullptr) ledger_->Release(uid);  // a pending pod's reservation
    return;
  }
  if (it->second.holds_node()) {
    Unhold(*it);
  } else if (ledger_ != nullptr) {
    ledger_->Release(it->first);
  }
  unschedulable_.erase(it->first);
  pods_.erase(it);
}

void ClusterState::EndPodList() {
  std::unique_lock lock(mu_);
  generation_.fetch_add(1, std::memory_order_release);
  for (auto it = pods_.begin(); it != pods_.end();) {
    PodRecord& record = it->second;
    const bool assumed_during_list = record.assumed && record.assumed_at >= pod_list_start_;
    if (record.seen == pod_generation_ || assumed_during_list) {
      ++it;
      continue;
    }
    if (record.holds_node()) {
      Unhold(*it);
    } else if (ledger_ != nullptr) {
      ledger_->Release(it->first);
    }
    unschedulable_.erase(it->first);
    it = pods_.erase(it);
  }
}

void ClusterState::BeginNodeList() {
  std::unique_lock lock(mu_);
  ++node_generation_;
}

bool ClusterState::UpsertNode(NodeInfo node) {
  std::unique_lock lock(mu_);
  NodeEntry& entry = *NodeFor(node.name).first;  // strong; nothing below can fail
  generation_.fetch_add(1, std::memory_order_release);
  const NodeInfo& had = entry.info;
  const bool changed = !entry.known || had.allocatable != node.allocatable ||
                       had.labels != node.labels || had.annotations != node.annotations ||
                       had.unschedulable != node.unschedulable;
  entry.info = std::move(node);
  entry.known = true;
  entry.seen = node_generation_;
  return changed;
}

void ClusterState::DeleteNode(std::string_view name) {
  std::unique_lock lock(mu_);
  generation_.fetch_add(1, std::memory_order_release);
  auto it = nodes_.find(name);
  if (it == nodes_.end()) return;
  // Pods on a deleted node keep their charge until their own deletion arrives
  // (the pod garbage collector removes them); the node just stops being a candidate.
  if (it->second.pods > 0) {
    it->second.known = false;
  } else {
    nodes_.erase(it);
  }
}

void ClusterState::EndNodeList() {
  std::unique_lock lock(mu_);
  generation_.fetch_add(1, std::memory_order_release);
  for (auto it = nodes_.begin(); it != nodes_.end();) {
    NodeEntry& entry = it->second;
    if (!entry.known || entry.seen == node_generation_) {
      ++it;
      continue;
    }
    if (entry.pods > 0) {
      entry.known = false;
      ++it;
    } else {
      it = nodes_.erase(it);
    }
  }
}

void ClusterState::AssumeBound(const quota::PodDemand& pod, std::string_view name,
                               std::string_view node) {
  std::unique_lock lock(mu_);
  auto [it, inserted] = pods_.try_emplace(pod.uid);
  PodRecord& record = it->second;
  if (!inserted && record.holds_node()) return;  // the watch was faster
  try {
    // Allocation first: the record as it will be, its hold, the ledger's demand.
    PodRecord next = record;
    if (inserted) next.first_seen = pods_seen_ + 1;
    next.ns = pod.ns;
    next.name = std::string(name);
    next.node = std::string(node);
    if (!inserted && !record.requests.empty()) {
      // The watch knows the pod's own requests (its node's charge); the rest of what its
      // reservation holds is the charge of its DRA claims, a quota charge only.
      quota::ResourceList claims;
      for (const auto& entry : pod.requests) {
        const int64_t beyond = entry.amount - record.requests.Get(entry.name);
        if (beyond > 0) claims.Set(entry.name, beyond);
      }
      next.claim_charge = std::move(claims);
    } else {
      next.requests = pod.requests;
    }
    next.terminal = false;
    next.assumed = true;
    next.assumed_at = now_();
    PreparedHold hold(this);
    PrepareHold(&hold, next, nullptr);
    // The one step that can fail and change something: the ledger's (strong).
    if (ledger_ != nullptr) {
      ledger_->Bind(quota::PodDemand{it->first, next.ns, next.quota_requests()});
    }
    record = std::move(next);
    unschedulable_.erase(it->first);
    CommitHold(&hold, *it);
    if (inserted) ++pods_seen_;
    generation_.fetch_add(1, std::memory_order_release);
  } catch (...) {
    if (inserted) pods_.erase(it);
    throw;
  }
}

void ClusterState::SetClaimCharge(std::string_view uid, const quota::ResourceList& charge) {
  std::unique_lock lock(mu_);
  auto it = pods_.find(uid);
  if (it == pods_.end() || it->second.claim_charge == charge) return;
  PodRecord& record = it->second;
  quota::ResourceList next = charge;
  if (record.holds_node() && ledger_ != nullptr) {
    // The ledger charges a bound pod as a whole: requests and claims, in one step
    // (strong). A claim charge is the quota's only: the node's sum does not change.
    quota::ResourceList total = record.requests;
    total.AddAll(next);
    ledger_->Recharge(quota::PodDemand{it->first, record.ns, std::move(total)});
  }
  record.claim_charge = std::move(next);
  generation_.fetch_add(1, std::memory_order_release);
}

void ClusterState::SetHold(std::string_view node, const std::string& uid,
                           const quota::ResourceList& requests) {
  std::unique_lock lock(mu_);
  // Allocation first: the hold, the holder's entry, the node and room in its holds.
  NodeHold hold{uid, requests};
  const bool added = holders_.insert(uid).second;
  NodeEntry* target = nullptr;
  try {
    auto [entry, created] = NodeFor(node);
    target = entry;
    try {
      if (target->holds.size() == target->holds.capacity()) {
        target->holds.reserve(std::max<size_t>(2, 2 * target->holds.capacity()));
      }
    } catch (...) {
      if (created) DropIfGhost(node);
      throw;
    }
  } catch (...) {
    if (added) holders_.erase(uid);
    throw;
  }
  for (auto& [name, entry] : nodes_) {
    std::erase_if(entry.holds, [&](const NodeHold& h) { return h.uid == uid; });
  }
  target->holds.push_back(std::move(hold));  // room made above
  holders_count_.store(holders_.size(), std::memory_order_release);
  generation_.fetch_add(1, std::memory_order_release);
}

void ClusterState::DropHold(std::string_view uid) {
  std::unique_lock lock(mu_);
  generation_.fetch_add(1, std::memory_order_release);
  if (auto it = holders_.find(uid); it != holders_.end()) holders_.erase(it);
  holders_count_.store(holders_.size(), std::memory_order_release);
  for (auto it = nodes_.begin(); it != nodes_.end();) {
    std::erase_if(it->second.holds, [&](const NodeHold& h) { return h.uid == uid; });
    if (!it->second.known && it->second.pods == 0 && it->second.holds.empty()) {
      it = nodes_.erase(it);
    } else {
      ++it;
    }
  }
}

bool ClusterState::FindPod(std::string_view uid, PodRecord* out) const {
  std::shared_lock lock(mu_);
  auto it = pods_.find(uid);
  if (it == pods_.end()) return false;
  *out = it->second;
  return true;
}

ClusterCounts ClusterState::counts() const {
  std::shared_lock lock(mu_);
  ClusterCounts c;
  for (const auto& [name, node] : nodes_) c.nodes += node.known ? 1 : 0;
  c.pods = pods_.size();
  for (const auto& [uid, pod] : pods_) {
    c.bound_pods += pod.holds_node() ? 1 : 0;
    c.assumed_pods += pod.assumed ? 1 : 0;
  }
  return c;
}

}  // namespace quotient::extender::state
