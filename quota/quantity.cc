#include "quota/quantity.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

namespace quotient::quota {
namespace {

__extension__ using Uint128 = unsigned __int128;
__extension__ using Int128 = __int128;

// Significant decimal digits a mantissa may have: 10^38 - 1 < 2^127 fits in 128 bits.
constexpr int kMaxSignificantDigits = 38;
// |int64 min| = 2^63: the largest magnitude an int64 result may have when negative.
constexpr uint64_t kInt64MinMagnitude = uint64_t{1} << 63;

constexpr bool IsDigit(char c) {
  return c >= '0' && c <= '9';
}

// The characters Kubernetes' scanner (parseQuantityString) collects as the start of a suffix.
constexpr bool IsSuffixChar(char c) {
  return std::string_view("eEinumkKMGTP").find(c) != std::string_view::npos;
}

std::string Quoted(std::string_view text) {
  std::string out = "\"";
  out.append(text);
  out.push_back('"');
  return out;
}

struct Suffix {
  int base = 10;         // 10 or 2
  int64_t exponent = 0;  // power of `base`
};

// Parses a decimal integer with an optional sign, exactly like Go's strconv.ParseInt(s, 10, 64):
// at least one digit, nothing else, within the int64 range.
bool ParseInt64(std::string_view text, int64_t* out) {
  bool negative = false;
  if (!text.empty() && (text[0] == '+' || text[0] == '-')) {
    negative = text[0] == '-';
    text.remove_prefix(1);
  }
  if (text.empty()) return false;
  const uint64_t limit = negative ? kInt64MinMagnitude : kInt64MinMagnitude - 1;
  uint64_t magnitude = 0;
  for (char c : text) {
    if (!IsDigit(c)) return false;
    const auto digit = static_cast<uint64_t>(c - '0');
    if (magnitude > (limit - digit) / 10) return false;
    magnitude = magnitude * 10 + digit;
  }
  *out = negative ? static_cast<int64_t>(0 - magnitude) : static_cast<int64_t>(magnitude);
  return true;
}

// Mirrors suffixHandler.interpret: the fixed decimal and binary suffixes, then "e<int64>".
bool InterpretSuffix(std::string_view text, Suffix* out) {
  struct Entry {
    std::string_view text;
    int base;
    int exponent;
  };
  // clang-format off
  static constexpr std::array<Entry, 16> kTable = {{
      {"", 10, 0}, {"n", 10, -9}, {"u", 10, -6}, {"m", 10, -3}, {"k", 10, 3}, {"M", 10, 6},
      {"G", 10, 9}, {"T", 10, 12}, {"P", 10, 15}, {"E", 10, 18},
      {"Ki", 2, 10}, {"Mi", 2, 20}, {"Gi", 2, 30}, {"Ti", 2, 40}, {"Pi", 2, 50}, {"Ei", 2, 60},
  }};
  // clang-format on
  for (const Entry& entry : kTable) {
    if (entry.text == text) {
      *out = Suffix{entry.base, entry.exponent};
      return true;
    }
  }
  if (text.size() > 1 && (text[0] == 'e' || text[0] == 'E')) {
    int64_t exponent = 0;
    if (!ParseInt64(text.substr(1), &exponent)) return false;
    *out = Suffix{10, exponent};
    return true;
  }
  return false;
}

// Kubernetes parses a number without any digit ("", "-", ".", "+.") as 0 whenever its fast
// int64 path applies, and fails (inf.Dec: "no digits read") when the slow path runs. The fast
// path runs for decimal suffixes whose exponent, truncated to int32, is >= -9 (nano), and for
// binary suffixes up to Ti (its precision estimate goes negative for Pi and Ei).
bool DigitlessNumberAccepted(const Suffix& suffix) {
  if (suffix.base == 2) return suffix.exponent <= 40;
  const auto truncated = static_cast<int32_t>(static_cast<uint32_t>(suffix.exponent));
  return truncated >= -9;
}

// An unsigned integer of up to 224 bits (little-endian 32-bit limbs): wide enough for a
// mantissa below 2^128 times 2^60, so that scaling down by powers of ten stays exact.
class WideUint {
 public:
  explicit WideUint(Uint128 value) {
    for (uint32_t& limb : limbs_) {
      limb = static_cast<uint32_t>(value);
      value >>= 32;
    }
  }

  void ShiftLeft(int bits) {  // bits < 64; the result must fit (guaranteed by the caller)
    for (; bits > 0; bits -= 16) {
      const int step = bits < 16 ? bits : 16;
      uint32_t carry = 0;
      for (uint32_t& limb : limbs_) {
        const uint64_t wide = (uint64_t{limb} << step) | carry;
        limb = static_cast<uint32_t>(wide);
        carry = static_cast<uint32_t>(wide >> 32);
      }
    }
  }

  // Divides by 10 in place; returns the remainder.
  uint32_t DivideBy10() {
    uint64_t remainder = 0;
    for (size_t i = limbs_.size(); i-- > 0;) {
      const uint64_t current = (remainder << 32) | limbs_[i];
      limbs_[i] = static_cast<uint32_t>(current / 10);
      remainder = current % 10;
    }
    return static_cast<uint32_t>(remainder);
  }

  bool IsZero() const {
    for (uint32_t limb : limbs_) {
      if (limb != 0) return false;
    }
    return true;
  }

  // The value if it is at most `limit`.
  bool ToUint64(uint64_t limit, uint64_t* out) const {
    for (size_t i = 2; i < limbs_.size(); ++i) {
      if (limbs_[i] != 0) return false;
    }
    const uint64_t value = (uint64_t{limbs_[1]} << 32) | limbs_[0];
    if (value > limit) return false;
    *out = value;
    return true;
  }

 private:
  std::array<uint32_t, 7> limbs_{};
};

}  // namespace

bool Quantity::Parse(std::string_view text, Quantity* out, std::string* error) {
  if (text.empty()) {
    *error = "empty quantity";
    return false;
  }
  // The scanner of Kubernetes' parseQuantityString:
  //   [+-]? [0-9]* ( "." [0-9]* )? [eEinumkKMGTP]* [+-]? [0-9]*
  // The suffix part is then checked by InterpretSuffix.
  size_t pos = 0;
  bool negative = false;
  if (text[0] == '+' || text[0] == '-') {
    negative = text[0] == '-';
    ++pos;
  }
  const size_t integer_begin = pos;
  while (pos < text.size() && IsDigit(text[pos])) ++pos;
  const std::string_view integer_digits = text.substr(integer_begin, pos - integer_begin);
  std::string_view fraction_digits;
  if (pos < text.size() && text[pos] == '.') {
    const size_t fraction_begin = ++pos;
    while (pos < text.size() && IsDigit(text[pos])) ++pos;
    fraction_digits = text.substr(fraction_begin, pos - fraction_begin);
  }
  const size_t suffix_begin = pos;
  const bool has_digits = !integer_digits.empty() || !fraction_digits.empty();
  while (pos < text.size() && IsSuffixChar(text[pos])) ++pos;
  if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) ++pos;
  while (pos < text.size() && IsDigit(text[pos])) ++pos;
  const std::string_view suffix_text = text.substr(suffix_begin);
  Suffix suffix;
  if (pos != text.size() || !InterpretSuffix(suffix_text, &suffix)) {
    if (!has_digits && suffix_begin == integer_begin) {
      *error = "not a number";
    } else {
      *error = "invalid suffix " + Quoted(suffix_text);
    }
    return false;
  }
  if (!has_digits && !DigitlessNumberAccepted(suffix)) {
    *error = "no digits";
    return false;
  }

  // value = digits * 10^(exponent10 - |fraction|) * 2^exponent2, with leading and trailing
  // zeros of the digit string removed.
  auto digit_at = [&](size_t i) {
    return i < integer_digits.size() ? integer_digits[i]
                                     : fraction_digits[i - integer_digits.size()];
  };
  const size_t total = integer_digits.size() + fraction_digits.size();
  size_t first = 0;
  while (first < total && digit_at(first) == '0') ++first;
  size_t last = total;  // one past the last non-zero digit
  while (last > first && digit_at(last - 1) == '0') --last;

  Quantity result;
  if (first == last) {  // zero, whatever the sign and suffix
    *out = result;
    return true;
  }
  if (last - first > static_cast<size_t>(kMaxSignificantDigits)) {
    *error = "too many significant digits (at most " + std::to_string(kMaxSignificantDigits) + ")";
    return false;
  }
  for (size_t i = first; i < last; ++i) {
    result.mantissa_ = result.mantissa_ * 10 + static_cast<unsigned>(digit_at(i) - '0');
  }
  // Exponent of the last significant digit: each dropped trailing digit adds one, each
  // fraction digit subtracts one. Int128 cannot overflow: |suffix exponent| <= 2^63.
  Int128 exponent10 = suffix.base == 10 ? Int128{suffix.exponent} : Int128{0};
  exponent10 += static_cast<Int128>(total - last);
  exponent10 -= static_cast<Int128>(fraction_digits.size());
  if (exponent10 > std::numeric_limits<int32_t>::max() ||
      exponent10 < std::numeric_limits<int32_t>::min()) {
    *error = "out of range";
    return false;
  }
  result.exp10_ = static_cast<int32_t>(exponent10);
  result.exp2_ = suffix.base == 2 ? static_cast<int32_t>(suffix.exponent) : 0;
  result.negative_ = negative;
  int64_t units = 0;
  if (!result.ScaledValue(0, &units)) {
    *error = "out of range";
    return false;
  }
  *out = result;
  return true;
}

bool Quantity::ScaledValue(int scale, int64_t* out) const {
  if (mantissa_ == 0) {
    *out = 0;
    return true;
  }
  // Magnitude limit of the result: 2^63 - 1 for positive values, 2^63 for negative ones.
  const uint64_t limit = negative_ ? kInt64MinMagnitude : kInt64MinMagnitude - 1;
  const int64_t shift10 = int64_t{exp10_} + scale;
  uint64_t magnitude = 0;
  bool inexact = false;
  if (shift10 >= 0) {
    // Exact: mantissa * 2^exp2 * 10^shift10. Check the bound before every step so that no
    // intermediate value exceeds 2^63 * 2^60 < 2^128.
    if (mantissa_ > limit) return false;
    Uint128 value = mantissa_ << exp2_;
    for (int64_t i = 0; i < shift10 && value <= limit; ++i) value *= 10;
    if (value > limit) return false;
    magnitude = static_cast<uint64_t>(value);
  } else {
    WideUint value(mantissa_);
    value.ShiftLeft(exp2_);
    for (int64_t i = 0; i < -shift10; ++i) {
      if (value.IsZero()) {  // every further division leaves 0 (the remainder was recorded)
        break;
      }
      if (value.DivideBy10() != 0) inexact = true;
    }
    if (!value.ToUint64(limit, &magnitude)) return false;
  }
  // Ceiling: a dropped fraction rounds a positive magnitude up and a negative one towards 0.
  if (!negative_) {
    if (inexact) {
      if (magnitude == limit) return false;
      ++magnitude;
    }
    *out = static_cast<int64_t>(magnitude);
    return true;
  }
  // Negative: ceil(-(q + f)) == -q for an integer q and a fraction 0 <= f < 1.
  *out = magnitude == kInt64MinMagnitude ? std::numeric_limits<int64_t>::min()
                                         : -static_cast<int64_t>(magnitude);
  return true;
}

int64_t Quantity::Value() const {
  int64_t value = 0;
  if (ScaledValue(0, &value)) return value;
  return IsNegative() ? std::numeric_limits<int64_t>::min() : std::numeric_limits<int64_t>::max();
}

int64_t Quantity::MilliValue() const {
  int64_t value = 0;
  if (ScaledValue(3, &value)) return value;
  return IsNegative() ? std::numeric_limits<int64_t>::min() : std::numeric_limits<int64_t>::max();
}

}  // namespace quotient::quota
