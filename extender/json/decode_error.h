// Why a JSON request body or API object could not be decoded: a bounded failure kind
// (used as a metric label) and a message naming the field path.
//
// Thread safety: value types.
#pragma once

#include <string>
#include <string_view>

namespace quotient::extender {

// Why a request body was refused (HTTP 400 / 413). Bounded: used as a metric label.
enum class DecodeFailure {
  kMalformedJson,    // not JSON, truncated, trailing garbage
  kWrongType,        // a known field holds the wrong JSON type
  kMissingField,     // e.g. no "Pod"
  kInvalidQuantity,  // a resource quantity that does not parse
  kTooManyNodes,     // more nodes than one request may name (wire_codec.h)
};
std::string_view DecodeFailureName(DecodeFailure failure);

struct DecodeError {
  DecodeFailure failure = DecodeFailure::kMalformedJson;
  std::string message;  // "Pod.spec.containers[0].resources.requests.cpu: invalid quantity \"x\""
};

}  // namespace quotient::extender
