#include "extender/simulate/simulator.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <span>
#include <string_view>
#include <tuple>
#include <variant>

#include "extender/simulate/gpu_sim.h"
#include "extender/wire/decision_text.h"
#include "quota/node_pool.h"

namespace quotient::extender::simulate {
namespace {

using quota::QuotaId;

// Reservations never expire here: every reservation is bound in the same call.
constexpr quota::TimePoint kNoExpiry = quota::TimePoint::max();
constexpr int64_t kMaxNodeScore = 100;  // kube-scheduler's framework.MaxNodeScore

std::string Uid(const SimPod& pod) {
  return pod.ns + "/" + pod.name;
}

// Non-preemptible pods are admitted only within their quota's min, as in the live decider.
quota::ResourceList QuotaRequests(const SimPod& pod) {
  if (pod.claim_charge.empty()) return pod.requests;
  quota::ResourceList total = pod.requests;
  total.AddAll(pod.claim_charge);
  return total;
}

quota::PodDemand Demand(const SimPod& pod) {
  return {Uid(pod), pod.ns, QuotaRequests(pod), pod.preemptible};
}

// kube-scheduler's leastRequestedScore: (capacity - requested) * 100 / capacity, integer.
int64_t LeastRequested(int64_t requested, int64_t capacity) {
  if (capacity <= 0 || requested > capacity) return 0;
  const int64_t free = capacity - requested;
  // free * 100 / capacity without overflow: whole part, then the remainder's share.
  const int64_t whole = free / capacity * kMaxNodeScore;
  const int64_t rest = free % capacity;
  if (rest <= std::numeric_limits<int64_t>::max() / kMaxNodeScore) {
    return whole + rest * kMaxNodeScore / capacity;
  }
  return whole + rest / (capacity / kMaxNodeScore);
}

std::string Nodes(size_t n, size_t of) {
  return fmt::format("{} of {} node{}", n, of, of == 1 ? "" : "s");
}

std::string_view ReclaimText(quota::ReclaimOutcome outcome) {
  switch (outcome) {
    case quota::ReclaimOutcome::kPlanned: return "no preemption: waiting for terminating pods";
    case quota::ReclaimOutcome::kNotWithinGuarantee:
      return "no preemption: beyond its quota's min, and no lower-priority pod in its quota";
    case quota::ReclaimOutcome::kNoEligibleVictims:
      return "no preemption: no running pod may be evicted for it";
    case quota::ReclaimOutcome::kNoNodeFits:
      return "no preemption: evicting the eligible pods frees room on no node";
  }
  return "";
}

}  // namespace

Simulator::Simulator(const config::Scenario& scenario)
    : scenario_(scenario),
      tree_(quota::QuotaTree::Build(scenario.quota)),
      dra_(SimDraOf(scenario)),
      ledger_(std::make_unique<quota::QuotaLedger>(tree_, quota::QuotaLedger::Options{})) {
  for (const config::ScenarioNode& node : scenario.nodes) {
    SimNode sim{node.name, node.capacity, node.labels, {}, {}, {}, {}};
    sim.gpus = SimNodeGpus(node, &sim.allocatable);
    sim.dra = SimNodeDevices(node);
    nodes_.push_back(std::move(sim));
  }
}

Simulator::~Simulator() = default;

std::vector<StepReport> Simulator::RunAll() {
  std::vector<StepReport> reports;
  for (size_t i = 0; i < scenario_.steps.size(); ++i) {
    reports.push_back(Step(i));
    if (!reports.back().error.empty()) break;
  }
  return reports;
}

StepReport Simulator::Step(size_t index) {
  const config::ScenarioStep& step = scenario_.steps[index];
  StepReport report;
  report.number = index + 1;
  report.step = &step;
  if (const auto* create = std::get_if<config::CreateAction>(&step.action)) {
    namespaces_.insert(create->ns);
    DeploymentKey key(create->ns, create->name);
    Deployment& deployment = deployments_[key] = Deployment{create, 0};
    for (int64_t i = 0; i < create->replicas; ++i) AddPod(key, &deployment);
    Settle(&report);
  } else if (const auto* del = std::get_if<config::DeleteAction>(&step.action)) {
    Delete(*del);
    Settle(&report);
  }
  Count(&report);
  if (const auto* expect = std::get_if<config::ExpectAction>(&step.action)) {
    for (const auto& [counts, expected, state] :
         {std::tuple(&report.running, &expect->running, "running"),
          std::tuple(&report.pending, &expect->pending, "pending")}) {
      for (const auto& [ns, want] : *expected) {
        auto it = counts->find(ns);
        const int64_t got = it == counts->end() ? 0 : it->second;
        if (got != want) {
          report.failures.push_back(
              fmt::format("{} {}: expected {}, got {}", ns, state, want, got));
        }
      }
    }
    report.ok = report.failures.empty();
  }
  return report;
}

void Simulator::AddPod(const DeploymentKey& key, Deployment* deployment) {
  const config::CreateAction& spec = *deployment->spec;
  SimPod pod;
  pod.ns = key.first;
  pod.deployment = key.second;
  pod.name = fmt::format("{}-{}", key.second, deployment->next_index++);
  pod.sequence = next_sequence_++;
  pod.requests = spec.requests;
  pod.requests.Set(quota::kResourcePods, 1);
  pod.priority = spec.priority;
  pod.preemptible = spec.preemptible;
  pod.reason = "not scheduled yet";
  if (!SimPodGpuRequest(spec, *tree_, &pod.gpu, &pod.requests, &pod.gpu_error)) {
    pod.reason = "gpu: " + pod.gpu_error;
  } else if (!SimPodClaims(spec, dra_, &pod.claims, &pod.claim_charge, &pod.gpu_error)) {
    pod.reason = "claims: " + pod.gpu_error;
  }
  pods_.emplace(pod.sequence, std::move(pod));
}

void Simulator::Delete(const config::DeleteAction& action) {
  for (auto it = pods_.begin(); it != pods_.end();) {
    if (it->second.ns == action.ns && it->second.deployment == action.name) {
      if (it->second.running()) Unbind(it->second);
      it = pods_.erase(it);
    } else {
      ++it;
    }
  }
  deployments_.erase(DeploymentKey(action.ns, action.name));
}

bool Simulator::Settle(StepReport* report) {
  for (int round = 0; round < kMaxRounds; ++round) {
    std::vector<int64_t> order;  // Pending pods, by sequence
    for (const auto& [sequence, pod] : pods_) {
      if (!pod.running()) order.push_back(sequence);
    }
    std::stable_sort(order.begin(), order.end(), [this](int64_t a, int64_t b) {
      return pods_.at(a).priority > pods_.at(b).priority;
    });
    bool changed = false;
    for (int64_t sequence : order) {
      auto it = pods_.find(sequence);
      if (it != pods_.end() && !it->second.running()) changed |= TrySchedule(&it->second, report);
    }
    if (!changed) return true;
  }
  report->error = fmt::format(
      "the scheduling loop did not settle after {} rounds (pods keep evicting each other)",
      kMaxRounds);
  return false;
}

bool Simulator::TrySchedule(SimPod* pod, StepReport* report) {
  if (!pod->gpu_error.empty()) return false;  // a malformed GPU request never schedules
  const quota::AdmitDecision decision = ledger_->Check(Demand(*pod));
  std::vector<size_t> matching;
  std::string no_fit;
  const int best = PickNode(*pod, decision.leaf, &matching, &no_fit);
  if (decision.admitted() && best >= 0) return Bind(pod, static_cast<size_t>(best), report);

  const std::string why = decision.admitted() ? no_fit : QuotaRefusalText(*tree_, decision.refusal);
  if (decision.leaf == quota::kNoQuota) {  // no guarantee to reclaim, no quota to preempt in
    pod->reason = fmt::format("{}; no preemption: namespace {} has no quota", why, pod->ns);
    return false;
  }
  if (decision.refused_by_min()) {  // PlanReclaim's rule 4b knows only max: do not ask it
    pod->reason = fmt::format("{}; no preemption: it is beyond its quota's min", why);
    return false;
  }
  if (pod->gpu.kind != gpu::GpuRequestKind::kNone && pod->gpu.kind != gpu::GpuRequestKind::kWhole) {
    // PlanReclaim counts resources per node; which memory share or MIG slices an
    // eviction frees is device placement it does not model.
    pod->reason = fmt::format(
        "{}; no preemption: reclaim does not plan GPU memory shares or "
        "MIG placements",
        why);
    return false;
  }
  std::vector<int64_t> victim_of_id;
  const quota::ReclaimPlan plan = PlanReclaim(*pod, decision.leaf, matching, &victim_of_id);
  if (plan.outcome == quota::ReclaimOutcome::kPlanned && !plan.victim_ids.empty()) {
    for (uint32_t id : plan.victim_ids) Evict(victim_of_id[id], *pod, decision.leaf, report);
    Bind(pod, plan.node_id, report);  // the plan guarantees it; a failure is reported
    return true;                      // the evictions changed the state either way
  }
  pod->reason = fmt::format("{}; {}", why, ReclaimText(plan.outcome));
  return false;
}

int Simulator::PickNode(const SimPod& pod, QuotaId leaf, std::vector<size_t>* matching,
                        std::string* why) const {
  const std::vector<std::string> no_selector;
  const std::vector<std::string>& selector =
      leaf == quota::kNoQuota ? no_selector : tree_->node_selector(leaf);
  std::map<std::string, size_t> short_of;  // resource -> nodes without enough of it
  std::string gpu_why;                     // the first node's device-level refusal
  size_t gpu_short = 0;                    // nodes refused at device level
  size_t gpu_unresolvable = 0;             // of which no eviction helps (another GPU model,
                                           // more than the node ever holds)
  std::string dra_why;                     // the first node's DRA refusal
  size_t dra_short = 0;                    // nodes where the claims cannot be allocated
  int best = -1;
  int64_t best_score = -1;
  for (size_t n = 0; n < nodes_.size(); ++n) {
    const SimNode& node = nodes_[n];
    if (!quota::InNodePool(node.labels, selector)) continue;
    matching->push_back(n);
    bool fits = true;
    for (const auto& [resource, amount] : pod.requests) {
      if (node.allocatable.Get(resource) - node.requested.Get(resource) < amount) {
        ++short_of[resource];
        fits = false;
      }
    }
    if (!fits) continue;
    // The GPU decider's filter and prioritize: device-level fit, and its 0..10 score added
    // as kube-scheduler adds an extender's (x weight 1 x MaxNodeScore / 10).
    int64_t gpu_score = 0;
    if (pod.gpu.any()) {
      const gpu::GpuFit fit = gpu::FitGpuRequest(node.gpus, pod.gpu, gpu::FitOptions{});
      if (!fit.fits()) {
        if (gpu_short++ == 0) gpu_why = gpu::FormatGpuFit(fit, pod.gpu, node.gpus, node.name);
        // Another model, or more than the node ever holds: no eviction makes it fit.
        if (fit.code == gpu::FitCode::kWrongModel || fit.code == gpu::FitCode::kExceedsNode) {
          matching->pop_back();
          ++gpu_unresolvable;
        }
        continue;
      }
      gpu_score = fit.score * (kMaxNodeScore / 10);
    }
    if (!pod.claims.empty()) {  // kube-scheduler's DynamicResources filter
      const gpu::ClaimFit fit = gpu::FitClaims(dra_.config, node.dra, {}, pod.claims);
      if (!fit.fits) {
        if (dra_short++ == 0)
          dra_why = fmt::format("{} on {}", gpu::FormatClaimFit(fit), node.name);
        continue;
      }
    }
    int64_t score = 0;
    for (std::string_view r : {quota::kResourceCpu, quota::kResourceMemory}) {
      score += LeastRequested(node.requested.Get(r) + pod.requests.Get(r), node.allocatable.Get(r));
    }
    score = score / 2 + gpu_score;
    if (score > best_score) {
      best = static_cast<int>(n);
      best_score = score;
    }
  }
  if (best >= 0) return best;
  std::vector<std::string> parts;
  for (const auto& [resource, count] : short_of) {
    parts.push_back(fmt::format("insufficient {} on {}", resource, Nodes(count, nodes_.size())));
  }
  if (gpu_short > 0) {
    parts.push_back(gpu_short == 1 ? gpu_why
                                   : fmt::format("{} (and {} more node{})", gpu_why, gpu_short - 1,
                                                 gpu_short == 2 ? "" : "s"));
  }
  if (dra_short > 0) {
    parts.push_back(dra_short == 1 ? dra_why
                                   : fmt::format("{} (and {} more node{})", dra_why, dra_short - 1,
                                                 dra_short == 2 ? "" : "s"));
  }
  if (matching->size() + gpu_unresolvable < nodes_.size()) {
    parts.push_back(
        fmt::format("node selector \"{}\" not matched by {}", fmt::join(selector, ", "),
                    Nodes(nodes_.size() - matching->size() - gpu_unresolvable, nodes_.size())));
  }
  *why = fmt::format("no node fits: {}", fmt::join(parts, ", "));
  return -1;
}

quota::ReclaimPlan Simulator::PlanReclaim(const SimPod& pod, QuotaId leaf,
                                          const std::vector<size_t>& matching,
                                          std::vector<int64_t>* victim_of_id) const {
  quota::ReclaimRequest request{leaf, tree_->ToSparse(QuotaRequests(pod)), {}, pod.priority, {}};
  for (const auto& [resource, amount] : pod.requests) request.node_request.push_back(amount);
  // Every ReclaimPod vector is complete before any span over it is taken.
  std::vector<std::vector<quota::ReclaimPod>> bound(matching.size());
  for (size_t i = 0; i < matching.size(); ++i) {
    for (int64_t sequence : nodes_[matching[i]].pods) {
      const SimPod& p = pods_.at(sequence);
      quota::ReclaimPod candidate{static_cast<uint32_t>(victim_of_id->size()),
                                  tree_->LeafForNamespace(p.ns),
                                  tree_->ToSparse(QuotaRequests(p)),
                                  {},
                                  p.priority,
                                  p.sequence,
                                  p.preemptible,
                                  true,
                                  false};
      for (const auto& [resource, amount] : pod.requests) {
        candidate.node_amounts.push_back(p.requests.Get(resource));
      }
      bound[i].push_back(std::move(candidate));
      victim_of_id->push_back(sequence);
    }
  }
  std::vector<quota::ReclaimNode> candidates;
  for (size_t i = 0; i < matching.size(); ++i) {
    const SimNode& node = nodes_[matching[i]];
    quota::ReclaimNode n{static_cast<uint32_t>(matching[i]), {}, bound[i]};
    for (const auto& [resource, amount] : pod.requests) {
      n.free.push_back(node.allocatable.Get(resource) - node.requested.Get(resource));
    }
    candidates.push_back(std::move(n));
  }
  if (!pod.claims.empty()) {
    // Rule 4c: the claims can be allocated once the victims' devices are free.
    request.device_fit = [&](uint32_t node_id, std::span<const uint32_t> victims) {
      gpu::ClaimFitNode after = nodes_[node_id].dra;
      for (uint32_t id : victims) {
        for (const std::string& d : pods_.at((*victim_of_id)[id]).devices)
          std::erase(after.in_use, d);
      }
      return gpu::FitClaims(dra_.config, after, {}, pod.claims).fits;
    };
  }
  return quota::PlanReclaim(ledger_->usage(), request, candidates);
}

bool Simulator::Bind(SimPod* pod, size_t n, StepReport* report) {
  // Admission and fit were checked (or planned for by PlanReclaim) just before: a failure
  // here is a bug in the engine or in the reclaim rules, reported rather than hidden.
  SimNode& node = nodes_[n];
  for (const auto& [resource, amount] : pod->requests) {
    if (node.allocatable.Get(resource) - node.requested.Get(resource) < amount) {
      report->warnings.push_back(fmt::format("engine bug: {} does not fit on {} when binding: {}",
                                             Uid(*pod), node.name, resource));
      return false;
    }
  }
  gpu::GpuFit gpu_fit;
  if (pod->gpu.any()) {
    // After a reclaim the plan's node has room by resource totals, which is not device fit.
    gpu_fit = gpu::FitGpuRequest(node.gpus, pod->gpu, gpu::FitOptions{});
    if (!gpu_fit.fits()) {
      pod->reason = gpu::FormatGpuFit(gpu_fit, pod->gpu, node.gpus, node.name);
      return false;
    }
  }
  gpu::ClaimFit claim_fit;
  if (!pod->claims.empty()) {
    claim_fit = gpu::FitClaims(dra_.config, node.dra, {}, pod->claims);
    if (!claim_fit.fits) {
      pod->reason = fmt::format("{} on {}", gpu::FormatClaimFit(claim_fit), node.name);
      return false;
    }
  }
  const quota::AdmitDecision decision = ledger_->Reserve(Demand(*pod), kNoExpiry);
  if (!decision.admitted()) {
    report->warnings.push_back(fmt::format("engine bug: {} was refused by quota when binding: {}",
                                           Uid(*pod), QuotaRefusalText(*tree_, decision.refusal)));
    return false;
  }
  ledger_->Bind(Demand(*pod));
  if (pod->gpu.any()) node.gpus.Assign(Uid(*pod), gpu_fit.assignment);
  pod->devices = std::move(claim_fit.devices);
  node.dra.in_use.insert(node.dra.in_use.end(), pod->devices.begin(), pod->devices.end());
  for (const auto& [resource, amount] : pod->requests) node.requested.Add(resource, amount);
  node.pods.push_back(pod->sequence);
  pod->node = static_cast<int>(n);
  pod->reason.clear();
  return true;
}

void Simulator::Unbind(const SimPod& pod) {
  ledger_->Release(Uid(pod));
  SimNode& node = nodes_[static_cast<size_t>(pod.node)];
  node.gpus.Release(Uid(pod));
  for (const std::string& d : pod.devices) std::erase(node.dra.in_use, d);
  for (const auto& [resource, amount] : pod.requests) node.requested.Add(resource, -amount);
  std::erase(node.pods, pod.sequence);
}

void Simulator::Evict(int64_t victim, const SimPod& by, QuotaId by_leaf, StepReport* report) {
  auto it = pods_.find(victim);
  const SimPod& pod = it->second;
  const QuotaId leaf = tree_->LeafForNamespace(pod.ns);
  std::string reason = leaf == by_leaf ? fmt::format("preempted by {} (priority {} > {})", Uid(by),
                                                     by.priority, pod.priority)
                                       : fmt::format("reclaimed by {} (quota {} is below its min)",
                                                     Uid(by), tree_->name(by_leaf));
  report->evicted.push_back(
      {pod.ns, pod.name, nodes_[static_cast<size_t>(pod.node)].name, std::move(reason)});
  Unbind(pod);
  const DeploymentKey key(pod.ns, pod.deployment);
  pods_.erase(it);
  // The Deployment's ReplicaSet notices a missing replica and creates a new pod.
  AddPod(key, &deployments_.at(key));
}

void Simulator::Count(StepReport* report) const {
  for (const std::string& ns : namespaces_) {
    report->running[ns] = 0;
    report->pending[ns] = 0;
  }
  std::vector<const SimPod*> waiting;
  for (const auto& [sequence, pod] : pods_) {
    ++(pod.running() ? report->running : report->pending)[pod.ns];
    if (!pod.running()) waiting.push_back(&pod);
  }
  std::stable_sort(waiting.begin(), waiting.end(),
                   [](const SimPod* a, const SimPod* b) { return a->ns < b->ns; });
  for (const SimPod* pod : waiting) {
    report->waiting.push_back({pod->ns, pod->name, pod->deployment, pod->reason});
  }
}

}  // namespace quotient::extender::simulate
