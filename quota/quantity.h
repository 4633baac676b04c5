// Exact parsing of Kubernetes resource quantities ("500m", "1.5", "60Gi", "1e3", "0.5Ki").
//
// The grammar is the one of k8s.io/apimachinery/pkg/api/resource.Quantity:
//   <quantity>        ::= <signedNumber><suffix>
//   <signedNumber>    ::= <number> | +<number> | -<number>
//   <number>          ::= <digits> | <digits>.<digits> | <digits>. | .<digits>
//   <suffix>          ::= <binarySI> | <decimalExponent> | <decimalSI>
//   <binarySI>        ::= Ki | Mi | Gi | Ti | Pi | Ei
//   <decimalSI>       ::= m | "" | k | M | G | T | P | E     (and n, u as Kubernetes accepts them)
//   <decimalExponent> ::= "e" <signedInteger> | "E" <signedInteger>   (an int64, no fraction)
//
// Parse accepts exactly the strings resource.ParseQuantity accepts, including its oddities
// ("1.", ".5", and numbers without digits such as "-", "+.", "k" or "Ki" parse; "" does not;
// "Pi" and "e-10" do not either), with three deliberate restrictions, each reported as an
// error rather than a silently changed value:
//   - at most 38 significant decimal digits ("too many significant digits"); Kubernetes
//     accepts any number of digits (and then rounds the value up to a multiple of 1n);
//   - values whose ScaledValue(0) does not fit in int64 ("out of range"); Kubernetes caps
//     binary-suffixed magnitudes at 2^63-1 ("9Ei"; and "-8Ei", which we keep as -2^63) and
//     keeps larger decimal ones ("12E");
//   - non-zero values whose decimal exponent does not fit in int32 ("out of range"); Kubernetes
//     silently truncates the exponent to int32 ("1e4294967296" becomes 1).
//
// A Quantity keeps the exact value (no rounding to nano-units at parse time); conversions to
// integers take the ceiling (round towards +infinity). For non-negative values this is exactly
// Quantity.Value() / Quantity.MilliValue(). For negative values Kubernetes is inconsistent
// (it rounds "-9.01" to -10 but "-0.0000000001" to +1); we always return the ceiling (-9, 0).
//
// Thread safety: Quantity is a value type; const methods are safe to call concurrently.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace quotient::quota {

class Quantity {
 public:
  Quantity() = default;

  // Parses `text`. On success stores the value in *out and returns true. On failure
  // returns false, leaves *out unchanged and sets *error to a short reason (e.g.
  // `invalid suffix "Gb"`), without the field name: callers prefix the field path.
  // A value whose ScaledValue(0) would not fit in int64 is rejected ("out of range"); one
  // that fits in units but not in milli-units (e.g. "7Ei") is accepted.
  static bool Parse(std::string_view text, Quantity* out, std::string* error);

  // ceil(value * 10^scale) as int64: scale 0 gives units, 3 milli-units, 9 nano-units.
  // Returns false (leaving *out unchanged) if the result does not fit in int64.
  bool ScaledValue(int scale, int64_t* out) const;

  // Convenience wrappers of ScaledValue(0) / ScaledValue(3); saturate at the int64 limits.
  int64_t Value() const;
  int64_t MilliValue() const;

  bool IsNegative() const { return negative_ && mantissa_ != 0; }
  bool IsZero() const { return mantissa_ == 0; }

 private:
  // `__extension__` keeps -Wpedantic quiet about the (GNU) 128-bit integer type.
  __extension__ using Uint128 = unsigned __int128;

  // value = (negative_ ? -1 : 1) * mantissa_ * 10^exp10_ * 2^exp2_, normalised: a zero value
  // has every field 0/false; otherwise mantissa_ has no trailing decimal zero, is below 10^38
  // and exp2_ is the binary suffix's exponent (0, 10, ..., 60).
  Uint128 mantissa_ = 0;
  int32_t exp10_ = 0;
  int32_t exp2_ = 0;
  bool negative_ = false;
};

}  // namespace quotient::quota
