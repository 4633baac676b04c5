#include "config/config_error.h"

#include <fmt/format.h>

#include <string_view>

namespace quotient::config {

namespace {

// Appends `text` with control characters escaped, clipped at kMaxErrorPartBytes of input
// (never inside a UTF-8 sequence).
void AppendOneLine(std::string_view text, std::string* out) {
  size_t end = text.size();
  if (end > kMaxErrorPartBytes) {
    end = kMaxErrorPartBytes;
    while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  }
  for (size_t i = 0; i < end; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '\n') {
      *out += "\\n";
    } else if (c == '\r') {
      *out += "\\r";
    } else if (c == '\t') {
      *out += "\\t";
    } else if (c < 0x20 || c == 0x7F) {
      *out += fmt::format("\\x{:02x}", c);
    } else {
      *out += static_cast<char>(c);
    }
  }
  if (end < text.size()) *out += fmt::format("... ({} bytes in all)", text.size());
}

}  // namespace

std::string ConfigError::ToString() const {
  std::string out;
  AppendOneLine(source, &out);
  if (line > 0) out += fmt::format(":{}", line);
  if (!out.empty()) out += ": ";
  if (!path.empty()) {
    AppendOneLine(path, &out);
    out += ": ";
  }
  AppendOneLine(message, &out);
  return out;
}

std::string FormatErrors(const ConfigErrors& errors) {
  std::string out;
  for (size_t i = 0; i < errors.size() && i < kMaxFormattedErrors; ++i) {
    out += errors[i].ToString();
    out += '\n';
  }
  if (errors.size() > kMaxFormattedErrors) {
    out += fmt::format("... and {} more errors\n", errors.size() - kMaxFormattedErrors);
  }
  return out;
}

}  // namespace quotient::config
