// A watch stream of pods as the API server sends it, cut into reads: the first byte sets
// the read size, the rest is the stream. Each line goes through the LineSplitter, the
// event head, the Pod decoder, the pod's GPU request and its GPU annotations
// (quotient.io/mig-placement, gpushare's index) on a dynamic-MIG A100 node and a gpushare
// node. Oracles: lines hold no newline and never exceed the input; a refusal at any step
// carries a message; a placement read from a pod that the node can record (no overlap)
// adds to the node's use what a recount from its assignments gives (gpu_use_check.h).
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "extender/devices/gpu_annotations.h"
#include "extender/kube/line_splitter.h"
#include "extender/kube/list_watch_decode.h"
#include "extender/objects/pod_decode.h"
#include "gpu/gpu_request.h"
#include "gpu/node_gpus.h"
#include "test/fuzz/fuzz_check.h"
#include "test/fuzz/gpu_use_check.h"

namespace {

using namespace quotient;

const std::vector<gpu::NodeGpus>& Nodes() {
  static const std::vector<gpu::NodeGpus> nodes = [] {
    std::vector<std::string> warnings;
    std::vector<gpu::NodeGpus> out;
    out.emplace_back(gpu::BuildNodeInventory({{"nvidia.com/gpu.product", "NVIDIA-A100-SXM4-40GB"},
                                              {"nvidia.com/gpu.count", "2"},
                                              {"cdmo.clear.ml/gpu-partitioning", "mig"}},
                                             {}, {}, gpu::BuiltinMigCatalog(),
                                             gpu::InventoryOptions{}, &warnings));
    out.emplace_back(gpu::BuildNodeInventory(
        {}, {}, quota::ResourceList{{"aliyun.com/gpu-mem", 32}, {"aliyun.com/gpu-count", 2}},
        gpu::BuiltinMigCatalog(), gpu::InventoryOptions{}, &warnings));
    return out;
  }();
  return nodes;
}

void Pod(extender::PodInfo& pod) {
  gpu::GpuRequest request;
  std::string error;
  if (!gpu::ParseGpuRequest(pod.requests, pod.labels, pod.annotations, gpu::BuiltinMigCatalog(),
                            &request, &error)) {
    FUZZ_CHECK(!error.empty(), "a refused GPU request says why");
    return;
  }
  for (const gpu::NodeGpus& base : Nodes()) {
    gpu::GpuAssignment assignment;
    std::string why;
    if (!extender::state::AssignmentFromPod(pod, request, base, &assignment, &why)) {
      FUZZ_CHECK(request.kind == gpu::GpuRequestKind::kNone || !why.empty(),
                 "an unplaced pod says why");
      continue;
    }
    gpu::NodeGpus node = base;  // copied only to record the placement
    // A pod's annotations may name slices the node's own instances hold: Assign counts it
    // anyway and says so. What a placement that fits adds is what a recount gives.
    if (node.Assign(pod.uid, assignment)) {
      FUZZ_CHECK(fuzz::UseMatchesRecomputed(node),
                 "the use a placement read from a pod adds is what a recount gives");
    }
    node.Release(pod.uid);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace quotient::extender;
  if (size == 0) return 0;
  const size_t read = 1 + data[0] % 64;
  std::string_view stream = fuzz::AsText(data + 1, size - 1);
  kube::LineSplitter splitter(/*max_line_bytes=*/4096);
  size_t line_bytes = 0;
  while (!stream.empty() && !splitter.overflow()) {
    const size_t n = std::min(read, stream.size());
    std::memcpy(splitter.Prepare(n), stream.data(), n);
    splitter.Commit(n);
    stream.remove_prefix(n);
    std::string_view line;
    while (splitter.Next(&line)) {
      FUZZ_CHECK(line.find('\n') == std::string_view::npos, "a line holds no newline");
      line_bytes += line.size();
      FUZZ_CHECK(line_bytes <= size, "lines never exceed the input");
      const RequestBody body = RequestBody::Copy(line);
      json::od::document doc;
      kube::WatchEventHead head;
      std::string error;
      if (!kube::DecodeEventHead(body, &doc, &head, &error)) {
        FUZZ_CHECK(!error.empty(), "a refused event says why");
        continue;
      }
      if (!head.has_object) continue;
      const bool decoded = kube::DecodeEventObject(
          doc,
          [&](json::od::value& object) {
            PodInfo pod;
            DecodeError pod_error;
            if (!DecodePodObject(object, nullptr, &pod, &pod_error)) {
              FUZZ_CHECK(!pod_error.message.empty(), "a refused pod says why");
              return false;
            }
            Pod(pod);
            return true;
          },
          &error);
      (void)decoded;
    }
  }
  return 0;
}
