// `quotient simulate` scenario files. Oracles: a refusal passes CheckRefusal (errors with
// messages, one bounded line each); a loaded scenario has nodes and steps within bounds.
#include <cstddef>
#include <cstdint>

#include "config/scenario.h"
#include "test/fuzz/config_refusal_check.h"
#include "test/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace quotient;
  config::Scenario scenario;
  config::ConfigErrors errors;
  // A source in a directory that does not exist: a quotaFile names nothing readable.
  if (config::LoadScenario(fuzz::AsText(data, size), "/nonexistent/fuzz.yaml", &scenario,
                           &errors)) {
    FUZZ_CHECK(!scenario.nodes.empty() && !scenario.steps.empty(),
               "a scenario has nodes and steps");
    FUZZ_CHECK(scenario.nodes.size() <= static_cast<size_t>(config::kMaxScenarioNodes),
               "node bound");
    FUZZ_CHECK(scenario.steps.size() <= config::kMaxScenarioSteps, "step bound");
    return 0;
  }
  fuzz::CheckRefusal(errors);
  return 0;
}
