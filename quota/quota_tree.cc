#include "quota/quota_tree.h"

#include <algorithm>
#include <set>

namespace quotient::quota {
namespace {

void CollectResources(const QuotaNodeSpec& node, std::set<std::string>* out) {
  for (const auto& r : node.min) out->insert(r.name);
  for (const auto& r : node.max) out->insert(r.name);
  for (const auto& child : node.children) CollectResources(child, out);
}

// "a=b, c=d" -> {"a=b", "c=d"}
std::vector<std::string> SplitSelector(std::string_view text) {
  std::vector<std::string> terms;
  while (!text.empty()) {
    size_t comma = text.find(',');
    std::string_view term = text.substr(0, comma);
    while (!term.empty() && term.front() == ' ') term.remove_prefix(1);
    while (!term.empty() && term.back() == ' ') term.remove_suffix(1);
    if (!term.empty()) terms.emplace_back(term);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return terms;
}

}  // namespace

std::shared_ptr<const QuotaTree> QuotaTree::Build(const QuotaNodeSpec& root) {
  auto tree = std::shared_ptr<QuotaTree>(new QuotaTree());
  std::set<std::string> names = {std::string(kResourceCpu), std::string(kResourceMemory),
                                 std::string(kResourcePods), std::string(kResourceNvidiaGpu)};
  CollectResources(root, &names);
  tree->resources_.assign(names.begin(), names.end());

  // Breadth-first keeps parents before children and siblings together.
  struct Pending {
    const QuotaNodeSpec* spec;
    QuotaId parent;
  };
  std::vector<Pending> queue = {{&root, kNoQuota}};
  for (size_t i = 0; i < queue.size(); ++i) {
    const QuotaNodeSpec& spec = *queue[i].spec;
    Node node;
    node.name = spec.name;
    node.parent = queue[i].parent;
    node.namespaces = spec.namespaces;
    if (node.parent != kNoQuota) {
      const Node& parent = tree->nodes_[node.parent];
      node.depth = parent.depth + 1;
      node.node_selector = parent.node_selector;
    }
    for (const auto& [key, value] : spec.attributes) {
      if (key == kAttributeNodeSelector) {
        for (auto& term : SplitSelector(value)) node.node_selector.push_back(std::move(term));
      }
    }
    auto id = static_cast<QuotaId>(tree->nodes_.size());
    if (node.parent != kNoQuota) tree->nodes_[node.parent].children.push_back(id);
    tree->by_name_.emplace(node.name, id);
    for (const auto& ns : node.namespaces) tree->by_namespace_.emplace(ns, id);
    tree->nodes_.push_back(std::move(node));
    for (const auto& child : spec.children) queue.push_back({&child, id});
  }

  const size_t slots = tree->nodes_.size() * tree->resources_.size();
  tree->min_.assign(slots, 0);
  tree->max_.assign(slots, kUnlimited);
  for (size_t i = 0; i < queue.size(); ++i) {
    const QuotaNodeSpec& spec = *queue[i].spec;
    auto id = static_cast<QuotaId>(i);
    for (const auto& r : spec.min)
      tree->min_[tree->Slot(id, tree->ResourceIndex(r.name))] = r.amount;
    for (const auto& r : spec.max)
      tree->max_[tree->Slot(id, tree->ResourceIndex(r.name))] = r.amount;
  }
  tree->constrained_.assign(tree->resources_.size(), false);
  tree->guaranteed_.assign(tree->resources_.size(), false);
  for (size_t slot = 0; slot < slots; ++slot) {
    const size_t r = slot % tree->resources_.size();
    if (tree->min_[slot] > 0) tree->guaranteed_[r] = true;
    if (tree->min_[slot] > 0 || tree->max_[slot] != kUnlimited) tree->constrained_[r] = true;
  }
  return tree;
}

QuotaId QuotaTree::Find(std::string_view name) const {
  auto it = by_name_.find(std::string(name));
  return it == by_name_.end() ? kNoQuota : it->second;
}

QuotaId QuotaTree::LeafForNamespace(std::string_view ns) const {
  auto it = by_namespace_.find(std::string(ns));
  return it == by_namespace_.end() ? kNoQuota : it->second;
}

int32_t QuotaTree::ResourceIndex(std::string_view name) const {
  auto it = std::lower_bound(resources_.begin(), resources_.end(), name,
                             [](const std::string& a, std::string_view b) { return a < b; });
  if (it == resources_.end() || *it != name) return -1;
  return static_cast<int32_t>(it - resources_.begin());
}

SparseAmounts QuotaTree::ToSparse(const ResourceList& requests) const {
  SparseAmounts out;
  out.reserve(requests.size());
  for (const auto& r : requests) {  // both sorted by name: indexes come out increasing
    int32_t index = ResourceIndex(r.name);
    if (index >= 0 && r.amount != 0) out.push_back({index, r.amount});
  }
  return out;
}

QuotaId QuotaTree::CommonAncestor(QuotaId a, QuotaId b) const {
  while (depth(a) > depth(b)) a = parent(a);
  while (depth(b) > depth(a)) b = parent(b);
  while (a != b) {
    a = parent(a);
    b = parent(b);
  }
  return a;
}

}  // namespace quotient::quota
