// Lock-free usage counters over one QuotaTree: the accounting core.
//
// Per (quota node, resource) two atomic counters:
//   charged = used + reserved   (what admission checks against max)
//   used    = pods seen bound   (reported; reserved = charged - used)
//
// Thread safety
// -------------
// Writers: any thread, concurrently, without locks.
//   TryCharge walks leaf -> root; at each level and resource it loads `charged` and
//   compare-and-swaps it to charged + amount only if that stays <= max. At the first
//   level that would exceed max it stops and rolls back (fetch_sub) every increment it
//   made. Each counter's read-modify-writes are totally ordered (its modification
//   order), and every increment a TryCharge makes was validated against the value it
//   replaced, so no interleaving of TryCharges can push a counter past max: concurrent
//   admissions never over-commit. A TryCharge may fail spuriously while another one is
//   rolling back (it saw the other's transient increment): conservative, never unsafe.
//   ForceCharge adds without checking: pods already running must be counted even when
//   a lowered max no longer admits them (which then blocks new admissions).
//   A charge under ChargeBound::kMin (a non-preemptible pod) uses the same walk with a
//   lower bound per (level, resource): min(max, min) for the resources the tree
//   guarantees (QuotaTree::guaranteed), max for the others. The bound is checked in the
//   same compare-and-swap that adds the amount, so the argument above holds unchanged:
//   every kMin increment was validated against the value it replaced, hence the charges
//   of non-preemptible pods, which are part of that value, never sum past min at any
//   level, however many kMin and kMax charges race (ForceCharge aside).
// Readers: any thread, never block: relaxed loads of single counters. A reader may see
//   an in-flight charge at one level and not yet at its parent.
// Memory order: every counter operation is relaxed; the invariant needs only each
//   counter's atomicity. A QuotaUsage is published to other threads by the owner's
//   release store of its pointer (see QuotaLedger), after its counters were written.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "quota/quota_tree.h"

namespace quotient::quota {

// What a charge must stay within at every level of its path (and, in a refusal, which
// of the two it would have crossed).
enum class ChargeBound {
  kMax,  // max per (level, resource): every pod
  kMin,  // also min for guaranteed resources: non-preemptible pods (docs/quota.md)
};

// Why TryCharge refused: the first level and resource that would cross its bound
// (walking leaf -> root, resources in table order).
struct ChargeRefusal {
  QuotaId quota = kNoQuota;
  int32_t resource = -1;
  int64_t used = 0;      // bound pods
  int64_t reserved = 0;  // admitted, not yet seen bound
  int64_t request = 0;
  int64_t max = 0;  // the level's max (kUnlimited if none)
  ChargeBound crossed = ChargeBound::kMax;
  int64_t min = 0;  // the level's min (the bound crossed when crossed == kMin)
};

class QuotaUsage {
 public:
  explicit QuotaUsage(std::shared_ptr<const QuotaTree> tree);
  QuotaUsage(const QuotaUsage&) = delete;
  QuotaUsage& operator=(const QuotaUsage&) = delete;

  const QuotaTree& tree() const { return *tree_; }
  const std::shared_ptr<const QuotaTree>& tree_ptr() const { return tree_; }

  // Charges `amounts` at `leaf` and every ancestor if every level stays within `bound`
  // (max; with kMin also min for guaranteed resources). All or nothing. On refusal
  // fills *refusal (if not null) and changes nothing (after rollback). A level that
  // crosses both its max and its min reports the max.
  bool TryCharge(QuotaId leaf, const SparseAmounts& amounts, ChargeRefusal* refusal,
                 ChargeBound bound = ChargeBound::kMax);
  // Whether TryCharge would succeed now, without charging (a read: loads only).
  bool WouldAdmit(QuotaId leaf, const SparseAmounts& amounts, ChargeRefusal* refusal,
                  ChargeBound bound = ChargeBound::kMax) const;
  // Charges without checking max.
  void ForceCharge(QuotaId leaf, const SparseAmounts& amounts);
  // Undoes a charge (REQUIRES: it was charged before).
  void Uncharge(QuotaId leaf, const SparseAmounts& amounts);
  // used += sign * amounts along the path (sign +1: reserved -> bound; -1: back).
  void AddUsed(QuotaId leaf, const SparseAmounts& amounts, int sign);

  int64_t Charged(QuotaId id, int32_t r) const {
    return charged_[tree_->Slot(id, r)].load(std::memory_order_relaxed);
  }
  int64_t Used(QuotaId id, int32_t r) const {
    return used_[tree_->Slot(id, r)].load(std::memory_order_relaxed);
  }
  int64_t Reserved(QuotaId id, int32_t r) const { return Charged(id, r) - Used(id, r); }

 private:
  // The bound a charge under `bound` must stay within at (q, r); kUnlimited if none.
  int64_t Limit(QuotaId q, int32_t r, ChargeBound bound) const;
  void Refuse(QuotaId q, int32_t r, int64_t charged, int64_t amount, ChargeRefusal* refusal) const;
  void AddPath(std::atomic<int64_t>* counters, QuotaId leaf, const SparseAmounts& amounts,
               int64_t sign);

  const std::shared_ptr<const QuotaTree> tree_;
  const std::unique_ptr<std::atomic<int64_t>[]> charged_;
  const std::unique_ptr<std::atomic<int64_t>[]> used_;
};

}  // namespace quotient::quota
