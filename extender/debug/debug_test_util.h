// Builders shared by the /debug tests: a scenario-1 ledger with pods bound, and filter
// verdicts as the router records them.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "extender/debug/decision_log.h"
#include "extender/wire/decider.h"
#include "quota/quota_ledger.h"
#include "quota/quota_test_util.h"

namespace quotient::extender::testing {

inline quota::PodDemand Demand(std::string uid, std::string ns, int64_t cpu_cores) {
  quota::PodDemand d;
  d.uid = std::move(uid);
  d.ns = std::move(ns);
  d.requests = quota::ResourceList{{"cpu", cpu_cores * 1000}, {"pods", 1}};
  return d;
}

// Scenario 1: namespace1 on root.a.1 (cpu min 10, max 20), `bound` pods of 5 cpu bound.
inline std::unique_ptr<quota::QuotaLedger> Scenario1Ledger(int bound_in_namespace1) {
  auto ledger = std::make_unique<quota::QuotaLedger>(quota::testing::Scenario1Tree().Build(),
                                                     quota::QuotaLedger::Options{});
  for (int i = 0; i < bound_in_namespace1; ++i) {
    ledger->Bind(Demand("uid-" + std::to_string(i), "namespace1", 5));
  }
  return ledger;
}

// What the decider answers for a pod over its quota: every node unresolvable, one text.
inline FilterDecision QuotaRefusal(size_t nodes, std::string message) {
  FilterDecision d;
  d.result = DecisionResult::kRejected;
  d.reason = DecisionReason::kQuotaMax;
  d.message = message;
  for (size_t i = 0; i < nodes; ++i) d.answer.failed_unresolvable.emplace_back(i, message);
  return d;
}

inline ExtenderArgs PodArgs(std::string ns, std::string name, std::string uid, int64_t cpu_cores,
                            size_t nodes) {
  ExtenderArgs args;
  args.pod.ns = std::move(ns);
  args.pod.name = std::move(name);
  args.pod.uid = std::move(uid);
  args.pod.requests = quota::ResourceList{{"cpu", cpu_cores * 1000}, {"pods", 1}};
  static const char* kNames[] = {"node-1", "node-2", "node-3", "node-4", "node-5", "node-6"};
  for (size_t i = 0; i < nodes && i < 6; ++i) args.nodes.push_back({kNames[i], ""});
  return args;
}

}  // namespace quotient::extender::testing
