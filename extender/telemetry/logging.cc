#include "extender/telemetry/logging.h"

#include <fmt/chrono.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <atomic>
#include <chrono>

#include "extender/json/json_write.h"

namespace quotient::extender {
namespace {

std::atomic<LogFormat> g_format{LogFormat::kText};

std::string Timestamp() {
  auto now = std::chrono::system_clock::now();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()) % 1000;
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:03d}Z",
                     fmt::gmtime(std::chrono::system_clock::to_time_t(now)), ms.count());
}

bool IsControl(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u < 0x20 || u == 0x7F;
}

// The length of the UTF-8 sequence at value[i] if it encodes a C1 control (U+0080..U+009F:
// NEL ends a line for some readers, CSI starts an escape sequence on some terminals) or a
// line or paragraph separator (U+2028, U+2029), else 0.
size_t BreakingSequenceAt(std::string_view value, size_t i) {
  const auto at = [&](size_t k) { return static_cast<unsigned char>(value[i + k]); };
  if (i + 1 < value.size() && at(0) == 0xC2 && at(1) >= 0x80 && at(1) <= 0x9F) return 2;
  if (i + 2 < value.size() && at(0) == 0xE2 && at(1) == 0x80 && (at(2) == 0xA8 || at(2) == 0xA9)) {
    return 3;
  }
  return 0;
}

// Text-mode quoting: what would break a key=value line is escaped, and every control
// character, so that a value taken from an object (a pod's annotation, a quota file) can
// neither start a line of its own nor rewrite one on a terminal (\r, escape sequences,
// their UTF-8 forms \u0085, \u009b, \u2028).
void AppendQuoted(std::string_view value, std::string* out) {
  out->push_back('"');
  for (size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    if (c == '"' || c == '\\') {
      out->push_back('\\');
      out->push_back(c);
    } else if (c == '\n') {
      out->append("\\n");
    } else if (c == '\t') {
      out->append("\\t");
    } else if (c == '\r') {
      out->append("\\r");
    } else if (IsControl(c)) {
      out->append(fmt::format("\\x{:02x}", static_cast<unsigned char>(c)));
    } else if (const size_t n = BreakingSequenceAt(value, i); n == 2) {
      out->append(fmt::format("\\u00{:02x}", static_cast<unsigned char>(value[i + 1])));
      i += 1;
    } else if (n == 3) {
      out->append(static_cast<unsigned char>(value[i + 2]) == 0xA8 ? "\\u2028" : "\\u2029");
      i += 2;
    } else {
      out->push_back(c);
    }
  }
  out->push_back('"');
}

bool NeedsQuoting(std::string_view value) {
  if (value.empty()) return true;
  for (size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    if (c == ' ' || c == '"' || c == '=' || IsControl(c) || BreakingSequenceAt(value, i) > 0) {
      return true;
    }
  }
  return false;
}

}  // namespace

bool ConfigureLogging(LogFormat format, std::string_view level) {
  auto parsed = spdlog::level::from_str(std::string(level));
  if (parsed == spdlog::level::off && level != "off") return false;
  g_format.store(format, std::memory_order_relaxed);
  auto logger = std::make_shared<spdlog::logger>("quotient",
                                                 std::make_shared<spdlog::sinks::stderr_sink_mt>());
  logger->set_pattern("%v");
  logger->set_level(parsed);
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
  return true;
}

bool LogEnabled(spdlog::level::level_enum level) {
  return spdlog::default_logger_raw()->should_log(level);
}

std::string FormatLogLine(LogFormat format, spdlog::level::level_enum level, std::string_view event,
                          std::initializer_list<LogField> fields, bool with_time) {
  std::string line;
  auto level_name = spdlog::level::to_string_view(level);
  std::string_view level_text(level_name.data(), level_name.size());
  if (format == LogFormat::kJson) {
    line.push_back('{');
    if (with_time) {
      line.append("\"ts\":");
      AppendJsonString(Timestamp(), &line);
      line.push_back(',');
    }
    line.append("\"level\":");
    AppendJsonString(level_text, &line);
    line.append(",\"msg\":");
    AppendJsonString(event, &line);
    for (const auto& f : fields) {
      line.push_back(',');
      AppendJsonString(f.key, &line);
      line.push_back(':');
      AppendJsonString(f.value, &line);
    }
    line.push_back('}');
    return line;
  }
  if (with_time) {
    line.append(Timestamp());
    line.push_back(' ');
  }
  line.append(level_text);
  line.push_back(' ');
  line.append(event);
  for (const auto& f : fields) {
    line.push_back(' ');
    line.append(f.key);
    line.push_back('=');
    if (NeedsQuoting(f.value)) {
      AppendQuoted(f.value, &line);
    } else {
      line.append(f.value);
    }
  }
  return line;
}

void Log(spdlog::level::level_enum level, std::string_view event,
         std::initializer_list<LogField> fields) {
  if (!LogEnabled(level)) return;
  std::string line = FormatLogLine(g_format.load(std::memory_order_relaxed), level, event, fields,
                                   /*with_time=*/true);
  spdlog::default_logger_raw()->log(level, "{}", line);
}

}  // namespace quotient::extender
