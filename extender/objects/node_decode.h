// What Quotient keeps of a v1.Node, and its decoder from API JSON.
//
// Only what decisions need: the name, labels (node pools, GPU models), annotations (the
// GPU layout, docs/gpu.md), allocatable
// resources (status.allocatable; status.capacity when allocatable is absent, as API
// defaulting would fill it) and spec.unschedulable.
//
// Thread safety: value type; the decoder is reentrant.
#pragma once

#include <string>

#include "extender/json/json_read.h"
#include "extender/objects/pod.h"
#include "quota/resource_list.h"

namespace quotient::extender::state {

struct NodeInfo {
  std::string name;
  StringPairs labels;
  StringPairs annotations;  // metadata.annotations (GPU layout and links, docs/gpu.md)
  quota::ResourceList allocatable;
  bool unschedulable = false;
};

// `value` must be a JSON object. Fails on wrong types and on a missing metadata.name.
bool DecodeNodeObject(json::od::value& value, const json::Path* path, NodeInfo* out,
                      DecodeError* error);

}  // namespace quotient::extender::state
