#include "extender/simulate/report.h"

#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <nlohmann/json.hpp>
#include <ostream>
#include <variant>
#include <vector>

namespace quotient::extender::simulate {
namespace {

// Insertion order keeps "step" first, as the output contract shows it.
using Json = nlohmann::ordered_json;

std::string_view ActionName(const config::ScenarioStep& step) {
  if (std::holds_alternative<config::CreateAction>(step.action)) return "create";
  if (std::holds_alternative<config::DeleteAction>(step.action)) return "delete";
  return "expect";
}

std::string Counts(const std::map<std::string, int64_t>& counts) {
  std::vector<std::string> parts;
  for (const auto& [ns, n] : counts) parts.push_back(fmt::format("{}: {}", ns, n));
  return fmt::format("{{{}}}", fmt::join(parts, ", "));
}

void WriteTable(const StepReport& report, std::ostream& out) {
  if (report.running.empty()) {
    out << "  no namespaces yet\n";
    return;
  }
  size_t width = std::string_view("namespace").size();
  for (const auto& [ns, n] : report.running) width = std::max(width, ns.size());
  out << fmt::format("  {:<{}}  running  pending\n", "namespace", width);
  for (const auto& [ns, running] : report.running) {
    auto pending = report.pending.find(ns);
    out << fmt::format("  {:<{}}  {:>7}  {:>7}\n", ns, width, running,
                       pending == report.pending.end() ? 0 : pending->second);
  }
}

// Consecutive Pending pods of one Deployment with the same reason share a line.
void WriteWaiting(const StepReport& report, std::ostream& out) {
  const auto& waiting = report.waiting;
  for (size_t i = 0; i < waiting.size();) {
    size_t j = i + 1;
    while (j < waiting.size() && waiting[j].ns == waiting[i].ns &&
           waiting[j].deployment == waiting[i].deployment &&
           waiting[j].reason == waiting[i].reason) {
      ++j;
    }
    std::vector<std::string_view> names;
    for (size_t k = i; k < j; ++k) names.push_back(waiting[k].name);
    out << fmt::format("  pending {}/{}: {}\n", waiting[i].ns, fmt::join(names, ", "),
                       waiting[i].reason);
    i = j;
  }
}

void WriteText(const StepReport& report, std::ostream& out) {
  out << fmt::format("step {}: {}\n", report.number, StepTitle(*report.step));
  if (!std::holds_alternative<config::ExpectAction>(report.step->action)) {
    WriteTable(report, out);
    for (const Eviction& e : report.evicted) {
      out << fmt::format("  evicted {}/{} from {}: {}\n", e.ns, e.pod, e.node, e.reason);
    }
    WriteWaiting(report, out);
  } else if (report.ok) {
    out << "  ok\n";
  } else {
    for (const std::string& failure : report.failures) out << "  FAILED: " << failure << "\n";
  }
  if (!report.error.empty()) out << "  error: " << report.error << "\n";
}

void WriteJson(const StepReport& report, std::ostream& out) {
  Json line;
  line["step"] = report.number;
  line["action"] = ActionName(*report.step);
  line["running"] = Json::object();
  for (const auto& [ns, n] : report.running) line["running"][ns] = n;
  line["pending"] = Json::object();
  for (const auto& [ns, n] : report.pending) line["pending"][ns] = n;
  line["evicted"] = Json::array();
  for (const Eviction& e : report.evicted) {
    line["evicted"].push_back(
        Json{{"namespace", e.ns}, {"pod", e.pod}, {"node", e.node}, {"reason", e.reason}});
  }
  if (std::holds_alternative<config::ExpectAction>(report.step->action)) {
    line["ok"] = report.ok;
    line["failures"] = report.failures;
  }
  // Quota node names are free-form: replace invalid UTF-8 instead of throwing.
  out << line.dump(-1, ' ', false, Json::error_handler_t::replace) << "\n";
}

}  // namespace

std::string StepTitle(const config::ScenarioStep& step) {
  if (const auto* c = std::get_if<config::CreateAction>(&step.action)) {
    std::string title = fmt::format("create {}/{}: {} × {}", c->ns, c->name, c->replicas,
                                    c->requests.empty() ? "no requests" : c->requests.ToString());
    for (const config::ScenarioClaim& claim : c->claims) {
      title += fmt::format(", claim {} × {}", claim.count, claim.device_class);
    }
    if (c->priority != 0) title += fmt::format(", priority {}", c->priority);
    if (!c->preemptible) title += ", not preemptible";
    return title;
  }
  if (const auto* d = std::get_if<config::DeleteAction>(&step.action)) {
    return fmt::format("delete {}/{}", d->ns, d->name);
  }
  const auto& e = std::get<config::ExpectAction>(step.action);
  std::vector<std::string> parts;
  if (!e.running.empty()) parts.push_back("running " + Counts(e.running));
  if (!e.pending.empty()) parts.push_back("pending " + Counts(e.pending));
  return fmt::format("expect {}", fmt::join(parts, "; "));
}

void WriteScenarioHeader(const config::Scenario& scenario, OutputFormat format, std::ostream& out) {
  if (format != OutputFormat::kText) return;
  quota::ResourceList total;
  int64_t devices = 0;  // DRA devices the nodes publish
  for (const config::ScenarioNode& node : scenario.nodes) {
    total.AddAll(node.capacity);
    devices += node.device_count;
  }
  std::function<size_t(const quota::QuotaNodeSpec&)> count = [&](const quota::QuotaNodeSpec& q) {
    size_t n = 1;
    for (const auto& child : q.children) n += count(child);
    return n;
  };
  out << fmt::format("cluster: {} node{} ({}{}); quota tree: {} nodes under {}\n",
                     scenario.nodes.size(), scenario.nodes.size() == 1 ? "" : "s", total.ToString(),
                     devices > 0 ? fmt::format(", {} DRA devices", devices) : "",
                     count(scenario.quota), scenario.quota.name);
}

void WriteStep(const StepReport& report, OutputFormat format, std::ostream& out) {
  if (format == OutputFormat::kJson) {
    WriteJson(report, out);
  } else {
    WriteText(report, out);
  }
}

void WriteSummary(size_t expectations, size_t failed, OutputFormat format, std::ostream& out) {
  if (format != OutputFormat::kText) return;
  if (failed == 0) {
    out << fmt::format("all {} expectations hold\n", expectations);
  } else {
    out << fmt::format("{} of {} expectations failed\n", failed, expectations);
  }
}

}  // namespace quotient::extender::simulate
