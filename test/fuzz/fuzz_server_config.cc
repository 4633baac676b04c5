// `quotient serve --config` settings. Oracles: a refusal passes CheckRefusal (errors with
// messages, one bounded line each); loaded settings pass their own validation again.
#include <cstddef>
#include <cstdint>

#include "config/server_config.h"
#include "test/fuzz/config_refusal_check.h"
#include "test/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace quotient;
  config::Settings settings;
  config::ConfigErrors errors;
  if (config::LoadSettings(fuzz::AsText(data, size), "fuzz.yaml", &settings, &errors)) {
    config::ConfigErrors again;
    FUZZ_CHECK(config::ValidateSettings(settings, "fuzz.yaml", &again), "loaded settings validate");
    return 0;
  }
  fuzz::CheckRefusal(errors);
  return 0;
}
