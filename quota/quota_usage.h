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

// Why TryCharge refused: the first level and resource that would exceed its max.
struct ChargeRefusal {
  QuotaId quota = kNoQuota;
  int32_t resource = -1;
  int64_t used = 0;      // bound pods
  int64_t reserved = 0;  // admitted, not yet seen bound
  int64_t request = 0;
  int64_t max = 0;
};

class QuotaUsage {
 public:
  explicit QuotaUsage(std::shared_ptr<const QuotaTree> tree);
  QuotaUsage(const QuotaUsage&) = delete;
  QuotaUsage& operator=(const QuotaUsage&) = delete;

  const QuotaTree& tree() const { return *tree_; }
  const std::shared_ptr<const QuotaTree>& tree_ptr() const { return tree_; }

  // Charges `amounts` at `leaf` and every ancestor if every level stays within max.
  // All or nothing. On refusal fills *refusal (if not null) and changes nothing
  // (after rollback).
  bool TryCharge(QuotaId leaf, const SparseAmounts& amounts, ChargeRefusal* refusal);
  // Whether TryCharge would succeed now, without charging (a read: loads only).
  bool WouldAdmit(QuotaId leaf, const SparseAmounts& amounts, ChargeRefusal* refusal) const;
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
  void AddPath(std::atomic<int64_t>* counters, QuotaId leaf, const SparseAmounts& amounts,
               int64_t sign);

  const std::shared_ptr<const QuotaTree> tree_;
  const std::unique_ptr<std::atomic<int64_t>[]> charged_;
  const std::unique_ptr<std::atomic<int64_t>[]> used_;
};

}  // namespace quotient::quota
