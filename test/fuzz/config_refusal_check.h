// The oracle every configuration target applies to a refusal: it says why, every error has
// text, and what is printed of them (FormatErrors, the only printer of config errors) is one
// line per error shown, each of bounded length, valid UTF-8 with every control character
// escaped, at most kMaxFormattedErrors of them and a count of the rest
// (config/config_error.h).
//
// It checks the printed text once, not each error apart: a refusal may hold thousands of
// errors, and printing them all twice was a third of a config target's time.
#pragma once

#include <algorithm>
#include <string>
#include <string_view>

#include "config/config_error.h"
#include "test/fuzz/fuzz_check.h"
#include "text/utf8.h"

// The oracle's own loops are not coverage: under libFuzzer they would only add noise to
// the feedback and instrumented compares to every byte of every error. Not inlined, so
// that the attribute holds (an inlined body takes its caller's instrumentation).
#if defined(__clang__)
#define QUOTIENT_FUZZ_NOT_COVERED __attribute__((noinline, no_sanitize("coverage")))
#else
#define QUOTIENT_FUZZ_NOT_COVERED
#endif

namespace quotient::fuzz {

// True if `line` is valid UTF-8 (text/utf8.h: no overlong form, surrogate or stray byte)
// holding no control character: no byte below 0x20 nor 0x7F, no C1 control, no U+2028/2029.
QUOTIENT_FUZZ_NOT_COVERED inline bool IsOnePrintableLine(std::string_view line) {
  for (size_t i = 0; i < line.size(); ++i) {
    const auto c = static_cast<unsigned char>(line[i]);
    if (c < 0x20 || c == 0x7F) return false;
    if (c < 0x80) continue;
    uint32_t rune = 0;
    const size_t n = text::Utf8SequenceLength(line, i, &rune);
    if (n == 0 || text::BreaksALine(rune)) return false;
    i += n - 1;
  }
  return true;
}

QUOTIENT_FUZZ_NOT_COVERED inline void CheckRefusal(const config::ConfigErrors& errors) {
  FUZZ_CHECK(!errors.empty(), "a refusal says why");
  for (const config::ConfigError& e : errors) FUZZ_CHECK(!e.message.empty(), "errors have text");
  const std::string text = config::FormatErrors(errors);
  size_t lines = 0;
  for (size_t start = 0; start < text.size(); ++lines) {
    const size_t end = text.find('\n', start);
    FUZZ_CHECK(end != std::string::npos, "the printed errors end with a newline");
    const std::string_view line(text.data() + start, end - start);
    FUZZ_CHECK(IsOnePrintableLine(line), "an error prints as one line of UTF-8, controls escaped");
    FUZZ_CHECK(line.size() <= 3 * (config::kMaxErrorPartBytes + 64) + 64,
               "an error line is bounded");
    start = end + 1;
  }
  const size_t shown = std::min(errors.size(), config::kMaxFormattedErrors);
  FUZZ_CHECK(lines == shown + (errors.size() > shown ? 1 : 0),
             "one line per error shown, then one that counts the rest");
}

}  // namespace quotient::fuzz
