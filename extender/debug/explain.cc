#include "extender/debug/explain.h"

#include <fmt/format.h>

#include <ctime>

#include "extender/debug/quota_view.h"
#include "extender/json/json_write.h"
#include "quota/resource_list.h"

namespace quotient::extender {
namespace {

using quota::QuotaId;
using SystemTime = std::chrono::system_clock::time_point;

std::string Amount(std::string_view resource, int64_t v) {
  return v == quota::kUnlimited ? "unlimited" : quota::FormatResourceAmount(resource, v);
}

std::string Rfc3339(SystemTime t) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

double AgeSeconds(SystemTime now, SystemTime t) {
  return std::chrono::duration<double>(now - t).count();
}

// "just now", "12s ago", "4m10s ago", "2h5m ago".
std::string Ago(SystemTime now, SystemTime t) {
  const int64_t s = std::chrono::duration_cast<std::chrono::seconds>(now - t).count();
  if (s < 1) return "just now";
  if (s < 60) return fmt::format("{}s ago", s);
  if (s < 3600) return fmt::format("{}m{}s ago", s / 60, s % 60);
  return fmt::format("{}h{}m ago", s / 3600, (s % 3600) / 60);
}

// used + reserved + request <= max, without overflow.
bool Fits(int64_t charged, int64_t request, int64_t max) {
  return max == quota::kUnlimited || (charged <= max && request <= max - charged);
}

std::string NodeReasonsSentence(const DecisionRecord& r) {
  if (r.node_reasons.empty()) return "";
  const NodeReasonCount& top = r.node_reasons.front();
  return fmt::format("{} node{}: {}", top.nodes, top.nodes == 1 ? "" : "s", top.reason);
}

std::string Summarize(const ExplainReport& r) {
  const std::string who = fmt::format("{}/{}", r.ns, r.pod);
  if (!r.known) {
    std::string s = fmt::format(
        "Quotient has no decision for {} since it started: the scheduler has not asked it "
        "about this pod (it may not exist, be bound already, or use a scheduler that does not "
        "call Quotient).",
        who);
    if (r.unquoted && !r.unquoted_allowed) {
      s += fmt::format(" Note: namespace {} hangs on no quota and such namespaces are denied.",
                       r.ns);
    }
    return s;
  }
  const DecisionRecord& d = r.record;
  const bool bind_is_last = !d.bind_node.empty() && (!d.filtered || d.bind_at >= d.filter_at);
  if (bind_is_last && d.bind_error.empty()) {
    return fmt::format("{} was admitted and bound to node {} {}.", who, d.bind_node,
                       Ago(r.now, d.bind_at));
  }
  if (bind_is_last) {
    return fmt::format("Binding {} to node {} failed {}: {}. The scheduler retries the pod.", who,
                       d.bind_node, Ago(r.now, d.bind_at), d.bind_error);
  }
  const std::string ago = Ago(r.now, d.filter_at);
  switch (d.reason) {
    case DecisionReason::kQuotaMax: {
      if (r.blocking >= 0) {
        const ExplainLevel& level = r.path[static_cast<size_t>(r.blocking)];
        for (const ExplainResource& x : level.resources) {
          if (x.fits) continue;
          return fmt::format(
              "{} waits for quota: quota {} would go over its max for {}: used {} + reserved {} "
              "+ this pod's {} > max {}. It runs when pods of {} finish or the quota is raised.",
              who, level.quota, x.resource, Amount(x.resource, x.used),
              Amount(x.resource, x.reserved), Amount(x.resource, x.request),
              Amount(x.resource, x.max), level.quota);
        }
      }
      return fmt::format(
          "{} was refused by quota {} ({}). Its quota path has room for it now: the scheduler "
          "retries it after its backoff.",
          who, ago, d.message);
    }
    case DecisionReason::kUnquotedDenied:
      return fmt::format(
          "{} is refused: namespace {} hangs on no quota and pods of such namespaces are denied "
          "(quota.unquotedNamespaces: deny). Attach the namespace to a quota leaf.",
          who, r.ns);
    case DecisionReason::kNotSynced:
      return fmt::format(
          "Quotient was still loading the cluster state when the scheduler last asked about {} "
          "({}); the scheduler retries it.",
          who, ago);
    case DecisionReason::kNodeFit:
    case DecisionReason::kNodePool:
    case DecisionReason::kUnknownNode:
      return fmt::format(
          "{} fits its quota, but none of the {} candidate nodes passed Quotient's node checks "
          "{}: {}.",
          who, d.nodes, ago, NodeReasonsSentence(d));
    default: break;
  }
  if (d.result == DecisionResult::kError) {
    return fmt::format("Quotient could not decide for {} {}: {}.", who, ago, d.message);
  }
  if (d.result == DecisionResult::kRejected) {
    return fmt::format("{} was refused {}: {}.", who, ago,
                       d.message.empty() ? NodeReasonsSentence(d) : d.message);
  }
  return fmt::format(
      "{} passed Quotient's checks on {} of {} candidate nodes {}; the scheduler places it on "
      "one of them. If it still waits, its events name what the scheduler's own filters found.",
      who, d.passed, d.nodes, ago);
}

}  // namespace

ExplainReport BuildExplain(const quota::QuotaLedger* ledger, bool allow_unquoted,
                           const DecisionLog& log, const ReclaimStatusSource* reclaim,
                           std::string_view ns, std::string_view pod, SystemTime now) {
  ExplainReport r;
  r.ns = ns;
  r.pod = pod;
  r.now = now;
  r.known = log.Find(ns, pod, &r.record);
  r.unquoted_allowed = allow_unquoted;
  if (ledger != nullptr) {
    const quota::QuotaUsage& usage = ledger->usage();  // one snapshot for the whole answer
    const quota::QuotaTree& tree = usage.tree();
    r.quota_enforced = true;
    const bool know_request = r.known && !r.record.requests.empty();
    r.holds_quota = r.known && !r.record.uid.empty() && ledger->Holds(r.record.uid);
    const QuotaId leaf = tree.LeafForNamespace(ns);
    r.unquoted = leaf == quota::kNoQuota;
    for (QuotaId q = leaf; q != quota::kNoQuota; q = tree.parent(q)) {
      ExplainLevel level;
      level.quota = tree.name(q);
      for (int32_t i = 0; i < static_cast<int32_t>(tree.resource_count()); ++i) {
        const std::string& name = tree.resource_name(i);
        ExplainResource x;
        x.resource = name;
        x.request = know_request ? r.record.requests.Get(name) : 0;
        x.min = tree.Min(q, i);
        x.max = tree.Max(q, i);
        x.used = usage.Used(q, i);
        x.reserved = usage.Reserved(q, i);
        const bool limited = x.min > 0 || x.max != quota::kUnlimited;
        // Only what limits this pod here: a resource it requests that this level bounds.
        if (!limited || (know_request && x.request <= 0)) continue;
        // A pod that holds its quota is already inside used + reserved.
        x.fits = Fits(x.used + x.reserved, r.holds_quota ? 0 : x.request, x.max);
        level.fits = level.fits && x.fits;
        level.resources.push_back(std::move(x));
      }
      if (!level.fits && r.blocking < 0) r.blocking = static_cast<int>(r.path.size());
      r.path.push_back(std::move(level));
    }
    if (reclaim != nullptr) r.reclaims = reclaim->ReclaimsFor(ns, pod, tree, leaf);
  }
  r.summary = Summarize(r);
  for (const auto& s : r.reclaims) r.summary += " " + s;
  return r;
}

std::string ExplainJson(const ExplainReport& r) {
  const DecisionRecord& d = r.record;
  std::string o = "{\"pod\":{\"namespace\":";
  AppendJsonString(r.ns, &o);
  o += ",\"name\":";
  AppendJsonString(r.pod, &o);
  o += ",\"uid\":";
  AppendJsonString(d.uid, &o);
  o += ",\"requests\":{";
  bool first = true;
  for (const auto& e : d.requests) {
    if (!first) o += ',';
    first = false;
    AppendJsonString(e.name, &o);
    o += ':';
    AppendJsonString(quota::FormatResourceAmount(e.name, e.amount), &o);
  }
  o += "},\"claims\":";
  AppendJsonString(d.claims, &o);
  o += "},\"summary\":";
  AppendJsonString(r.summary, &o);
  o += fmt::format(
      ",\"quota\":{{\"enforced\":{},\"unquoted\":{},\"unquotedAllowed\":{},"
      "\"holdsQuota\":{},\"blocking\":",
      r.quota_enforced, r.unquoted, r.unquoted_allowed, r.holds_quota);
  if (r.blocking >= 0) {
    AppendJsonString(r.path[static_cast<size_t>(r.blocking)].quota, &o);
  } else {
    o += "null";
  }
  o += ",\"path\":[";
  for (size_t i = 0; i < r.path.size(); ++i) {
    const ExplainLevel& level = r.path[i];
    if (i > 0) o += ',';
    o += "{\"quota\":";
    AppendJsonString(level.quota, &o);
    o += fmt::format(",\"fits\":{},\"resources\":[", level.fits);
    for (size_t j = 0; j < level.resources.size(); ++j) {
      const ExplainResource& x = level.resources[j];
      if (j > 0) o += ',';
      o += "{\"resource\":";
      AppendJsonString(x.resource, &o);
      for (auto [key, v] : {std::pair<const char*, int64_t>{"request", x.request},
                            {"used", x.used},
                            {"reserved", x.reserved},
                            {"min", x.min},
                            {"max", x.max}}) {
        o += fmt::format(",\"{}\":", key);
        if (v == quota::kUnlimited) {
          o += "null";
        } else {
          AppendJsonString(quota::FormatResourceAmount(x.resource, v), &o);
        }
      }
      o += fmt::format(",\"fits\":{}}}", x.fits);
    }
    o += "]}";
  }
  o += "]},\"lastFilter\":";
  if (r.known && d.filtered) {
    o += "{\"time\":";
    AppendJsonString(Rfc3339(d.filter_at), &o);
    o += fmt::format(",\"ageSeconds\":{:.3f},\"result\":", AgeSeconds(r.now, d.filter_at));
    AppendJsonString(DecisionResultName(d.result), &o);
    o += ",\"reason\":";
    AppendJsonString(DecisionReasonName(d.reason), &o);
    o += ",\"message\":";
    AppendJsonString(d.message, &o);
    o += fmt::format(",\"nodes\":{},\"passed\":{},\"nodeReasons\":[", d.nodes, d.passed);
    for (size_t i = 0; i < d.node_reasons.size(); ++i) {
      if (i > 0) o += ',';
      o += "{\"reason\":";
      AppendJsonString(d.node_reasons[i].reason, &o);
      o += fmt::format(",\"nodes\":{},\"unresolvable\":{}}}", d.node_reasons[i].nodes,
                       d.node_reasons[i].unresolvable);
    }
    o += fmt::format("],\"otherFailedNodes\":{}}}", d.other_failed_nodes);
  } else {
    o += "null";
  }
  o += ",\"lastBind\":";
  if (r.known && !d.bind_node.empty()) {
    o += "{\"time\":";
    AppendJsonString(Rfc3339(d.bind_at), &o);
    o += ",\"node\":";
    AppendJsonString(d.bind_node, &o);
    o += ",\"result\":";
    AppendJsonString(DecisionResultName(d.bind_result), &o);
    o += ",\"error\":";
    AppendJsonString(d.bind_error, &o);
    o += '}';
  } else {
    o += "null";
  }
  o += ",\"reclaims\":[";
  for (size_t i = 0; i < r.reclaims.size(); ++i) {
    if (i > 0) o += ',';
    AppendJsonString(r.reclaims[i], &o);
  }
  o += "]}\n";
  return o;
}

std::string ExplainText(const ExplainReport& r) {
  const DecisionRecord& d = r.record;
  std::string o = fmt::format("Pod {}/{}\n  {}\n", r.ns, r.pod, r.summary);
  if (r.known && !d.requests.empty()) o += fmt::format("\nRequests: {}\n", d.requests.ToString());
  if (r.known && !d.claims.empty()) o += fmt::format("ResourceClaims: {}\n", d.claims);
  if (!r.quota_enforced) {
    o += "\nQuota: no quota tree is loaded.\n";
  } else if (r.unquoted) {
    o += fmt::format("\nQuota: namespace {} hangs on no quota leaf; its pods are {}.\n", r.ns,
                     r.unquoted_allowed ? "not limited" : "refused");
  } else {
    o += fmt::format("\nQuota path of namespace {} (leaf first){}:\n", r.ns,
                     r.holds_quota ? "; the pod's request is already counted in it" : "");
    std::vector<std::vector<std::string>> rows = {
        {"QUOTA", "RESOURCE", "REQUEST", "USED", "RESERVED", "MIN", "MAX", "FITS"}};
    for (const ExplainLevel& level : r.path) {
      bool first = true;
      for (const ExplainResource& x : level.resources) {
        const bool request_known = r.known && !d.requests.empty();
        rows.push_back({first ? level.quota : "", x.resource,
                        request_known ? Amount(x.resource, x.request) : "?",
                        Amount(x.resource, x.used), Amount(x.resource, x.reserved),
                        Amount(x.resource, x.min), Amount(x.resource, x.max),
                        request_known ? (x.fits ? "yes" : "no: over max") : ""});
        first = false;
      }
      if (first) rows.push_back({level.quota, "(no limit on what the pod requests)"});
    }
    for (const auto& line : [&] {
           std::string t = FormatTable(rows);
           std::vector<std::string> lines;
           size_t pos = 0;
           while (pos < t.size()) {
             size_t end = t.find('\n', pos);
             lines.push_back(t.substr(pos, end - pos));
             pos = end + 1;
           }
           return lines;
         }()) {
      o += "  " + line + "\n";
    }
  }
  if (r.known && d.filtered) {
    o += fmt::format("\nLast filter, {}: {} ({})", Ago(r.now, d.filter_at),
                     DecisionResultName(d.result), DecisionReasonName(d.reason));
    o += d.message.empty() ? "\n" : fmt::format(": {}\n", d.message);
    o += fmt::format("  candidate nodes: {}, passed Quotient's checks: {}\n", d.nodes, d.passed);
    for (const NodeReasonCount& c : d.node_reasons) {
      o += fmt::format("  {} node{}{}: {}\n", c.nodes, c.nodes == 1 ? "" : "s",
                       c.unresolvable ? " (not retried for this pod)" : "", c.reason);
    }
    if (d.other_failed_nodes > 0) {
      o += fmt::format("  {} more nodes failed for other reasons\n", d.other_failed_nodes);
    }
  } else {
    o += "\nLast filter: none since Quotient started.\n";
  }
  if (r.known && !d.bind_node.empty()) {
    o += fmt::format("Last bind, {}: node {}: {}\n", Ago(r.now, d.bind_at), d.bind_node,
                     d.bind_error.empty() ? "bound" : d.bind_error);
  }
  if (r.reclaims.empty()) {
    o += "Reclaim under way: none.\n";
  } else {
    o += "Reclaim under way:\n";
    for (const auto& s : r.reclaims) o += "  " + s + "\n";
  }
  return o;
}

}  // namespace quotient::extender
