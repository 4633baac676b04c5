// Loads GPU model tables from YAML over a base catalog (normally gpu::BuiltinMigCatalog),
// so new GPUs and driver changes need no rebuild:
//
//   models:
//   - key: A100-40GB            # an existing key: fields given replace the base model's
//     fractions: {"1.0": 7g.40gb, "0.5": 4g.20gb, "0.25": 2g.10gb}
//   - key: H20-96GB             # a new key: a whole model
//     aliases: [NVIDIA H20]
//     memoryMiB: 98304
//     computeSlices: 7
//     memorySlices: 8
//     maxInstances: 7
//     profiles:                 # replaces every profile when given
//     - {name: 7g.96gb, computeSlices: 7, memorySlices: 8, maxInstances: 1, starts: [0]}
//     - {name: 3g.48gb, computeSlices: 3, memorySlices: 4, maxInstances: 2, starts: [0, 4]}
//     fractions: {"1.0": 7g.96gb, "0.5": 3g.48gb}
//
// A file holds at most kMaxCatalogModels models; a model at most gpu::kMaxProfiles
// profiles, kMaxCatalogAliases aliases and kMaxCatalogFractions fractions; a profile at
// most gpu::kMaxMemorySlices starts. A list longer than its bound is refused before it is
// read (aliases could otherwise multiply models x profiles x starts), as is YAML past the
// bounds every loader has (config/yaml_reader.h).
//
// Every unknown field, malformed value and inconsistent model (gpu::ValidateGpuModel) is
// an error with its line and field path; nothing is applied unless the whole file is good.
// A profile's placements count as Evidence::kInferred unless it says
// `evidence: observed` or `evidence: documented`.
//
// Thread safety: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "config/config_error.h"
#include "config/text_file.h"
#include "gpu/mig_catalog.h"

namespace quotient::config {

inline constexpr size_t kMaxCatalogModels = 256;
inline constexpr size_t kMaxCatalogAliases = 32;    // per model
inline constexpr size_t kMaxCatalogFractions = 16;  // per model

// On success replaces *catalog with `base` plus the file's models and returns true; on
// failure returns false, leaves *catalog untouched and appends every problem to *errors.
// REQUIRES: catalog and errors non-null.
bool LoadGpuCatalog(std::string_view text, std::string_view source, const gpu::MigCatalog& base,
                    gpu::MigCatalog* catalog, ConfigErrors* errors);

// LoadGpuCatalog over the file at `path`; an unreadable file, or one larger than
// `max_bytes`, is one error naming `limit_setting` if not empty (config/text_file.h).
bool LoadGpuCatalogFile(const std::string& path, const gpu::MigCatalog& base,
                        gpu::MigCatalog* catalog, ConfigErrors* errors,
                        uint64_t max_bytes = kDefaultMaxFileBytes,
                        std::string_view limit_setting = {});

}  // namespace quotient::config
