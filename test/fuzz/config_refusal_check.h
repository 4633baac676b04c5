// The oracle every configuration target applies to a refusal: it says why, each error has
// text and prints as one line of bounded length, and the formatted list stays within
// kMaxFormattedErrors lines (config/config_error.h).
#pragma once

#include <algorithm>
#include <string>

#include "config/config_error.h"
#include "test/fuzz/fuzz_check.h"

namespace quotient::fuzz {

inline void CheckRefusal(const config::ConfigErrors& errors) {
  FUZZ_CHECK(!errors.empty(), "a refusal says why");
  for (const config::ConfigError& e : errors) {
    FUZZ_CHECK(!e.message.empty(), "errors have text");
    const std::string line = e.ToString();
    FUZZ_CHECK(line.find('\n') == std::string::npos, "an error prints as one line");
    FUZZ_CHECK(line.size() <= 3 * (config::kMaxErrorPartBytes + 64) + 64,
               "an error line is bounded");
  }
  const std::string text = config::FormatErrors(errors);
  FUZZ_CHECK(static_cast<size_t>(std::count(text.begin(), text.end(), '\n')) <=
                 config::kMaxFormattedErrors + 1,
             "formatted errors are bounded");
}

}  // namespace quotient::fuzz
