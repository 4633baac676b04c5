// Loads the hierarchical elastic quota tree from the object operators `kubectl apply`:
// an ElasticQuotaTree (Alibaba ACK's CRD), written in YAML or in JSON (the API server's
// form). The result is a quota::QuotaNodeSpec that quota/ compiles into a QuotaTree.
//
//   apiVersion: scheduling.sigs.k8s.io/v1beta1      # required, exactly this value
//   kind: ElasticQuotaTree
//   metadata: {name: elasticquotatree, namespace: kube-system}   # optional
//   spec:
//     root:                                         # required
//       name: root                                  # required on every node, unique
//       min: {cpu: 40, memory: 40Gi, nvidia.com/gpu: 4}
//       max: {cpu: 40, memory: 40Gi, nvidia.com/gpu: 4}
//       children:
//       - name: root.a
//         min: {cpu: 20}
//         max: {cpu: 40}
//         attributes: {quotient.io/node-selector: "org=team-a"}
//         children:
//         - name: root.a.1
//           namespaces: [namespace1]
//           min: {cpu: 10}
//           max: {cpu: 20}
//
// Documents. The text may hold several YAML documents, split as kubectl splits them (a
// line starting with "---" begins one, "..." ends one), for example the Namespaces followed
// by the tree; a `kind: List` (what `kubectl get -o yaml` prints) counts as its items.
// Exactly one object must have `kind: ElasticQuotaTree`; objects of other kinds are
// ignored. No tree, or more than one, is an error that names their lines.
//
// Object fields. `apiVersion`, `kind`, `metadata` (any ObjectMeta field: name, namespace,
// labels, annotations, uid, resourceVersion, generation, creationTimestamp, managedFields,
// ...; all ignored), `spec` (only `root`) and `status` (ignored). Any other key is an
// unknown-field error, as is a duplicated key.
//
// Node fields (spec.root and every entry of `children`):
//   name        string, required; unique in the tree.
//   min         resource name -> quantity: guaranteed. Missing (or a missing resource) is 0.
//   max         resource name -> quantity: ceiling. A resource missing from it is unlimited.
//   namespaces  list of namespace names (DNS-1123 labels); leaves only; a namespace hangs
//               on one leaf of the tree at most.
//   children    list of nodes; their order is kept.
//   attributes  string -> string, free-form, kept in file order. Keys under quotient.io/
//               are Quotient's extensions and must be known (see quota/quota_spec.h):
//               quotient.io/node-selector  "key=value,key2=value2": the nodes the subtree
//               may use (label keys and values as Kubernetes validates them).
//
// Quantities are Kubernetes quantities, as a number or a string ("4", 0.5, "500m",
// "60Gi"), never negative, converted to canonical units by quota::ParseResourceAmount
// (cpu in millicores, memory in bytes). As the API server does, pods and extended
// resources take whole numbers only (nvidia.com/gpu: 1.5 is an error, not 2).
//
// Resource names are Kubernetes resource names: a name without a domain must be a
// standard one (cpu, memory, ephemeral-storage, storage, pods, hugepages-<size>), since
// nothing a pod requests could match another; an extended resource is "domain/name"
// (nvidia.com/gpu, nvidia.com/mig-1g.5gb, aliyun.com/gpu-mem, kube-queue/max-jobs) with a
// lowercase DNS subdomain as domain and a name of at most 63 letters, digits, '-', '_'
// or '.'. See config/k8s_names.h.
//
// Tree rules (quota::ValidateQuotaSpec): names present and unique; a namespace on one node
// only; namespaces on leaves only; min <= max per resource; the children's min add up to
// at most their parent's min per resource. A tree holds at most kMaxQuotaNodes nodes,
// kMaxQuotaDepth levels deep; the YAML itself is bounded as every loader's is
// (config/yaml_reader.h: depth, size and cycles through aliases).
//
// Errors. Every problem is appended to *errors, sorted by line, with the source, the
// 1-based line of the offending key (of the node for a node-level problem; of the
// parent's `min` for a children's-sum problem) and its field path, e.g.
//   quota.yaml:14: spec.root.children[0].min.cpu: invalid quantity "12Q": invalid suffix "Q"
// Loading never stops at the first problem, except on a YAML syntax error, which is
// reported alone with its line. A problem is not reported twice: a rule of the tree is not
// checked against a value that already failed to load. No exception escapes.
//
// Thread safety: the functions are reentrant (they share no state).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "config/config_error.h"
#include "config/text_file.h"
#include "quota/quota_spec.h"

namespace quotient::config {

inline constexpr std::string_view kElasticQuotaTreeApiVersion = "scheduling.sigs.k8s.io/v1beta1";
inline constexpr std::string_view kElasticQuotaTreeKind = "ElasticQuotaTree";

// Upper bound on the nodes of one tree: real trees hold tens to hundreds; the bound keeps
// YAML aliases from expanding a small file into an exponentially large tree.
inline constexpr size_t kMaxQuotaNodes = 10'000;
// Upper bound on the levels of a tree (the root is level 1): real trees hold 3 to 6.
inline constexpr int kMaxQuotaDepth = 24;

// Parses `text` (YAML or JSON) named `source` in messages. On success returns true and
// replaces *root with the tree, every node's `path` ("spec.root.children[1]") and `line`
// filled in. On failure returns false, appends every problem to *errors and leaves *root
// unchanged. REQUIRES: root and errors are non-null.
bool LoadQuotaTree(std::string_view text, std::string_view source, quota::QuotaNodeSpec* root,
                   ConfigErrors* errors);

// Reads the file at `path` and loads it as LoadQuotaTree does, with `path` as the source.
// An unreadable file, or one larger than `max_bytes`, is one error (config/text_file.h).
bool LoadQuotaTreeFile(const std::string& path, quota::QuotaNodeSpec* root, ConfigErrors* errors,
                       uint64_t max_bytes = kDefaultMaxFileBytes);

}  // namespace quotient::config
