#include "extender/decide/preemptions_in_flight.h"

#include <algorithm>
#include <utility>

namespace quotient::extender::state {

PreemptionsInFlight::PreemptionsInFlight(std::chrono::milliseconds ttl, Now now)
    : ttl_(ttl), now_(std::move(now)) {}

void PreemptionsInFlight::Record(std::string_view preemptor_uid, const PreemptDecision& decision) {
  Entry entry;
  for (const NodeVictims& node : decision.nodes) {
    if (node.victim_uids.empty()) continue;
    auto& uids = entry.victims[std::string(node.node)];
    for (std::string_view uid : node.victim_uids) uids.emplace_back(uid);
  }
  if (entry.victims.empty()) return;
  std::lock_guard lock(mu_);
  entry.at = now_();
  Prune(entry.at);
  entries_[std::string(preemptor_uid)] = std::move(entry);
}

void PreemptionsInFlight::NoteRefusal(std::string_view preemptor_uid) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(std::string(preemptor_uid));
  if (it != entries_.end()) it->second.refused_at = now_();
}

PreemptionsInFlight::Approval PreemptionsInFlight::Approved(std::string_view preemptor_uid) const {
  std::lock_guard lock(mu_);
  auto it = entries_.find(std::string(preemptor_uid));
  const Clock::time_point now = now_();
  if (it == entries_.end() || now - it->second.at >= ttl_) return {};
  const std::optional<Clock::time_point>& refused = it->second.refused_at;
  return {it->second.victims, refused.has_value() && now - *refused < kRecentRefusal};
}

size_t PreemptionsInFlight::size() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}

void PreemptionsInFlight::Prune(Clock::time_point now) {
  std::erase_if(entries_, [&](const auto& e) { return now - e.second.at >= ttl_; });
  while (entries_.size() >= kMaxEntries) {
    auto oldest =
        std::min_element(entries_.begin(), entries_.end(),
                         [](const auto& a, const auto& b) { return a.second.at < b.second.at; });
    entries_.erase(oldest);
  }
}

}  // namespace quotient::extender::state
