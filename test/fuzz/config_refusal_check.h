// The oracle every configuration target applies to a refusal: it says why, each error has
// text and prints as one line of bounded length with every control character escaped, and
// the formatted list stays within kMaxFormattedErrors lines (config/config_error.h).
#pragma once

#include <algorithm>
#include <string>

#include "config/config_error.h"
#include "test/fuzz/fuzz_check.h"

namespace quotient::fuzz {

// True if `line` holds no control character: no byte below 0x20 nor 0x7F, and none of the
// UTF-8 forms of a C1 control (U+0080..U+009F) or of U+2028/U+2029.
inline bool HoldsNoControlCharacter(const std::string& line) {
  const auto at = [&](size_t i) { return static_cast<unsigned char>(line[i]); };
  for (size_t i = 0; i < line.size(); ++i) {
    if (at(i) < 0x20 || at(i) == 0x7F) return false;
    if (i + 1 < line.size() && at(i) == 0xC2 && at(i + 1) >= 0x80 && at(i + 1) <= 0x9F) {
      return false;
    }
    if (i + 2 < line.size() && at(i) == 0xE2 && at(i + 1) == 0x80 &&
        (at(i + 2) == 0xA8 || at(i + 2) == 0xA9)) {
      return false;
    }
  }
  return true;
}

inline void CheckRefusal(const config::ConfigErrors& errors) {
  FUZZ_CHECK(!errors.empty(), "a refusal says why");
  for (const config::ConfigError& e : errors) {
    FUZZ_CHECK(!e.message.empty(), "errors have text");
    const std::string line = e.ToString();
    FUZZ_CHECK(HoldsNoControlCharacter(line), "an error prints as one line, controls escaped");
    FUZZ_CHECK(line.size() <= 3 * (config::kMaxErrorPartBytes + 64) + 64,
               "an error line is bounded");
  }
  const std::string text = config::FormatErrors(errors);
  FUZZ_CHECK(static_cast<size_t>(std::count(text.begin(), text.end(), '\n')) <=
                 config::kMaxFormattedErrors + 1,
             "formatted errors are bounded");
}

}  // namespace quotient::fuzz
