#include "extender/simulate/gpu_sim.h"

#include "gpu/equivalent.h"
#include "gpu/inventory.h"

namespace quotient::extender::simulate {

gpu::NodeGpus SimNodeGpus(const config::ScenarioNode& node, quota::ResourceList* allocatable) {
  std::vector<std::string> warnings;  // scenario nodes carry no annotations
  gpu::NodeGpuInventory inventory = gpu::BuildNodeInventory(
      node.labels, {}, node.capacity, gpu::BuiltinMigCatalog(), gpu::InventoryOptions{}, &warnings);
  const int dynamic = inventory.CountMode(gpu::GpuMode::kMigDynamic);
  if (dynamic > 0) {
    for (const gpu::MigProfile& p : inventory.model->profiles) {
      const std::string resource = p.ResourceName();
      allocatable->Set(
          resource, allocatable->Get(resource) + static_cast<int64_t>(p.max_instances) * dynamic);
    }
  }
  const int64_t gpus = static_cast<int64_t>(inventory.gpus.size());
  // Never binds: the device-level fit decides (a GPU of 1g instances charges 7 x 143).
  if (gpus > 0) allocatable->Set(gpu::kResourceGpuMilli, 8 * 1000 * gpus);
  return gpu::NodeGpus(std::move(inventory));
}

bool SimPodGpuRequest(const config::CreateAction& spec, const quota::QuotaTree& tree,
                      gpu::GpuRequest* request, quota::ResourceList* requests, std::string* error) {
  if (!gpu::ParseGpuRequest(spec.requests, spec.labels, spec.annotations, gpu::BuiltinMigCatalog(),
                            request, error)) {
    return false;
  }
  bool charged = false;
  for (size_t r = 0; r < tree.resource_count(); ++r) {
    charged = charged || tree.resource_name(static_cast<int32_t>(r)) == gpu::kResourceGpuMilli;
  }
  if (!charged) return true;
  const int64_t milli =
      gpu::GpuEquivalentMilliUnplaced(*request, gpu::BuiltinMigCatalog(), gpu::EquivalentOptions{});
  if (milli > 0) requests->Set(gpu::kResourceGpuMilli, milli);
  return true;
}

}  // namespace quotient::extender::simulate
