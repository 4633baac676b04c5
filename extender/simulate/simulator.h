// The engine of `quotient simulate` (docs/simulate.md): plays a scenario's steps on an
// in-memory cluster, scheduling as kube-scheduler with Quotient as its extender would, one
// pod at a time and deterministically.
//
// Pods belong to Deployments. `create` adds `replicas` Pending pods named <name>-<k> (k
// counts up per Deployment and is never reused), each with the next value of a global
// creation sequence; their requests are the step's plus "pods": 1. `delete` removes every
// pod of a Deployment and releases its quota. After each create or delete the scheduling
// loop runs until a round changes nothing (at most kMaxRounds rounds). A round tries every
// Pending pod once, higher priority first, then older (smaller sequence) first:
//  1. admission: QuotaLedger::Check (a namespace on no leaf is unquoted and admitted);
//  2. filter: nodes whose labels hold every term of the leaf's node selector and where,
//     for every resource the pod requests, allocatable - Σ requests of its pods >= request
//     (a resource a node does not list has allocatable 0); for a pod asking for GPUs, the
//     device-level fit of gpu/placement.h on the node's GPUs (gpu_sim.h); for a pod with
//     DRA claims, gpu::FitClaims on the node's published devices (dra_sim.h);
//  3. score: kube-scheduler's default LeastAllocated over cpu and memory, weight 1 each:
//     per resource (allocatable - requested after placement) * 100 / allocatable (integer,
//     0 when allocatable is 0), averaged, plus 10 x the GPU placement score (0..10) for a
//     pod asking for GPUs; the highest score wins, ties go to the earlier node;
//  4. bind: QuotaLedger::Reserve then Bind: the pod runs on that node.
//  Admission and reclaim charge a pod its requests and its claims' charge.
//  If 1 or 2 fails, quota::PlanReclaim is asked for victims among the pods on the
//  selector-matching nodes (over the pod's requested resources in name order; every pod
//  preemptible unless the step said otherwise, disruption budgets always allow). With a
//  plan that has victims, each victim is evicted (its quota released) and, as a
//  Deployment's controller would, replaced by a new Pending pod of the same Deployment;
//  then the pod binds on the plan's node. Pods of unquoted namespaces never preempt (and
//  PlanReclaim never picks them as victims). Otherwise the pod stays Pending with its
//  reason: the quota refusal or the nodes that do not fit, then the reclaim outcome.
// `expect` compares the running and pending counts of the namespaces it lists.
//
// Thread safety: thread-compatible; one Simulator per run.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "config/scenario.h"
#include "extender/simulate/dra_sim.h"
#include "gpu/claim_fit.h"
#include "gpu/gpu_request.h"
#include "gpu/node_gpus.h"
#include "quota/quota_ledger.h"
#include "quota/reclaim.h"

namespace quotient::extender::simulate {

struct SimPod {
  std::string ns;
  std::string name;              // "<deployment>-<k>"
  std::string deployment;        // its Deployment's name
  int64_t sequence = 0;          // creation order over the whole run, from 1
  quota::ResourceList requests;  // including "pods": 1
  int32_t priority = 0;
  bool preemptible = true;
  gpu::GpuRequest gpu;                       // what it asks of GPUs (gpu_sim.h)
  std::string gpu_error;                     // a malformed GPU request: it never schedules
  std::vector<quota::DeviceRequest> claims;  // its ResourceClaims' requests (dra_sim.h)
  quota::ResourceList claim_charge;          // their quota charge (quota only, on no node)
  std::vector<std::string> devices;          // the DRA devices allocated to it while running
  int node = -1;                             // index in Simulator::nodes(); -1 while Pending
  std::string reason;                        // why it is Pending, from its last attempt
  bool running() const { return node >= 0; }
};

struct SimNode {
  std::string name;
  quota::ResourceList allocatable;
  config::StringPairs labels;
  quota::ResourceList requested;  // Σ requests of the pods bound here
  std::vector<int64_t> pods;      // their sequence numbers, in bind order
  gpu::NodeGpus gpus;             // device-level state: which pod holds which GPU/slices
  gpu::ClaimFitNode dra;          // the DRA devices it publishes; in_use: allocated ones
};

struct Eviction {
  std::string ns;
  std::string pod;
  std::string node;
  std::string reason;  // "reclaimed by namespace3/web-0 (quota root.b.1 is below its min)"
};

struct PendingPod {
  std::string ns;
  std::string name;
  std::string deployment;
  std::string reason;
};

// What one step did and the state after it.
struct StepReport {
  size_t number = 0;  // 1-based
  const config::ScenarioStep* step = nullptr;
  std::map<std::string, int64_t> running;  // every namespace created so far, sorted
  std::map<std::string, int64_t> pending;
  std::vector<Eviction> evicted;      // in order
  std::vector<PendingPod> waiting;    // Pending pods by namespace, then creation order
  bool ok = true;                     // expect steps: every count matched
  std::vector<std::string> failures;  // "namespace1 running: expected 4, got 3"
  std::vector<std::string> warnings;  // engine inconsistencies (bugs), for stderr
  std::string error;                  // the step could not finish; the run stops
};

class Simulator {
 public:
  // Upper bound on scheduling rounds per step; a round that changes something binds a pod.
  static constexpr int kMaxRounds = 10'000;

  // REQUIRES: `scenario` was produced by config::LoadScenario (so it is valid) and
  // outlives the Simulator.
  explicit Simulator(const config::Scenario& scenario);
  ~Simulator();
  Simulator(const Simulator&) = delete;
  Simulator& operator=(const Simulator&) = delete;

  // Plays step `index` (0-based) of the scenario. REQUIRES: index < steps.size(); steps are
  // played in order.
  StepReport Step(size_t index);
  // Plays every step in order, stopping after one that reports an error.
  std::vector<StepReport> RunAll();

  const std::vector<SimNode>& nodes() const { return nodes_; }
  const std::map<int64_t, SimPod>& pods() const { return pods_; }  // by sequence
  const quota::QuotaLedger& ledger() const { return *ledger_; }

 private:
  struct Deployment {
    const config::CreateAction* spec;
    int64_t next_index = 0;
  };
  using DeploymentKey = std::pair<std::string, std::string>;  // namespace, name

  void AddPod(const DeploymentKey& key, Deployment* deployment);
  void Delete(const config::DeleteAction& action);
  bool Settle(StepReport* report);
  bool TrySchedule(SimPod* pod, StepReport* report);
  // Index of the best node, or -1 with *why set; appends the selector-matching nodes.
  int PickNode(const SimPod& pod, quota::QuotaId leaf, std::vector<size_t>* matching,
               std::string* why) const;
  quota::ReclaimPlan PlanReclaim(const SimPod& pod, quota::QuotaId leaf,
                                 const std::vector<size_t>& matching,
                                 std::vector<int64_t>* victim_of_id) const;
  bool Bind(SimPod* pod, size_t node, StepReport* report);
  void Unbind(const SimPod& pod);
  void Evict(int64_t victim, const SimPod& by, quota::QuotaId by_leaf, StepReport* report);
  void Count(StepReport* report) const;

  const config::Scenario& scenario_;
  std::shared_ptr<const quota::QuotaTree> tree_;
  SimDra dra_;
  std::unique_ptr<quota::QuotaLedger> ledger_;
  std::vector<SimNode> nodes_;
  std::map<int64_t, SimPod> pods_;
  std::map<DeploymentKey, Deployment> deployments_;
  std::set<std::string> namespaces_;  // created so far
  int64_t next_sequence_ = 1;
};

}  // namespace quotient::extender::simulate
