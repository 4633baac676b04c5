// Hot reload of the quota file: polls it, and publishes every valid edit to the ledger.
//
// Each poll reads the file (a few KB) and compares its bytes with the last content seen,
// so a ConfigMap's symlink swap, an editor's rename-and-replace and an in-place write
// are all seen, and an unchanged file costs one read. A change is acted on once it has
// settled: when the next poll reads the same bytes again. A write in place (truncate, then
// the new text in chunks: `kubectl get ... > quota.yaml`) can be read half done, and a
// prefix of a tree may well be a valid tree (a max cut from 20 to 2, the later quotas
// missing, so their namespaces unquoted): one interval later it has changed again and is
// not published. A writer stalled for a whole interval mid-write can still be read torn:
// write a new file and rename it over the old one for certainty. A settled change is
// parsed and validated (config/quota_yaml.h):
//  * valid: QuotaLedger::Reload publishes the new tree with usage recomputed from the
//    pods the ledger holds; logged at info; quotient_config_reloads_total{result="success"};
//  * invalid, unreadable or larger than the cap (server.limits.maxFileBytes; refused
//    without being read), or past the YAML bounds every loader has (depth, aliases,
//    cycles: config/yaml_reader.h): every error is logged at error, counted
//    (result="failure", quotient_config_last_reload_successful = 0), and the last good
//    tree keeps serving. The same bad content is reported once, not at every poll.
// Lowering a max below current use blocks new admissions and evicts nothing.
//
// Thread safety: Start() once; the polls run on the io_context (a timer, one at a time);
// CheckNow() may be called directly by tests when no timer runs; Stop() from any thread.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "config/config_error.h"
#include "config/text_file.h"
#include "extender/telemetry/quota_metrics.h"
#include "quota/quota_ledger.h"

namespace quotient::extender {

// Reads a quota file's text; false with one error if it cannot be read or holds more than
// `max_bytes` (config/text_file.h).
bool ReadQuotaFile(const std::string& path, uint64_t max_bytes, std::string* text,
                   config::ConfigErrors* errors);
// Parses, validates and compiles quota text; false with every error on failure.
bool CompileQuotaText(std::string_view text, const std::string& source,
                      std::shared_ptr<const quota::QuotaTree>* tree, config::ConfigErrors* errors);

class QuotaFileWatcher {
 public:
  // kSettling: changed since the last poll, acted on once the next reads the same bytes.
  enum class Outcome { kUnchanged, kSettling, kReloaded, kRejected };

  // `initial_content` is the text the ledger's tree was built from; a file larger than
  // `max_file_bytes` is refused.
  QuotaFileWatcher(boost::asio::io_context& ioc, std::string path,
                   std::chrono::milliseconds interval, std::string initial_content,
                   quota::QuotaLedger* ledger, QuotaMetrics* metrics,
                   uint64_t max_file_bytes = config::kDefaultMaxFileBytes);

  void Start();
  void Stop();
  Outcome CheckNow();

 private:
  void Schedule();

  const std::string path_;
  const std::chrono::milliseconds interval_;
  const uint64_t max_file_bytes_;
  quota::QuotaLedger* const ledger_;
  QuotaMetrics* const metrics_;
  boost::asio::steady_timer timer_;
  std::string last_content_;             // acted on last; confined to the polling context
  std::optional<std::string> settling_;  // read once, differing from last_content_
};

}  // namespace quotient::extender
