#include "extender/debug/quota_view.h"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

#include "extender/json/json_write.h"
#include "quota/resource_list.h"

namespace quotient::extender {
namespace {

using quota::QuotaId;

std::string Amount(const std::string& resource, int64_t v) {
  return v == quota::kUnlimited ? "-" : quota::FormatResourceAmount(resource, v);
}

void AppendAmount(const std::string& resource, int64_t v, std::string* out) {
  if (v == quota::kUnlimited) {
    *out += "null";
  } else {
    AppendJsonString(quota::FormatResourceAmount(resource, v), out);
  }
}

// Quota ids in depth-first order (parents before children), for an indented table.
void DepthFirst(const quota::QuotaTree& tree, QuotaId id, std::vector<QuotaId>* out) {
  out->push_back(id);
  for (QuotaId child : tree.children(id)) DepthFirst(tree, child, out);
}

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ",") + s;
  return out;
}

}  // namespace

std::string_view QuotaState(int64_t charged, int64_t min, int64_t max) {
  if (max != quota::kUnlimited && charged > max) return "over max";
  if (max != quota::kUnlimited && charged == max && charged > 0) return "at max";
  if (charged > min) return "borrowing";
  return "";
}

std::string QuotaTreeJson(const quota::QuotaUsage& usage) {
  const quota::QuotaTree& tree = usage.tree();
  std::string out = "{\"quotas\":[";
  for (QuotaId q = 0; q < static_cast<QuotaId>(tree.size()); ++q) {
    if (q > 0) out += ',';
    out += "{\"name\":";
    AppendJsonString(tree.name(q), &out);
    out += ",\"parent\":";
    if (tree.parent(q) == quota::kNoQuota) {
      out += "null";
    } else {
      AppendJsonString(tree.name(tree.parent(q)), &out);
    }
    out += fmt::format(",\"depth\":{},\"namespaces\":[", tree.depth(q));
    bool first = true;
    for (const auto& ns : tree.namespaces(q)) {
      if (!first) out += ',';
      first = false;
      AppendJsonString(ns, &out);
    }
    out += "],\"resources\":{";
    for (int32_t r = 0; r < static_cast<int32_t>(tree.resource_count()); ++r) {
      const std::string& name = tree.resource_name(r);
      if (r > 0) out += ',';
      AppendJsonString(name, &out);
      out += ":{\"min\":";
      AppendAmount(name, tree.Min(q, r), &out);
      out += ",\"max\":";
      AppendAmount(name, tree.Max(q, r), &out);
      out += ",\"used\":";
      AppendAmount(name, usage.Used(q, r), &out);
      out += ",\"reserved\":";
      AppendAmount(name, usage.Reserved(q, r), &out);
      out += '}';
    }
    out += "}}";
  }
  out += "]}\n";
  return out;
}

std::string QuotaTreeTable(const quota::QuotaUsage& usage) {
  const quota::QuotaTree& tree = usage.tree();
  std::vector<std::vector<std::string>> rows = {
      {"QUOTA", "RESOURCE", "USED", "RESERVED", "MIN", "MAX", "STATE", "NAMESPACES"}};
  std::vector<QuotaId> order;
  if (tree.size() > 0) DepthFirst(tree, quota::QuotaTree::root(), &order);
  for (QuotaId q : order) {
    bool first = true;
    for (int32_t r = 0; r < static_cast<int32_t>(tree.resource_count()); ++r) {
      const std::string& name = tree.resource_name(r);
      const int64_t min = tree.Min(q, r), max = tree.Max(q, r);
      const int64_t used = usage.Used(q, r), reserved = usage.Reserved(q, r);
      // Nothing to say about a resource this quota neither limits nor uses.
      if (min == 0 && max == quota::kUnlimited && used == 0 && reserved == 0) continue;
      rows.push_back(
          {first ? std::string(2 * static_cast<size_t>(tree.depth(q)), ' ') + tree.name(q) : "",
           name, Amount(name, used), Amount(name, reserved), Amount(name, min), Amount(name, max),
           std::string(QuotaState(used + reserved, min, max)),
           first ? Join(tree.namespaces(q)) : ""});
      first = false;
    }
    if (first) {  // no limited or used resource: still list the quota
      rows.push_back({std::string(2 * static_cast<size_t>(tree.depth(q)), ' ') + tree.name(q), "-",
                      "", "", "", "", "", Join(tree.namespaces(q))});
    }
  }
  return FormatTable(rows);
}

std::string FormatTable(const std::vector<std::vector<std::string>>& rows) {
  if (rows.empty()) return "";
  std::vector<size_t> widths(rows[0].size(), 0);
  for (const auto& row : rows) {
    for (size_t c = 0; c < row.size() && c < widths.size(); ++c) {
      widths[c] = std::max(widths[c], row[c].size());
    }
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (size_t c = 0; c < row.size() && c < widths.size(); ++c) {
      line += row[c];
      if (c + 1 < row.size()) line += std::string(widths[c] - row[c].size() + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + '\n';
  }
  return out;
}

}  // namespace quotient::extender
