#include "config/values.h"

#include <fmt/format.h>

#include <charconv>

#include "quota/resource_list.h"

namespace quotient::config {
namespace {

// No setting means anything past a year, and the bound keeps the double -> int64 cast defined.
constexpr double kMaxDurationMs = 8760.0 * 3'600'000;

}  // namespace

bool ParseDuration(std::string_view text, std::chrono::milliseconds* out, std::string* error) {
  if (text.empty()) {
    *error = "empty duration";
    return false;
  }
  if (text == "0") {
    *out = std::chrono::milliseconds(0);
    return true;
  }
  double total_ms = 0;
  std::string_view rest = text;
  while (!rest.empty()) {
    size_t digits = 0;
    while (digits < rest.size() &&
           ((rest[digits] >= '0' && rest[digits] <= '9') || rest[digits] == '.')) {
      ++digits;
    }
    if (digits == 0) {
      *error = fmt::format("invalid duration \"{}\" (use e.g. 500ms, 10s, 1m30s)", text);
      return false;
    }
    double number = 0;
    auto [ptr, ec] = std::from_chars(rest.data(), rest.data() + digits, number);
    if (ec != std::errc() || ptr != rest.data() + digits) {
      *error = fmt::format("invalid duration \"{}\"", text);
      return false;
    }
    rest.remove_prefix(digits);
    size_t unit_len = 0;
    while (unit_len < rest.size() && !(rest[unit_len] >= '0' && rest[unit_len] <= '9') &&
           rest[unit_len] != '.') {
      ++unit_len;
    }
    std::string_view unit = rest.substr(0, unit_len);
    rest.remove_prefix(unit_len);
    double scale = 0;
    if (unit == "ms") {
      scale = 1;
    } else if (unit == "s") {
      scale = 1000;
    } else if (unit == "m") {
      scale = 60'000;
    } else if (unit == "h") {
      scale = 3'600'000;
    } else {
      *error =
          fmt::format("invalid duration \"{}\": unknown unit \"{}\" (ms, s, m, h)", text, unit);
      return false;
    }
    total_ms += number * scale;
    // Checked per term so a long chain of terms cannot overflow before the end.
    if (total_ms > kMaxDurationMs) {
      *error = fmt::format("duration \"{}\" is too long (at most 8760h, one year)", text);
      return false;
    }
  }
  *out = std::chrono::milliseconds(static_cast<int64_t>(total_ms));
  return true;
}

std::string FormatDuration(std::chrono::milliseconds value) {
  auto ms = value.count();
  if (ms % 1000 != 0) return fmt::format("{}ms", ms);
  return fmt::format("{}s", ms / 1000);
}

bool ParseByteSize(std::string_view text, uint64_t* out, std::string* error) {
  int64_t amount = 0;
  std::string reason;
  if (!quota::ParseResourceAmount("memory", text, &amount, &reason)) {
    *error = fmt::format("invalid size \"{}\": {}", text, reason);
    return false;
  }
  *out = static_cast<uint64_t>(amount);
  return true;
}

bool ParseHostPort(std::string_view text, std::string* host, uint16_t* port, std::string* error) {
  size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) {
    *error = fmt::format("invalid address \"{}\": expected HOST:PORT", text);
    return false;
  }
  std::string_view h = text.substr(0, colon);
  std::string_view p = text.substr(colon + 1);
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  unsigned value = 0;
  auto [ptr, ec] = std::from_chars(p.data(), p.data() + p.size(), value);
  if (p.empty() || ec != std::errc() || ptr != p.data() + p.size() || value > 65535) {
    *error = fmt::format("invalid port in \"{}\"", text);
    return false;
  }
  *host = h.empty() ? "0.0.0.0" : std::string(h);
  *port = static_cast<uint16_t>(value);
  return true;
}

}  // namespace quotient::config
