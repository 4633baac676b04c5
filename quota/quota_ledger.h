// The pod table of the quota core: which pods hold quota, as reservations (admitted,
// not yet seen bound) or as bound pods, keyed by pod UID; and the current QuotaUsage.
//
// Thread safety
// -------------
// All methods are thread-safe.
//  * The UID table is split into kShards shards, each guarded by its own mutex; an
//    operation on one pod locks one shard for a few hundred nanoseconds. Quota checks
//    inside are the lock-free CAS walk of QuotaUsage, so admissions of pods in different
//    shards proceed in parallel and never over-commit.
//  * Reload() holds every shard lock while it recomputes usage for the new tree from
//    the table and publishes it (release store of current_). Under any shard lock the
//    current QuotaUsage therefore cannot change, which is why a charge and its table
//    entry always land in the same QuotaUsage.
//  * Readers (metrics, explain) call usage() — one acquire load — and never block. The
//    QuotaUsage they get stays valid for at least kRetireGrace after the reload that
//    replaced it (retired snapshots are freed by later reloads), far longer than any
//    decision takes.
//
// Exception safety: every method gives the strong guarantee (only std::bad_alloc can be
// thrown, and a throw changes nothing). Release, CancelReservation, ExpireReservations and
// the Bind of a pod already in the table allocate nothing, so they cannot fail.
// Time is passed in by callers (TimePoint), never read here.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "quota/quota_usage.h"
#include "quota/resource_list.h"

namespace quotient::quota {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;

// What the quota core needs to know of a pod.
struct PodDemand {
  std::string uid;
  std::string ns;
  ResourceList requests;  // effective requests, including "pods": 1
  // False for a pod that may never be evicted (docs/quota.md, "Non-preemptible pods"):
  // it is admitted only within its quota's guarantee. For every level Q on its path and
  // every resource r it requests that the tree guarantees (QuotaTree::guaranteed),
  // charged(Q,r) + request(r) <= min(Q,r); plus the max checks of every pod. Checked in
  // the same lock-free charge as max (ChargeBound::kMin in quota_usage.h), so concurrent
  // admissions never take non-preemptible pods past a min. Bind() of a pod found running
  // charges it without either check, as for any pod.
  bool preemptible = true;
};

enum class AdmitCode {
  kAdmitted,          // reserved now
  kAlreadyHeld,       // this UID already holds a reservation or is bound (idempotent)
  kUnquoted,          // namespace on no leaf; allowed by policy (tracked, not charged)
  kRejectedMax,       // some level would exceed its max, or, for a non-preemptible pod,
                      // its min (refusal.crossed says which)
  kRejectedUnquoted,  // namespace on no leaf; denied by policy
};

struct AdmitDecision {
  AdmitCode code = AdmitCode::kAdmitted;
  QuotaId leaf = kNoQuota;
  ChargeRefusal refusal;  // kRejectedMax only
  // The tree the decision was made on, whose IDs `leaf` and `refusal` are: name them with
  // it, not with the ledger's tree of the moment, which a reload may have replaced since
  // (its IDs index other quotas, or none). Valid for at least kRetireGrace after that
  // reload (as usage()).
  const QuotaTree* tree = nullptr;
  bool refused_by_min() const {
    return code == AdmitCode::kRejectedMax && refusal.crossed == ChargeBound::kMin;
  }
  bool admitted() const {
    return code == AdmitCode::kAdmitted || code == AdmitCode::kAlreadyHeld ||
           code == AdmitCode::kUnquoted;
  }
};

class QuotaLedger {
 public:
  static constexpr size_t kShards = 32;  // Reload holds all: keep under TSan's 64-lock cap
  static constexpr auto kRetireGrace = std::chrono::seconds(60);

  struct Options {
    bool allow_unquoted_namespaces = true;  // pods of namespaces on no leaf are admitted
  };

  QuotaLedger(std::shared_ptr<const QuotaTree> tree, Options options);
  ~QuotaLedger();
  QuotaLedger(const QuotaLedger&) = delete;
  QuotaLedger& operator=(const QuotaLedger&) = delete;

  // Admits and reserves quota for a pod until `expiry` (unless it is bound before): max
  // checks, and min checks if !pod.preemptible (see PodDemand).
  // A pod that already holds a reservation gets kAlreadyHeld and its expiry extended
  // to `expiry` (the scheduler retrying a pod keeps its place).
  AdmitDecision Reserve(const PodDemand& pod, TimePoint expiry);
  // Reserves quota for a pod that is reclaiming its guarantee, without the max check:
  // the caller has evicted (or is evicting) pods whose charges make room once they
  // leave, and until then both are charged (conservative: others see less room, never
  // more). Idempotent like Reserve (kAlreadyHeld extends the expiry). Unquoted pods get
  // kUnquoted and no entry.
  AdmitDecision ReserveReclaimed(const PodDemand& pod, TimePoint expiry);
  // Checks admission without reserving anything.
  AdmitDecision Check(const PodDemand& pod) const;
  // The pod is bound (or found running): its reservation becomes usage, or, if it held
  // none, it is charged without a max check (it runs whether quota likes it or not).
  void Bind(const PodDemand& pod);
  // The bound pod's demand changed (its requests or its DRA claims): its charge becomes
  // `pod.requests`, without a max check, and it is bound (Bind's charge for a pod the
  // table does not hold). The new charge is added before the old one is taken off, so a
  // concurrent admission never sees the pod's room free in between (at worst both, for an
  // instant: a conservative refusal).
  void Recharge(const PodDemand& pod);
  // The pod is gone (deleted, terminated, reservation abandoned). False if unknown.
  bool Release(std::string_view uid);
  // Drops the pod's reservation if it is not bound yet (e.g. the API refused its
  // binding). False if the pod is unknown or already bound.
  bool CancelReservation(std::string_view uid);
  // The namespace and requests the ledger holds for `uid`; false if unknown.
  bool Lookup(std::string_view uid, PodDemand* out) const;
  // Drops reservations whose expiry is <= now; returns how many.
  size_t ExpireReservations(TimePoint now);
  // Publishes a new tree with usage recomputed from the table (namespaces re-resolved).
  void Reload(std::shared_ptr<const QuotaTree> tree, TimePoint now);

  const QuotaUsage& usage() const { return *current_.load(std::memory_order_acquire); }
  std::shared_ptr<const QuotaTree> tree() const { return usage().tree_ptr(); }
  bool Holds(std::string_view uid) const;
  size_t reserved_count() const;
  size_t bound_count() const;

 private:
  struct Entry {
    std::string ns;
    ResourceList requests;
    QuotaId leaf = kNoQuota;  // in usage at the time of the last charge or reload
    SparseAmounts amounts;
    bool bound = false;
    TimePoint expiry;
  };
  // Lookups by string_view: Release, CancelReservation and Lookup allocate nothing.
  struct UidHash {
    using is_transparent = void;
    size_t operator()(std::string_view uid) const { return std::hash<std::string_view>{}(uid); }
  };
  struct Shard {
    mutable std::mutex mu;
    std::unordered_map<std::string, Entry, UidHash, std::equal_to<>> pods;  // guarded by mu
  };
  Shard& ShardFor(std::string_view uid) const;
  // The decision for a pod the table holds (kAlreadyHeld, of the current tree).
  // REQUIRES: its shard's lock held: no reload runs, so its leaf is of the current tree.
  AdmitDecision Held(const Entry& entry) const;
  // REQUIRES: shard.mu held.
  bool ExtendIfHeld(Shard& shard, const std::string& uid, TimePoint expiry,
                    AdmitDecision* held) const;
  AdmitDecision Admit(QuotaUsage& usage, const PodDemand& pod, bool reserve, Entry* entry) const;

  const Options options_;
  mutable std::array<Shard, kShards> shards_;
  std::atomic<QuotaUsage*> current_;

  std::mutex reload_mu_;                                                    // serialises Reload()
  std::unique_ptr<QuotaUsage> owned_current_;                               // guarded by reload_mu_
  std::vector<std::pair<TimePoint, std::unique_ptr<QuotaUsage>>> retired_;  // guarded by reload_mu_
};

}  // namespace quotient::quota
