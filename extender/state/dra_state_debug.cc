// DraState's test introspection: DebugString (dra_state.h).
#include <map>
#include <set>
#include <string>

#include "extender/state/dra_state.h"

namespace quotient::extender::state {

std::string DraState::DebugString() const {
  std::shared_lock lock(mu_);
  std::map<std::string, std::string> lines;  // key order: equal states, equal text
  for (const auto& [key, claim] : claims_) {
    std::string line = "claim " + key + " uid=" + claim.info.uid +
                       " allocated=" + std::to_string(claim.info.allocated) +
                       " results=" + std::to_string(claim.info.results.size()) +
                       " seen=" + std::to_string(claim.seen);
    lines.emplace("1" + key, std::move(line));
  }
  for (const auto& [name, slice] : slices_) {
    lines.emplace("2" + name, "slice " + name +
                                  " devices=" + std::to_string(slice.info.devices.size()) +
                                  " seen=" + std::to_string(slice.seen));
  }
  for (const auto& [key, device] : devices_) lines.emplace("3" + key, "device " + key);
  for (const auto& [uid, entry] : pods_) {
    std::string line = "pod " + uid + " seen=" + std::to_string(entry.seen) + " claims=";
    for (const PodClaimRef& ref : entry.pod.resource_claims) line += ref.claim_name + ",";
    lines.emplace("4" + uid, std::move(line));
  }
  for (const auto& [key, uids] : pods_by_claim_) {
    std::string line = "uses " + key + ":";
    for (const std::string& uid : uids) line += " " + uid;
    lines.emplace("5" + key, std::move(line));
  }
  std::string out;
  for (const auto& [key, line] : lines) out += line + "\n";
  return out;
}

}  // namespace quotient::extender::state
