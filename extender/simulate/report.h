// How `quotient simulate` prints what each step did (docs/simulate.md, "Output").
//
// Text (for people): per step a title line, then for create and delete a table of running
// and pending pods per namespace (every namespace created so far, sorted), the evictions
// and the Pending pods with their reasons; for expect `ok` or what did not match.
//
//   step 3: create namespace3/web: 5 × cpu=5
//     namespace   running  pending
//     namespace1        3        2
//     ...
//     evicted namespace2/web-3 from node-4: reclaimed by namespace3/web-0 (quota root.b.1 ...)
//     pending namespace3/web-2, web-3, web-4: quota root: cpu used 40 + ... > max 40; ...
//
// JSON (for programs): one object per step and line, keys in this order: step (1-based),
// action ("create", "delete" or "expect"), running and pending ({namespace: count}),
// evicted ([{namespace, pod, node, reason}]), and for expect steps ok (bool) and failures
// (list of strings).
//
// Thread safety: pure functions.
#pragma once

#include <iosfwd>
#include <string>

#include "config/scenario.h"
#include "extender/simulate/simulator.h"

namespace quotient::extender::simulate {

enum class OutputFormat { kText, kJson };

// "create namespace3/web: 5 × cpu=5", "delete namespace1/web",
// "expect running {namespace1: 4}; pending {namespace1: 1}".
std::string StepTitle(const config::ScenarioStep& step);

// Text only: one line describing the cluster and the quota tree.
void WriteScenarioHeader(const config::Scenario& scenario, OutputFormat format, std::ostream& out);

void WriteStep(const StepReport& report, OutputFormat format, std::ostream& out);

// Text only: how many expectations held.
void WriteSummary(size_t expectations, size_t failed, OutputFormat format, std::ostream& out);

}  // namespace quotient::extender::simulate
