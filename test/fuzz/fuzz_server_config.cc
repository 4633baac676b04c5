// `quotient serve --config` settings. Oracles: a refusal carries errors with messages;
// loaded settings pass their own validation again.
#include <cstddef>
#include <cstdint>

#include "config/server_config.h"
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
  FUZZ_CHECK(!errors.empty(), "refused settings say why");
  for (const config::ConfigError& e : errors) FUZZ_CHECK(!e.message.empty(), "errors have text");
  return 0;
}
