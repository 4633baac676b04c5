// The /debug endpoints of every listener (GET, like /metrics):
//   /debug/quota[?output=text]                          the live quota tree (debug_quota.h)
//   /debug/explain?namespace=NS&pod=NAME[&output=text]  why a pod waits (debug_explain.h)
// JSON by default; `output=text` gives what `quotient top` and `quotient explain` print.
// Missing or empty parameters are 400 with {"Error","Reason"}; unknown /debug paths 404.
// They name pods and namespaces: serve them where /metrics is served (metricsListen).
//
// Thread safety: thread-safe; Handle() runs concurrently on the server threads.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "extender/debug/decision_log.h"
#include "extender/debug/explain.h"
#include "quota/quota_ledger.h"

namespace quotient::extender {

struct DebugResponse {
  unsigned status = 200;
  std::string body;
  std::string_view content_type = "application/json";
};

class DebugEndpoints {
 public:
  using Clock = std::function<std::chrono::system_clock::time_point()>;
  // `ledger` may be null (no quota tree); `reclaim` may be null (none known). All
  // pointers must outlive this object.
  DebugEndpoints(const quota::QuotaLedger* ledger, bool allow_unquoted, const DecisionLog* log,
                 const ReclaimStatusSource* reclaim, Clock now = std::chrono::system_clock::now);

  // `path` without the query; `query` is what follows '?', undecoded.
  DebugResponse Handle(std::string_view path, std::string_view query) const;

 private:
  // Constant after construction.
  const quota::QuotaLedger* const ledger_;
  const bool allow_unquoted_;
  const DecisionLog* const log_;
  const ReclaimStatusSource* const reclaim_;
  const Clock now_;
};

// Decodes a query string: '&'-separated key=value pairs, %XX and '+' decoded. A
// repeated key keeps its last value; malformed escapes are kept as written.
std::map<std::string, std::string> ParseQuery(std::string_view query);

}  // namespace quotient::extender
