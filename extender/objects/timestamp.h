// RFC 3339 timestamps of Kubernetes objects (metadata.creationTimestamp), as the cluster
// state keeps them for ordering (PodRecord::creation_seconds: reclaim's "newest first").
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <string_view>

namespace quotient::extender::state {

// Seconds since the epoch of an RFC 3339 UTC timestamp ("2026-12-02T07:50:00Z", with
// optional fraction); 0 when empty or malformed (sorts as oldest).
int64_t ParseTimestampSeconds(std::string_view rfc3339);

}  // namespace quotient::extender::state
