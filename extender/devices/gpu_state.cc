#include "extender/devices/gpu_state.h"

#include <tuple>
#include <type_traits>

#include "extender/devices/gpu_annotations.h"
#include "extender/telemetry/logging.h"

namespace quotient::extender::state {

namespace {

// KEP-5004: kube-scheduler wrote a claim for the pod's extended resources in PreBind, so a
// DRA device serves its whole GPUs, not the device plugin: nothing to count here. Decided
// from the pod, not from the node's allocatable now: a device plugin re-registering after
// a kubelet restart reports 0 GPUs for a while, and the pods it serves stay counted.
bool WholeGpusHeldByClaim(const PodInfo& pod, const gpu::GpuRequest& request) {
  return request.kind == gpu::GpuRequestKind::kWhole && !pod.extended_resource_claim.empty();
}

}  // namespace
namespace {

std::string OverlapWarning(const PodInfo& pod, std::string_view node) {
  return "pod " + pod.ns + "/" + pod.name + " overlaps devices on node " + std::string(node) +
         " (counted anyway)";
}

}  // namespace

// The commit half of every update moves these into place: it must not be able to fail.
static_assert(std::is_nothrow_move_assignable_v<PodInfo>);
static_assert(std::is_nothrow_move_assignable_v<gpu::GpuRequest>);
static_assert(std::is_nothrow_move_assignable_v<std::string>);

// One pod's place in by_node_, made ahead: the entry for its node name and the set node
// that holds its UID. Index splices the set node in without allocating. An entry that is
// still empty when the slot dies (the update failed, or did not index the pod) is erased.
class GpuState::IndexSlot {
 public:
  IndexSlot() = default;
  IndexSlot(GpuState* state, std::string_view name, NodePods* pods,
            std::set<std::string_view>::node_type node)
      : state_(state), name_(name), pods_(pods), node_(std::move(node)) {}
  IndexSlot(IndexSlot&& other) noexcept
      : state_(std::exchange(other.state_, nullptr)),
        name_(other.name_),
        pods_(other.pods_),
        node_(std::move(other.node_)) {}
  IndexSlot& operator=(IndexSlot&&) = delete;
  ~IndexSlot() {
    if (state_ != nullptr && pods_->counted.empty() && pods_->waiting.empty()) {
      state_->PruneIndex(name_);
    }
  }

  // Inserts the UID into the entry's counted or waiting set; cannot fail.
  void Fill(bool counted) {
    if (state_ == nullptr) return;
    (counted ? pods_->counted : pods_->waiting).insert(std::move(node_));
  }

 private:
  GpuState* state_ = nullptr;  // nullptr: the pod goes in no entry
  std::string_view name_;      // a view of the by_node_ key
  NodePods* pods_ = nullptr;   // that entry (a hash map node: stable until it is erased)
  std::set<std::string_view>::node_type node_;
};

template <typename MakeText>
void GpuState::Warn(MakeText&& make_text) noexcept {
  try {
    std::string text = make_text();
    Log(spdlog::level::warn, "gpu state", {{"detail", text}});
    if (warnings_.size() >= 64) warnings_.erase(warnings_.begin());
    warnings_.push_back(std::move(text));
  } catch (...) {  // out of memory: the warning is lost, the state is not
  }
}

GpuState::GpuState(const gpu::MigCatalog* catalog, gpu::InventoryOptions options)
    : catalog_(catalog), options_(std::move(options)) {}

void GpuState::ObservePod(bool deleted, const PodInfo& pod) {
  if (deleted) {
    DeletePod(pod.uid);
  } else {
    UpsertPod(pod);
  }
}

void GpuState::ObserveNode(bool deleted, const NodeInfo& node) {
  if (deleted) {
    DeleteNode(node.name);
  } else {
    UpsertNode(node);
  }
}

void GpuState::ObservePodList(bool begin) {
  std::unique_lock lock(mu_);
  if (begin) {
    ++pod_list_;
    pod_listing_ = true;
    return;
  }
  pod_listing_ = false;
  pods_listed_ = true;
  for (auto it = pods_.begin(); it != pods_.end();) {
    auto next = std::next(it);
    if (it->second.seen != pod_list_) Forget(it);
    it = next;
  }
}

void GpuState::ObserveNodeList(bool begin) {
  std::unique_lock lock(mu_);
  if (begin) {
    ++node_list_;
    node_listing_ = true;
    return;
  }
  node_listing_ = false;
  for (auto it = nodes_.begin(); it != nodes_.end();) {
    auto seen = node_seen_.find(it->first);
    if (seen == node_seen_.end() || seen->second != node_list_) {
      UncountNode(it->first);
      if (seen != node_seen_.end()) node_seen_.erase(seen);
      it = nodes_.erase(it);
    } else {
      ++it;
    }
  }
}

GpuState::IndexSlot GpuState::PrepareIndex(const std::string& uid, std::string_view name) {
  if (name.empty()) return IndexSlot();
  std::set<std::string_view> holder{std::string_view(uid)};
  auto node = holder.extract(holder.begin());
  auto entry = by_node_.find(name);
  if (entry == by_node_.end()) entry = by_node_.try_emplace(std::string(name)).first;
  return IndexSlot(this, entry->first, &entry->second, std::move(node));
}

void GpuState::Index(IndexSlot* slot, bool counted) {
  slot->Fill(counted);
}

std::string_view GpuState::Unindex(const std::string& uid, const PodGpu& pod) {
  const std::string& name = pod.node.empty() ? pod.pod.node_name : pod.node;
  if (name.empty()) return {};
  auto it = by_node_.find(name);
  if (it == by_node_.end()) return {};
  (pod.node.empty() ? it->second.waiting : it->second.counted).erase(uid);
  return it->first;
}

void GpuState::PruneIndex(std::string_view name) {
  if (name.empty()) return;
  auto it = by_node_.find(name);
  if (it != by_node_.end() && it->second.counted.empty() && it->second.waiting.empty()) {
    by_node_.erase(it);
  }
}

void GpuState::UncountNode(std::string_view name) {
  auto it = by_node_.find(name);
  if (it == by_node_.end()) return;
  NodePods& pods = it->second;
  // A pod counted on a node is bound to it (pod.node_name == node) or was reserved at bind
  // while the watch still showed it unbound (pod.node_name empty): the first kind waits
  // for the node's return, the second leaves the index. Moving set nodes allocates nothing.
  while (!pods.counted.empty()) {
    auto uid = pods.counted.extract(pods.counted.begin());
    auto pod = pods_.find(uid.value());
    pod->second.node.clear();
    if (pod->second.pod.node_name == it->first) pods.waiting.insert(std::move(uid));
  }
  if (pods.waiting.empty()) by_node_.erase(it);
}

void GpuState::Forget(ClusterState::NameMap<PodGpu>::iterator it) {
  if (!it->second.node.empty()) {
    auto node = nodes_.find(it->second.node);
    if (node != nodes_.end()) node->second.Release(it->first);
  }
  PruneIndex(Unindex(it->first, it->second));
  pods_.erase(it);
}

std::vector<std::string> GpuState::warnings() const {
  std::shared_lock lock(mu_);
  return warnings_;
}

void GpuState::UpsertNode(const NodeInfo& node) {
  std::vector<std::string> warnings;
  gpu::NodeGpuInventory inventory = gpu::BuildNodeInventory(
      node.labels, node.annotations, node.allocatable, *catalog_, options_, &warnings);
  std::unique_lock lock(mu_);
  for (std::string& w : warnings) Warn([&] { return "node " + node.name + ": " + w; });
  // Allocation first: the bookkeeping entry, the node, the list of pods waiting for it.
  auto [seen, seen_added] = node_seen_.try_emplace(node.name, 0);
  ClusterState::NameMap<gpu::NodeGpus>::iterator it;
  bool added = false;
  std::vector<std::string_view> waiting;
  try {
    std::tie(it, added) = nodes_.try_emplace(node.name);
    auto pods = by_node_.find(node.name);
    // Waiting pods are tried again when the node arrives, when memory ran short, and when
    // its inventory changed (a device plugin registered, a layout was written); not on
    // every status heartbeat, which would repeat each unplaceable pod's warning.
    if (pods != by_node_.end() && !pods->second.waiting.empty() &&
        (added || pods->second.retry || !(it->second.inventory() == inventory))) {
      waiting.assign(pods->second.waiting.begin(), pods->second.waiting.end());
    }
    it->second.SetInventory(std::move(inventory));  // strong
  } catch (...) {
    if (added) nodes_.erase(it);
    if (seen_added) node_seen_.erase(seen);
    throw;
  }
  seen->second = node_list_;
  if (auto pods = by_node_.find(node.name); pods != by_node_.end()) pods->second.retry = false;
  // Each waiting pod is placed whole or stays waiting (PlaceWaiting).
  for (std::string_view uid : waiting) PlaceWaiting(uid, it->first, &it->second);
}

void GpuState::PlaceWaiting(std::string_view uid, const std::string& node_name,
                            gpu::NodeGpus* node) {
  auto pod = pods_.find(uid);
  PodGpu& entry = pod->second;
  try {
    gpu::GpuAssignment assignment;
    std::string warning;
    if (!ComputePlacement(entry.pod, entry.request, *node, &assignment, &warning)) {
      Warn([&] { return std::move(warning); });
      return;
    }
    std::string counted_on = node_name;
    IndexSlot slot = PrepareIndex(pod->first, node_name);
    const bool clean = node->Assign(uid, assignment);  // strong; the last step that can fail
    const std::string_view old = Unindex(pod->first, entry);
    entry.node = std::move(counted_on);
    Index(&slot, /*counted=*/true);
    PruneIndex(old);
    if (!clean) Warn([&] { return OverlapWarning(entry.pod, node_name); });
  } catch (const std::exception& e) {
    if (dynamic_cast<const std::bad_alloc*>(&e) != nullptr) {
      if (auto pods = by_node_.find(node_name); pods != by_node_.end()) pods->second.retry = true;
    }
    Warn([&] {
      return "pod " + entry.pod.ns + "/" + entry.pod.name + ": devices not counted: " + e.what();
    });
  }
}

void GpuState::DeleteNode(std::string_view name) {
  std::unique_lock lock(mu_);
  UncountNode(name);  // placed again if the node comes back
  if (auto it = nodes_.find(name); it != nodes_.end()) nodes_.erase(it);
  if (auto it = node_seen_.find(name); it != node_seen_.end()) node_seen_.erase(it);
}

bool GpuState::ComputePlacement(const PodInfo& pod, const gpu::GpuRequest& request,
                                const gpu::NodeGpus& node, gpu::GpuAssignment* out,
                                std::string* warning) const {
  std::string why;
  bool known = false;
  try {
    known = AssignmentFromPod(pod, request, node, out, &why);
  } catch (const std::exception& e) {
    why = std::string("internal error: ") + e.what();
  }
  if (!known) *warning = "pod " + pod.ns + "/" + pod.name + ": devices not counted: " + why;
  return known;
}

void GpuState::UpsertPod(const PodInfo& pod) {
  gpu::GpuRequest request;
  std::string error;
  if (!gpu::ParseGpuRequest(pod.requests, pod.labels, pod.annotations, *catalog_, &request,
                            &error) ||
      !request.any()) {
    {
      // Most pods have no GPUs: do not take the exclusive lock for them.
      std::shared_lock lock(mu_);
      if (pods_.find(pod.uid) == pods_.end()) return;
    }
    DeletePod(pod.uid);
    return;
  }
  const bool finished = pod.phase == "Succeeded" || pod.phase == "Failed";
  std::unique_lock lock(mu_);
  if (finished || WholeGpusHeldByClaim(pod, request)) {
    if (auto it = pods_.find(pod.uid); it != pods_.end()) Forget(it);
    return;
  }
  auto [it, added] = pods_.try_emplace(pod.uid);
  const std::string& uid = it->first;
  PodGpu& entry = it->second;
  if (!entry.node.empty() && entry.node == pod.node_name) {
    // Already counted (reserved at bind or seen before); annotations written at bind are
    // the same placement.
    entry.request = std::move(request);
    entry.seen = pod_list_;
    entry.bound = true;
    return;
  }
  // Counted on another node than the API now says (a bind assumed elsewhere): the API's
  // word wins. A pod the watch still shows unbound keeps a placement reserved at bind.
  const bool keep = !entry.node.empty() && pod.node_name.empty();
  std::string not_counted;  // why the devices of a bound pod are not counted
  bool overlaps = false;
  try {
    // Allocation first: the copies, the placement, the index entry.
    PodInfo info = pod;
    gpu::GpuAssignment assignment;
    gpu::NodeGpus* target = nullptr;
    std::string counted_on;
    if (!keep && !pod.node_name.empty()) {
      if (auto node = nodes_.find(pod.node_name); node != nodes_.end()) {
        if (ComputePlacement(info, request, node->second, &assignment, &not_counted)) {
          target = &node->second;
          counted_on = node->first;
        }
      }
    }
    const bool counted = keep || target != nullptr;
    IndexSlot slot = PrepareIndex(uid, keep ? entry.node : pod.node_name);
    // The one step that can fail and change something is strong, and comes first.
    overlaps = target != nullptr && !target->Assign(uid, assignment);
    const std::string_view old = Unindex(uid, entry);
    if (!keep && !entry.node.empty()) Uncount(uid, &entry);
    entry.pod = std::move(info);
    entry.request = std::move(request);
    if (target != nullptr) entry.node = std::move(counted_on);
    entry.seen = pod_list_;
    if (!entry.pod.node_name.empty()) entry.bound = true;  // never undone
    Index(&slot, counted);
    PruneIndex(old);
  } catch (...) {
    if (added) pods_.erase(it);
    throw;
  }
  if (!not_counted.empty()) Warn([&] { return std::move(not_counted); });
  if (overlaps) Warn([&] { return OverlapWarning(pod, pod.node_name); });
}

void GpuState::DeletePod(std::string_view uid) {
  std::unique_lock lock(mu_);
  auto it = pods_.find(uid);
  if (it != pods_.end()) Forget(it);
}

void GpuState::Uncount(std::string_view uid, PodGpu* entry) {
  auto node = nodes_.find(entry->node);
  if (node != nodes_.end()) node->second.Release(uid);
  entry->node.clear();
}

GpuState::ReserveResult GpuState::Reserve(std::string_view uid, std::string_view node,
                                          const gpu::GpuRequest& request,
                                          const gpu::FitOptions& options, int64_t now_ns,
                                          gpu::GpuAssignment* out, StringPairs* annotations,
                                          std::string* why) {
  std::unique_lock lock(mu_);
  if (auto known = pods_.find(uid); known != pods_.end()) {
    if (known->second.bound) {
      const std::string& on =
          known->second.node.empty() ? known->second.pod.node_name : known->second.node;
      *why = "gpu: the pod is bound already" + (on.empty() ? std::string() : " to " + on) +
             "; its devices are not chosen again";
      return ReserveResult::kDuplicate;
    }
    if (known->second.binding) {
      *why =
          "gpu: another bind of the pod is in flight (kube-scheduler retried a bind that "
          "outlived its timeout); its devices are not chosen twice";
      return ReserveResult::kDuplicate;
    }
  }
  auto n = nodes_.find(node);
  if (n == nodes_.end()) {
    *why = "gpu: node " + std::string(node) + " is not in Quotient's GPU cache";
    return ReserveResult::kNoFit;
  }
  auto [it, added] = pods_.try_emplace(std::string(uid));
  PodGpu& entry = it->second;
  try {
    // A retried bind places afresh, on this node or another: the fit is computed without
    // its earlier placement here (on a copy: retries are rare), and the earlier one goes.
    std::optional<gpu::NodeGpus> without;
    if (n->second.assignments().contains(uid)) {
      without.emplace(n->second);
      without->Release(uid);
    }
    const gpu::GpuFit fit = gpu::FitGpuRequest(without ? *without : n->second, request, options);
    if (!fit.fits()) {
      *why = gpu::FormatGpuFit(fit, request, without ? *without : n->second, node);
      IndexSlot slot = PrepareIndex(it->first, added ? std::string_view() : entry.pod.node_name);
      const std::string_view old = Unindex(it->first, entry);
      if (!entry.node.empty()) Uncount(uid, &entry);
      n->second.Release(uid);
      if (added) {
        pods_.erase(it);
      } else {
        Index(&slot, /*counted=*/false);
      }
      PruneIndex(old);
      return ReserveResult::kNoFit;
    }
    // Allocation first: the outputs, the copies, the index entry.
    *out = fit.assignment;
    *annotations = BindAnnotations(fit.assignment, n->second, now_ns);
    gpu::GpuRequest request_copy = request;
    std::string counted_on = n->first;
    std::string bound_to = n->first;
    IndexSlot slot = PrepareIndex(it->first, n->first);
    n->second.Assign(uid, fit.assignment);  // strong; replaces a placement held there
    const std::string_view old = Unindex(it->first, entry);
    if (entry.node != n->first) Uncount(uid, &entry);
    entry.request = std::move(request_copy);
    entry.seen = pod_list_;
    entry.node = std::move(counted_on);
    entry.pod.node_name = std::move(bound_to);
    entry.binding = true;
    Index(&slot, /*counted=*/true);
    PruneIndex(old);
    return ReserveResult::kReserved;
  } catch (...) {
    if (added) pods_.erase(it);
    throw;
  }
}

void GpuState::FinishBind(std::string_view uid, bool bound) {
  std::unique_lock lock(mu_);
  auto it = pods_.find(uid);
  if (it == pods_.end()) return;  // deleted meanwhile
  PodGpu& entry = it->second;
  entry.binding = false;
  if (bound) {
    entry.bound = true;
    return;
  }
  if (entry.bound || entry.node.empty()) return;
  const std::string_view old = Unindex(it->first, entry);
  Uncount(uid, &entry);
  entry.pod.node_name.clear();
  PruneIndex(old);
}

bool GpuState::PodsListed() const {
  std::shared_lock lock(mu_);
  return pods_listed_;
}

void GpuState::NoteRequest(std::string_view uid, const gpu::GpuRequest& request) {
  gpu::GpuRequest copy = request;
  std::unique_lock lock(mu_);
  auto [it, added] = pods_.try_emplace(std::string(uid));
  if (!added) return;  // the watch's view wins
  it->second.request = std::move(copy);
  it->second.seen = pod_list_;
}

bool GpuState::FindRequest(std::string_view uid, gpu::GpuRequest* out) const {
  std::shared_lock lock(mu_);
  auto it = pods_.find(uid);
  if (it == pods_.end()) return false;
  *out = it->second.request;
  return true;
}

}  // namespace quotient::extender::state
