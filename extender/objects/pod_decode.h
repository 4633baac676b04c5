// Decodes a v1.Pod (API JSON, as kube-scheduler or the API server sends it) into a
// PodInfo, computing its effective requests (pod_requests.h). Reads only the fields
// Quotient uses; validates the types of those and skips everything else.
//
// Thread safety: reentrant.
#pragma once

#include "extender/json/json_read.h"
#include "extender/objects/pod.h"

namespace quotient::extender {

// `value` must be a JSON object (callers handle `null`).
bool DecodePodObject(json::od::value& value, const json::Path* path, PodInfo* out,
                     DecodeError* error);

// Decodes a whole body holding one Pod object.
bool DecodePodJson(const RequestBody& body, PodInfo* out, DecodeError* error);

}  // namespace quotient::extender
