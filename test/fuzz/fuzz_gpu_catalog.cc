// GPU model tables (gpu.catalogFile). Oracles: a refusal leaves the catalog alone and passes
// CheckRefusal (errors with messages, one bounded line each); every model of a loaded
// catalog is consistent.
#include <cstddef>
#include <cstdint>

#include "config/gpu_catalog_yaml.h"
#include "test/fuzz/config_refusal_check.h"
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
  fuzz::CheckRefusal(errors);
  return 0;
}
