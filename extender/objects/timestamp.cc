#include "extender/objects/timestamp.h"

#include <charconv>

namespace quotient::extender::state {
namespace {

int64_t Digits(std::string_view s, size_t pos, size_t n, bool* ok) {
  int64_t value = 0;
  if (pos + n > s.size()) {
    *ok = false;
    return 0;
  }
  auto [end, ec] = std::from_chars(s.data() + pos, s.data() + pos + n, value);
  if (ec != std::errc() || end != s.data() + pos + n) *ok = false;
  return value;
}

// Days since 1970-01-01 of a civil date (H. Hinnant's algorithm).
int64_t DaysFromCivil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

}  // namespace

int64_t ParseTimestampSeconds(std::string_view s) {
  bool ok = s.size() >= 20 && s[4] == '-' && s[7] == '-' && s[10] == 'T' && s[13] == ':' &&
            s[16] == ':' && s.back() == 'Z';
  if (!ok) return 0;
  const int64_t year = Digits(s, 0, 4, &ok), month = Digits(s, 5, 2, &ok),
                day = Digits(s, 8, 2, &ok), hour = Digits(s, 11, 2, &ok),
                minute = Digits(s, 14, 2, &ok), second = Digits(s, 17, 2, &ok);
  if (!ok || month < 1 || month > 12 || day < 1 || day > 31) return 0;
  return DaysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second;
}

}  // namespace quotient::extender::state
