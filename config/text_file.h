// Whole files an operator hands Quotient (quota trees, GPU catalogs, settings, scenarios,
// kubeconfigs), read with a size cap: each is parsed in memory, and a running server
// re-reads the quota file on every edit, so an unbounded file would cost unbounded memory.
//
// Thread safety: reentrant.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "config/config_error.h"

namespace quotient::config {

// The default cap, and the setting that changes it for `quotient serve`
// (LimitSettings::max_file_bytes). Real quota trees and catalogs are tens of KiB.
inline constexpr uint64_t kDefaultMaxFileBytes = 4ull << 20;  // 4 MiB
inline constexpr std::string_view kMaxFileBytesSetting = "server.limits.maxFileBytes";

// Reads the file at `path` into *text. Returns false, with one error whose source is
// `path`, when it cannot be opened, is a directory or holds more than `max_bytes` bytes
// (then no more than max_bytes + 1 bytes are read, whatever the file claims to hold). The
// error names `limit_setting`, the setting that changed the cap, when there is one (the
// quota file and GPU catalog of `quotient serve` pass kMaxFileBytesSetting; the settings
// file itself, scenarios and the files of `quotient check` have the fixed default):
//   q.yaml: the file holds more than 4194304 bytes, the limit (server.limits.maxFileBytes)
//   s.yaml: the file holds more than 4194304 bytes, the limit
// REQUIRES: text and errors non-null.
bool ReadTextFile(const std::string& path, uint64_t max_bytes, std::string* text,
                  ConfigErrors* errors, std::string_view limit_setting = {});

}  // namespace quotient::config
