#include "quota/quota_spec.h"

#include <fmt/format.h>

#include <map>

namespace quotient::quota {
namespace {

struct Checker {
  std::vector<SpecProblem>* problems;
  std::map<std::string, const QuotaNodeSpec*> names;
  std::map<std::string, const QuotaNodeSpec*> namespaces;

  void Add(const QuotaNodeSpec& node, std::string_view field, std::string message) {
    std::string path = node.path;
    if (!field.empty()) path += fmt::format(".{}", field);
    problems->push_back({std::move(path), node.line, std::move(message)});
  }

  void Visit(const QuotaNodeSpec& node) {
    if (node.name.empty()) {
      Add(node, "name", "every quota node needs a name");
    } else if (auto [it, inserted] = names.emplace(node.name, &node); !inserted) {
      Add(node, "name",
          fmt::format("duplicate quota name \"{}\" (also at {})", node.name, it->second->path));
    }
    if (!node.children.empty() && !node.namespaces.empty()) {
      Add(node, "namespaces",
          fmt::format("quota \"{}\" has children; namespaces may hang on leaves only", node.name));
    }
    for (const std::string& ns : node.namespaces) {
      if (auto [it, inserted] = namespaces.emplace(ns, &node); !inserted && it->second != &node) {
        Add(node, "namespaces",
            fmt::format("namespace \"{}\" is already on quota \"{}\"; a namespace may hang on "
                        "one leaf only",
                        ns, it->second->name));
      }
    }
    for (const auto& r : node.min) {
      if (node.max.Has(r.name) && r.amount > node.max.Get(r.name)) {
        Add(node, fmt::format("min.{}", r.name),
            fmt::format("min {} > max {}", FormatResourceAmount(r.name, r.amount),
                        FormatResourceAmount(r.name, node.max.Get(r.name))));
      }
    }
    if (!node.children.empty()) {
      ResourceList sum;
      for (const auto& child : node.children) sum.AddAll(child.min);
      for (const auto& r : sum) {
        if (r.amount > node.min.Get(r.name)) {
          Add(node, fmt::format("min.{}", r.name),
              fmt::format("the children's min add up to {} > this quota's min {}",
                          FormatResourceAmount(r.name, r.amount),
                          FormatResourceAmount(r.name, node.min.Get(r.name))));
        }
      }
    }
    for (const auto& child : node.children) Visit(child);
  }
};

}  // namespace

bool ValidateQuotaSpec(const QuotaNodeSpec& root, std::vector<SpecProblem>* problems) {
  size_t before = problems->size();
  Checker checker{problems, {}, {}};
  checker.Visit(root);
  return problems->size() == before;
}

}  // namespace quotient::quota
