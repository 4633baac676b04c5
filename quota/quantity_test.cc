// Tests for Quantity. The vectors marked "k8s" are ported from the Kubernetes test suite:
//   repo kubernetes/kubernetes, commit db8b216c556cbd896ffb49a0a7bf13443230d18c,
//   staging/src/k8s.io/apimachinery/pkg/api/resource/quantity_test.go
//   (TestQuantityParse, TestParseQuantityString, TestQuantityParseZero,
//   TestQuantityParseNonNumericPanic, TestQuantityRoundUp, TestQuantityString,
//   TestQuantityParseEmit, TestScaledValue, TestNewScaledSet, TestNewSet, TestMilliNewSet).
// Kubernetes compares parsed values as exact decimals; Quantity exposes only ceil(v * 10^s), so
// a vector "v == i * 10^e" is checked as ScaledValue(-e) == i for v and == -i for -v, which
// together pin v exactly. Deliberate differences from Kubernetes are noted where tested.
#include "quota/quantity.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

namespace quotient::quota {
namespace {

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();

Quantity MustParse(std::string_view text) {
  Quantity q;
  std::string error;
  EXPECT_TRUE(Quantity::Parse(text, &q, &error)) << '"' << text << "\": " << error;
  return q;
}

// ScaledValue that must succeed.
int64_t Scaled(const Quantity& q, int scale) {
  int64_t value = 0;
  EXPECT_TRUE(q.ScaledValue(scale, &value)) << "scale " << scale;
  return value;
}

std::string ParseError(std::string_view text) {
  Quantity q;
  std::string error;
  EXPECT_FALSE(Quantity::Parse(text, &q, &error)) << '"' << text << "\" parsed";
  return error;
}

// (Not `"-" + std::string(text)`: GCC 12 emits a false -Wrestrict for it at -O3.)
std::string WithPrefix(char prefix, std::string_view text) {
  std::string out(1, prefix);
  out.append(text);
  return out;
}

struct ExactCase {
  std::string_view input;
  int64_t mantissa;  // the value is mantissa * 10^exponent, exactly
  int exponent;
};

// k8s TestQuantityParse "table", minus the rows that Kubernetes rounds or caps (tested below).
// clang-format off
constexpr ExactCase kKubernetesExactVectors[] = {
    {"0", 0, 0}, {"0n", 0, 0}, {"0u", 0, 0}, {"0m", 0, 0}, {"0Ki", 0, 0}, {"0k", 0, 0},
    {"0Mi", 0, 0}, {"0M", 0, 0}, {"0Gi", 0, 0}, {"0G", 0, 0}, {"0Ti", 0, 0}, {"0T", 0, 0},
    // Quantity less numbers are allowed
    {"1", 1, 0},
    // Binary suffixes
    {"1Ki", 1024, 0}, {"8Ki", 8 * 1024, 0}, {"7Mi", 7340032, 0}, {"6Gi", 6442450944, 0},
    {"5Ti", 5497558138880, 0}, {"4Pi", 4503599627370496, 0}, {"3Ei", 3458764513820540928, 0},
    {"10Ti", 10995116277760, 0}, {"100Ti", 109951162777600, 0},
    // Decimal suffixes
    {"5n", 5, -9}, {"4u", 4, -6}, {"3m", 3, -3}, {"9", 9, 0}, {"8k", 8, 3}, {"50k", 5, 4},
    {"7M", 7, 6}, {"6G", 6, 9}, {"5T", 5, 12}, {"40T", 4, 13}, {"300T", 3, 14}, {"2P", 2, 15},
    {"1E", 1, 18},
    // Decimal exponents
    {"1E-3", 1, -3}, {"1e3", 1, 3}, {"1E6", 1, 6}, {"1e9", 1, 9}, {"1E12", 1, 12},
    {"1e15", 1, 15}, {"1E18", 1, 18},
    // Nonstandard but still parsable
    {"1e14", 1, 14}, {"1e13", 1, 13}, {"100.035k", 100035, 0},
    // Things that look like floating point
    {"0.001", 1, -3}, {"0.0005k", 5, -1}, {"0.005", 5, -3}, {"0.05", 5, -2}, {"0.5", 5, -1},
    {"0.00050k", 5, -1}, {"0.00500", 5, -3}, {"0.05000", 5, -2}, {"0.50000", 5, -1},
    {"0.5e0", 5, -1}, {"0.5e-1", 5, -2}, {"0.5e-2", 5, -3}, {"10.035M", 10035, 3},
    {"1.2e3", 12, 2}, {"1.3E+6", 13, 5}, {"1.40e9", 14, 8}, {"1.53E12", 153, 10},
    {"1.6e15", 16, 14}, {"1.7E18", 17, 17},
    {"9.01", 901, -2}, {"8.1k", 81, 2}, {"7.123456M", 7123456, 0},
    {"6.987654321G", 6987654321, 0}, {"5.444T", 5444, 9}, {"40.1T", 401, 11},
    {"300.2T", 3002, 11}, {"2.5P", 25, 14}, {"1.01E", 101, 16},
    // We'll accept fractional binary stuff, too.
    {"100.035Ki", 10243584, -2}, {"0.5Mi", 524288, 0}, {"0.05Gi", 536870912, -1},
    {"0.025Ti", 274877906944, -1},
    // Things written by trolls
    {".001", 1, -3}, {".0001k", 100, -3}, {"1.", 1, 0}, {"1.G", 1, 9},
};

// k8s TestQuantityString ("alternate" spellings) and TestQuantityParseEmit.
constexpr ExactCase kKubernetesAlternateSpellings[] = {
    {"1024Mi", 1073741824, 0}, {"307200Ki", 314572800, 0}, {"1025024Mi", 1074815565824, 0},
    {"1024Gi", 1099511627776, 0}, {"5000m", 5, 0}, {"1000M", 1, 9}, {"0.001T", 1, 9},
    {"1000u", 1, -3}, {"1.08", 108, -2}, {"1080000000n", 108, -2}, {".001e12", 1, 9},
    {"0.001e0", 1, -3}, {"1000e-12", 1, -9}, {"00", 0, 0}, {"1025", 1025, 0},
    {"1234567M", 1234567, 6}, {"1234567m", 1234567, -3}, {"1080u", 108, -5}, {"80n", 8, -8},
    {".001Ki", 1024, -3}, {".000001Ki", 1024, -6}, {".000000001Ki", 1024, -9},
    // k8s TestParseQuantityString
    {"1.025Ti", 1126999418470400, -3}, {"-1.025Ti", -1126999418470400, -3},
};
// clang-format on

void ExpectExact(const ExactCase& c) {
  SCOPED_TRACE(c.input);
  const Quantity q = MustParse(c.input);
  EXPECT_EQ(Scaled(q, -c.exponent), c.mantissa);
  EXPECT_EQ(q.IsZero(), c.mantissa == 0);
  EXPECT_EQ(q.IsNegative(), c.mantissa < 0);
  // As Kubernetes does: the same value with an explicit sign, and its negation.
  const bool signed_input = c.input[0] == '-';
  if (!signed_input) {
    EXPECT_EQ(Scaled(MustParse(WithPrefix('+', c.input)), -c.exponent), c.mantissa);
  }
  const std::string negated =
      signed_input ? std::string(c.input.substr(1)) : WithPrefix('-', c.input);
  EXPECT_EQ(Scaled(MustParse(negated), -c.exponent), -c.mantissa);
}

TEST(QuantityTest, ParsesKubernetesValidVectorsExactly) {
  for (const ExactCase& c : kKubernetesExactVectors) ExpectExact(c);
}

TEST(QuantityTest, ParsesKubernetesAlternateSpellingsExactly) {
  for (const ExactCase& c : kKubernetesAlternateSpellings) ExpectExact(c);
}

TEST(QuantityTest, KeepsDigitsKubernetesRoundsToNanoAndCeilsThemAtNanoScale) {
  // k8s TestQuantityParse "Things that saturate/round" and TestQuantityParseEmit ".000000000001Ki".
  // Kubernetes rounds every parsed value up to a whole nano-unit; we keep the exact value, so
  // only the ceiling at scale 9 equals Kubernetes' stored value. Value() and MilliValue() agree
  // with Kubernetes because ceil(ceil(x, 1n), 1m) == ceil(x, 1m).
  struct Case {
    std::string_view input;
    int64_t nano;
  };
  constexpr Case kCases[] = {{"3.001n", 4},
                             {"1.1E-9", 2},
                             {"0.0000000001", 1},
                             {"0.0000000005", 1},
                             {"0.00000000050", 1},
                             {"0.5e-9", 1},
                             {"0.9n", 1},
                             {"0.00000012345", 124},
                             {"0.00000012354", 124},
                             {"0.000000000001Ki", 2},
                             {".000000000001Ki", 2}};
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.input);
    const Quantity q = MustParse(c.input);
    EXPECT_EQ(Scaled(q, 9), c.nano);
    EXPECT_EQ(q.MilliValue(), 1);
    EXPECT_EQ(q.Value(), 1);
  }
  // Exactness: Kubernetes stores "-3.001n" as -4n; we keep -3.001n, whose ceiling is -3n.
  EXPECT_EQ(Scaled(MustParse("-3.001n"), 9), -3);
  EXPECT_EQ(Scaled(MustParse("3.001n"), 12), 3001);
}

TEST(QuantityTest, ParsesZero) {
  // k8s TestQuantityParseZero, TestQuantityString {decQuantity(0, 0, DecimalExponent), "00"}.
  for (std::string_view input : {"0", "00", "-0", "+0", "0.0", "0e99", "0Ei", "-0.000n"}) {
    SCOPED_TRACE(input);
    const Quantity q = MustParse(input);
    EXPECT_TRUE(q.IsZero());
    EXPECT_FALSE(q.IsNegative());
    EXPECT_EQ(q.Value(), 0);
    EXPECT_EQ(q.MilliValue(), 0);
  }
}

TEST(QuantityTest, AcceptsNumbersWithoutDigitsWhereKubernetesDoes) {
  // Not test vectors: derived from parseQuantityString/ParseQuantity in quantity.go at the same
  // commit. A number without digits parses as 0 when Kubernetes' int64 fast path handles it
  // (k8s TestParseQuantityString lists "." and "-."), and fails in its inf.Dec slow path.
  for (std::string_view input :
       {".", "-.", "+.", "-", "+", "k", "m", "n", "Ki", "Ti", "-Gi", "e3", ".e-9", "E", "e+0"}) {
    SCOPED_TRACE(input);
    EXPECT_TRUE(MustParse(input).IsZero());
  }
  for (std::string_view input : {"Pi", "Ei", ".Pi", "-Ei", "e-10", ".e-10", "-e-12"}) {
    EXPECT_EQ(ParseError(input), "no digits") << input;
  }
  // Kubernetes decides on the exponent truncated to int32; so do we, for these inputs only.
  EXPECT_TRUE(MustParse("e4294967287").IsZero());     // int32: -9
  EXPECT_TRUE(MustParse(".e-4294967296").IsZero());   // int32: 0
  EXPECT_EQ(ParseError("e4294967286"), "no digits");  // int32: -10
}

TEST(QuantityTest, RejectsKubernetesInvalidVectors) {
  // k8s TestQuantityParse: "" and the "invalid" list; TestQuantityParseNonNumericPanic.
  EXPECT_EQ(ParseError(""), "empty quantity");
  for (std::string_view input : {"1.1.M", "1+1.0M", "0.1mi", "0.1am", "aoeu", ".5i", "1i", "-3.01i",
                                 "-3.01e-", " 1", "1 ", "Non-Numeric"}) {
    SCOPED_TRACE(input);
    EXPECT_FALSE(ParseError(input).empty());
  }
}

TEST(QuantityTest, RejectsMalformedQuantitiesWithAReason) {
  struct Case {
    std::string_view input;
    std::string_view error;
  };
  constexpr Case kCases[] = {
      {"1Gb", "invalid suffix \"Gb\""},
      {"1i", "invalid suffix \"i\""},
      {"1KI", "invalid suffix \"KI\""},
      {"1ki", "invalid suffix \"ki\""},
      {"1.1.M", "invalid suffix \".M\""},
      {"1..0", "invalid suffix \".0\""},
      {"1e", "invalid suffix \"e\""},
      {"1e+", "invalid suffix \"e+\""},
      {"1e3.5", "invalid suffix \"e3.5\""},
      {"1e3e3", "invalid suffix \"e3e3\""},
      {"1k3", "invalid suffix \"k3\""},
      {"1Ki5", "invalid suffix \"Ki5\""},
      {"1E-3m", "invalid suffix \"E-3m\""},
      {"--1", "not a number"},
      {"+-1", "not a number"},
      {"0x10", "invalid suffix \"x10\""},
      {"1,5", "invalid suffix \",5\""},
      {"1_000", "invalid suffix \"_000\""},
      {"\xe2\x88\x9e", "not a number"},
      {"1\n", "invalid suffix \"\n\""},
      {"1e9223372036854775808", "invalid suffix \"e9223372036854775808\""},  // not an int64
  };
  for (const Case& c : kCases) EXPECT_EQ(ParseError(c.input), c.error) << c.input;
}

TEST(QuantityTest, RoundsUpLikeKubernetesRoundUp) {
  // k8s TestQuantityRoundUp, positive rows: RoundUp(scale) then read at that scale. Kubernetes
  // scale s is our scale -s.
  struct Case {
    int scale;
    int64_t expected;
  };
  constexpr Case kCases[] = {{3, 9010}, {2, 901}, {1, 91}, {0, 10}, {-1, 1}, {-2, 1}};
  const Quantity q = MustParse("9.01");
  for (const Case& c : kCases) EXPECT_EQ(Scaled(q, c.scale), c.expected) << c.scale;

  // Negative rows: Kubernetes' RoundUp rounds away from zero (-9.01 -> -10 at scale 0); we
  // deliberately take the ceiling (towards +infinity) at every scale.
  constexpr Case kNegative[] = {{3, -9010}, {2, -901}, {1, -90}, {0, -9}, {-1, 0}, {-2, 0}};
  const Quantity negative = MustParse("-9.01");
  for (const Case& c : kNegative) EXPECT_EQ(Scaled(negative, c.scale), c.expected) << c.scale;
}

TEST(QuantityTest, ConvertsBetweenScalesLikeKubernetesScaledValue) {
  // k8s TestScaledValue and TestNewScaledSet: 1 at one scale read at another (rounding up).
  struct Case {
    std::string_view input;
    int scale;
    int64_t expected;
  };
  constexpr Case kCases[] = {
      {"1n", 9, 1},         {"1n", 6, 1},          {"1n", 3, 1},
      {"1n", 0, 1},         {"1u", 9, 1000},       {"1u", 6, 1},
      {"1u", 3, 1},         {"1u", 0, 1},          {"1m", 9, 1000000},
      {"1m", 6, 1000},      {"1m", 3, 1},          {"1m", 0, 1},
      {"1", 9, 1000000000}, {"1", 6, 1000000},     {"1", 3, 1000},
      {"1", 0, 1},          {"100", 2, 100 * 100},  // NewScaledQuantity(1, 2).ScaledValue(-2)
      {"0", 9, 0}};
  for (const Case& c : kCases) {
    EXPECT_EQ(Scaled(MustParse(c.input), c.scale), c.expected) << c.input << " @" << c.scale;
  }
}

TEST(QuantityTest, ReadsKubernetesCanonicalStringsBackAsValueAndMilliValue) {
  // k8s TestNewSet (Value() of the canonical string) and TestMilliNewSet (MilliValue()).
  struct Case {
    std::string_view input;
    int64_t value;
    int64_t milli_value;
  };
  constexpr Case kCases[] = {
      {"1", 1, 1000},         {"1k", 1000, 1000000},        {"1234k", 1234000, 1234000000},
      {"1Ki", 1024, 1024000}, {"1e6", 1000000, 1000000000}, {"1Mi", 1048576, 1048576000},
      {"1m", 1, 1},           {"1234", 1234, 1234000},      {"1e3", 1000, 1000000},
      {"1024m", 2, 1024},     {"1048576m", 1049, 1048576}};
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.input);
    const Quantity q = MustParse(c.input);
    EXPECT_EQ(q.Value(), c.value);
    EXPECT_EQ(q.MilliValue(), c.milli_value);
  }
}

TEST(QuantityTest, TakesTheCeilingOfNegativeValues) {
  // Kubernetes is inconsistent here ("-9.01" -> -10, "-0.0000000001" -> +1); we use ceil.
  struct Case {
    std::string_view input;
    int64_t value;
    int64_t milli_value;
  };
  constexpr Case kCases[] = {{"-1.5", -1, -1500},
                             {"-0.5", 0, -500},
                             {"-0.0000000001", 0, 0},
                             {"-1.0001m", 0, -1},
                             {"-1Ki", -1024, -1024000}};
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.input);
    const Quantity q = MustParse(c.input);
    EXPECT_TRUE(q.IsNegative());
    EXPECT_EQ(q.Value(), c.value);
    EXPECT_EQ(q.MilliValue(), c.milli_value);
  }
}

TEST(QuantityTest, AcceptsValuesUpToTheInt64UnitRange) {
  // "-8Ei" is -2^63, which fits; Kubernetes caps the magnitude of binary values at 2^63-1, so
  // its Value() is -(2^63-1) there.
  struct Case {
    std::string_view input;
    int64_t value;
  };
  constexpr Case kCases[] = {{"9223372036854775807", kMax},   {"9223372036854775806.5", kMax},
                             {"-9223372036854775808", kMin},  {"-9223372036854775808.9", kMin},
                             {"7Ei", 8070450532247928832},    {"8191Pi", 9222246136947933184},
                             {"9.223372036854775807E", kMax}, {"-8Ei", kMin}};
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.input);
    const Quantity q = MustParse(c.input);
    EXPECT_EQ(Scaled(q, 0), c.value);
    // Not representable in milli-units: ScaledValue fails, MilliValue() saturates.
    int64_t milli = 0;
    EXPECT_FALSE(q.ScaledValue(3, &milli));
    EXPECT_EQ(q.MilliValue(), c.value < 0 ? kMin : kMax);
  }
  EXPECT_EQ(MustParse("9223372036854775.807").MilliValue(), kMax);
  EXPECT_EQ(MustParse("-9223372036854775.808").MilliValue(), kMin);
}

TEST(QuantityTest, RejectsValuesBeyondInt64Units) {
  // Kubernetes caps binary values at 2^63-1 ("9Ei" and "9223372036854775807Ki" in k8s
  // TestQuantityParse) and keeps larger decimal ones ("12E" there); we report them instead.
  // It truncates decimal exponents to int32 ("1e4294967296" is 1); we reject those too.
  for (std::string_view input :
       {"9Ei", "9223372036854775807Ki", "12E", "8Ei", "8192Pi", "9223372036854775808",
        "-9223372036854775809", "9223372036854775807.5", "1e19", "1e4294967296", "1e2147483648",
        "1e-2147483649", "1e-4294967296", "123456789012345678901234567890123456780000"}) {
    EXPECT_EQ(ParseError(input), "out of range") << input;
  }
  EXPECT_TRUE(MustParse("0e4294967296").IsZero());
  EXPECT_EQ(MustParse("1e-2147483648").MilliValue(), 1);
}

TEST(QuantityTest, LimitsMantissasTo38SignificantDigits) {
  const Quantity q = MustParse("1.0000000000000000000000000000000000001");  // 38 digits
  EXPECT_EQ(q.Value(), 2);
  EXPECT_EQ(q.MilliValue(), 1001);
  EXPECT_EQ(Scaled(MustParse("-1.0000000000000000000000000000000000001"), 0), -1);
  EXPECT_EQ(ParseError("1.00000000000000000000000000000000000001"),  // 39 digits
            "too many significant digits (at most 38)");
  // Leading and trailing zeros are not significant.
  const std::string zeros(40, '0');
  EXPECT_EQ(MustParse(zeros + "1." + zeros).Value(), 1);
  EXPECT_EQ(MustParse("0.00000000000000000000000000000000000000000001").MilliValue(), 1);
}

TEST(QuantityTest, ScalesBinaryMantissasExactly) {
  // 38 significant digits times 2^60 exceeds 128 bits; results are still exact.
  const Quantity q = MustParse("0.1234567890123456789012345678901234567Ei");
  EXPECT_EQ(Scaled(q, 0), 142335986942043634);
  EXPECT_EQ(Scaled(MustParse("-0.1234567890123456789012345678901234567Ei"), 0),
            -142335986942043633);
  // 2^60 * (1 - 1e-38): just below 2^60.
  EXPECT_EQ(Scaled(MustParse("0.99999999999999999999999999999999999999Ei"), 0),
            1152921504606846976);
  EXPECT_EQ(Scaled(MustParse("-0.99999999999999999999999999999999999999Ei"), 0),
            -1152921504606846975);
  EXPECT_EQ(Scaled(MustParse("0.00000000000000000000000000000000000001Ei"), 9), 1);  // 1e-38Ei
  EXPECT_EQ(ParseError("1e-38Ei"), "invalid suffix \"e-38Ei\"");  // one suffix only
  EXPECT_EQ(Scaled(MustParse("1.5Ki"), 3), 1536000);
}

TEST(QuantityTest, DefaultConstructedQuantityIsZero) {
  const Quantity q;
  EXPECT_TRUE(q.IsZero());
  EXPECT_FALSE(q.IsNegative());
  EXPECT_EQ(q.Value(), 0);
  EXPECT_EQ(q.MilliValue(), 0);
}

TEST(QuantityTest, LeavesOutputUntouchedOnError) {
  Quantity q = MustParse("5");
  std::string error;
  EXPECT_FALSE(Quantity::Parse("5Gb", &q, &error));
  EXPECT_EQ(q.Value(), 5);
}

}  // namespace
}  // namespace quotient::quota
