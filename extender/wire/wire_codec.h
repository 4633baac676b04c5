// Decoding extender requests and encoding extender responses (wire.h types).
//
// Requests: keys match case-insensitively; unknown keys are skipped; trailing bytes
// after the top-level object are an error. `body` is parsed in place.
// Responses: compact JSON, keys and order exactly as Go's json.Marshal writes the
// extender v1 structs; map keys sorted as Go sorts them; strings escaped as Go does.
//
// Thread safety: reentrant; decoded views live until the next decode on the same thread.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "extender/json/decode_error.h"
#include "extender/json/json_write.h"
#include "extender/json/request_body.h"
#include "extender/wire/wire.h"

namespace quotient::extender {

// The most nodes one request may name (Nodes.items, NodeNames, the victim maps' keys): far
// above any cluster kube-scheduler supports, and a bound on what decoding a body allocates
// (a node costs its entry and every decider's per-node answer; a 48 MiB body of empty names
// would be 16 million of them). More: HTTP 400, reason too_many_nodes.
inline constexpr size_t kMaxNodesPerRequest = 100'000;

bool DecodeExtenderArgs(const RequestBody& body, ExtenderArgs* out, DecodeError* error);
bool DecodePreemptionArgs(const RequestBody& body, PreemptionArgs* out, DecodeError* error);
bool DecodeBindingArgs(const RequestBody& body, BindingArgs* out, DecodeError* error);

// ExtenderFilterResult (FilterAnswer, wire.h). Nodes are echoed in the form they came in.
void EncodeFilterResult(const ExtenderArgs& args, const FilterAnswer& answer, std::string* out);

// HostPriorityList: one entry per input node, scores already clamped to 0..10.
void EncodeHostPriorities(const ExtenderArgs& args, const std::vector<int64_t>& scores,
                          std::string* out);

// ExtenderPreemptionResult: NodeNameToMetaVictims only; nodes without victims omitted.
void EncodePreemptionResult(const std::vector<NodeVictims>& nodes, std::string* out);

// ExtenderBindingResult {"Error": error}.
void EncodeBindingResult(std::string_view error, std::string* out);

// The JSON body of a refused request (4xx/5xx): {"Error":"...","Reason":"..."}.
void EncodeErrorBody(std::string_view message, std::string_view reason, std::string* out);

}  // namespace quotient::extender
