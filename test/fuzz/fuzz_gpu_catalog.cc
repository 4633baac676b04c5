// GPU model tables (gpu.catalogFile). Oracles: a refusal carries errors with messages and
// leaves the catalog alone; every model of a loaded catalog is consistent.
#include <cstddef>
#include <cstdint>

#include "config/gpu_catalog_yaml.h"
#include "test/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace quotient;
  gpu::MigCatalog catalog;
  config::ConfigErrors errors;
  if (config::LoadGpuCatalog(fuzz::AsText(data, size), "fuzz.yaml", gpu::BuiltinMigCatalog(),
                             &catalog, &errors)) {
    for (const gpu::GpuModel& model : catalog.models()) {
      FUZZ_CHECK(gpu::ValidateGpuModel(model).empty(), "a loaded model is consistent");
    }
    return 0;
  }
  FUZZ_CHECK(catalog.models().empty(), "a refused catalog changes nothing");
  FUZZ_CHECK(!errors.empty(), "a refused catalog says why");
  for (const config::ConfigError& e : errors) FUZZ_CHECK(!e.message.empty(), "errors have text");
  return 0;
}
