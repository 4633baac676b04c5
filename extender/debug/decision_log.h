// The last filter (and bind) verdict per pod, for `/debug/explain` and `quotient explain`:
// a bounded, in-memory store keyed by namespace/name, fed by the router after each
// decision. Pod names never become metric labels; they live only here, and only for the
// `capacity` most recently decided pods (older ones are forgotten, oldest first).
//
// Thread safety: thread-safe. The store is split into kShards shards by a hash of the key,
// each guarded by its own mutex held for one map operation and a copy of one record, so
// concurrent filters of different pods rarely contend. Time is injected (the clock is a
// constructor argument), so tests never sleep.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <functional>
#include <list>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "extender/wire/decider.h"
#include "extender/wire/wire.h"
#include "quota/resource_list.h"

namespace quotient::extender {

// One distinct reason why candidate nodes failed, and on how many of them.
struct NodeReasonCount {
  std::string reason;
  size_t nodes = 0;
  bool unresolvable = false;  // the scheduler will not retry these nodes for this pod
};

struct DecisionRecord {
  std::string ns;
  std::string name;
  std::string uid;
  quota::ResourceList requests;  // effective requests as decided (pods: 1 included)
  // The pod's DRA claims as the filter saw them (PodInfo::claim_note): what each is charged,
  // what no mapping prices, or why the charge is unknown; empty without claims.
  std::string claims;

  // The last filter.
  bool filtered = false;
  std::chrono::system_clock::time_point filter_at;
  DecisionResult result = DecisionResult::kAccepted;
  DecisionReason reason = DecisionReason::kNoPolicy;
  std::string message;  // the decider's why ("quota root.a: cpu used ...")
  size_t nodes = 0;     // candidate nodes the scheduler offered
  size_t passed = 0;
  std::vector<NodeReasonCount> node_reasons;  // most frequent first, at most kMaxReasons
  size_t other_failed_nodes = 0;              // failed nodes whose reason did not fit

  // The last bind (empty node: never bound by Quotient).
  std::string bind_node;
  std::chrono::system_clock::time_point bind_at;
  DecisionResult bind_result = DecisionResult::kAccepted;
  std::string bind_error;
};

class DecisionLog {
 public:
  static constexpr size_t kShards = 16;
  static constexpr size_t kMaxReasons = 8;
  static constexpr size_t kDefaultCapacity = 10'000;  // pods; a few MB at most
  using Clock = std::function<std::chrono::system_clock::time_point()>;

  explicit DecisionLog(size_t capacity = kDefaultCapacity,
                       Clock now = std::chrono::system_clock::now);
  DecisionLog(const DecisionLog&) = delete;
  DecisionLog& operator=(const DecisionLog&) = delete;

  // Records a filter verdict for args.pod (its node failures aggregated by reason).
  void RecordFilter(const ExtenderArgs& args, const FilterDecision& decision);
  // Records a bind outcome; a pod never filtered gets a record with the bind only.
  void RecordBind(const BindingArgs& args, const BindDecision& decision);

  // A copy of the pod's record; false if none is held.
  bool Find(std::string_view ns, std::string_view name, DecisionRecord* out) const;
  size_t size() const;

 private:
  struct Shard {
    mutable std::mutex mu;
    std::list<DecisionRecord> lru;  // guarded by mu; most recently updated first
    std::unordered_map<std::string, std::list<DecisionRecord>::iterator> index;  // guarded by mu
  };
  Shard& ShardFor(const std::string& key) const;
  // The pod's record in `shard`, created (evicting the oldest) if absent and moved to the
  // front. REQUIRES: shard.mu held.
  DecisionRecord* Touch(Shard& shard, const std::string& key, std::string_view ns,
                        std::string_view name);

  // Constant after construction.
  const size_t shard_capacity_;
  const Clock now_;
  mutable std::array<Shard, kShards> shards_;
};

// Aggregates per-node failures by reason text: distinct reasons with their node counts,
// most frequent first, at most `max_reasons`; *other counts the failed nodes left out.
std::vector<NodeReasonCount> AggregateNodeReasons(const FilterAnswer& answer, size_t max_reasons,
                                                  size_t* other);

}  // namespace quotient::extender
