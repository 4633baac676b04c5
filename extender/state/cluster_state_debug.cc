// ClusterState's test introspection: DebugString (cluster_state.h).
#include <map>
#include <set>
#include <string>

#include "extender/state/cluster_state.h"

namespace quotient::extender::state {

std::string ClusterState::DebugString() const {
  std::shared_lock lock(mu_);
  auto list = [](const quota::ResourceList& r) {
    std::string out;
    for (const auto& e : r) out += e.name + "=" + std::to_string(e.amount) + ",";
    return out;
  };
  std::map<std::string_view, std::string> lines;  // key order: equal states, equal text
  for (const auto& [name, node] : nodes_) {
    std::set<std::string_view> held_by;
    for (const PodEntry* pod : node.held_by) held_by.insert(pod->first);
    std::string line = "node " + name + " known=" + std::to_string(node.known) +
                       " pods=" + std::to_string(node.pods) + " requested=" + list(node.requested) +
                       " seen=" + std::to_string(node.seen) + " held_by=";
    for (std::string_view uid : held_by) line += std::string(uid) + ",";
    std::multiset<std::string> holds;
    for (const NodeHold& h : node.holds) holds.insert(h.uid + ":" + list(h.requests));
    for (const std::string& h : holds) line += " hold " + h;
    lines.emplace(name, std::move(line));
  }
  std::string out;
  for (auto& [key, line] : lines) out += line + "\n";
  lines.clear();
  for (const auto& [uid, r] : pods_) {
    lines.emplace(
        uid, "pod " + uid + " " + r.ns + "/" + r.name + " node=" + r.node +
                 " requests=" + list(r.requests) + " claims=" + list(r.claim_charge) + " prio=" +
                 std::to_string(r.priority) + " preemptible=" + std::to_string(r.preemptible) +
                 " unschedulable=" + std::to_string(r.unschedulable) + " terminal=" +
                 std::to_string(r.terminal) + " assumed=" + std::to_string(r.assumed) +
                 " first_seen=" + std::to_string(r.first_seen) + " seen=" + std::to_string(r.seen));
  }
  for (auto& [key, line] : lines) out += line + "\n";
  std::map<std::string, std::map<int32_t, int32_t>> preemptible(preemptible_by_ns_.begin(),
                                                                preemptible_by_ns_.end());
  for (const auto& [ns, counts] : preemptible) {
    for (const auto& [priority, count] : counts) {
      out +=
          "preemptible " + ns + " " + std::to_string(priority) + "=" + std::to_string(count) + "\n";
    }
  }
  for (const auto& uid : std::set<std::string>(unschedulable_.begin(), unschedulable_.end())) {
    out += "waiting " + uid + "\n";
  }
  for (const auto& uid : std::set<std::string>(holders_.begin(), holders_.end())) {
    out += "holder " + uid + "\n";
  }
  out += "holders_count=" + std::to_string(holders_count_.load()) +
         " pods_seen=" + std::to_string(pods_seen_) + "\n";
  return out;
}

std::string ClusterState::CheckInvariants() const {
  std::shared_lock lock(mu_);
  std::string problems;
  std::map<std::string, quota::ResourceList> requested;
  std::map<std::string, std::set<std::string_view>> held_by;
  std::map<std::pair<std::string, int32_t>, int32_t> preemptible;
  std::set<std::string> waiting;
  for (const auto& [uid, record] : pods_) {
    if (IsWaiting(record)) waiting.insert(uid);
    if (!record.holds_node()) continue;
    requested[record.node].AddAll(record.requests);
    held_by[record.node].insert(uid);
    if (record.preemptible) ++preemptible[{record.ns, record.priority}];
    quota::PodDemand held;
    if (ledger_ != nullptr &&
        (!ledger_->Lookup(uid, &held) || held.requests != record.quota_requests())) {
      problems += "pod " + uid + " holds a node without its ledger charge; ";
    }
  }
  for (const auto& [name, node] : nodes_) {
    std::set<std::string_view> pods;
    for (const PodEntry* pod : node.held_by) pods.insert(pod->first);
    const quota::ResourceList& want = requested[name];
    bool sums_match = true;
    for (const auto& entry : node.requested) sums_match &= entry.amount == want.Get(entry.name);
    for (const auto& entry : want) sums_match &= entry.amount == node.requested.Get(entry.name);
    if (!sums_match) problems += "node " + name + " sums other requests than its pods'; ";
    if (pods != held_by[name] || node.pods != static_cast<int32_t>(node.held_by.size()) ||
        node.held_by.size() != pods.size()) {
      problems += "node " + name + " lists other pods than hold it; ";
    }
  }
  for (const auto& [name, pods] : held_by) {
    if (!nodes_.contains(name)) problems += "pods hold node " + name + ", which is unknown; ";
  }
  std::map<std::pair<std::string, int32_t>, int32_t> counted;
  for (const auto& [ns, counts] : preemptible_by_ns_) {
    if (counts.empty()) problems += "an empty preemptible map for " + ns + "; ";
    for (const auto& [priority, count] : counts) counted[{ns, priority}] = count;
  }
  if (counted != preemptible) problems += "the preemptible counts differ from the pods; ";
  if (std::set<std::string>(unschedulable_.begin(), unschedulable_.end()) != waiting) {
    problems += "the Unschedulable index differs from the pods; ";
  }
  return problems;
}

}  // namespace quotient::extender::state
