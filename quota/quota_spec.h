// A quota tree as the operator wrote it (ElasticQuotaTree spec.root), before it is
// compiled into a QuotaTree. Plain data; config/ builds it from YAML, tests by hand.
//
// Semantics (docs/quota.md): `min` is guaranteed, `max` is the ceiling; a missing `min`
// is 0 and a resource missing from `max` is unlimited. Namespaces hang on leaves only.
// Quotient's own extensions travel in `attributes` (see kAttributeNodeSelector).
//
// Thread safety: value types.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "quota/resource_list.h"

namespace quotient::quota {

// attributes key: a node-label selector ("k=v,k2=v2") for the nodes this subtree may
// use; inherited by the subtree (a child's selector adds to its parent's).
inline constexpr std::string_view kAttributeNodeSelector = "quotient.io/node-selector";

struct QuotaNodeSpec {
  std::string name;
  ResourceList min;
  ResourceList max;
  std::vector<std::string> namespaces;
  std::vector<std::pair<std::string, std::string>> attributes;
  std::vector<QuotaNodeSpec> children;
  // Where the node was written, for messages: field path ("spec.root.children[1]") and
  // 1-based line (0 when unknown).
  std::string path;
  int line = 0;
};

// A semantic problem in a spec: where and what.
struct SpecProblem {
  std::string path;  // "spec.root.children[0].min.cpu"
  int line = 0;
  std::string message;
};

// Checks the rules of docs/quota.md and appends every violation: names present and
// unique; each namespace on at most one node; namespaces only on leaves; min <= max per
// resource; Σ children's min <= the parent's min per resource. Returns true if none.
bool ValidateQuotaSpec(const QuotaNodeSpec& root, std::vector<SpecProblem>* problems);

}  // namespace quotient::quota
