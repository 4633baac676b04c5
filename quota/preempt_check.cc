#include "quota/preempt_check.h"

#include <algorithm>
#include <cstddef>
#include <numeric>

namespace quotient::quota {
namespace {

// One CheckPreemption call. The request's part (its resources, L's path and rule 4a per
// prefix of it) is computed once; each node then judges its victims in rule-4 order
// with node-local relief.
class Checker {
 public:
  Checker(const QuotaUsage* usage, const PreemptRequest& request)
      : usage_(usage), tree_(usage != nullptr ? &usage->tree() : nullptr), request_(request) {
    SetUp();
  }

  PreemptNodeCheck Check(const PreemptNode& node);

 private:
  size_t K() const { return res_.size(); }
  bool ValidLeaf(QuotaId q) const {
    return tree_ != nullptr && q >= 0 && static_cast<size_t>(q) < tree_->size();
  }
  int64_t AmountOf(const SparseAmounts& amounts, size_t k) const {
    for (const auto& [r, amount] : amounts) {
      if (r == res_[k]) return amount;
    }
    return 0;
  }
  int64_t& Relief(QuotaId q, size_t k) { return relief_[static_cast<size_t>(q) * K() + k]; }

  void SetUp();
  VictimVerdict Judge(const PreemptVictim& v, DroppedVictim* why);
  void AddRelief(const PreemptVictim& v);
  bool Admits(PreemptNodeCheck* out);

  const QuotaUsage* const usage_;
  const QuotaTree* const tree_;
  const PreemptRequest& request_;

  QuotaId leaf_ = kNoQuota;
  // The constrained resources P requests (> 0), by k; rules 4a/4b use the guaranteed
  // ones (R), rule 5c all of them.
  std::vector<int32_t> res_;
  std::vector<int64_t> req_;
  std::vector<int64_t> own_;
  std::vector<bool> guaranteed_;
  bool any_guaranteed_ = false;
  std::vector<QuotaId> lpath_;  // L, parent(L), ..., root
  // Rule 4a on lpath_[0..i] holds iff i < beyond_: beyond_ is the first level where P
  // is beyond its guarantee (lpath_.size() if none), beyond_k_ the resource there.
  size_t beyond_ = 0;
  size_t beyond_k_ = 0;

  // Per node.
  std::vector<int64_t> relief_;  // [quota * K + k]: kept victims of the quota's subtree
  std::vector<QuotaId> touched_;
  std::vector<uint32_t> order_;
};

void Checker::SetUp() {
  if (tree_ == nullptr) return;
  leaf_ = ValidLeaf(request_.leaf) ? request_.leaf : kNoQuota;
  for (const auto& [r, amount] : request_.quota_amounts) {
    if (amount <= 0 || r < 0 || static_cast<size_t>(r) >= tree_->resource_count() ||
        !tree_->constrained(r)) {
      continue;
    }
    res_.push_back(r);
    req_.push_back(amount);
    own_.push_back(request_.already_charged ? amount : 0);
    guaranteed_.push_back(tree_->guaranteed(r));
    any_guaranteed_ = any_guaranteed_ || tree_->guaranteed(r);
  }
  for (QuotaId q = leaf_; q != kNoQuota; q = tree_->parent(q)) lpath_.push_back(q);
  beyond_ = any_guaranteed_ ? lpath_.size() : 0;
  for (size_t i = 0; i < beyond_; ++i) {
    for (size_t k = 0; k < K(); ++k) {
      const QuotaId q = lpath_[i];
      if (guaranteed_[k] &&
          usage_->Charged(q, res_[k]) - own_[k] + req_[k] > tree_->Min(q, res_[k])) {
        beyond_ = i;
        beyond_k_ = k;
        break;
      }
    }
  }
  relief_.assign(tree_->size() * K(), 0);
}

// Rules 1-4 for one victim, given the relief of the victims kept before it.
VictimVerdict Checker::Judge(const PreemptVictim& v, DroppedVictim* why) {
  if (!v.known) return VictimVerdict::kUnknown;
  if (!v.preemptible) return VictimVerdict::kNonPreemptible;
  if (v.terminating || tree_ == nullptr) return VictimVerdict::kKept;
  const QuotaId m = ValidLeaf(v.leaf) ? v.leaf : kNoQuota;
  if (m == leaf_) {
    return v.priority < request_.priority ? VictimVerdict::kKept : VictimVerdict::kNotLowerPriority;
  }
  if (leaf_ == kNoQuota || !any_guaranteed_) return VictimVerdict::kBeyondGuarantee;
  // Levels of L's path strictly below A; all of it when M is unquoted (A above the root).
  const QuotaId a = m == kNoQuota ? kNoQuota : tree_->CommonAncestor(leaf_, m);
  const size_t below =
      a == kNoQuota ? lpath_.size() : static_cast<size_t>(tree_->depth(leaf_) - tree_->depth(a));
  if (below > beyond_) {  // rule 4a fails at lpath_[beyond_]
    const QuotaId q = lpath_[beyond_];
    const int32_t r = res_[beyond_k_];
    const int64_t charged = usage_->Charged(q, r) - own_[beyond_k_];
    *why = {
        v.id, VictimVerdict::kBeyondGuarantee, q, r, charged, req_[beyond_k_], tree_->Min(q, r)};
    return VictimVerdict::kBeyondGuarantee;
  }
  for (QuotaId q = m; q != a && q != kNoQuota; q = tree_->parent(q)) {  // rule 4b
    for (size_t k = 0; k < K(); ++k) {
      if (!guaranteed_[k]) continue;
      const int64_t amount = AmountOf(v.quota_amounts, k);
      if (amount <= 0) continue;
      const int64_t charged = usage_->Charged(q, res_[k]) - Relief(q, k);
      if (charged - amount >= tree_->Min(q, res_[k])) continue;
      *why = {v.id, VictimVerdict::kBelowMin, q, res_[k], charged, amount, tree_->Min(q, res_[k])};
      return VictimVerdict::kBelowMin;
    }
  }
  return VictimVerdict::kKept;
}

void Checker::AddRelief(const PreemptVictim& v) {
  if (!ValidLeaf(v.leaf) || K() == 0) return;
  for (QuotaId q = v.leaf; q != kNoQuota; q = tree_->parent(q)) {
    for (size_t k = 0; k < K(); ++k) Relief(q, k) += AmountOf(v.quota_amounts, k);
    touched_.push_back(q);
  }
}

// Rule 5c.
bool Checker::Admits(PreemptNodeCheck* out) {
  for (QuotaId q : lpath_) {
    for (size_t k = 0; k < K(); ++k) {
      const int32_t r = res_[k];
      const int64_t max = tree_->Max(q, r);
      int64_t bound = max;
      if (!request_.preemptible && guaranteed_[k]) bound = std::min(bound, tree_->Min(q, r));
      if (bound == kUnlimited) continue;
      const int64_t after = usage_->Charged(q, r) - own_[k] - Relief(q, k);
      if (after + req_[k] <= bound) continue;
      const bool over_max = max != kUnlimited && after + req_[k] > max;
      const ChargeBound crossed = over_max ? ChargeBound::kMax : ChargeBound::kMin;
      out->refusal = {q, r, after, 0, req_[k], max, crossed, tree_->Min(q, r)};
      return false;
    }
  }
  return true;
}

PreemptNodeCheck Checker::Check(const PreemptNode& node) {
  PreemptNodeCheck out;
  out.node_id = node.id;
  for (QuotaId q : touched_) std::fill_n(relief_.begin() + q * static_cast<ptrdiff_t>(K()), K(), 0);
  touched_.clear();
  const std::span<const PreemptVictim> victims = node.victims;
  order_.resize(victims.size());
  std::iota(order_.begin(), order_.end(), 0u);
  std::stable_sort(order_.begin(), order_.end(), [&](uint32_t a, uint32_t b) {
    const PreemptVictim& x = victims[a];
    const PreemptVictim& y = victims[b];
    if (x.terminating != y.terminating) return x.terminating;
    if (x.priority != y.priority) return x.priority < y.priority;
    return x.creation_rank > y.creation_rank;
  });
  std::vector<bool> kept(victims.size(), false);
  std::vector<int64_t> room = node.free;
  for (uint32_t i : order_) {
    const PreemptVictim& v = victims[i];
    DroppedVictim why{v.id, VictimVerdict::kKept, kNoQuota, -1, 0, 0, 0};
    why.verdict = Judge(v, &why);
    if (why.verdict != VictimVerdict::kKept) {
      out.dropped.push_back(why);
      continue;
    }
    kept[i] = true;
    AddRelief(v);
    for (size_t d = 0; d < room.size() && d < v.node_amounts.size(); ++d) {
      room[d] += v.node_amounts[d];
    }
  }
  for (size_t i = 0; i < victims.size(); ++i) {
    if (kept[i]) out.kept.push_back(victims[i].id);
  }
  if (out.kept.empty()) {
    out.verdict = NodeVerdict::kNoVictimLeft;
    return out;
  }
  if (!out.dropped.empty() || node.held) {
    for (size_t d = 0; d < room.size() && d < request_.node_request.size(); ++d) {
      if (room[d] >= request_.node_request[d]) continue;
      out.verdict = NodeVerdict::kNoRoom;
      out.dim = d;
      out.available = room[d];
      return out;
    }
  }
  if (tree_ != nullptr && !Admits(&out)) {
    out.verdict = NodeVerdict::kQuota;
    return out;
  }
  out.verdict = out.dropped.empty() ? NodeVerdict::kUnchanged : NodeVerdict::kFiltered;
  out.pdb_violations =
      out.dropped.empty()
          ? node.pdb_violations
          : std::min<int64_t>(node.pdb_violations, static_cast<int64_t>(out.kept.size()));
  return out;
}

}  // namespace

std::vector<PreemptNodeCheck> CheckPreemption(const QuotaUsage* usage,
                                              const PreemptRequest& request,
                                              std::span<const PreemptNode> nodes) {
  Checker checker(usage, request);
  std::vector<PreemptNodeCheck> out;
  out.reserve(nodes.size());
  for (const PreemptNode& node : nodes) out.push_back(checker.Check(node));
  return out;
}

}  // namespace quotient::quota
