// A pod's GPU request through a node's GPU inventory and placement: the node's labels,
// annotations (quotient.io/gpu-layout, quotient.io/gpu-links) and allocatable, and the
// pod's requests, labels and annotations, one per line:
//   n <label>=<value>     a   <annotation>=<value>     c <resource>=<quantity>  (node)
//   r <resource>=<quantity>   l <label>=<value>   p <annotation>=<value>        (pod)
// Oracles: a refused request says why; a fit never overlaps what the node holds (Assign
// accepts it), places every GPU, memory share or MIG device asked, and adds to the node's
// use exactly what a recount from its assignments gives (gpu_use_check.h); a refusal has
// a text.
#include <bit>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "gpu/gpu_request.h"
#include "gpu/inventory.h"
#include "gpu/node_gpus.h"
#include "gpu/placement.h"
#include "test/fuzz/fuzz_check.h"
#include "test/fuzz/gpu_use_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace quotient;
  std::string_view text = fuzz::AsText(data, size);
  gpu::StringPairs node_labels, node_annotations, pod_labels, pod_annotations;
  quota::ResourceList allocatable, requests;
  while (!text.empty()) {
    const size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view() : text.substr(eol + 1);
    if (line.size() < 3 || line[1] != ' ') continue;
    const std::string_view body = line.substr(2);
    const size_t eq = body.find('=');
    if (eq == std::string_view::npos) continue;
    const std::string key(body.substr(0, eq));
    const std::string value(body.substr(eq + 1));
    int64_t amount = 0;
    std::string error;
    switch (line[0]) {
      case 'n': node_labels.emplace_back(key, value); break;
      case 'a': node_annotations.emplace_back(key, value); break;
      case 'l': pod_labels.emplace_back(key, value); break;
      case 'p': pod_annotations.emplace_back(key, value); break;
      case 'c':
        if (quota::ParseResourceAmount(key, value, &amount, &error)) allocatable.Set(key, amount);
        break;
      case 'r':
        if (quota::ParseResourceAmount(key, value, &amount, &error)) requests.Set(key, amount);
        break;
      default: break;
    }
  }
  const gpu::MigCatalog& catalog = gpu::BuiltinMigCatalog();
  std::vector<std::string> warnings;
  gpu::NodeGpus node(gpu::BuildNodeInventory(node_labels, node_annotations, allocatable, catalog,
                                             gpu::InventoryOptions{}, &warnings));
  gpu::GpuRequest request;
  std::string error;
  if (!gpu::ParseGpuRequest(requests, pod_labels, pod_annotations, catalog, &request, &error)) {
    FUZZ_CHECK(!error.empty(), "a refused GPU request says why");
    return 0;
  }
  for (int round = 0; round < 4; ++round) {
    gpu::FitOptions options;
    options.mig = round % 2 == 0 ? gpu::MigPolicy::kKeepLargest : gpu::MigPolicy::kFirstFit;
    const gpu::GpuFit fit = gpu::FitGpuRequest(node, request, options);
    if (!fit.fits()) {
      FUZZ_CHECK(!gpu::FormatGpuFit(fit, request, node, "n1").empty(), "a refusal has a text");
      break;
    }
    FUZZ_CHECK(fit.score >= 0 && fit.score <= 10, "scores are 0..10");
    const gpu::GpuAssignment& a = fit.assignment;
    switch (request.kind) {
      case gpu::GpuRequestKind::kWhole:
        FUZZ_CHECK(a.kind == gpu::GpuRequestKind::kWhole && std::popcount(a.gpus) == request.count,
                   "every whole GPU asked is placed");
        break;
      case gpu::GpuRequestKind::kMemory:
        FUZZ_CHECK(a.share_units == request.share_units && std::popcount(a.gpus) == 1,
                   "the memory share asked is placed on one GPU");
        break;
      case gpu::GpuRequestKind::kMig:
        FUZZ_CHECK(a.dynamic_mig() ? static_cast<int64_t>(a.instances.size()) == request.count
                                   : a.count == request.count,
                   "every instance asked is placed");
        break;
      default: break;
    }
    if (request.kind == gpu::GpuRequestKind::kNone) break;
    FUZZ_CHECK(node.Assign("pod-" + std::to_string(round), fit.assignment),
               "a fit never overlaps what the node holds");
    FUZZ_CHECK(quotient::fuzz::UseMatchesRecomputed(node),
               "the use a fit adds is what a recount of the node gives");
  }
  node.ReleaseAll({"pod-0", "pod-1", "pod-2", "pod-3"});  // under the sanitizers
  return 0;
}
