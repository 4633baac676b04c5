// Quantities as pods, nodes and quota files write them: "<resource>\n<quantity>".
// Oracles: a refusal carries a reason; an accepted amount >= 0 formats to text that parses
// back to the same amount (quota/resource_list.h promises it).
#include <cstddef>
#include <cstdint>
#include <string>

#include "quota/quantity.h"
#include "quota/resource_list.h"
#include "test/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace quotient;
  const std::string_view text = fuzz::AsText(data, size);
  const size_t newline = text.find('\n');
  const std::string_view resource =
      newline == std::string_view::npos ? std::string_view("cpu") : text.substr(0, newline);
  const std::string_view quantity =
      newline == std::string_view::npos ? text : text.substr(newline + 1);

  quota::Quantity q;
  std::string error;
  if (quota::Quantity::Parse(quantity, &q, &error)) {
    int64_t units = 0;
    (void)q.ScaledValue(0, &units);
    (void)q.Value();
    (void)q.MilliValue();
  } else {
    FUZZ_CHECK(!error.empty(), "a refused quantity says why");
  }
  int64_t amount = 0;
  error.clear();
  if (!quota::ParseResourceAmount(resource, quantity, &amount, &error)) {
    FUZZ_CHECK(!error.empty(), "a refused resource amount says why");
    return 0;
  }
  if (amount < 0) return 0;
  const std::string formatted = quota::FormatResourceAmount(resource, amount);
  int64_t again = -1;
  std::string again_error;
  FUZZ_CHECK(quota::ParseResourceAmount(resource, formatted, &again, &again_error),
             "a formatted amount parses");
  FUZZ_CHECK(again == amount, "format then parse gives the amount back");
  return 0;
}
