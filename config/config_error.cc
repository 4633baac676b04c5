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

// True for a byte printed as itself on its own: printable ASCII but the backslash.
bool PrintsAsItself(char c) {
  return c >= 0x20 && c < 0x7F && c != '\\';
}

// How the character of `n` bytes at text[i] prints: itself (a whole UTF-8 sequence), or an
// escape written into `buf` (at least 7 bytes).
std::string_view Printed(std::string_view text, size_t i, size_t n, char* buf) {
  static constexpr char kHex[] = "0123456789abcdef";
  const auto at = [&](size_t k) { return static_cast<unsigned char>(text[i + k]); };
  const auto escape = [&](std::string_view prefix, unsigned char byte) {
    std::copy(prefix.begin(), prefix.end(), buf);
    buf[prefix.size()] = kHex[byte >> 4];
    buf[prefix.size() + 1] = kHex[byte & 0xF];
    return std::string_view(buf, prefix.size() + 2);
  };
  if (n == 2 && at(0) == 0xC2 && at(1) <= 0x9F) return escape("\\u00", at(1));  // C1: NEL, CSI
  if (n == 3 && at(0) == 0xE2 && at(1) == 0x80 && (at(2) == 0xA8 || at(2) == 0xA9)) {
    return at(2) == 0xA8 ? "\\u2028" : "\\u2029";  // line and paragraph separators
  }
  if (n > 1 || at(0) >= 0x80) return text.substr(i, n);
  switch (at(0)) {
    case '\\': return "\\\\";
    case '\n': return "\\n";
    case '\r': return "\\r";
    case '\t': return "\\t";
    default: return escape("\\x", at(0));  // other controls, DEL
  }
}

// Appends `text` as printed: backslashes and control characters escaped (\\, \n, \r, \t,
// \xNN; the UTF-8 forms of C1 controls and of U+2028/U+2029 as \uXXXX), and clipped once the
// printed part would pass kMaxErrorPartBytes, between two characters (never inside a UTF-8
// sequence), with the full length after it. Runs of plain ASCII are copied at once: the
// fuzz oracles print every error of every refusal.
void AppendOneLine(std::string_view text, std::string* out) {
  size_t printed = 0;
  size_t i = 0;
  char buf[8];
  while (i < text.size()) {
    // The run, scanned no further than the bound lets it print (and one byte past, to know).
    const size_t stop = std::min(text.size(), i + (kMaxErrorPartBytes - printed) + 1);
    size_t end = i;
    while (end < stop && PrintsAsItself(text[end])) ++end;
    if (end > i) {
      const size_t n = std::min(end - i, kMaxErrorPartBytes - printed);
      out->append(text.substr(i, n));
      printed += n;
      i += n;
      if (i < end) break;  // clipped inside the run
      continue;
    }
    const size_t n = CharLength(text, i);
    const std::string_view piece = Printed(text, i, n, buf);
    if (printed + piece.size() > kMaxErrorPartBytes) break;
    out->append(piece);
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
