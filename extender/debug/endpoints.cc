#include "extender/debug/endpoints.h"

#include <fmt/format.h>

#include "extender/debug/quota_view.h"
#include "extender/wire/wire_codec.h"

namespace quotient::extender {
namespace {

constexpr std::string_view kText = "text/plain; charset=utf-8";

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string Decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() && HexValue(s[i + 1]) >= 0 &&
               HexValue(s[i + 2]) >= 0) {
      out += static_cast<char>(HexValue(s[i + 1]) * 16 + HexValue(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

DebugResponse Error(unsigned status, std::string_view reason, const std::string& message) {
  DebugResponse r;
  r.status = status;
  EncodeErrorBody(message, reason, &r.body);
  return r;
}

bool WantsText(const std::map<std::string, std::string>& params, DebugResponse* error) {
  auto it = params.find("output");
  if (it == params.end() || it->second == "json") return false;
  if (it->second == "text") return true;
  *error = Error(400, "bad_parameter",
                 fmt::format("output must be json or text, got \"{}\"", it->second));
  return false;
}

}  // namespace

std::map<std::string, std::string> ParseQuery(std::string_view query) {
  std::map<std::string, std::string> out;
  while (!query.empty()) {
    const size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    const size_t eq = pair.find('=');
    std::string key = Decode(pair.substr(0, eq));
    out[key] = eq == std::string_view::npos ? "" : Decode(pair.substr(eq + 1));
  }
  return out;
}

DebugEndpoints::DebugEndpoints(const quota::QuotaLedger* ledger, bool allow_unquoted,
                               const DecisionLog* log, const ReclaimStatusSource* reclaim,
                               Clock now)
    : ledger_(ledger),
      allow_unquoted_(allow_unquoted),
      log_(log),
      reclaim_(reclaim),
      now_(std::move(now)) {}

DebugResponse DebugEndpoints::Handle(std::string_view path, std::string_view query) const {
  const auto params = ParseQuery(query);
  DebugResponse error;
  const bool text = WantsText(params, &error);
  if (error.status != 200) return error;
  DebugResponse r;
  if (text) r.content_type = kText;
  if (path == "/debug/quota") {
    if (ledger_ == nullptr) {
      r.body = text ? "No quota tree is loaded (quota.file or quota.source is not set).\n"
                    : "{\"quotas\":[]}\n";
      return r;
    }
    const quota::QuotaUsage& usage = ledger_->usage();
    r.body = text ? QuotaTreeTable(usage) : QuotaTreeJson(usage);
    return r;
  }
  if (path == "/debug/explain") {
    auto ns = params.find("namespace");
    auto pod = params.find("pod");
    if (ns == params.end() || ns->second.empty() || pod == params.end() || pod->second.empty()) {
      return Error(400, "missing_parameter", "/debug/explain needs ?namespace=NAMESPACE&pod=NAME");
    }
    ExplainReport report =
        BuildExplain(ledger_, allow_unquoted_, *log_, reclaim_, ns->second, pod->second, now_());
    r.body = text ? ExplainText(report) : ExplainJson(report);
    return r;
  }
  return Error(
      404, "not_found",
      fmt::format("no debug endpoint {}; there are /debug/quota and /debug/explain", path));
}

}  // namespace quotient::extender
