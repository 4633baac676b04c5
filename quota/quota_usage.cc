#include "quota/quota_usage.h"

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

bool QuotaUsage::TryCharge(QuotaId leaf, const SparseAmounts& amounts, ChargeRefusal* refusal) {
  // Walk leaf -> root; `done_level`/`done_index` track what to roll back on refusal.
  for (QuotaId q = leaf; q != kNoQuota; q = tree_->parent(q)) {
    for (size_t i = 0; i < amounts.size(); ++i) {
      const auto [r, amount] = amounts[i];
      const size_t slot = tree_->Slot(q, r);
      const int64_t max = tree_->Max(q, r);
      std::atomic<int64_t>& counter = charged_[slot];
      if (max == kUnlimited) {
        counter.fetch_add(amount, std::memory_order_relaxed);
        continue;
      }
      int64_t current = counter.load(std::memory_order_relaxed);
      bool charged = false;
      while (current + amount <= max) {
        if (counter.compare_exchange_weak(current, current + amount, std::memory_order_relaxed)) {
          charged = true;
          break;
        }
      }
      if (charged) continue;
      if (refusal != nullptr) {
        const int64_t used = used_[slot].load(std::memory_order_relaxed);
        *refusal = {q, r, used, current - used, amount, max};
      }
      // Roll back this level's earlier resources, then every level below.
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

bool QuotaUsage::WouldAdmit(QuotaId leaf, const SparseAmounts& amounts,
                            ChargeRefusal* refusal) const {
  for (QuotaId q = leaf; q != kNoQuota; q = tree_->parent(q)) {
    for (const auto& [r, amount] : amounts) {
      const int64_t max = tree_->Max(q, r);
      const int64_t charged = Charged(q, r);
      if (max == kUnlimited || charged + amount <= max) continue;
      if (refusal != nullptr) {
        const int64_t used = Used(q, r);
        *refusal = {q, r, used, charged - used, amount, max};
      }
      return false;
    }
  }
  return true;
}

void QuotaUsage::AddPath(std::atomic<int64_t>* counters, QuotaId leaf,
                         const SparseAmounts& amounts, int64_t sign) {
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
