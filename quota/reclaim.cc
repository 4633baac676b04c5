#include "quota/reclaim.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <numeric>
#include <span>
#include <vector>

namespace quotient::quota {
namespace {

// A preference key (rule 5) packed so that a smaller key is a better victim:
//   hi: bit 63 = evicting violates a PDB, bit 62 = same leaf as P,
//       bits 32..61 = fairness rank of the victim's leaf, bits 0..31 = biased priority;
//   lo: creation_rank, inverted (newer = smaller).
constexpr uint64_t kPdbBit = uint64_t{1} << 63;
constexpr uint64_t kSameLeafBit = uint64_t{1} << 62;
constexpr int kRankShift = 32;
constexpr uint64_t kSignBit32 = 0x80000000u;

uint64_t BiasedPriority(int32_t priority) {
  return static_cast<uint32_t>(priority) ^ kSignBit32;
}
int32_t PriorityOf(uint64_t hi) {
  return static_cast<int32_t>(static_cast<uint32_t>(hi & 0xffffffffu) ^ kSignBit32);
}
uint64_t InvertedRank(int64_t rank) {
  return ~(static_cast<uint64_t>(rank) ^ (uint64_t{1} << 63));
}

enum class LeafState : uint8_t { kUnseen, kEligible, kRefused3a };

// A victim leaf M other than P's leaf L. Ranges index Planner's flat arrays.
struct LeafInfo {
  LeafState state = LeafState::kUnseen;
  QuotaId lca = kNoQuota;
  uint32_t rank = 0;                          // rule 5c, 0 = most above its min
  uint32_t ordinal = 0;                       // row of min_slack_
  uint32_t path_begin = 0, path_end = 0;      // M's path strictly below A, bottom-up
  uint32_t target_begin = 0, target_end = 0;  // tracked levels its relief lands on
};

struct Candidate {
  uint64_t hi;
  uint64_t lo;
  uint32_t pod;  // index in its node's pods
  QuotaId leaf;
};

// A level of L's path where P fails admission (rule 4b) unless relief reaches `amount`.
struct Need {
  int32_t tracked;
  size_t k;
  int64_t amount;
};

// One PlanReclaim call, in three phases:
//  1. Scan every pod once: terminating pods become relief (node and quota); rules 1, 2 and
//     3a (which depends only on the victim's leaf) select candidates, copied compactly with
//     their amounts over R and over the node dims.
//  2. Prepare, per victim leaf: the slack above min of each level below A (charged minus
//     terminating relief), e(S) and the fairness ranks; and the levels of L's path P needs
//     relief at. Only these "tracked" levels ever carry victim relief.
//  3. Per node: static 3b filter; pruning of nodes that cannot beat the best plan so far
//     (CanBeatBest); greedy in key order with node-local relief; reprieve; rule 7.
// Scratch is sized per call; nothing is allocated per node or per pod. The scan dominates:
// it is bound by memory latency over the caller's pods (see BM_ReadEveryPod).
class Planner {
 public:
  Planner(const QuotaUsage& usage, const ReclaimRequest& request,
          std::span<const ReclaimNode> nodes)
      : usage_(usage), tree_(usage.tree()), request_(request), nodes_(nodes) {}

  ReclaimPlan Run();

 private:
  size_t K() const { return res_.size(); }
  bool ValidLeaf(QuotaId q) const { return q >= 0 && static_cast<size_t>(q) < tree_.size(); }
  int64_t Slack(QuotaId q, size_t k) const {  // charged - terminating relief - min
    return usage_.Charged(q, res_[k]) - term_relief_[static_cast<size_t>(q) * K() + k] -
           tree_.Min(q, res_[k]);
  }
  int32_t Track(QuotaId q);
  int64_t AmountOf(const SparseAmounts& amounts, size_t k) const;
  LeafState Classify(QuotaId m);

  void SetUpRequest();
  void Prefetch(size_t n, size_t i) const;
  void ScanNode(size_t n);
  void Prepare();
  void PrepareLeaf(LeafInfo* info, QuotaId m);
  double Excess(QuotaId q);
  bool FairnessBefore(QuotaId a, QuotaId b) const;

  bool PlanNode(size_t n);
  bool Before(uint32_t a, uint32_t b) const;
  bool Feasible() const;  // rules 4a and 4b
  // Rule 4c on the current node for chosen_ without chosen_[skip] (SIZE_MAX: all of it).
  bool DeviceFits(size_t skip = SIZE_MAX) const;
  bool FitsMin(uint32_t c) const;
  void Add(uint32_t c, int64_t sign);
  bool CanCover(size_t victims) const;
  bool CanBeatBest();
  bool BetterThanBest() const;

  const QuotaUsage& usage_;
  const QuotaTree& tree_;
  const ReclaimRequest& request_;
  const std::span<const ReclaimNode> nodes_;

  // The request.
  QuotaId leaf_ = kNoQuota;
  // The constrained resources P requests (> 0), indexed by k. Rule 4b checks them all;
  // rules 3a, 3b and 5c only the guaranteed ones (R in reclaim.h): a max-only resource
  // has min 0 everywhere and guarantees nothing.
  std::vector<int32_t> res_;
  std::vector<int64_t> req_;      // request(P, r) by k
  std::vector<bool> guaranteed_;  // by k
  size_t dims_ = 0;
  std::vector<QuotaId> lpath_;  // L, parent(L), ..., root
  std::vector<bool> within_;    // within_[i]: rule 3a holds at lpath_[0..i]

  // Phase 1.
  std::vector<LeafInfo> leaves_;      // by QuotaId
  std::vector<QuotaId> seen_leaves_;  // eligible victim leaves, in first-seen order
  std::vector<int64_t> term_relief_;  // [quota * K + k]
  std::vector<Candidate> cands_;
  std::vector<int64_t> cand_amounts_;  // [cand * K + k]
  std::vector<int64_t> cand_node_;     // [cand * dims + d]
  std::vector<uint32_t> node_end_;     // node n: [node_end_[n - 1], node_end_[n])
  std::vector<int64_t> base_avail_;    // [node * dims + d]: free + terminating pods
  bool refused_3a_ = false;

  // Phase 2.
  std::vector<int32_t> tracked_of_;  // by QuotaId, -1 = not tracked
  int32_t tracked_count_ = 0;
  std::vector<Need> needs_;
  std::vector<int32_t> path_tracked_;  // path entries: tracked index of the level
  std::vector<int64_t> path_slack_;    // [entry * K + k]
  std::vector<double> path_excess_;    // [entry]: e(S)
  std::vector<int64_t> min_slack_;     // [ordinal * K + k]: min over the leaf's path
  std::vector<int32_t> targets_;
  uint32_t same_leaf_targets_end_ = 0;  // targets_[0, end): the needs' levels
  std::vector<int> target_depth_;       // [0, same_leaf_targets_end_): their depth
  std::vector<double> excess_cache_;    // by QuotaId, NaN = not computed

  // Phase 3, reset per node.
  std::vector<int64_t> deficit_;  // [d]: request - available
  std::vector<uint32_t> order_;   // the node's eligible candidates
  static constexpr size_t kTop = 4;
  std::vector<int64_t> total_;  // [d]: Σ over order_ of the node amounts
  std::vector<int64_t> top_;    // [d * kTop + j]: the kTop largest node amounts, descending
  std::vector<uint32_t> chosen_;
  size_t node_ = 0;                           // the node being planned
  mutable std::vector<uint32_t> device_ids_;  // DeviceFits scratch
  std::vector<int64_t> relief_;               // [tracked * K + k], victims chosen on this node
  std::vector<int32_t> touched_;
  bool any_eligible_ = false;
  size_t best_node_ = SIZE_MAX;
  std::vector<uint32_t> best_;
};

ReclaimPlan Planner::Run() {
  SetUpRequest();
  size_t pods = 0;
  for (const ReclaimNode& node : nodes_) pods += node.pods.size();
  cands_.reserve(pods);
  cand_amounts_.reserve(pods * K());
  cand_node_.reserve(pods * dims_);
  node_end_.resize(nodes_.size());
  base_avail_.assign(nodes_.size() * dims_, 0);
  for (size_t n = 0; n < nodes_.size(); ++n) ScanNode(n);
  Prepare();
  deficit_.resize(dims_);
  total_.resize(dims_);
  top_.resize(dims_ * kTop);
  for (size_t n = 0; n < nodes_.size(); ++n) {
    if (!PlanNode(n) || !BetterThanBest()) continue;
    best_node_ = n;
    best_ = chosen_;
    if (best_.empty()) break;  // nothing beats no victims on an earlier node
  }

  ReclaimPlan plan;
  if (best_node_ != SIZE_MAX) {
    const ReclaimNode& node = nodes_[best_node_];
    plan.outcome = ReclaimOutcome::kPlanned;
    plan.node_id = node.id;
    for (uint32_t c : best_) {
      plan.victim_ids.push_back(node.pods[cands_[c].pod].id);
      if (cands_[c].hi & kPdbBit) ++plan.pdb_violations;
    }
  } else if (any_eligible_) {
    plan.outcome = ReclaimOutcome::kNoNodeFits;
  } else if (!within_[0] || refused_3a_) {
    plan.outcome = ReclaimOutcome::kNotWithinGuarantee;
  } else {
    plan.outcome = ReclaimOutcome::kNoEligibleVictims;
  }
  return plan;
}

void Planner::SetUpRequest() {
  leaf_ = ValidLeaf(request_.leaf) ? request_.leaf : kNoQuota;
  bool any_guaranteed = false;
  for (const auto& [r, amount] : request_.quota_amounts) {
    if (amount > 0 && r >= 0 && static_cast<size_t>(r) < tree_.resource_count() &&
        tree_.constrained(r)) {
      res_.push_back(r);
      req_.push_back(amount);
      guaranteed_.push_back(tree_.guaranteed(r));
      any_guaranteed = any_guaranteed || tree_.guaranteed(r);
    }
  }
  dims_ = request_.node_request.size();
  // With R empty or P unquoted, P is within no guarantee: it has nothing to reclaim.
  for (QuotaId q = leaf_; q != kNoQuota; q = tree_.parent(q)) {
    bool ok = any_guaranteed && (within_.empty() || within_.back());
    for (size_t k = 0; ok && k < K(); ++k) {
      ok = !guaranteed_[k] || usage_.Charged(q, res_[k]) + req_[k] <= tree_.Min(q, res_[k]);
    }
    lpath_.push_back(q);
    within_.push_back(ok);
  }
  if (within_.empty()) within_.push_back(false);
  leaves_.assign(tree_.size(), LeafInfo{});
  term_relief_.assign(tree_.size() * K(), 0);
}

int64_t Planner::AmountOf(const SparseAmounts& amounts, size_t k) const {
  for (const auto& [r, amount] : amounts) {
    if (r == res_[k]) return amount;
  }
  return 0;
}

// Rule 3a for victims at leaf m: P within its min at every level of L's path below A.
LeafState Planner::Classify(QuotaId m) {
  LeafInfo& info = leaves_[static_cast<size_t>(m)];
  if (info.state != LeafState::kUnseen) return info.state;
  info.state = LeafState::kRefused3a;
  if (leaf_ == kNoQuota) return info.state;
  info.lca = tree_.CommonAncestor(leaf_, m);
  const int below = tree_.depth(leaf_) - tree_.depth(info.lca);  // lpath_[0, below)
  if (below > 0 && within_[static_cast<size_t>(below - 1)]) {
    info.state = LeafState::kEligible;
    info.ordinal = static_cast<uint32_t>(seen_leaves_.size());
    seen_leaves_.push_back(m);
  }
  return info.state;
}

// The scan is bound by memory latency: a pod and its two small vectors are three likely
// cache misses. Asking for the pods ahead overlaps them (about 20% faster on 100k pods).
void Planner::Prefetch(size_t n, size_t i) const {
  constexpr size_t kAhead = 8;  // pods
  const std::span<const ReclaimPod> pods = nodes_[n].pods;
  if (i + kAhead < pods.size()) {
    __builtin_prefetch(&pods[i + kAhead]);
  } else if (n + 1 < nodes_.size() && i + kAhead - pods.size() < nodes_[n + 1].pods.size()) {
    __builtin_prefetch(&nodes_[n + 1].pods[i + kAhead - pods.size()]);
  }
  if (i + kAhead / 2 < pods.size()) {
    __builtin_prefetch(pods[i + kAhead / 2].quota_amounts.data());
    __builtin_prefetch(pods[i + kAhead / 2].node_amounts.data());
  }
}

void Planner::ScanNode(size_t n) {
  const ReclaimNode& node = nodes_[n];
  int64_t* avail = base_avail_.data() + n * dims_;
  for (size_t d = 0; d < dims_ && d < node.free.size(); ++d) avail[d] = node.free[d];
  for (size_t i = 0; i < node.pods.size(); ++i) {
    Prefetch(n, i);
    const ReclaimPod& pod = node.pods[i];
    const QuotaId m = ValidLeaf(pod.leaf) ? pod.leaf : kNoQuota;
    if (pod.terminating) {  // rule 1: relief, never a victim
      for (size_t d = 0; d < dims_ && d < pod.node_amounts.size(); ++d) {
        avail[d] += pod.node_amounts[d];
      }
      if (m == kNoQuota) continue;
      for (size_t k = 0; k < K(); ++k) {
        const int64_t amount = AmountOf(pod.quota_amounts, k);
        for (QuotaId q = m; q != kNoQuota; q = tree_.parent(q)) {
          term_relief_[static_cast<size_t>(q) * K() + k] += amount;
        }
      }
      continue;
    }
    if (!pod.preemptible || m == kNoQuota) continue;  // rule 1
    uint64_t hi = BiasedPriority(pod.priority) | (pod.pdb_allows ? 0 : kPdbBit);
    if (m == leaf_) {
      if (pod.priority >= request_.priority) continue;  // rule 2
      hi |= kSameLeafBit;
    } else if (Classify(m) != LeafState::kEligible) {
      refused_3a_ = true;
      continue;
    }
    cands_.push_back({hi, InvertedRank(pod.creation_rank), static_cast<uint32_t>(i), m});
    for (size_t k = 0; k < K(); ++k) cand_amounts_.push_back(AmountOf(pod.quota_amounts, k));
    for (size_t d = 0; d < dims_; ++d) {
      cand_node_.push_back(d < pod.node_amounts.size() ? pod.node_amounts[d] : 0);
    }
  }
  node_end_[n] = static_cast<uint32_t>(cands_.size());
}

int32_t Planner::Track(QuotaId q) {
  int32_t& t = tracked_of_[static_cast<size_t>(q)];
  if (t < 0) t = tracked_count_++;
  return t;
}

void Planner::Prepare() {
  tracked_of_.assign(tree_.size(), -1);
  for (QuotaId q : lpath_) {  // rule 4b: relief P needs, by level of L's path
    for (size_t k = 0; k < K(); ++k) {
      const int64_t max = tree_.Max(q, res_[k]);
      if (max == kUnlimited) continue;
      const int64_t need = Slack(q, k) + tree_.Min(q, res_[k]) + req_[k] - max;
      if (need > 0) {
        if (needs_.empty() || needs_.back().tracked != Track(q)) {
          targets_.push_back(Track(q));
          target_depth_.push_back(tree_.depth(q));
        }
        needs_.push_back({Track(q), k, need});
      }
    }
  }
  same_leaf_targets_end_ = static_cast<uint32_t>(targets_.size());
  if (!seen_leaves_.empty()) {
    excess_cache_.assign(tree_.size(), std::numeric_limits<double>::quiet_NaN());
    min_slack_.assign(seen_leaves_.size() * K(), std::numeric_limits<int64_t>::max());
    for (QuotaId m : seen_leaves_) PrepareLeaf(&leaves_[static_cast<size_t>(m)], m);
    std::vector<QuotaId> sorted = seen_leaves_;
    auto before = [this](QuotaId a, QuotaId b) { return FairnessBefore(a, b); };
    std::sort(sorted.begin(), sorted.end(), before);
    uint32_t rank = 0;
    for (size_t i = 0; i < sorted.size(); ++i) {
      if (i > 0 && before(sorted[i - 1], sorted[i])) ++rank;
      leaves_[static_cast<size_t>(sorted[i])].rank = rank;
    }
  }
  relief_.assign(static_cast<size_t>(tracked_count_) * K(), 0);
}

void Planner::PrepareLeaf(LeafInfo* info, QuotaId m) {
  info->path_begin = static_cast<uint32_t>(path_tracked_.size());
  int64_t* min_slack = min_slack_.data() + size_t{info->ordinal} * K();
  for (QuotaId q = m; q != info->lca; q = tree_.parent(q)) {
    path_tracked_.push_back(Track(q));
    path_excess_.push_back(Excess(q));
    for (size_t k = 0; k < K(); ++k) {
      path_slack_.push_back(Slack(q, k));
      min_slack[k] = std::min(min_slack[k], path_slack_.back());
    }
  }
  info->path_end = static_cast<uint32_t>(path_tracked_.size());
  // Relief lands on the path below A (rule 3b) and on the needed levels at or above A.
  info->target_begin = static_cast<uint32_t>(targets_.size());
  targets_.insert(targets_.end(), path_tracked_.begin() + info->path_begin, path_tracked_.end());
  for (size_t i = 0; i < same_leaf_targets_end_; ++i) {
    if (target_depth_[i] <= tree_.depth(info->lca)) targets_.push_back(targets_[i]);
  }
  info->target_end = static_cast<uint32_t>(targets_.size());
}

double Planner::Excess(QuotaId q) {
  double& e = excess_cache_[static_cast<size_t>(q)];
  if (e == e) return e;  // not NaN: cached
  e = std::numeric_limits<double>::infinity();
  for (size_t k = 0; k < K(); ++k) {
    if (!guaranteed_[k]) continue;
    e = std::min(e, static_cast<double>(Slack(q, k)) / static_cast<double>(req_[k]));
  }
  return e;
}

// Rule 5c: e(S) from the child of A down to M, larger first, lexicographically; a proper
// prefix comes first. A total order, so equal sequences share a rank.
bool Planner::FairnessBefore(QuotaId a, QuotaId b) const {
  const LeafInfo& x = leaves_[static_cast<size_t>(a)];
  const LeafInfo& y = leaves_[static_cast<size_t>(b)];
  uint32_t i = x.path_end;
  uint32_t j = y.path_end;
  for (; i > x.path_begin && j > y.path_begin; --i, --j) {
    if (path_excess_[i - 1] != path_excess_[j - 1]) {
      return path_excess_[i - 1] > path_excess_[j - 1];
    }
  }
  return i == x.path_begin && j > y.path_begin;
}

bool Planner::Before(uint32_t a, uint32_t b) const {
  const Candidate& x = cands_[a];
  const Candidate& y = cands_[b];
  if (x.hi != y.hi) return x.hi < y.hi;
  if (x.lo != y.lo) return x.lo < y.lo;
  return a < b;  // input order
}

bool Planner::Feasible() const {
  for (size_t d = 0; d < dims_; ++d) {
    if (deficit_[d] > 0) return false;  // rule 4a
  }
  for (const Need& need : needs_) {  // rule 4b
    if (relief_[static_cast<size_t>(need.tracked) * K() + need.k] < need.amount) return false;
  }
  return true;
}

bool Planner::DeviceFits(size_t skip) const {
  if (!request_.device_fit) return true;
  const ReclaimNode& node = nodes_[node_];
  device_ids_.clear();
  for (size_t i = 0; i < chosen_.size(); ++i) {
    if (i != skip) device_ids_.push_back(node.pods[cands_[chosen_[i]].pod].id);
  }
  return request_.device_fit(node.id, device_ids_);
}

// Rule 3b with the relief of the victims chosen on this node so far.
bool Planner::FitsMin(uint32_t c) const {
  if (cands_[c].hi & kSameLeafBit) return true;
  const LeafInfo& info = leaves_[static_cast<size_t>(cands_[c].leaf)];
  const int64_t* amounts = cand_amounts_.data() + size_t{c} * K();
  for (uint32_t e = info.path_begin; e < info.path_end; ++e) {
    const int64_t* relief = relief_.data() + static_cast<size_t>(path_tracked_[e]) * K();
    for (size_t k = 0; k < K(); ++k) {
      if (guaranteed_[k] && amounts[k] > 0 && path_slack_[e * K() + k] - relief[k] < amounts[k]) {
        return false;
      }
    }
  }
  return true;
}

void Planner::Add(uint32_t c, int64_t sign) {
  const int64_t* node = cand_node_.data() + size_t{c} * dims_;
  for (size_t d = 0; d < dims_; ++d) deficit_[d] -= sign * node[d];
  const bool same = cands_[c].hi & kSameLeafBit;
  const LeafInfo& info = leaves_[static_cast<size_t>(cands_[c].leaf)];
  const uint32_t begin = same ? 0 : info.target_begin;
  const uint32_t end = same ? same_leaf_targets_end_ : info.target_end;
  const int64_t* amounts = cand_amounts_.data() + size_t{c} * K();
  for (uint32_t i = begin; i < end; ++i) {
    int64_t* relief = relief_.data() + static_cast<size_t>(targets_[i]) * K();
    for (size_t k = 0; k < K(); ++k) relief[k] += sign * amounts[k];
    if (sign > 0) touched_.push_back(targets_[i]);
  }
}

// Rule 6 on node n; leaves the minimal victim set in chosen_, in preference order.
bool Planner::PlanNode(size_t n) {
  node_ = n;
  chosen_.clear();
  const uint32_t begin = n == 0 ? 0 : node_end_[n - 1];
  const int64_t* avail = base_avail_.data() + n * dims_;
  for (size_t d = 0; d < dims_; ++d) deficit_[d] = request_.node_request[d] - avail[d];
  for (int32_t t : touched_) std::fill_n(relief_.begin() + t * static_cast<ptrdiff_t>(K()), K(), 0);
  touched_.clear();
  order_.clear();
  std::fill(total_.begin(), total_.end(), 0);
  std::fill(top_.begin(), top_.end(), std::numeric_limits<int64_t>::min());
  for (uint32_t c = begin; c < node_end_[n]; ++c) {  // the static part of rule 3b
    Candidate& cand = cands_[c];
    if (!(cand.hi & kSameLeafBit)) {
      const LeafInfo& info = leaves_[static_cast<size_t>(cand.leaf)];
      const int64_t* amounts = cand_amounts_.data() + size_t{c} * K();
      const int64_t* slack = min_slack_.data() + size_t{info.ordinal} * K();
      bool fits = true;
      for (size_t k = 0; k < K(); ++k) {
        fits &= !guaranteed_[k] || amounts[k] <= 0 || amounts[k] <= slack[k];
      }
      if (!fits) continue;
      cand.hi |= uint64_t{info.rank} << kRankShift;
    }
    order_.push_back(c);
    for (size_t d = 0; d < dims_; ++d) {
      int64_t amount = cand_node_[size_t{c} * dims_ + d];
      total_[d] += amount;
      for (size_t j = d * kTop; j < (d + 1) * kTop; ++j) {
        if (amount > top_[j]) std::swap(amount, top_[j]);
      }
    }
  }
  any_eligible_ |= !order_.empty();
  if (!CanCover(order_.size()) || !CanBeatBest()) return false;
  // Selection in key order: usually only a few victims are taken, so this beats sorting.
  for (size_t next = 0; !(Feasible() && DeviceFits()); ++next) {
    if (next == order_.size()) return false;
    size_t pick = next;
    for (size_t j = next + 1; j < order_.size(); ++j) {
      if (Before(order_[j], order_[pick])) pick = j;
    }
    std::swap(order_[next], order_[pick]);
    if (!FitsMin(order_[next])) continue;
    Add(order_[next], +1);
    chosen_.push_back(order_[next]);
  }
  for (size_t i = chosen_.size(); i-- > 0;) {  // reprieve, from the last to the first
    Add(chosen_[i], -1);
    if (Feasible() && DeviceFits(i)) {
      chosen_.erase(chosen_.begin() + static_cast<ptrdiff_t>(i));
    } else {
      Add(chosen_[i], +1);
    }
  }
  return true;
}

// Whether `victims` of the node's eligible candidates could make room on the node (rule 4a
// only, ignoring rule 3b between victims): a necessary condition, for pruning.
bool Planner::CanCover(size_t victims) const {
  if (victims == 0) return Feasible() && DeviceFits();
  for (size_t d = 0; d < dims_; ++d) {
    if (deficit_[d] <= 0) continue;
    if (victims < order_.size() && victims > kTop) continue;  // no bound: cannot rule out
    const int64_t* top = top_.data() + d * kTop;
    const int64_t sum =
        victims >= order_.size() ? total_[d] : std::accumulate(top, top + victims, int64_t{0});
    if (sum < deficit_[d]) return false;
  }
  return true;
}

// Prunes a node that cannot win rule 7: it needs at least as many victims as the best plan,
// which violates no PDB, and even its best candidate's key is worse than the best plan's
// first victim's. Most nodes of a large cluster end here, before the greedy pass.
bool Planner::CanBeatBest() {
  if (best_node_ == SIZE_MAX || CanCover(best_.size() - 1)) return true;
  if (!CanCover(best_.size())) return false;
  if (std::any_of(best_.begin(), best_.end(),
                  [this](uint32_t c) { return cands_[c].hi & kPdbBit; })) {
    return true;
  }
  const Candidate& first = cands_[best_.front()];
  return std::any_of(order_.begin(), order_.end(), [&](uint32_t c) {
    const Candidate& x = cands_[c];
    return x.hi < first.hi || (x.hi == first.hi && x.lo <= first.lo);
  });
}

// Rule 7: chosen_ against best_ (an earlier node, which wins a full tie).
bool Planner::BetterThanBest() const {
  if (best_node_ == SIZE_MAX) return true;
  if (chosen_.size() != best_.size()) return chosen_.size() < best_.size();
  auto pdb = [this](const std::vector<uint32_t>& v) {
    return std::count_if(v.begin(), v.end(), [this](uint32_t c) { return cands_[c].hi & kPdbBit; });
  };
  if (pdb(chosen_) != pdb(best_)) return pdb(chosen_) < pdb(best_);
  if (chosen_.empty()) return false;
  const Candidate& x = cands_[chosen_.front()];
  const Candidate& y = cands_[best_.front()];
  if (x.hi != y.hi) return x.hi < y.hi;
  if (x.lo != y.lo) return x.lo < y.lo;
  auto top = [this](const std::vector<uint32_t>& v) {
    int32_t p = std::numeric_limits<int32_t>::min();
    for (uint32_t c : v) p = std::max(p, PriorityOf(cands_[c].hi));
    return p;
  };
  return top(chosen_) < top(best_);
}

}  // namespace

ReclaimPlan PlanReclaim(const QuotaUsage& usage, const ReclaimRequest& request,
                        std::span<const ReclaimNode> nodes) {
  return Planner(usage, request, nodes).Run();
}

}  // namespace quotient::quota
