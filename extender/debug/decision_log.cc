#include "extender/debug/decision_log.h"

#include <algorithm>

namespace quotient::extender {
namespace {

std::string KeyOf(std::string_view ns, std::string_view name) {
  std::string key;
  key.reserve(ns.size() + name.size() + 1);
  key.append(ns).push_back('/');
  key.append(name);
  return key;
}

// Linear scan over at most max_reasons distinct texts: per-node reasons are few and
// mostly identical (a quota refusal fails every node with one text), so this is a memcmp
// per node and never allocates per node.
void Count(const std::vector<NodeFailure>& failures, bool unresolvable, size_t max_reasons,
           std::vector<NodeReasonCount>* out, size_t* other) {
  for (const auto& [index, reason] : failures) {
    auto it = std::find_if(out->begin(), out->end(), [&](const NodeReasonCount& c) {
      return c.unresolvable == unresolvable && c.reason == reason;
    });
    if (it != out->end()) {
      ++it->nodes;
    } else if (out->size() < max_reasons) {
      out->push_back({reason, 1, unresolvable});
    } else {
      ++*other;
    }
  }
}

}  // namespace

std::vector<NodeReasonCount> AggregateNodeReasons(const FilterAnswer& answer, size_t max_reasons,
                                                  size_t* other) {
  std::vector<NodeReasonCount> out;
  *other = 0;
  Count(answer.failed_unresolvable, true, max_reasons, &out, other);
  Count(answer.failed, false, max_reasons, &out, other);
  std::stable_sort(out.begin(), out.end(), [](const NodeReasonCount& a, const NodeReasonCount& b) {
    return a.nodes > b.nodes;
  });
  return out;
}

DecisionLog::DecisionLog(size_t capacity, Clock now)
    : shard_capacity_(std::max<size_t>(1, (capacity + kShards - 1) / kShards)),
      now_(std::move(now)) {}

DecisionLog::Shard& DecisionLog::ShardFor(const std::string& key) const {
  return shards_[std::hash<std::string>{}(key) % kShards];
}

DecisionRecord* DecisionLog::Touch(Shard& shard, const std::string& key, std::string_view ns,
                                   std::string_view name) {
  if (auto it = shard.index.find(key); it != shard.index.end()) {
    shard.lru.splice(shard.lru.begin(), shard.lru, it->second);
    return &*it->second;
  }
  if (shard.lru.size() >= shard_capacity_) {
    shard.index.erase(KeyOf(shard.lru.back().ns, shard.lru.back().name));
    shard.lru.pop_back();
  }
  shard.lru.emplace_front();
  DecisionRecord* record = &shard.lru.front();
  record->ns = ns;
  record->name = name;
  shard.index.emplace(key, shard.lru.begin());
  return record;
}

void DecisionLog::RecordFilter(const ExtenderArgs& args, const FilterDecision& decision) {
  // Built outside the lock.
  size_t other = 0;
  std::vector<NodeReasonCount> reasons = AggregateNodeReasons(decision.answer, kMaxReasons, &other);
  const auto at = now_();
  const std::string key = KeyOf(args.pod.ns, args.pod.name);
  Shard& shard = ShardFor(key);
  std::lock_guard lock(shard.mu);
  DecisionRecord* r = Touch(shard, key, args.pod.ns, args.pod.name);
  if (r->uid != args.pod.uid) {  // a new pod of the same name: forget the old one's bind
    r->bind_node.clear();
    r->bind_error.clear();
  }
  r->uid = args.pod.uid;
  r->requests = args.pod.requests;
  r->claims = args.pod.claim_note;
  r->filtered = true;
  r->filter_at = at;
  r->result = decision.result;
  r->reason = decision.reason;
  r->message = decision.message;
  r->nodes = args.nodes.size();
  r->passed = decision.answer.passed.size();
  r->node_reasons = std::move(reasons);
  r->other_failed_nodes = other;
}

void DecisionLog::RecordBind(const BindingArgs& args, const BindDecision& decision) {
  const auto at = now_();
  const std::string key = KeyOf(args.pod_namespace, args.pod_name);
  Shard& shard = ShardFor(key);
  std::lock_guard lock(shard.mu);
  DecisionRecord* r = Touch(shard, key, args.pod_namespace, args.pod_name);
  if (r->uid.empty()) r->uid = args.pod_uid;
  r->bind_node = args.node;
  r->bind_at = at;
  r->bind_result = decision.result;
  r->bind_error = decision.error;
}

bool DecisionLog::Find(std::string_view ns, std::string_view name, DecisionRecord* out) const {
  const std::string key = KeyOf(ns, name);
  Shard& shard = ShardFor(key);
  std::lock_guard lock(shard.mu);
  auto it = shard.index.find(key);
  if (it == shard.index.end()) return false;
  *out = *it->second;
  return true;
}

size_t DecisionLog::size() const {
  size_t n = 0;
  for (const Shard& shard : shards_) {
    std::lock_guard lock(shard.mu);
    n += shard.lru.size();
  }
  return n;
}

}  // namespace quotient::extender
