#include "quota/quota_ledger.h"

namespace quotient::quota {

QuotaLedger::QuotaLedger(std::shared_ptr<const QuotaTree> tree, Options options)
    : options_(options), owned_current_(std::make_unique<QuotaUsage>(std::move(tree))) {
  current_.store(owned_current_.get(), std::memory_order_release);
}

QuotaLedger::~QuotaLedger() = default;

QuotaLedger::Shard& QuotaLedger::ShardFor(std::string_view uid) const {
  return shards_[std::hash<std::string_view>{}(uid) % kShards];
}

AdmitDecision QuotaLedger::Admit(QuotaUsage& usage, const PodDemand& pod, bool reserve,
                                 Entry* entry) const {
  AdmitDecision decision;
  const QuotaTree& tree = usage.tree();
  decision.tree = &tree;
  decision.leaf = tree.LeafForNamespace(pod.ns);
  entry->ns = pod.ns;
  entry->requests = pod.requests;
  entry->leaf = decision.leaf;
  if (decision.leaf == kNoQuota) {
    decision.code =
        options_.allow_unquoted_namespaces ? AdmitCode::kUnquoted : AdmitCode::kRejectedUnquoted;
    return decision;
  }
  entry->amounts = tree.ToSparse(pod.requests);
  const ChargeBound bound = pod.preemptible ? ChargeBound::kMax : ChargeBound::kMin;
  if (!reserve) {
    if (!usage.WouldAdmit(decision.leaf, entry->amounts, &decision.refusal, bound)) {
      decision.code = AdmitCode::kRejectedMax;
    }
    return decision;
  }
  if (!usage.TryCharge(decision.leaf, entry->amounts, &decision.refusal, bound)) {
    decision.code = AdmitCode::kRejectedMax;
  }
  return decision;
}

// A pod already in the table keeps its entry; a pending reservation gets the later expiry.
AdmitDecision QuotaLedger::Held(const Entry& entry) const {
  return AdmitDecision{
      AdmitCode::kAlreadyHeld, entry.leaf, {}, &current_.load(std::memory_order_acquire)->tree()};
}

bool QuotaLedger::ExtendIfHeld(Shard& shard, const std::string& uid, TimePoint expiry,
                               AdmitDecision* held) const {
  auto it = shard.pods.find(uid);
  if (it == shard.pods.end()) return false;
  if (!it->second.bound && it->second.expiry < expiry) it->second.expiry = expiry;
  *held = Held(it->second);
  return true;
}

AdmitDecision QuotaLedger::Reserve(const PodDemand& pod, TimePoint expiry) {
  Shard& shard = ShardFor(pod.uid);
  std::lock_guard lock(shard.mu);
  if (AdmitDecision held; ExtendIfHeld(shard, pod.uid, expiry, &held)) return held;
  QuotaUsage& usage = *current_.load(std::memory_order_acquire);
  Entry entry;
  AdmitDecision decision = Admit(usage, pod, /*reserve=*/true, &entry);  // allocates, then charges
  if (!decision.admitted()) return decision;  // a refusal charged nothing
  entry.expiry = expiry;
  decltype(shard.pods)::iterator it;
  try {
    it = shard.pods.try_emplace(pod.uid).first;
  } catch (...) {  // no table entry for the charge: take it back (strong guarantee)
    if (entry.leaf != kNoQuota) usage.Uncharge(entry.leaf, entry.amounts);
    throw;
  }
  it->second = std::move(entry);
  return decision;
}

AdmitDecision QuotaLedger::ReserveReclaimed(const PodDemand& pod, TimePoint expiry) {
  Shard& shard = ShardFor(pod.uid);
  std::lock_guard lock(shard.mu);
  if (AdmitDecision held; ExtendIfHeld(shard, pod.uid, expiry, &held)) return held;
  QuotaUsage& usage = *current_.load(std::memory_order_acquire);
  AdmitDecision decision;
  decision.tree = &usage.tree();
  decision.leaf = usage.tree().LeafForNamespace(pod.ns);
  if (decision.leaf == kNoQuota) {
    decision.code = AdmitCode::kUnquoted;
    return decision;
  }
  Entry entry;
  entry.ns = pod.ns;
  entry.requests = pod.requests;
  entry.leaf = decision.leaf;
  entry.amounts = usage.tree().ToSparse(pod.requests);
  entry.expiry = expiry;
  auto it = shard.pods.try_emplace(pod.uid, std::move(entry)).first;  // before the charge
  usage.ForceCharge(it->second.leaf, it->second.amounts);
  return decision;
}

AdmitDecision QuotaLedger::Check(const PodDemand& pod) const {
  Shard& shard = ShardFor(pod.uid);
  std::lock_guard lock(shard.mu);
  if (auto it = shard.pods.find(pod.uid); it != shard.pods.end()) {
    return Held(it->second);
  }
  Entry scratch;
  return Admit(*current_.load(std::memory_order_acquire), pod, /*reserve=*/false, &scratch);
}

void QuotaLedger::Bind(const PodDemand& pod) {
  Shard& shard = ShardFor(pod.uid);
  std::lock_guard lock(shard.mu);
  QuotaUsage& usage = *current_.load(std::memory_order_acquire);
  auto it = shard.pods.find(pod.uid);
  if (it == shard.pods.end()) {
    Entry entry;
    entry.ns = pod.ns;
    entry.requests = pod.requests;
    entry.leaf = usage.tree().LeafForNamespace(pod.ns);
    if (entry.leaf != kNoQuota) entry.amounts = usage.tree().ToSparse(pod.requests);
    it = shard.pods.try_emplace(pod.uid, std::move(entry)).first;  // before the charge
    if (it->second.leaf != kNoQuota) usage.ForceCharge(it->second.leaf, it->second.amounts);
  }
  Entry& entry = it->second;
  if (!entry.bound) {
    entry.bound = true;
    if (entry.leaf != kNoQuota) usage.AddUsed(entry.leaf, entry.amounts, +1);
  }
}

void QuotaLedger::Recharge(const PodDemand& pod) {
  Shard& shard = ShardFor(pod.uid);
  std::lock_guard lock(shard.mu);
  QuotaUsage& usage = *current_.load(std::memory_order_acquire);
  // A new entry is charged below, once it is complete.
  auto [it, added] = shard.pods.try_emplace(pod.uid);
  Entry next;  // allocation first: the old entry is untouched until it is replaced
  try {
    next.ns = pod.ns;
    next.requests = pod.requests;
    next.leaf = usage.tree().LeafForNamespace(pod.ns);
    if (next.leaf != kNoQuota) next.amounts = usage.tree().ToSparse(pod.requests);
  } catch (...) {
    if (added) shard.pods.erase(it);
    throw;
  }
  next.bound = true;
  // The new charge goes in before the old one comes out: a concurrent TryCharge (another
  // shard) sees at worst both for an instant and refuses, never the room in between.
  if (next.leaf != kNoQuota) {
    usage.ForceCharge(next.leaf, next.amounts);
    usage.AddUsed(next.leaf, next.amounts, +1);
  }
  Entry& entry = it->second;
  if (entry.leaf != kNoQuota) {
    if (entry.bound) usage.AddUsed(entry.leaf, entry.amounts, -1);
    usage.Uncharge(entry.leaf, entry.amounts);
  }
  entry = std::move(next);
}

bool QuotaLedger::Release(std::string_view uid) {
  Shard& shard = ShardFor(uid);
  std::lock_guard lock(shard.mu);
  auto it = shard.pods.find(uid);
  if (it == shard.pods.end()) return false;
  QuotaUsage& usage = *current_.load(std::memory_order_acquire);
  const Entry& entry = it->second;
  if (entry.leaf != kNoQuota) {
    if (entry.bound) usage.AddUsed(entry.leaf, entry.amounts, -1);
    usage.Uncharge(entry.leaf, entry.amounts);
  }
  shard.pods.erase(it);
  return true;
}

bool QuotaLedger::CancelReservation(std::string_view uid) {
  Shard& shard = ShardFor(uid);
  std::lock_guard lock(shard.mu);
  auto it = shard.pods.find(uid);
  if (it == shard.pods.end() || it->second.bound) return false;
  const Entry& entry = it->second;
  if (entry.leaf != kNoQuota) {
    current_.load(std::memory_order_acquire)->Uncharge(entry.leaf, entry.amounts);
  }
  shard.pods.erase(it);
  return true;
}

bool QuotaLedger::Lookup(std::string_view uid, PodDemand* out) const {
  Shard& shard = ShardFor(uid);
  std::lock_guard lock(shard.mu);
  auto it = shard.pods.find(uid);
  if (it == shard.pods.end()) return false;
  out->uid = std::string(uid);
  out->ns = it->second.ns;
  out->requests = it->second.requests;
  return true;
}

size_t QuotaLedger::ExpireReservations(TimePoint now) {
  size_t expired = 0;
  for (Shard& shard : shards_) {
    std::lock_guard lock(shard.mu);
    QuotaUsage& usage = *current_.load(std::memory_order_acquire);
    for (auto it = shard.pods.begin(); it != shard.pods.end();) {
      const Entry& entry = it->second;
      if (entry.bound || entry.expiry > now) {
        ++it;
        continue;
      }
      if (entry.leaf != kNoQuota) usage.Uncharge(entry.leaf, entry.amounts);
      it = shard.pods.erase(it);
      ++expired;
    }
  }
  return expired;
}

void QuotaLedger::Reload(std::shared_ptr<const QuotaTree> tree, TimePoint now) {
  std::lock_guard reload_lock(reload_mu_);
  // Strong guarantee: everything that allocates (the new usage, every entry's leaf and
  // amounts in the new tree, room in retired_) comes before the first change; what
  // follows (charging, moving the amounts in, publishing) cannot fail.
  auto fresh = std::make_unique<QuotaUsage>(std::move(tree));
  const QuotaTree& t = fresh->tree();
  retired_.reserve(retired_.size() + 1);
  std::array<std::unique_lock<std::mutex>, kShards> locks;
  for (size_t i = 0; i < kShards; ++i) locks[i] = std::unique_lock(shards_[i].mu);
  std::array<std::vector<std::pair<QuotaId, SparseAmounts>>, kShards> next;
  for (size_t i = 0; i < kShards; ++i) {
    next[i].reserve(shards_[i].pods.size());
    for (const auto& [uid, entry] : shards_[i].pods) {
      const QuotaId leaf = t.LeafForNamespace(entry.ns);
      next[i].emplace_back(leaf, leaf == kNoQuota ? SparseAmounts{} : t.ToSparse(entry.requests));
    }
  }
  for (size_t i = 0; i < kShards; ++i) {
    size_t k = 0;
    for (auto& [uid, entry] : shards_[i].pods) {
      auto& [leaf, amounts] = next[i][k++];
      entry.leaf = leaf;
      entry.amounts = std::move(amounts);
      if (entry.leaf == kNoQuota) continue;
      fresh->ForceCharge(entry.leaf, entry.amounts);
      if (entry.bound) fresh->AddUsed(entry.leaf, entry.amounts, +1);
    }
  }
  current_.store(fresh.get(), std::memory_order_release);
  for (auto& lock : locks) lock.unlock();

  // Readers that loaded the old usage may still hold it: it stays alive kRetireGrace.
  retired_.emplace_back(now, std::move(owned_current_));  // room reserved above
  owned_current_ = std::move(fresh);
  std::erase_if(retired_, [&](const auto& r) { return now - r.first >= kRetireGrace; });
}

bool QuotaLedger::Holds(std::string_view uid) const {
  Shard& shard = ShardFor(uid);
  std::lock_guard lock(shard.mu);
  return shard.pods.contains(uid);
}

size_t QuotaLedger::reserved_count() const {
  size_t n = 0;
  for (const Shard& shard : shards_) {
    std::lock_guard lock(shard.mu);
    for (const auto& [uid, entry] : shard.pods) n += entry.bound ? 0 : 1;
  }
  return n;
}

size_t QuotaLedger::bound_count() const {
  size_t n = 0;
  for (const Shard& shard : shards_) {
    std::lock_guard lock(shard.mu);
    for (const auto& [uid, entry] : shard.pods) n += entry.bound ? 1 : 0;
  }
  return n;
}

}  // namespace quotient::quota
