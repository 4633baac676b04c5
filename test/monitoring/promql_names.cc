#include "test/monitoring/promql_names.h"

#include <cctype>

namespace quotient::test {
namespace {

bool IsIdentStart(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == ':';
}
bool IsIdent(char c) {
  return IsIdentStart(c) || std::isdigit(static_cast<unsigned char>(c));
}

const std::set<std::string, std::less<>> kKeywords = {
    "and", "or", "unless", "by", "without", "on", "ignoring", "group_left", "group_right", "bool",
    "offset", "inf", "nan", "Inf", "NaN",
    // Aggregation operators: `sum by (x) (...)` puts the clause before the parenthesis.
    "sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values", "bottomk",
    "topk", "quantile", "limitk", "limit_ratio"};
// Keywords followed by a parenthesised list of label names.
const std::set<std::string, std::less<>> kLabelLists = {"by",       "without",    "on",
                                                        "ignoring", "group_left", "group_right"};

}  // namespace

std::set<std::string> MetricNamesIn(std::string_view q) {
  std::set<std::string> names;
  size_t i = 0;
  bool label_list_next = false;
  while (i < q.size()) {
    const char c = q[i];
    if (c == '"' || c == '\'' || c == '`') {  // string literal
      const char quote = c;
      for (++i; i < q.size() && q[i] != quote; ++i) {
        if (q[i] == '\\') ++i;
      }
      ++i;
    } else if (c == '{' || c == '[') {  // label matchers, range or subquery: no metric names
      const char close = c == '{' ? '}' : ']';
      for (++i; i < q.size() && q[i] != close; ++i) {
        if (q[i] == '"') {
          for (++i; i < q.size() && q[i] != '"'; ++i) {
            if (q[i] == '\\') ++i;
          }
        }
      }
      ++i;
    } else if (c == '(' && label_list_next) {
      while (i < q.size() && q[i] != ')') ++i;
      ++i;
      label_list_next = false;
    } else if (std::isdigit(static_cast<unsigned char>(c)) ||
               (c == '.' && i + 1 < q.size() &&
                std::isdigit(static_cast<unsigned char>(q[i + 1])))) {
      while (i < q.size() && (IsIdent(q[i]) || q[i] == '.')) ++i;  // 0.99, 1e3, 5m
    } else if (IsIdentStart(c)) {
      size_t start = i;
      while (i < q.size() && IsIdent(q[i])) ++i;
      std::string word(q.substr(start, i - start));
      size_t j = i;
      while (j < q.size() && std::isspace(static_cast<unsigned char>(q[j]))) ++j;
      const bool call = j < q.size() && q[j] == '(';
      if (kLabelLists.contains(word)) {
        label_list_next = true;
      } else if (!call && !kKeywords.contains(word)) {
        names.insert(word);
      }
    } else {
      ++i;
    }
  }
  return names;
}

}  // namespace quotient::test
