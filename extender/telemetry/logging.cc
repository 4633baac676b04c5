#include "extender/telemetry/logging.h"

#include <fmt/chrono.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <atomic>
#include <chrono>

#include "extender/json/json_write.h"
#include "text/utf8.h"

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

// Text-mode quoting: what would break a key=value line is escaped, and every control
// character, so that a value taken from an object (a pod's annotation, a quota file) can
// neither start a line of its own nor rewrite one on a terminal: \r, escape sequences, their
// UTF-8 forms (\u0085, \u009b, \u2028) and bytes that are not UTF-8 (\xNN: an overlong
// newline is not one), so that the line is valid UTF-8 for whatever reads the log.
void AppendQuoted(std::string_view value, std::string* out) {
  out->push_back('"');
  for (size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    const auto u = static_cast<unsigned char>(c);
    uint32_t rune = 0;
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
      out->append(fmt::format("\\x{:02x}", u));
    } else if (u < 0x80) {
      out->push_back(c);
    } else if (const size_t n = text::Utf8SequenceLength(value, i, &rune); n == 0) {
      out->append(fmt::format("\\x{:02x}", u));
    } else {
      if (text::BreaksALine(rune)) {
        out->append(fmt::format("\\u{:04x}", rune));
      } else {
        out->append(value.substr(i, n));
      }
      i += n - 1;
    }
  }
  out->push_back('"');
}

// Whether a value must be quoted: empty, or holding what AppendQuoted escapes.
bool NeedsQuoting(std::string_view value) {
  if (value.empty()) return true;
  for (size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    if (c == ' ' || c == '"' || c == '=' || IsControl(c)) return true;
    if (static_cast<unsigned char>(c) >= 0x80) {
      uint32_t rune = 0;
      const size_t n = text::Utf8SequenceLength(value, i, &rune);
      if (n == 0 || text::BreaksALine(rune)) return true;
      i += n - 1;
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
