// The kube-scheduler extender v1 wire protocol (k8s.io/kube-scheduler/extender/v1).
//
// The Go structs have no JSON tags, so keys are Go field names ("Pod", "NodeNames",
// "FailedAndUnresolvableNodes", ...). Decoding matches keys case-insensitively and
// ignores unknown keys, as Go's encoding/json does; `null` is accepted for every
// pointer, slice, map and timestamp. Encoding emits the canonical keys in Go field order.
//
// Decoded views (WireNode names, raw node JSON, victim UIDs) point into the request
// body and the calling thread's parser buffers: they are valid until the next decode
// on the same thread. Handlers decode, decide and encode without yielding in between.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "extender/objects/pod.h"

namespace quotient::extender {

enum class Verb { kFilter, kPrioritize, kPreempt, kBind };
inline constexpr int kVerbCount = 4;
std::string_view VerbName(Verb verb);

// A candidate node. `raw_json` is set only when the scheduler sent full Node objects
// (nodeCacheCapable: false); the answer then echoes those exact bytes.
struct WireNode {
  std::string_view name;
  std::string_view raw_json;
};

// ExtenderArgs: the filter and prioritize request.
struct ExtenderArgs {
  PodInfo pod;
  bool has_node_names = false;  // "NodeNames" was a list (nodeCacheCapable: true)
  bool has_nodes = false;       // "Nodes" was a NodeList (nodeCacheCapable: false)
  std::vector<WireNode> nodes;  // input order; from NodeNames, else Nodes.items
};

// One node's victims in ExtenderPreemptionArgs (either form) and in the result.
struct NodeVictims {
  std::string_view node;
  std::vector<std::string_view> victim_uids;
  int64_t num_pdb_violations = 0;
};

// ExtenderPreemptionArgs.
struct PreemptionArgs {
  PodInfo pod;
  bool full_pods = false;  // victims came as NodeNameToVictims (full v1.Pod objects)
  std::vector<NodeVictims> nodes;
};

// ExtenderBindingArgs.
struct BindingArgs {
  std::string pod_name;
  std::string pod_namespace;
  std::string pod_uid;
  std::string node;
};

// A node's failure in a filter answer: index into ExtenderArgs::nodes and the message.
using NodeFailure = std::pair<size_t, std::string>;

// ExtenderFilterResult. `passed` and the failures index ExtenderArgs::nodes, so the
// answer can only name nodes of the input. The codec echoes nodes in the form they came in.
struct FilterAnswer {
  std::vector<size_t> passed;
  std::vector<NodeFailure> failed;
  std::vector<NodeFailure> failed_unresolvable;
  std::string error;
};

}  // namespace quotient::extender
