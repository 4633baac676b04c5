#include "quota/quota_usage.h"

#include <algorithm>

namespace quotient::quota {
namespace {

std::unique_ptr<std::atomic<int64_t>[]> Zeroed(size_t n) {
  auto counters = std::make_unique<std::atomic<int64_t>[]>(n);
  for (size_t i = 0; i < n; ++i) counters[i].store(0, std::memory_order_relaxed);
  return counters;
}

}  // namespace

QuotaUsage::QuotaUsage(std::shared_ptr<const QuotaTree> tree)
    : tree_(std::move(tree)),
      charged_(Zeroed(tree_->size() * tree_->resource_count())),
      used_(Zeroed(tree_->size() * tree_->resource_count())) {}

int64_t QuotaUsage::Limit(QuotaId q, int32_t r, ChargeBound bound) const {
  const int64_t max = tree_->Max(q, r);
  if (bound == ChargeBound::kMin && tree_->guaranteed(r)) return std::min(max, tree_->Min(q, r));
  return max;
}

void QuotaUsage::Refuse(QuotaId q, int32_t r, int64_t charged, int64_t amount,
                        ChargeRefusal* refusal) const {
  if (refusal == nullptr) return;
  const int64_t used = Used(q, r);
  const int64_t max = tree_->Max(q, r);
  const bool over_max = max != kUnlimited && charged + amount > max;
  const ChargeBound crossed = over_max ? ChargeBound::kMax : ChargeBound::kMin;
  *refusal = {q, r, used, charged - used, amount, max, crossed, tree_->Min(q, r)};
}

bool QuotaUsage::TryCharge(QuotaId leaf, const SparseAmounts& amounts, ChargeRefusal* refusal,
                           ChargeBound bound) {
  // Walk leaf -> root; on refusal roll back this level's earlier resources and every
  // level below.
  for (QuotaId q = leaf; q != kNoQuota; q = tree_->parent(q)) {
    for (size_t i = 0; i < amounts.size(); ++i) {
      const auto [r, amount] = amounts[i];
      const int64_t limit = Limit(q, r, bound);
      std::atomic<int64_t>& counter = charged_[tree_->Slot(q, r)];
      if (limit == kUnlimited) {
        counter.fetch_add(amount, std::memory_order_relaxed);
        continue;
      }
      int64_t current = counter.load(std::memory_order_relaxed);
      bool charged = false;
      while (current + amount <= limit) {
        if (counter.compare_exchange_weak(current, current + amount, std::memory_order_relaxed)) {
          charged = true;
          break;
        }
      }
      if (charged) continue;
      Refuse(q, r, current, amount, refusal);
      for (size_t j = 0; j < i; ++j) {
        charged_[tree_->Slot(q, amounts[j].resource)].fetch_sub(amounts[j].amount,
                                                                std::memory_order_relaxed);
      }
      for (QuotaId p = leaf; p != q; p = tree_->parent(p)) {
        for (const auto& [rr, a] : amounts) {
          charged_[tree_->Slot(p, rr)].fetch_sub(a, std::memory_order_relaxed);
        }
      }
      return false;
    }
  }
  return true;
}

bool QuotaUsage::WouldAdmit(QuotaId leaf, const SparseAmounts& amounts, ChargeRefusal* refusal,
                            ChargeBound bound) const {
  for (QuotaId q = leaf; q != kNoQuota; q = tree_->parent(q)) {
    for (const auto& [r, amount] : amounts) {
      const int64_t limit = Limit(q, r, bound);
      const int64_t charged = Charged(q, r);
      if (limit == kUnlimited || charged + amount <= limit) continue;
      Refuse(q, r, charged, amount, refusal);
      return false;
    }
  }
  return true;
}

void QuotaUsage::AddPath(std::atomic<int64_t>* counters, QuotaId leaf, const SparseAmounts& amounts,
                         int64_t sign) {
  for (QuotaId q = leaf; q != kNoQuota; q = tree_->parent(q)) {
    for (const auto& [r, amount] : amounts) {
      counters[tree_->Slot(q, r)].fetch_add(sign * amount, std::memory_order_relaxed);
    }
  }
}

void QuotaUsage::ForceCharge(QuotaId leaf, const SparseAmounts& amounts) {
  AddPath(charged_.get(), leaf, amounts, +1);
}

void QuotaUsage::Uncharge(QuotaId leaf, const SparseAmounts& amounts) {
  AddPath(charged_.get(), leaf, amounts, -1);
}

void QuotaUsage::AddUsed(QuotaId leaf, const SparseAmounts& amounts, int sign) {
  AddPath(used_.get(), leaf, amounts, sign);
}

}  // namespace quotient::quota
