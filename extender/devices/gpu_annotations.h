// The pod annotations that carry a GPU placement between Quotient and the node (the
// contract of docs/gpu.md, "Annotations a node agent acts on"):
//  * gpushare memory shares, exactly as gpushare-scheduler-extender writes them, so its
//    device plugin works unchanged: ALIYUN_COM_GPU_MEM_IDX (GPU index),
//    ALIYUN_COM_GPU_MEM_POD (the pod's units), ALIYUN_COM_GPU_MEM_DEV (the GPU's units),
//    ALIYUN_COM_GPU_MEM_ASSIGNED ("false"; the plugin sets "true"),
//    ALIYUN_COM_GPU_MEM_ASSUME_TIME (nanoseconds since the epoch);
//  * dynamic MIG: quotient.io/mig-placement = "gpu=<index>,profile=<name>,start=<slice>,
//    size=<slices>", one such entry per GPU instance, ';'-separated for a pod of several
//    ("gpu=0,profile=1g.5gb,start=0,size=1;gpu=0,profile=1g.5gb,start=1,size=1"); the node
//    agent creates every listed instance. Reading accepts one entry without ';' as before.
// BindAnnotations builds them for a placement chosen at bind; AssignmentFromPod reads them
// back from a pod the watch delivers, which is how device state survives restarts.
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "extender/objects/pod.h"
#include "gpu/node_gpus.h"

namespace quotient::extender::state {

inline constexpr std::string_view kGpuMemIdx = "ALIYUN_COM_GPU_MEM_IDX";
inline constexpr std::string_view kGpuMemPod = "ALIYUN_COM_GPU_MEM_POD";
inline constexpr std::string_view kGpuMemDev = "ALIYUN_COM_GPU_MEM_DEV";
inline constexpr std::string_view kGpuMemAssigned = "ALIYUN_COM_GPU_MEM_ASSIGNED";
inline constexpr std::string_view kGpuMemAssumeTime = "ALIYUN_COM_GPU_MEM_ASSUME_TIME";
inline constexpr std::string_view kMigPlacement = "quotient.io/mig-placement";

// The annotations to write for `assignment` on `node`; empty for whole GPUs and static
// MIG devices (their device plugins choose the device). `now_ns`: nanoseconds since the
// epoch.
StringPairs BindAnnotations(const gpu::GpuAssignment& assignment, const gpu::NodeGpus& node,
                            int64_t now_ns);

// A JSON merge patch setting `annotations` on a pod:
// {"metadata":{"uid":"<uid>","annotations":{...}}}. A non-empty `uid` is a precondition:
// the API server refuses the patch if the pod of that name has another UID (metadata.uid
// is immutable), so a pod recreated under the same name is not annotated.
std::string AnnotationPatch(const StringPairs& annotations, std::string_view uid = {});

// The assignment of a pod bound to `node`, from its annotations when it has them, else
// (whole GPUs, static MIG, or memory without gpushare annotations) the placement
// FitGpuRequest would choose now. False when the pod holds no GPU or the annotations are
// malformed or name something the node lacks (*why says which: an empty entry, a missing
// gpu, profile or start, a field that is not key=value or not a number, a GPU or profile
// the node lacks, a size or start the profile does not have, more instances than the node
// holds).
bool AssignmentFromPod(const PodInfo& pod, const gpu::GpuRequest& request,
                       const gpu::NodeGpus& node, gpu::GpuAssignment* out, std::string* why);

}  // namespace quotient::extender::state
