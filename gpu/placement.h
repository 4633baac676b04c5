// Device-level fit, placement and score of one pod's GPU request on one node.
//
//  - Whole GPUs: idle exclusive or shared GPUs; the lowest indices, or for N > 1 when the
//    interconnect is known the best-connected set (greedy: the best pair, then the GPU
//    adding the most link score).
//  - GPU memory shares: ONE GPU must hold the whole request; best fit (the GPU with the
//    least free memory that holds it), or the most free memory under kSpread.
//  - MIG (an explicit nvidia.com/mig-<profile>, or a fraction mapped through the node
//    model's fraction table): a free static device of that profile first; else, on
//    mig-dynamic GPUs, a legal free placement. Under kKeepLargest the placement chosen
//    leaves the fewest dead slices (free slices no profile can use, MigGeometry::dead),
//    then loses the least headroom, comparing per profile, largest profile first, how
//    many of its placements stay free (MigGeometry::headroom); ties go to the fuller GPU,
//    then the lower GPU index and start. kFirstFit (lowest GPU, lowest start) exists to
//    measure against (mig_churn.h; docs/gpu.md, "Fragmentation"). A request of N
//    instances (nvidia.com/mig-<profile>: N; a fraction is one) places them greedily, one
//    at a time, each by the same rule on the use left by the earlier ones, with one more
//    tie-break before "the fuller GPU": a GPU already holding one of them. All N fit or
//    the request does not (GpuFit::placed says how many did).
//  - Score 0..10 (docs/gpu.md, "Score"): whole GPUs: binpack = 10 x GPUs in use after /
//    usable GPUs (spread: 10 minus that), blended 70/30 with the chosen set's mean link
//    score relative to the node's best link when N > 1 and links are known; memory:
//    10 x the chosen GPU's used share after / its share (spread: free after / share);
//    static MIG: 10 x devices used after / devices; dynamic MIG: 5 x slices used after /
//    slices + 5 x (1 - fragmentation after) of the chosen GPU (N instances: that score
//    after all of them, averaged over the GPUs they landed on).
//  - Counts come from pods (any valid quantity: "2P" MIG devices is one), so each is
//    first compared with the most the node could hold were it empty: whole GPUs with its
//    usable GPUs, a memory share with its largest GPU's share, MIG instances with its
//    static devices of the profile plus its partitionable GPUs x the per-GPU limit. More
//    is kExceedsNode, decided before anything is sized by the count.
//
// Decisions carry a code and the numbers of the reason; FormatGpuFit turns them into
// text such as "gpu: no GPU on node n1 has 8Gi of GPU memory free (largest 4Gi)".
//
// Thread safety: pure functions over a NodeGpus the caller keeps stable meanwhile.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "gpu/gpu_request.h"
#include "gpu/node_gpus.h"

namespace quotient::gpu {

enum class MigPolicy { kKeepLargest, kFirstFit };

struct FitOptions {
  // Unset: the node's own (NodeGpuInventory::pack, its pool's placement label).
  std::optional<PackPolicy> pack;
  MigPolicy mig = MigPolicy::kKeepLargest;
};

enum class FitCode {
  kFits,
  kWrongModel,      // the pod asks for another GPU model
  kNoGpus,          // the node has no GPU of the requested kind at all
  kWholeGpus,       // fewer idle GPUs than asked
  kNoSharing,       // no GPU of the node shares memory
  kGpuMemory,       // no single GPU has the memory free
  kNotMig,          // the node's GPUs cannot be partitioned (or its model is unknown)
  kUnknownProfile,  // the node's model has no such MIG profile
  kNoFraction,      // the node's model has no profile for that fraction
  kMigInstances,    // every GPU already holds the profile's (or the model's) maximum
  kMigPlacement,    // no legal placement is free
  kStaticMig,       // every static device of the profile is taken, and no dynamic GPU
  kExceedsNode,     // more than the node could hold even empty (have: that most), so
                    // no eviction helps; decided before anything is sized by the count
};
inline constexpr int kFitCodeCount = 13;
std::string_view FitCodeName(FitCode code);

struct GpuFit {
  FitCode code = FitCode::kFits;
  GpuAssignment assignment;  // when it fits
  int score = 0;             // 0..10 when it fits
  int64_t want = 0;          // GPUs, memory units or instances asked
  int64_t have = 0;          // what the best candidate offered (free GPUs, largest free
                             // memory, largest placeable slices, free devices)
  int64_t placed = 0;        // dynamic MIG: instances that fit (want when it fits; fewer
                             // on kMigInstances / kMigPlacement: the next one did not)
  int profile = -1;          // MIG: the profile index on the node's model
  std::string profile_name;  // MIG: the profile served
  bool fits() const { return code == FitCode::kFits; }
};

// A request of kind kNone with no model fits every node with score 0.
GpuFit FitGpuRequest(const NodeGpus& node, const GpuRequest& request, const FitOptions& options);

// True for a whole-GPU request on a node whose device plugin offers no whole GPU
// (NodeGpuInventory::device_plugin_gpus == 0). Such a request is not the device plugin's
// to serve there: Kubernetes serves it through a device class that names the extended
// resource (DRA, KEP-5004: the scheduler allocates a device of a ResourceSlice and writes a
// claim for the pod) or not at all, and which device it takes is not modelled here.
// FitGpuRequest does not apply this rule (it answers for the device plugin's GPUs); the
// live decider does (extender/decide/gpu_decider.h).
inline bool WholeGpusLeftToDeviceClasses(const NodeGpus& node, const GpuRequest& request) {
  return request.kind == GpuRequestKind::kWhole && node.inventory().device_plugin_gpus <= 0;
}

// "gpu: no GPU on node n1 has 8Gi of GPU memory free (largest 4Gi)". Empty when it fits.
// An empty `node_name` reads "the node" ("gpu: no GPU on the node has ..."): the per-node
// text of a webhook answer, which kube-scheduler counts by text ("0/5000 nodes are
// available: 4990 gpu: ...") and writes whole into the pod's PodScheduled condition.
std::string FormatGpuFit(const GpuFit& fit, const GpuRequest& request, const NodeGpus& node,
                         std::string_view node_name);

}  // namespace quotient::gpu
