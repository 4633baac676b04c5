// Device-level GPU state of the live cluster: per node its GPU inventory (from the Node's
// labels, annotations and allocatable) and the placement of every pod holding GPUs on it
// (from the pods' annotations, gpu_annotations.h), plus the GPU request of every pod seen,
// so bind can find it by UID.
//
// Fed by the pod and node watches (UpsertPod/UpsertNode/Delete*) and by binds (Assume).
// A pod bound to a node that has not arrived yet is placed when the node does.
//
// Thread safety: thread-safe; one reader-writer lock. Read() runs its function under the
// shared lock: it must not call back into this object.
#pragma once

#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "extender/pod.h"
#include "extender/state/node_decode.h"
#include "gpu/inventory.h"
#include "gpu/mig_catalog.h"
#include "gpu/node_gpus.h"

namespace quotient::extender::state {

class GpuState {
 public:
  // REQUIRES: `catalog` outlives the state.
  GpuState(const gpu::MigCatalog* catalog, gpu::InventoryOptions options);

  void UpsertNode(const NodeInfo& node);
  void DeleteNode(std::string_view name);
  // A pod as the watch sees it. Finished (Succeeded/Failed) pods release their devices.
  void UpsertPod(const PodInfo& pod);
  void DeletePod(std::string_view uid);

  // Quotient bound `uid` to `node` with `assignment` (before the watch confirms it).
  void Assume(std::string_view uid, std::string_view node, const gpu::GpuAssignment& assignment);

  // The GPU request of a pod seen by the watch; false when unknown or without GPUs.
  bool FindRequest(std::string_view uid, gpu::GpuRequest* out) const;

  // fn(lookup): lookup(node name) returns the node's NodeGpus or nullptr.
  template <typename Fn>
  auto Read(Fn&& fn) const {
    std::shared_lock lock(mu_);
    auto lookup = [this](std::string_view name) -> const gpu::NodeGpus* {
      auto it = nodes_.find(std::string(name));
      return it == nodes_.end() ? nullptr : &it->second;
    };
    return fn(lookup);
  }

  const gpu::MigCatalog& catalog() const { return *catalog_; }
  // Warnings from malformed node annotations and pod placements, newest last (at most 64).
  std::vector<std::string> warnings() const;

 private:
  struct PodGpu {
    gpu::GpuRequest request;
    std::string node;        // where its devices are counted; empty while pending
    PodInfo pod;             // kept while its node is unknown, to place it later
  };
  void Place(const std::string& uid, PodGpu* pod);  // REQUIRES: mu_ held exclusively
  void Warn(std::string text);                      // REQUIRES: mu_ held exclusively

  const gpu::MigCatalog* const catalog_;
  const gpu::InventoryOptions options_;
  mutable std::shared_mutex mu_;
  std::unordered_map<std::string, gpu::NodeGpus> nodes_;  // guarded by mu_
  std::unordered_map<std::string, PodGpu> pods_;          // by UID; guarded by mu_
  std::vector<std::string> warnings_;                     // guarded by mu_
};

}  // namespace quotient::extender::state
