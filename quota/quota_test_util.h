// Test builders for quota trees: AddQuota("root.a", "root", {.min = ..., .max = ...}).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "quota/quota_spec.h"
#include "quota/quota_tree.h"

namespace quotient::quota::testing {

struct Limits {
  ResourceList min;
  ResourceList max;
  std::vector<std::string> namespaces;
};

class TreeBuilder {
 public:
  explicit TreeBuilder(Limits root = {}) {
    root_.name = "root";
    root_.path = "spec.root";
    Apply(&root_, std::move(root));
  }
  // Adds `name` under `parent` (by name). REQUIRES: parent exists.
  TreeBuilder& AddQuota(const std::string& name, const std::string& parent, Limits limits) {
    QuotaNodeSpec* p = Find(&root_, parent);
    QuotaNodeSpec child;
    child.name = name;
    child.path = p->path + ".children[" + std::to_string(p->children.size()) + "]";
    Apply(&child, std::move(limits));
    p->children.push_back(std::move(child));
    return *this;
  }
  // Sets an attribute of `name` (e.g. quotient.io/node-selector). REQUIRES: name exists.
  TreeBuilder& SetAttribute(const std::string& name, std::string key, std::string value) {
    Find(&root_, name)->attributes.emplace_back(std::move(key), std::move(value));
    return *this;
  }
  const QuotaNodeSpec& spec() const { return root_; }
  std::shared_ptr<const QuotaTree> Build() const { return QuotaTree::Build(root_); }

 private:
  static void Apply(QuotaNodeSpec* node, Limits limits) {
    node->min = std::move(limits.min);
    node->max = std::move(limits.max);
    node->namespaces = std::move(limits.namespaces);
  }
  static QuotaNodeSpec* Find(QuotaNodeSpec* node, const std::string& name) {
    if (node->name == name) return node;
    for (auto& child : node->children) {
      if (QuotaNodeSpec* found = Find(&child, name)) return found;
    }
    return nullptr;
  }
  QuotaNodeSpec root_;
};

// Scenario 1 (examples/quota-scenario1.yaml): 40 cpu; root.a/root.b min 20 max 40; leaves min 10
// max 20.
inline TreeBuilder Scenario1Tree() {
  auto cpu = [](int64_t cores) { return ResourceList{{"cpu", cores * 1000}}; };
  TreeBuilder b({cpu(40), cpu(40), {}});
  b.AddQuota("root.a", "root", {cpu(20), cpu(40), {}})
      .AddQuota("root.a.1", "root.a", {cpu(10), cpu(20), {"namespace1"}})
      .AddQuota("root.a.2", "root.a", {cpu(10), cpu(20), {"namespace2"}})
      .AddQuota("root.b", "root", {cpu(20), cpu(40), {}})
      .AddQuota("root.b.1", "root.b", {cpu(10), cpu(20), {"namespace3"}})
      .AddQuota("root.b.2", "root.b", {cpu(10), cpu(20), {"namespace4"}});
  return b;
}

}  // namespace quotient::quota::testing
