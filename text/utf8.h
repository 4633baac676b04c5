// UTF-8 as the printers of untrusted text read it (config errors, text logs, JSON strings):
// strictly, as RFC 3629 defines it. Overlong forms (C0 8A for a newline), surrogates
// (U+D800..U+DFFF), code points past U+10FFFF and cut-off sequences are not UTF-8, whatever
// a lenient decoder downstream would make of them, so a printer escapes their bytes.
//
// Thread safety: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace quotient::text {

// The length (2 to 4) of the well-formed multi-byte sequence at s[i], with its code point in
// *rune; 0 when the bytes there are not one (an ASCII byte included: callers handle < 0x80).
inline size_t Utf8SequenceLength(std::string_view s, size_t i, uint32_t* rune) {
  const auto b = [&](size_t k) { return static_cast<uint8_t>(s[i + k]); };
  const auto cont = [&](size_t k) { return i + k < s.size() && (b(k) & 0xC0) == 0x80; };
  const uint8_t c0 = b(0);
  if (c0 >= 0xC2 && c0 <= 0xDF && cont(1)) {
    *rune = ((c0 & 0x1Fu) << 6) | (b(1) & 0x3Fu);
    return 2;
  }
  if (c0 >= 0xE0 && c0 <= 0xEF && cont(1) && cont(2)) {
    *rune = ((c0 & 0x0Fu) << 12) | ((b(1) & 0x3Fu) << 6) | (b(2) & 0x3Fu);
    if (*rune < 0x800 || (*rune >= 0xD800 && *rune <= 0xDFFF)) return 0;
    return 3;
  }
  if (c0 >= 0xF0 && c0 <= 0xF4 && cont(1) && cont(2) && cont(3)) {
    *rune = ((c0 & 0x07u) << 18) | ((b(1) & 0x3Fu) << 12) | ((b(2) & 0x3Fu) << 6) | (b(3) & 0x3Fu);
    if (*rune < 0x10000 || *rune > 0x10FFFF) return 0;
    return 4;
  }
  return 0;
}

// True for the code points beyond ASCII that a printed line must not carry as they are: the
// C1 controls (U+0080..U+009F: NEL ends a line for some readers, CSI starts a terminal
// escape) and the line and paragraph separators U+2028 and U+2029.
inline bool BreaksALine(uint32_t rune) {
  return (rune >= 0x80 && rune <= 0x9F) || rune == 0x2028 || rune == 0x2029;
}

}  // namespace quotient::text
