// A coordination.k8s.io/v1 Lease as leader election reads and writes it: the holder, the
// lease duration, acquire and renew times, transitions, and the resourceVersion an update
// must carry (optimistic concurrency: a concurrent writer gets 409 Conflict).
//
// Times are MicroTime on the wire ("2006-01-02T15:04:05.000000Z07:00": exactly six
// fractional digits, as the API server requires). Readers never compare them with their
// own clock: expiry is measured from when a change of the record was observed locally.
//
// Thread safety: value type and reentrant functions.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "extender/json/request_body.h"

namespace quotient::extender::kube {

struct LeaseRecord {
  std::string holder;            // spec.holderIdentity; "" = nobody holds it
  int64_t duration_seconds = 0;  // spec.leaseDurationSeconds
  std::string acquire_time;      // spec.acquireTime (MicroTime text, kept as read)
  std::string renew_time;        // spec.renewTime
  int64_t transitions = 0;       // spec.leaseTransitions
  std::string resource_version;  // metadata.resourceVersion
};

// Decodes a Lease object. Returns false with *error on a body that is not a Lease.
bool DecodeLease(const RequestBody& body, LeaseRecord* out, std::string* error);

// The JSON of a Lease `name` in `ns` with `record` (metadata.resourceVersion set when the
// record has one: an update; absent: a create).
std::string EncodeLease(const std::string& ns, const std::string& name, const LeaseRecord& record);

// `at` as a MicroTime: UTC, six fractional digits.
std::string FormatMicroTime(std::chrono::system_clock::time_point at);

}  // namespace quotient::extender::kube
