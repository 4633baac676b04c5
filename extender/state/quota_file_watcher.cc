#include "extender/state/quota_file_watcher.h"

#include <fmt/format.h>

#include <boost/asio/post.hpp>

#include "config/quota_yaml.h"
#include "config/text_file.h"
#include "extender/telemetry/logging.h"

namespace quotient::extender {
namespace {

constexpr std::string_view kSource = "quota_file";

double UnixNow() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

bool ReadQuotaFile(const std::string& path, uint64_t max_bytes, std::string* out,
                   config::ConfigErrors* errors) {
  return config::ReadTextFile(path, max_bytes, out, errors, config::kMaxFileBytesSetting);
}

bool CompileQuotaText(std::string_view text, const std::string& source,
                      std::shared_ptr<const quota::QuotaTree>* tree, config::ConfigErrors* errors) {
  quota::QuotaNodeSpec spec;
  if (!config::LoadQuotaTree(text, source, &spec, errors)) return false;
  *tree = quota::QuotaTree::Build(spec);
  return true;
}

QuotaFileWatcher::QuotaFileWatcher(boost::asio::io_context& ioc, std::string path,
                                   std::chrono::milliseconds interval, std::string initial_content,
                                   quota::QuotaLedger* ledger, QuotaMetrics* metrics,
                                   uint64_t max_file_bytes)
    : path_(std::move(path)),
      interval_(interval),
      max_file_bytes_(max_file_bytes),
      ledger_(ledger),
      metrics_(metrics),
      timer_(ioc),
      last_content_(std::move(initial_content)) {}

void QuotaFileWatcher::Start() {
  Schedule();
}

void QuotaFileWatcher::Stop() {
  boost::asio::post(timer_.get_executor(), [this] { timer_.cancel(); });
}

void QuotaFileWatcher::Schedule() {
  timer_.expires_after(interval_);
  timer_.async_wait([this](boost::system::error_code ec) {
    if (ec) return;  // cancelled
    CheckNow();
    Schedule();
  });
}

QuotaFileWatcher::Outcome QuotaFileWatcher::CheckNow() {
  std::string text;
  config::ConfigErrors errors;
  const bool readable = ReadQuotaFile(path_, max_file_bytes_, &text, &errors);
  // An unreadable (or too large) file is a change worth reporting once; remember it as a
  // marker plus why, so that the next successful read is always re-examined.
  const std::string seen =
      readable ? text : std::string("\0unreadable", 11) + config::FormatErrors(errors);
  if (seen == last_content_) {
    settling_.reset();  // changed back, or a torn read that healed
    return Outcome::kUnchanged;
  }
  if (settling_ != seen) {
    settling_ = seen;  // acted on if the next poll reads the same
    return Outcome::kSettling;
  }
  settling_.reset();
  last_content_ = seen;

  std::shared_ptr<const quota::QuotaTree> tree;
  if (readable) {
    CompileQuotaText(text, path_, &tree, &errors);
  }
  if (!errors.empty()) {
    metrics_->CountReload(std::string(kSource), false, UnixNow());
    Log(spdlog::level::err, "quota file rejected; keeping the last good tree",
        {{"file", path_},
         {"errors", fmt::format_int(errors.size()).c_str()},
         {"detail", config::FormatErrors(errors)}});
    return Outcome::kRejected;
  }
  ledger_->Reload(tree, quota::Clock::now());
  metrics_->CountReload(std::string(kSource), true, UnixNow());
  Log(spdlog::level::info, "quota tree reloaded",
      {{"file", path_}, {"quota_nodes", fmt::format_int(tree->size()).c_str()}});
  return Outcome::kReloaded;
}

}  // namespace quotient::extender
