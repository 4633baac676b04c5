// Go-compatible JSON string escaping (encoding/json encodeState.string with
// escapeHTML=true, which json.Marshal uses).
#include "extender/json/json_write.h"

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "text/utf8.h"

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
    size_t len = text::Utf8SequenceLength(text, i, &rune);
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
