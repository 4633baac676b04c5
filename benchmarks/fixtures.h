// Realistic extender request bodies for the benchmarks, built from the golden wire files
// (test/golden, real Go encodings; see test/golden/README.md).
//
//   FilterNamesRequest(500)
//     {"Pod":<trainer pod>,"Nodes":null,"NodeNames":["gpu-node-00001",...]}
//   FilterFullNodesRequest(500)
//     {"Pod":<trainer pod>,"Nodes":{"metadata":{},"items":[<node>,...]},"NodeNames":null}
//
// The pod is the exact `Pod` object of filter_names_request.json. A full node is
// gpu_node_full.json (~18 KB: GFD/MIG labels, 40 images, 6 managedFields) with every
// occurrence of its name (metadata.name, the kubernetes.io/hostname label, the
// InternalDNS and Hostname addresses) replaced by NodeName(i), so nodes are distinct.
// Field order and byte format are those of kube-scheduler's json.Marshal.
//
// The golden directory is compiled in (QUOTIENT_GOLDEN_DIR); a missing or unreadable
// golden file ends the process with a message on stderr (these are tools, not services).
//
// Thread safety: thread-safe (the golden files are read once under a static initialiser).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "extender/json/request_body.h"

namespace quotient::benchmarks {

// "gpu-node-00001" for index 1; at least five digits, zero-padded.
std::string NodeName(size_t index);

// The exact JSON bytes of the trainer pod of filter_names_request.json.
std::string_view GoldenPodJson();

// The exact bytes of gpu_node_full.json and the node name it carries.
std::string_view GoldenGpuNodeJson();
std::string_view GoldenGpuNodeName();

// A filter/prioritize request in nodeCacheCapable mode: `nodes` names gpu-node-00001...
extender::RequestBody FilterNamesRequest(size_t nodes);

// A filter/prioritize request with `nodes` full GPU Node objects (nodeCacheCapable: false).
extender::RequestBody FilterFullNodesRequest(size_t nodes);

}  // namespace quotient::benchmarks
