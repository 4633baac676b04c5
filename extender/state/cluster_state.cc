#include "extender/state/cluster_state.h"

#include <mutex>

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

NodeEntry& ClusterState::NodeFor(const std::string& name) {
  auto [it, inserted] = nodes_.try_emplace(name);
  if (inserted) it->second.info.name = name;
  return it->second;
}

void ClusterState::CountPreemptible(const PodRecord& record, int delta) {
  if (!record.preemptible) return;
  auto& by_priority = preemptible_by_ns_[record.ns];
  if ((by_priority[record.priority] += delta) <= 0) by_priority.erase(record.priority);
  if (by_priority.empty()) preemptible_by_ns_.erase(record.ns);
}

bool ClusterState::HasPreemptiblePodBelow(const std::vector<std::string>& namespaces,
                                          int32_t priority) const {
  std::shared_lock lock(mu_);
  for (const std::string& ns : namespaces) {
    auto it = preemptible_by_ns_.find(ns);
    if (it != preemptible_by_ns_.end() && it->second.begin()->first < priority) return true;
  }
  return false;
}

void ClusterState::IndexWaiting(const std::string& uid, const PodRecord& record) {
  if (record.unschedulable && record.node.empty() && !record.terminal) {
    unschedulable_.insert(uid);
  } else {
    unschedulable_.erase(uid);
  }
}

void ClusterState::Hold(const PodEntry& entry) {
  const auto& [uid, record] = entry;
  NodeEntry& node = NodeFor(record.node);
  node.requested.AddAll(record.requests);
  ++node.pods;
  node.held_by.push_back(&entry);
  CountPreemptible(record, +1);
  if (ledger_ != nullptr) ledger_->Bind(quota::PodDemand{uid, record.ns, record.quota_requests()});
}

void ClusterState::Unhold(const PodEntry& entry) {
  const auto& [uid, record] = entry;
  auto it = nodes_.find(record.node);
  if (it != nodes_.end()) {
    Subtract(&it->second.requested, record.requests);
    --it->second.pods;
    std::erase(it->second.held_by, &entry);
    if (!it->second.known && it->second.pods == 0 && it->second.holds.empty()) nodes_.erase(it);
  }
  CountPreemptible(record, -1);
  if (ledger_ != nullptr) ledger_->Release(uid);
}

void ClusterState::BeginPodList() {
  std::unique_lock lock(mu_);
  ++pod_generation_;
  pod_list_start_ = now_();
}

void ClusterState::UpsertPod(const PodInfo& pod) {
  QUOTIENT_DCHECK(!pod.uid.empty());
  std::unique_lock lock(mu_);
  generation_.fetch_add(1, std::memory_order_release);
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
  fresh.seen = pod_generation_;

  auto [it, inserted] = pods_.try_emplace(pod.uid);
  PodRecord& record = it->second;
  fresh.first_seen = inserted ? ++pods_seen_ : record.first_seen;
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
    if (record.preemptible != fresh.preemptible) {
      CountPreemptible(record, -1);
      CountPreemptible(fresh, +1);
    }
    record = std::move(fresh);
    IndexWaiting(it->first, record);
    return;
  }
  if (held) Unhold(*it);
  record = std::move(fresh);
  IndexWaiting(it->first, record);
  if (record.holds_node()) {
    Hold(*it);
  } else if (record.terminal && ledger_ != nullptr) {
    ledger_->Release(pod.uid);  // a finished pod frees its quota, reservation included
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
  generation_.fetch_add(1, std::memory_order_release);
  NodeEntry& entry = NodeFor(node.name);
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
  generation_.fetch_add(1, std::memory_order_release);
  if (inserted) record.first_seen = ++pods_seen_;
  record.ns = pod.ns;
  record.name = std::string(name);
  record.node = std::string(node);
  if (!inserted && !record.requests.empty()) {
    // The watch knows the pod's own requests (its node's charge); the rest of what its
    // reservation holds is the charge of its DRA claims, a quota charge only.
    quota::ResourceList claims;
    for (const auto& entry : pod.requests) {
      const int64_t beyond = entry.amount - record.requests.Get(entry.name);
      if (beyond > 0) claims.Set(entry.name, beyond);
    }
    record.claim_charge = std::move(claims);
  } else {
    record.requests = pod.requests;
  }
  record.terminal = false;
  record.assumed = true;
  record.assumed_at = now_();
  unschedulable_.erase(it->first);
  Hold(*it);
}

void ClusterState::SetClaimCharge(std::string_view uid, const quota::ResourceList& charge) {
  std::unique_lock lock(mu_);
  auto it = pods_.find(uid);
  if (it == pods_.end() || it->second.claim_charge == charge) return;
  generation_.fetch_add(1, std::memory_order_release);
  if (!it->second.holds_node()) {
    it->second.claim_charge = charge;
    return;
  }
  // Release and charge again: the ledger charges a bound pod as a whole.
  Unhold(*it);
  it->second.claim_charge = charge;
  Hold(*it);
}

void ClusterState::SetHold(std::string_view node, const std::string& uid,
                           const quota::ResourceList& requests) {
  std::unique_lock lock(mu_);
  generation_.fetch_add(1, std::memory_order_release);
  for (auto& [name, entry] : nodes_) {
    std::erase_if(entry.holds, [&](const NodeHold& h) { return h.uid == uid; });
  }
  NodeFor(std::string(node)).holds.push_back(NodeHold{uid, requests});
  holders_.insert(uid);
  holders_count_.store(holders_.size(), std::memory_order_release);
}

void ClusterState::DropHold(std::string_view uid) {
  std::unique_lock lock(mu_);
  generation_.fetch_add(1, std::memory_order_release);
  holders_.erase(std::string(uid));
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
