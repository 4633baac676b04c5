#include "config/config_error.h"

#include <fmt/format.h>

#include <algorithm>
#include <string_view>

namespace quotient::config {

namespace {

// The bytes of one character starting at text[i]: a whole UTF-8 sequence (a lead byte and
// as many continuation bytes as it announces), else one byte. Only a sequence is printed
// raw, so a malformed one cannot carry a newline along.
size_t CharLength(std::string_view text, size_t i) {
  const auto c = static_cast<unsigned char>(text[i]);
  const size_t n = c >= 0xC0 && c <= 0xDF   ? 2
                   : c >= 0xE0 && c <= 0xEF ? 3
                   : c >= 0xF0 && c <= 0xF7 ? 4
                                            : 1;
  if (n == 1 || i + n > text.size()) return 1;
  for (size_t k = 1; k < n; ++k) {
    if ((static_cast<unsigned char>(text[i + k]) & 0xC0) != 0x80) return 1;
  }
  return n;
}

// Appends `text` as printed: backslashes and control characters escaped (\\, \n, \r, \t,
// \xNN; the UTF-8 forms of C1 controls and of U+2028/U+2029 as \uXXXX), and clipped once the
// printed part would pass kMaxErrorPartBytes, between two characters (never inside a UTF-8
// sequence), with the full length after it.
void AppendOneLine(std::string_view text, std::string* out) {
  size_t printed = 0;
  size_t i = 0;
  while (i < text.size()) {
    const size_t n = CharLength(text, i);
    const auto c = static_cast<unsigned char>(text[i]);
    const auto next = [&](size_t k) { return static_cast<unsigned char>(text[i + k]); };
    std::string piece;
    if (n == 2 && c == 0xC2 && next(1) <= 0x9F) {
      piece = fmt::format("\\u00{:02x}", next(1));  // a C1 control (NEL, CSI...)
    } else if (n == 3 && c == 0xE2 && next(1) == 0x80 && (next(2) == 0xA8 || next(2) == 0xA9)) {
      piece = next(2) == 0xA8 ? "\\u2028" : "\\u2029";  // line and paragraph separators
    } else if (n > 1 || (c >= 0x20 && c != 0x7F && c != '\\')) {
      piece.assign(text.substr(i, n));
    } else if (c == '\\') {
      piece = "\\\\";
    } else if (c == '\n') {
      piece = "\\n";
    } else if (c == '\r') {
      piece = "\\r";
    } else if (c == '\t') {
      piece = "\\t";
    } else {
      piece = fmt::format("\\x{:02x}", c);
    }
    if (printed + piece.size() > kMaxErrorPartBytes) break;
    *out += piece;
    printed += piece.size();
    i += n;
  }
  if (i < text.size()) *out += fmt::format("... ({} bytes in all)", text.size());
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
