// Structured logging on top of spdlog: one event name plus key=value fields, written
// as a text line or as a JSON object per line (config: log.format).
//
//   text: 2026-11-22T11:40:00.123Z info request verb=filter status=200 request_id=5f3a-1
//   json: {"ts":"2026-11-22T11:40:00.123Z","level":"info","msg":"request","verb":"filter",...}
//
// Thread safety: thread-safe (spdlog's synchronous stderr sink with its mutex). Callers
// on hot paths check Enabled(level) first so that disabled levels cost one load.
#pragma once

#include <spdlog/spdlog.h>

#include <initializer_list>
#include <string>
#include <string_view>

namespace quotient::extender {

enum class LogFormat { kText, kJson };

struct LogField {
  std::string_view key;
  std::string_view value;
};

// Configures the process logger. Returns false for an unknown level name.
bool ConfigureLogging(LogFormat format, std::string_view level);

bool LogEnabled(spdlog::level::level_enum level);
void Log(spdlog::level::level_enum level, std::string_view event,
         std::initializer_list<LogField> fields);

// Formats one line (exposed for tests): no timestamp when `with_time` is false.
std::string FormatLogLine(LogFormat format, spdlog::level::level_enum level, std::string_view event,
                          std::initializer_list<LogField> fields, bool with_time);

}  // namespace quotient::extender
