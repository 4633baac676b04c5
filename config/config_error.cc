#include "config/config_error.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <string_view>

#include "text/utf8.h"

namespace quotient::config {

namespace {

// True for a byte printed as itself on its own: printable ASCII but the backslash.
bool PrintsAsItself(char c) {
  return c >= 0x20 && c < 0x7F && c != '\\';
}

// How the character at text[i] prints, and in *n how many bytes of `text` it is: a
// well-formed UTF-8 sequence as itself, unless it is a C1 control or U+2028/U+2029
// (\uXXXX); a byte that begins no such sequence, a control character or DEL as \xNN (or
// \n, \r, \t); a backslash doubled. Escapes are written into `buf` (at least 7 bytes).
std::string_view Printed(std::string_view text, size_t i, size_t* n, char* buf) {
  static constexpr char kHex[] = "0123456789abcdef";
  const auto escape = [&](std::string_view prefix, uint32_t value, int digits) {
    std::copy(prefix.begin(), prefix.end(), buf);
    for (int d = 0; d < digits; ++d) {
      buf[prefix.size() + d] = kHex[(value >> (4 * (digits - 1 - d))) & 0xF];
    }
    return std::string_view(buf, prefix.size() + digits);
  };
  *n = 1;
  const auto c = static_cast<unsigned char>(text[i]);
  if (c >= 0x80) {
    uint32_t rune = 0;
    const size_t len = text::Utf8SequenceLength(text, i, &rune);
    if (len == 0) return escape("\\x", c, 2);  // not UTF-8: overlong, cut off, stray
    *n = len;
    return text::BreaksALine(rune) ? escape("\\u", rune, 4) : text.substr(i, len);
  }
  switch (c) {
    case '\\': return "\\\\";
    case '\n': return "\\n";
    case '\r': return "\\r";
    case '\t': return "\\t";
    default: return PrintsAsItself(static_cast<char>(c)) ? text.substr(i, 1) : escape("\\x", c, 2);
  }
}

// Appends `text` as printed (Printed: valid UTF-8 without a control character), clipped
// once the printed part would pass kMaxErrorPartBytes, between two characters (never
// inside a UTF-8 sequence), with the full length after it. Runs of plain ASCII are copied
// at once: the fuzz oracles print every error of every refusal.
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
    size_t n = 1;
    const std::string_view piece = Printed(text, i, &n, buf);
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
