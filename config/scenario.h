// A simulation scenario for `quotient simulate` (docs/simulate.md): a cluster of nodes, a
// quota tree, and the steps an operator or a user takes, each followed by what they expect.
//
//   nodes:                              # required, at least one entry
//   - namePrefix: node-                 # node-1 .. node-<count>; or `name: gpu-a`
//     count: 4                          # only with namePrefix; default 1
//     capacity: {cpu: 10, memory: 64Gi, nvidia.com/gpu: 1}   # pods defaults to 110
//     labels: {org: public}
//   quotaFile: quota-scenario1.yaml     # relative to this file; or `quota:` holding an
//                                       # ElasticQuotaTree object inline (exactly one)
//   steps:                              # required; each entry has exactly one action
//   - create: {namespace: namespace1, name: web, replicas: 5, requests: {cpu: 5},
//              priority: 0, preemptible: true, labels: {}, annotations: {}}
//   - expect: {running: {namespace1: 4}, pending: {namespace1: 1}}
//   - delete: {namespace: namespace1, name: web}
//
// create: a Deployment; namespace (DNS-1123 label) and name (DNS-1123 subdomain) required;
//   replicas 0..kMaxReplicas, default 1; requests: resource -> quantity (the `pods: 1` every
//   pod requests is added by the simulator); priority: int32, default 0; preemptible:
//   default true; labels and annotations: string -> string, kept but not interpreted.
//   Creating a Deployment that exists (not deleted since) is an error.
// delete: namespace and name of a Deployment that exists at that point.
// DRA (docs/simulate.md, "DRA devices"): `deviceClasses: [{name, resource, driver}]` maps
//   device classes to the quota resource one device counts for (devices mode); a node's
//   `devices: {driver, count}` is a ResourceSlice publishing gpu-0..gpu-<count-1> (1..128)
//   in a pool named after the node; a create's `claims: [{deviceClass, count}]` gives each
//   pod one ResourceClaim per entry, of a declared class, count 1..32 (default 1).
// expect: running and/or pending: namespace -> count (>= 0); other namespaces unchecked.
//
// Every unknown or duplicated field is an error. Errors carry the source, the 1-based line
// and the field path (steps[3].create.requests.cpu). The quota tree is loaded by
// config::LoadQuotaTree: from quotaFile its errors name that file; inline, the loader is
// handed the exact text of the `quota` value with everything before it blanked, so its
// lines and columns are those of the scenario file and its paths get the prefix "quota.".
// If that slice does not parse on its own (a flow-style top level, an alias to an anchor
// outside it), the value is re-serialised with YAML::Emitter instead and its errors point
// at the line of the `quota` key.
//
// Thread safety: pure functions; the types are values.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "config/config_error.h"
#include "quota/device_charge.h"
#include "quota/quota_spec.h"
#include "quota/resource_list.h"

namespace quotient::config {

inline constexpr int64_t kMaxScenarioNodes = 10'000;
inline constexpr int64_t kMaxReplicas = 10'000;
inline constexpr size_t kMaxScenarioSteps = 10'000;
inline constexpr int64_t kDefaultPodCapacity = 110;  // kubelet's default maxPods

using StringPairs = std::vector<std::pair<std::string, std::string>>;

struct ScenarioNode {
  std::string name;
  quota::ResourceList capacity;  // allocatable, canonical units; always has "pods"
  StringPairs labels;            // in file order
  std::string device_driver;     // DRA devices the node publishes: driver and count
  int64_t device_count = 0;
  int line = 0;
};

// One ResourceClaim each pod of a create has.
struct ScenarioClaim {
  std::string device_class;
  int64_t count = 1;
};

struct CreateAction {
  std::string ns;
  std::string name;
  int64_t replicas = 1;
  quota::ResourceList requests;  // as written (no implicit "pods")
  int32_t priority = 0;
  bool preemptible = true;
  StringPairs labels;
  StringPairs annotations;
  std::vector<ScenarioClaim> claims;
};

struct DeleteAction {
  std::string ns;
  std::string name;
};

struct ExpectAction {
  std::map<std::string, int64_t> running;  // namespace -> pods
  std::map<std::string, int64_t> pending;
};

struct ScenarioStep {
  std::variant<CreateAction, DeleteAction, ExpectAction> action;
  std::string path;  // "steps[2]"
  int line = 0;
};

struct Scenario {
  std::string source;  // the file, for messages
  std::vector<ScenarioNode> nodes;
  quota::QuotaNodeSpec quota;
  std::vector<quota::DeviceClassMapping> device_classes;  // DRA, devices mode
  std::vector<ScenarioStep> steps;
};

// Parses and validates a scenario; `source` names it in messages and its directory is
// where quotaFile is looked up. On success returns true and replaces *scenario; on failure
// returns false and appends every problem to *errors. No exception escapes.
// REQUIRES: scenario and errors are non-null.
bool LoadScenario(std::string_view text, std::string_view source, Scenario* scenario,
                  ConfigErrors* errors);

// Reads the file at `path` and loads it with LoadScenario.
bool LoadScenarioFile(const std::string& path, Scenario* scenario, ConfigErrors* errors);

}  // namespace quotient::config
