// Go-compatible JSON string escaping (encoding/json encodeState.string with
// escapeHTML=true, which json.Marshal uses).
#include "extender/json/json_write.h"

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace quotient::extender {
namespace {

constexpr char kHex[] = "0123456789abcdef";

// True for bytes Go's encoder writes verbatim.
constexpr std::array<bool, 128> MakeSafeTable() {
  std::array<bool, 128> safe{};
  for (int c = 0x20; c < 0x80; ++c) safe[c] = true;
  safe['"'] = safe['\\'] = safe['<'] = safe['>'] = safe['&'] = false;
  return safe;
}
constexpr std::array<bool, 128> kSafe = MakeSafeTable();

// Length of a valid UTF-8 sequence at s[i] (2..4), or 0 when invalid.
size_t Utf8Length(std::string_view s, size_t i, uint32_t* rune) {
  auto b = [&](size_t k) { return static_cast<uint8_t>(s[i + k]); };
  uint8_t c0 = b(0);
  auto cont = [&](size_t k) { return i + k < s.size() && (b(k) & 0xC0) == 0x80; };
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

}  // namespace

void AppendJsonString(std::string_view text, std::string* out) {
  out->push_back('"');
  size_t start = 0;  // first byte not yet copied
  size_t i = 0;
  while (i < text.size()) {
    auto c = static_cast<uint8_t>(text[i]);
    if (c < 0x80 && kSafe[c]) {
      ++i;
      continue;
    }
    if (c < 0x80) {
      out->append(text.substr(start, i - start));
      switch (c) {
        case '"': out->append("\\\""); break;
        case '\\': out->append("\\\\"); break;
        case '\n': out->append("\\n"); break;
        case '\r': out->append("\\r"); break;
        case '\t': out->append("\\t"); break;
        default:
          out->append("\\u00");
          out->push_back(kHex[c >> 4]);
          out->push_back(kHex[c & 0xF]);
      }
      start = ++i;
      continue;
    }
    uint32_t rune = 0;
    size_t len = Utf8Length(text, i, &rune);
    if (len == 0) {
      out->append(text.substr(start, i - start));
      out->append("\\ufffd");
      start = ++i;
      continue;
    }
    if (rune == 0x2028 || rune == 0x2029) {
      out->append(text.substr(start, i - start));
      out->append(rune == 0x2028 ? "\\u2028" : "\\u2029");
      start = i + len;
    }
    i += len;
  }
  out->append(text.substr(start));
  out->push_back('"');
}

}  // namespace quotient::extender
