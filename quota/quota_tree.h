// The compiled, immutable quota tree: nodes in a flat array (parents before children),
// per-node min and max over a fixed resource table, and the namespace -> leaf map.
//
// Resource table: every resource named in any min or max, plus cpu, memory, pods and
// nvidia.com/gpu (so their usage is always reported). Amounts use quota/resource_list.h
// units. kUnlimited marks a resource missing from a node's max.
//
// Thread safety: immutable after Build(); safe to share across threads.
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "quota/quota_spec.h"
#include "quota/resource_list.h"

namespace quotient::quota {

using QuotaId = int32_t;
inline constexpr QuotaId kNoQuota = -1;
inline constexpr int64_t kUnlimited = std::numeric_limits<int64_t>::max();

// A request (or any amounts) over a tree's resource table, sparse: (index, amount) pairs
// for the non-zero resources in increasing index order.
struct ResourceIndexAmount {
  int32_t resource;
  int64_t amount;
};
using SparseAmounts = std::vector<ResourceIndexAmount>;

class QuotaTree {
 public:
  // Compiles a spec. REQUIRES: ValidateQuotaSpec(root) holds.
  static std::shared_ptr<const QuotaTree> Build(const QuotaNodeSpec& root);

  size_t size() const { return nodes_.size(); }
  static constexpr QuotaId root() { return 0; }
  const std::string& name(QuotaId id) const { return nodes_[id].name; }
  QuotaId parent(QuotaId id) const { return nodes_[id].parent; }
  int depth(QuotaId id) const { return nodes_[id].depth; }
  bool is_leaf(QuotaId id) const { return nodes_[id].children.empty(); }
  const std::vector<QuotaId>& children(QuotaId id) const { return nodes_[id].children; }
  const std::vector<std::string>& namespaces(QuotaId id) const { return nodes_[id].namespaces; }
  // The node's own and inherited node-selector terms ("key=value").
  const std::vector<std::string>& node_selector(QuotaId id) const {
    return nodes_[id].node_selector;
  }
  QuotaId Find(std::string_view name) const;

  // The leaf a namespace hangs on, or kNoQuota.
  QuotaId LeafForNamespace(std::string_view ns) const;

  // Resource table.
  size_t resource_count() const { return resources_.size(); }
  const std::string& resource_name(int32_t r) const { return resources_[r]; }
  int32_t ResourceIndex(std::string_view name) const;  // -1 if not in the table

  int64_t Min(QuotaId id, int32_t r) const { return min_[Slot(id, r)]; }
  int64_t Max(QuotaId id, int32_t r) const { return max_[Slot(id, r)]; }
  size_t Slot(QuotaId id, int32_t r) const {
    return static_cast<size_t>(id) * resources_.size() + static_cast<size_t>(r);
  }

  // True if some node sets a min > 0 or a finite max for resource r.
  bool constrained(int32_t r) const { return constrained_[static_cast<size_t>(r)]; }
  // True if some node sets a min > 0 for resource r: only such resources take part in
  // guarantee and reclaim decisions. A max-only limit (a pod-count cap, a cpu ceiling
  // without a guarantee) constrains admission but guarantees nothing to reclaim.
  bool guaranteed(int32_t r) const { return guaranteed_[static_cast<size_t>(r)]; }

  // Converts a pod's requests to the table (resources outside it are not tracked).
  SparseAmounts ToSparse(const ResourceList& requests) const;

  // Lowest common ancestor of two nodes.
  QuotaId CommonAncestor(QuotaId a, QuotaId b) const;

 private:
  struct Node {
    std::string name;
    QuotaId parent = kNoQuota;
    int depth = 0;
    std::vector<QuotaId> children;
    std::vector<std::string> namespaces;
    std::vector<std::string> node_selector;
  };
  QuotaTree() = default;

  std::vector<Node> nodes_;
  std::vector<std::string> resources_;  // sorted by name
  std::vector<int64_t> min_;            // [node * resources + r]
  std::vector<int64_t> max_;
  std::vector<bool> constrained_;  // per resource
  std::vector<bool> guaranteed_;   // per resource
  std::unordered_map<std::string, QuotaId> by_name_;
  std::unordered_map<std::string, QuotaId> by_namespace_;
};

}  // namespace quotient::quota
