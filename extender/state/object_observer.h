// The observer interface through which the watch sinks (watch_sinks.h) hand decoded pods
// and nodes to a second consumer beside ClusterState.
//
// Thread safety: implementations are called from the reflectors' threads.
#pragma once

#include "extender/objects/node_decode.h"
#include "extender/objects/pod.h"

namespace quotient::extender::state {

// Sees every pod and node the watches decode (the GPU state, gpu_state.h). Optional;
// called by the sinks, from their reflectors: a pod after ClusterState applied it, a node
// before (NodeSink moves the node into ClusterState).
class DecodedObjectObserver {
 public:
  virtual ~DecodedObjectObserver() = default;
  virtual void ObservePod(bool deleted, const PodInfo& pod) = 0;
  virtual void ObserveNode(bool deleted, const NodeInfo& node) = 0;
  // A full list starts / ends: what the list did not contain is gone.
  virtual void ObservePodList(bool begin) = 0;
  virtual void ObserveNodeList(bool begin) = 0;
};

}  // namespace quotient::extender::state
