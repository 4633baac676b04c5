#include "extender/state/dra_state.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>
#include <vector>

#include "extender/telemetry/logging.h"

namespace quotient::extender::state {
namespace {

constexpr std::string_view kOtherClass = "other";

// The claim names `pod` uses, resolved: (pod claim name, claim name); claim name empty for
// a template whose claim is not generated yet.
std::vector<std::pair<std::string, std::string>> ResolveClaims(const PodInfo& pod) {
  std::vector<std::pair<std::string, std::string>> out;
  out.reserve(pod.resource_claims.size());
  for (const PodClaimRef& ref : pod.resource_claims) {
    if (!ref.claim_name.empty()) {
      out.emplace_back(ref.name, ref.claim_name);
      continue;
    }
    const std::string* generated = FindValue(pod.resource_claim_statuses, ref.name);
    out.emplace_back(ref.name, generated != nullptr ? *generated : std::string());
  }
  return out;
}

// The mapped classes a claim asks for, "gpu.nvidia.com" or "a, b".
std::string MappedClasses(const quota::DeviceChargeConfig& config, const ResourceClaimInfo& claim) {
  std::set<std::string> classes;
  for (const quota::DeviceRequest& request : claim.requests) {
    for (const quota::DeviceSubRequest& sub : request.alternatives) {
      if (config.Find(sub.device_class) != nullptr) classes.insert(sub.device_class);
    }
  }
  return fmt::format("{}", fmt::join(classes, ", "));
}

// "a", "a, b", "a, b, c and 4 more": at most `most` names of a set.
std::string FewOf(const std::set<std::string>& names, size_t most) {
  std::string out;
  size_t n = 0;
  for (const std::string& name : names) {
    if (n == most) return fmt::format("{} and {} more", out, names.size() - most);
    if (n++ > 0) out += ", ";
    out += name;
  }
  return out;
}

// A pod's claim note, bounded: it is quoted in filter refusals for every candidate node
// and kept in the decision log, so however many claims a pod names (256) the note stays
// within DraState::kMaxClaimNoteBytes; the first part is always kept (names are bounded
// by the API), then parts while they fit, then how many were left out.
class ClaimNote {
 public:
  void Add(std::string part) {
    if (left_out_ == 0 &&
        (text_.empty() || text_.size() + 2 + part.size() <= DraState::kMaxClaimNoteBytes)) {
      if (!text_.empty()) text_ += "; ";
      text_ += part;
    } else {
      ++left_out_;
    }
  }
  std::string Take() {
    if (left_out_ > 0) text_ += fmt::format("; and {} more", left_out_);
    return std::move(text_);
  }

 private:
  std::string text_;
  size_t left_out_ = 0;
};

bool IsPodConsumer(const ClaimConsumer& c) {
  return c.api_group.empty() && c.resource == "pods";
}

}  // namespace

DraState::DraState(quota::DeviceChargeConfig config, metrics::Registry* registry)
    : config_(std::move(config)), ceilings_(quota::DeviceCeilings::Build(config_, {})) {
  if (registry != nullptr) {
    unmapped_metric_ = registry->AddCounter(
        "quotient_dra_unmapped_claims_total",
        "ResourceClaims seen with a request for a device class no dra.deviceClasses mapping "
        "names (charged nothing for it), by class (at most 32 classes, then \"other\").",
        {"device_class"});
  }
}

std::string DraState::Key(std::string_view ns, std::string_view name) {
  return fmt::format("{}/{}", ns, name);
}

quota::ClaimCharge DraState::ChargeClaim(const ResourceClaimInfo& claim, std::string_view uid,
                                         bool* shared_elsewhere) const {
  *shared_elsewhere = false;
  if (claim.allocated) {
    for (const ClaimConsumer& c : claim.reserved_for) {
      if (!IsPodConsumer(c)) continue;
      // The first pod reserved pays; the others share what it paid.
      if (c.uid != uid) *shared_elsewhere = true;
      break;
    }
    if (*shared_elsewhere) return quota::ClaimCharge{};
    std::vector<quota::AllocatedDevice> results = claim.results;
    for (quota::AllocatedDevice& result : results) {
      auto it = devices_.find(fmt::format("{}/{}/{}", result.driver, result.pool, result.device));
      if (it != devices_.end()) result.published = it->second;
    }
    quota::ClaimCharge charge = quota::ChargeClaimAllocation(config_, claim.requests, results);
    // A device in no slice seen (deleted meanwhile, or the slice watch lags): the upper
    // bound stands, which is never below the allocation's charge.
    if (charge.code != quota::ClaimChargeCode::kUnknownDevice) return charge;
  }
  return quota::ChargeClaimRequests(config_, ceilings_, claim.requests);
}

void DraState::ChargePod(PodInfo* pod) const {
  pod->claim_charge = {};
  pod->claim_problem = ClaimProblem::kNone;
  pod->claim_note.clear();
  if (pod->resource_claims.empty()) return;
  std::shared_lock lock(mu_);
  ClaimNote note;
  for (const auto& [pod_claim, claim_name] : ResolveClaims(*pod)) {
    if (claim_name.empty()) {
      pod->claim_problem = ClaimProblem::kPending;
      pod->claim_note = fmt::format(
          "claim {} of the pod is not generated from its template yet (status."
          "resourceClaimStatuses names none)",
          pod_claim);
      return;
    }
    auto it = claims_.find(Key(pod->ns, claim_name));
    if (it == claims_.end()) {
      pod->claim_problem = ClaimProblem::kPending;
      pod->claim_note = fmt::format("ResourceClaim {}/{} not seen yet", pod->ns, claim_name);
      return;
    }
    const ResourceClaimInfo& claim = it->second.info;
    bool shared = false;
    quota::ClaimCharge charge = ChargeClaim(claim, pod->uid, &shared);
    if (!charge.charged()) {
      pod->claim_problem = ClaimProblem::kRefused;
      pod->claim_note = fmt::format("ResourceClaim {}/{}: {}", pod->ns, claim_name,
                                    quota::FormatClaimRefusal(charge));
      return;
    }
    if (!shared && !charge.charge.empty()) {
      pod->claim_charge.AddAll(charge.charge);
      note.Add(fmt::format("claim {} (device class {}: {}{})", claim_name,
                           MappedClasses(config_, claim), charge.charge.ToString(),
                           charge.estimated ? ", estimated before allocation" : ""));
    }
    // Free, but not in silence: the note names the classes no mapping prices.
    std::set<std::string> unmapped;
    for (const quota::UnmappedDevices& u : charge.unmapped) unmapped.insert(u.device_class);
    if (!unmapped.empty()) {
      const bool one = unmapped.size() == 1;
      note.Add(
          fmt::format("claim {}: {} {} {} not in dra.deviceClasses, {} devices charged nothing",
                      claim_name, one ? "class" : "classes", FewOf(unmapped, 3), one ? "is" : "are",
                      one ? "its" : "their"));
    }
  }
  pod->claim_note = note.Take();
}

std::vector<std::string> DraState::PodsOf(const std::string& key) const {
  auto it = pods_by_claim_.find(key);
  if (it == pods_by_claim_.end()) return {};
  return {it->second.begin(), it->second.end()};
}

void DraState::ReportUnmapped(const ResourceClaimInfo& claim) {
  if (claim.uid.empty() || reported_claims_.contains(claim.uid)) return;
  std::set<std::string> unmapped;
  for (const quota::DeviceRequest& request : claim.requests) {
    for (const quota::DeviceSubRequest& sub : request.alternatives) {
      if (!sub.admin_access && config_.Find(sub.device_class) == nullptr) {
        unmapped.insert(sub.device_class);
      }
    }
  }
  if (unmapped.empty()) return;
  reported_claims_.insert(claim.uid);
  for (const std::string& device_class : unmapped) {
    const bool known = reported_classes_.contains(device_class);
    const bool room = reported_classes_.size() < kMaxReportedClasses;
    if (!known && room) {
      reported_classes_.insert(device_class);
      Log(spdlog::level::warn, "dra unmapped device class",
          {{"device_class", device_class},
           {"claim", Key(claim.ns, claim.name)},
           {"detail",
            "no dra.deviceClasses mapping names it: its devices are charged to no "
            "quota (logged once per class)"}});
    }
    if (unmapped_metric_ != nullptr) {
      unmapped_metric_->CounterWith({known || room ? device_class : std::string(kOtherClass)})
          ->Inc();
    }
  }
}

std::vector<std::string> DraState::UpsertClaim(ResourceClaimInfo claim) {
  ReportUnmapped(claim);
  const std::string key = Key(claim.ns, claim.name);
  // The pods to recharge are known before the claim changes (strong guarantee; the index
  // cannot change meanwhile: apply_mu_).
  std::vector<std::string> pods = PodsOf(key);
  std::unique_lock lock(mu_);
  Claim& entry = claims_[key];
  entry.info = std::move(claim);
  entry.seen = claim_generation_;
  return pods;
}

std::vector<std::string> DraState::DeleteClaim(std::string_view ns, std::string_view name) {
  const std::string key = Key(ns, name);
  std::vector<std::string> pods = PodsOf(key);  // before the claim goes (strong guarantee)
  std::unique_lock lock(mu_);
  if (auto it = claims_.find(key); it != claims_.end()) claims_.erase(it);
  return pods;
}

void DraState::BeginClaimList() {
  std::unique_lock lock(mu_);
  ++claim_generation_;
}

std::vector<std::string> DraState::EndClaimList() {
  std::vector<std::string> affected;
  std::unique_lock lock(mu_);
  // The pods to recharge first, then the erasures (which cannot fail): strong guarantee.
  for (const auto& [key, claim] : claims_) {
    if (claim.seen == claim_generation_) continue;
    for (std::string& uid : PodsOf(key)) affected.push_back(std::move(uid));
  }
  std::erase_if(claims_, [&](const auto& entry) { return entry.second.seen != claim_generation_; });
  return affected;
}

void DraState::RebuildDevices() {
  // Built aside and swapped in: a failure leaves the devices and ceilings as they were.
  std::unordered_map<std::string, quota::PublishedDevice> devices;
  std::vector<quota::PublishedDevice> all;
  for (const auto& [name, slice] : slices_) {
    for (const quota::PublishedDevice& d : slice.info.devices) {
      devices.emplace(fmt::format("{}/{}/{}", d.driver, d.pool, d.name), d);
      all.push_back(d);
    }
  }
  quota::DeviceCeilings ceilings = quota::DeviceCeilings::Build(config_, all);
  devices_.swap(devices);
  ceilings_ = std::move(ceilings);
}

void DraState::UpsertSlice(ResourceSliceInfo slice) {
  std::unique_lock lock(mu_);
  auto [it, added] = slices_.try_emplace(slice.name);
  // The slice goes in, the devices are rebuilt from it; if that fails, the slice as it was
  // goes back (moves only): strong guarantee.
  ResourceSliceInfo had = std::move(it->second.info);
  const uint64_t had_seen = it->second.seen;
  it->second.info = std::move(slice);
  it->second.seen = slice_generation_;
  try {
    RebuildDevices();
  } catch (...) {
    if (added) {
      slices_.erase(it);
    } else {
      it->second.info = std::move(had);
      it->second.seen = had_seen;
    }
    throw;
  }
}

void DraState::DeleteSlice(std::string_view name) {
  std::unique_lock lock(mu_);
  auto it = slices_.find(std::string(name));
  if (it == slices_.end()) return;
  // Taken out (kept) while the devices are rebuilt without it; put back if that fails.
  auto taken = slices_.extract(it);
  try {
    RebuildDevices();
  } catch (...) {
    slices_.insert(std::move(taken));  // the size it had: no rehash, no allocation
    throw;
  }
}

void DraState::BeginSliceList() {
  std::unique_lock lock(mu_);
  ++slice_generation_;
}

void DraState::EndSliceList() {
  std::unique_lock lock(mu_);
  std::vector<decltype(slices_)::node_type> gone;
  gone.reserve(slices_.size());
  for (auto it = slices_.begin(); it != slices_.end();) {
    auto next = std::next(it);
    if (it->second.seen != slice_generation_) gone.push_back(slices_.extract(it));
    it = next;
  }
  try {
    RebuildDevices();
  } catch (...) {
    for (auto& taken : gone) slices_.insert(std::move(taken));  // no rehash: see DeleteSlice
    throw;
  }
}

void DraState::IndexPod(bool deleted, const PodInfo& pod) {
  // Strong guarantee: the keys the pod leaves and joins, its kept copy, its entry in each
  // joined key and in pods_ are made first (each undone if a later one fails); then the
  // old keys are left and the copy moved in, which cannot fail.
  const bool indexed = !deleted && !pod.resource_claims.empty();
  std::set<std::string> leave;
  std::set<std::string> join;
  PodInfo kept;
  std::unique_lock lock(mu_);  // readers of the index hold it shared (ReadDevices)
  auto old = pods_.find(pod.uid);
  if (old != pods_.end()) {
    for (const auto& [pod_claim, claim_name] : ResolveClaims(old->second.pod)) {
      if (!claim_name.empty()) leave.insert(Key(pod.ns, claim_name));
    }
  }
  if (indexed) {
    kept.uid = pod.uid;
    kept.ns = pod.ns;
    kept.name = pod.name;
    kept.resource_claims = pod.resource_claims;
    kept.resource_claim_statuses = pod.resource_claim_statuses;
    for (const auto& [pod_claim, claim_name] : ResolveClaims(kept)) {
      if (!claim_name.empty()) join.insert(Key(pod.ns, claim_name));
    }
  }
  std::vector<std::set<std::string>*> joined;  // sets the UID was added to here
  joined.reserve(join.size());
  try {
    for (const std::string& key : join) {
      std::set<std::string>& uids = pods_by_claim_[key];
      if (uids.insert(pod.uid).second) joined.push_back(&uids);
    }
    if (indexed && old == pods_.end()) old = pods_.try_emplace(pod.uid).first;
  } catch (...) {
    for (std::set<std::string>* uids : joined) uids->erase(pod.uid);
    for (const std::string& key : join) {
      auto it = pods_by_claim_.find(key);
      if (it != pods_by_claim_.end() && it->second.empty()) pods_by_claim_.erase(it);
    }
    throw;
  }
  for (const std::string& key : leave) {
    if (join.contains(key)) continue;
    auto it = pods_by_claim_.find(key);
    if (it == pods_by_claim_.end()) continue;
    it->second.erase(pod.uid);
    if (it->second.empty()) pods_by_claim_.erase(it);
  }
  if (!indexed) {
    if (old != pods_.end()) pods_.erase(old);
    return;
  }
  old->second = IndexedPodEntry{std::move(kept), pod_generation_};
}

void DraState::EndPodList() {
  std::vector<PodInfo> gone;
  for (const auto& [uid, entry] : pods_) {
    if (entry.seen != pod_generation_) gone.push_back(entry.pod);
  }
  for (const PodInfo& pod : gone) IndexPod(/*deleted=*/true, pod);
}

bool DraState::View::PodKnown(std::string_view uid) const {
  return dra_->pods_.contains(std::string(uid));
}

bool DraState::View::PodClaims(std::string_view uid,
                               std::vector<const ResourceClaimInfo*>* out) const {
  out->clear();
  auto it = dra_->pods_.find(std::string(uid));
  if (it == dra_->pods_.end()) return false;
  const PodInfo& pod = it->second.pod;
  for (const auto& [pod_claim, claim_name] : ResolveClaims(pod)) {
    auto claim =
        claim_name.empty() ? dra_->claims_.end() : dra_->claims_.find(Key(pod.ns, claim_name));
    out->push_back(claim == dra_->claims_.end() ? nullptr : &claim->second.info);
  }
  return true;
}

std::vector<const ResourceSliceInfo*> DraState::View::SlicesOf(std::string_view node) const {
  std::vector<const ResourceSliceInfo*> out;
  for (const auto& [name, slice] : dra_->slices_) {
    if (!node.empty() && slice.info.node_name == node) out.push_back(&slice.info);
  }
  const size_t own = out.size();
  for (const auto& [name, slice] : dra_->slices_) {
    if (!slice.info.node_name.empty()) continue;
    for (size_t i = 0; i < own; ++i) {
      if (out[i]->driver == slice.info.driver && out[i]->pool == slice.info.pool) {
        out.push_back(&slice.info);
        break;
      }
    }
  }
  return out;
}

bool DraState::IndexedPod(std::string_view uid, PodInfo* out) const {
  auto it = pods_.find(std::string(uid));
  if (it == pods_.end()) return false;
  *out = it->second.pod;
  return true;
}

size_t DraState::AllocatedClaimsOf(const std::vector<std::string>& pod_uids) const {
  std::shared_lock lock(mu_);
  size_t n = 0;
  for (const auto& [key, claim] : claims_) {
    if (!claim.info.allocated) continue;
    n += std::ranges::any_of(claim.info.reserved_for, [&](const ClaimConsumer& c) {
      return std::ranges::find(pod_uids, c.uid) != pod_uids.end();
    });
  }
  return n;
}

size_t DraState::claim_count() const {
  std::shared_lock lock(mu_);
  return claims_.size();
}

size_t DraState::slice_count() const {
  std::shared_lock lock(mu_);
  return slices_.size();
}

}  // namespace quotient::extender::state
