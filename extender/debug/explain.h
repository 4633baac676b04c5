// `GET /debug/explain?namespace=NS&pod=NAME` and `quotient explain NS/NAME`: why a pod
// waits (or what happened to it), in words a researcher understands and as JSON:
//   * the quota path of its namespace, leaf first, with per resource the used, reserved,
//     min and max of each level and whether the pod's request fits there now;
//   * the last filter verdict Quotient gave for it (DecisionLog), with the candidate
//     nodes' reasons aggregated ("3 nodes: node fit: nvidia.com/gpu requested 1, free 0");
//   * the last bind, and any reclaim under way that concerns it (ReclaimStatusSource);
//   * its DRA claims as the last filter saw them: each claim's charge, devices of classes
//     no mapping prices (charged nothing), or why the charge is unknown.
// Only what Quotient decided is known here: nodes the scheduler's own filters removed
// never reach the extender (their reasons are in the pod's FailedScheduling event).
//
// Thread safety: BuildExplain reads thread-safe sources (the ledger's snapshot, the log,
// the reclaim source); the formatters are pure functions.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "extender/debug/decision_log.h"
#include "quota/quota_ledger.h"

namespace quotient::extender {

// The hook for "reclaim under way": the reclaim engine implements it; this default
// knows of none. Implementations must be thread-safe (called from the ops listener).
class ReclaimStatusSource {
 public:
  virtual ~ReclaimStatusSource() = default;
  // Sentences about reclaims that concern pod `ns`/`pod` whose namespace hangs on `leaf`
  // of `tree` (kNoQuota: none), e.g. "quota root.b.1 is taking back 10 cpu (its min) from
  // root.a: 2 pods are being evicted" or "this pod is being evicted so that root.b.1
  // gets back its min".
  virtual std::vector<std::string> ReclaimsFor(std::string_view ns, std::string_view pod,
                                               const quota::QuotaTree& tree,
                                               quota::QuotaId leaf) const {
    (void)ns, (void)pod, (void)tree, (void)leaf;
    return {};
  }
};

struct ExplainResource {
  std::string resource;
  int64_t request = 0;  // 0 when the pod's request is unknown
  int64_t used = 0;
  int64_t reserved = 0;
  int64_t min = 0;
  int64_t max = quota::kUnlimited;
  bool fits = true;  // used + reserved + request <= max (the pod's own share excluded)
};

struct ExplainLevel {
  std::string quota;
  std::vector<ExplainResource> resources;
  bool fits = true;
};

struct ExplainReport {
  std::string ns;
  std::string pod;
  std::chrono::system_clock::time_point now;
  bool known = false;  // Quotient holds a decision for the pod
  DecisionRecord record;
  bool quota_enforced = false;  // a quota tree is loaded
  bool unquoted = false;        // the namespace hangs on no leaf
  bool unquoted_allowed = true;
  bool holds_quota = false;        // the pod's request is already counted (reserved or bound)
  std::vector<ExplainLevel> path;  // leaf first
  int blocking = -1;               // index into path of the first level that does not fit
  std::vector<std::string> reclaims;
  std::string summary;  // one or two sentences: the answer to "why is my pod pending?"
};

// `ledger` may be null (no quota tree). `reclaim` may be null.
ExplainReport BuildExplain(const quota::QuotaLedger* ledger, bool allow_unquoted,
                           const DecisionLog& log, const ReclaimStatusSource* reclaim,
                           std::string_view ns, std::string_view pod,
                           std::chrono::system_clock::time_point now);

std::string ExplainJson(const ExplainReport& report);
std::string ExplainText(const ExplainReport& report);

}  // namespace quotient::extender
