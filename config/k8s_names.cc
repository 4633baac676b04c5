#include "config/k8s_names.h"

#include <fmt/format.h>

#include <set>

#include "quota/quantity.h"
#include "quota/resource_list.h"

namespace quotient::config {
namespace {

constexpr size_t kMaxLabelLength = 63;       // DNS-1123 label, qualified-name name part
constexpr size_t kMaxSubdomainLength = 253;  // DNS-1123 subdomain

bool IsLowerAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}
bool IsAlnum(char c) {
  return IsLowerAlnum(c) || (c >= 'A' && c <= 'Z');
}

// [a-z0-9]([-a-z0-9]*[a-z0-9])? of any length.
bool IsLabelShaped(std::string_view s) {
  if (s.empty() || !IsLowerAlnum(s.front()) || !IsLowerAlnum(s.back())) return false;
  for (char c : s) {
    if (!IsLowerAlnum(c) && c != '-') return false;
  }
  return true;
}

// The name part of a qualified name: [A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?, <= 63.
bool ValidateNamePart(std::string_view s, std::string* error) {
  if (s.empty()) {
    *error = "the name part is empty";
    return false;
  }
  if (s.size() > kMaxLabelLength) {
    *error = fmt::format("the name part is longer than {} characters", kMaxLabelLength);
    return false;
  }
  bool chars_ok = IsAlnum(s.front()) && IsAlnum(s.back());
  for (char c : s) chars_ok = chars_ok && (IsAlnum(c) || c == '-' || c == '_' || c == '.');
  if (!chars_ok) {
    *error =
        "the name part must consist of letters, digits, '-', '_' or '.', and start and end "
        "with a letter or digit";
    return false;
  }
  return true;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

}  // namespace

bool ValidateDns1123Label(std::string_view value, std::string* error) {
  if (value.size() <= kMaxLabelLength && IsLabelShaped(value)) return true;
  *error = fmt::format(
      "must be a DNS-1123 label: at most {} lowercase letters, digits or '-', starting and "
      "ending with a letter or digit",
      kMaxLabelLength);
  return false;
}

bool ValidateDns1123Subdomain(std::string_view value, std::string* error) {
  bool ok = !value.empty() && value.size() <= kMaxSubdomainLength;
  for (size_t start = 0; ok;) {
    size_t dot = value.find('.', start);
    ok = IsLabelShaped(value.substr(start, dot == std::string_view::npos ? dot : dot - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  if (ok) return true;
  *error = fmt::format(
      "must be a DNS-1123 subdomain: at most {} characters, lowercase letters, digits, '-' "
      "and '.', each dot-separated part starting and ending with a letter or digit",
      kMaxSubdomainLength);
  return false;
}

bool ValidateQualifiedName(std::string_view value, std::string* error) {
  size_t slash = value.find('/');
  if (slash == std::string_view::npos) return ValidateNamePart(value, error);
  if (value.find('/', slash + 1) != std::string_view::npos) {
    *error = "has more than one '/' (expected domain/name)";
    return false;
  }
  std::string reason;
  if (!ValidateDns1123Subdomain(value.substr(0, slash), &reason)) {
    *error = fmt::format("the domain before '/' {}", reason);
    return false;
  }
  return ValidateNamePart(value.substr(slash + 1), error);
}

bool ValidateLabelValue(std::string_view value, std::string* error) {
  return value.empty() || ValidateNamePart(value, error);
}

bool ValidateResourceName(std::string_view value, std::string* error) {
  if (value.empty()) {
    *error = "is empty";
    return false;
  }
  if (value.find('/') != std::string_view::npos) return ValidateQualifiedName(value, error);
  if (!ValidateNamePart(value, error)) return false;
  static constexpr std::string_view kStandard[] = {"cpu", "memory", "ephemeral-storage", "storage",
                                                   "pods"};
  for (std::string_view standard : kStandard) {
    if (value == standard) return true;
  }
  if (value.starts_with("hugepages-") && value.size() > std::string_view("hugepages-").size()) {
    return true;
  }
  *error =
      "is not a standard resource (cpu, memory, ephemeral-storage, storage, pods, "
      "hugepages-<size>); an extended resource needs a domain, e.g. nvidia.com/gpu";
  return false;
}

bool IsIntegerResource(std::string_view name) {
  // k8s.io/kubernetes/pkg/apis/core/helper: IsIntegerResourceName, IsExtendedResourceName.
  if (name == "pods") return true;
  return name.find('/') != std::string_view::npos &&
         name.find("kubernetes.io/") == std::string_view::npos && !name.starts_with("requests.");
}

bool ValidateNodeSelector(std::string_view value, std::string* error) {
  if (Trim(value).empty()) {
    *error = "is empty (expected key=value terms separated by ',')";
    return false;
  }
  std::set<std::string_view> keys;
  for (size_t start = 0;;) {
    size_t comma = value.find(',', start);
    std::string_view term =
        Trim(value.substr(start, comma == std::string_view::npos ? comma : comma - start));
    size_t eq = term.find('=');
    if (eq == std::string_view::npos ||
        term.find_first_of("=!", eq + 1) != std::string_view::npos ||
        term.substr(0, eq).find('!') != std::string_view::npos) {
      *error = fmt::format("term \"{}\" is not key=value", term);
      return false;
    }
    std::string_view key = Trim(term.substr(0, eq));
    std::string reason;
    if (!ValidateQualifiedName(key, &reason)) {
      *error = fmt::format("label key \"{}\": {}", key, reason);
      return false;
    }
    if (!ValidateLabelValue(Trim(term.substr(eq + 1)), &reason)) {
      *error = fmt::format("label value \"{}\": {}", Trim(term.substr(eq + 1)), reason);
      return false;
    }
    if (!keys.insert(key).second) {
      *error = fmt::format("label key \"{}\" appears twice", key);
      return false;
    }
    if (comma == std::string_view::npos) return true;
    start = comma + 1;
  }
}

namespace {

// True if the quantity `text` (already known to parse) is an integer, as Kubernetes
// requires of pods and extended resources; a value too large for milli-units is.
bool IsWholeNumber(std::string_view text) {
  quota::Quantity quantity;
  std::string error;
  int64_t milli = 0;
  if (!quota::Quantity::Parse(text, &quantity, &error)) return false;
  return !quantity.ScaledValue(3, &milli) || milli % 1000 == 0;
}

}  // namespace

bool ParseResourceEntry(std::string_view name, const std::string* quantity, int64_t* amount,
                        std::string* error) {
  std::string reason;
  if (!ValidateResourceName(name, &reason)) {
    *error = fmt::format("invalid resource name \"{}\": {}", name, reason);
    return false;
  }
  if (quantity == nullptr) {
    *error = "expected a quantity: a number or a string such as 500m or 16Gi";
    return false;
  }
  if (!quota::ParseResourceAmount(name, *quantity, amount, &reason)) {
    *error = fmt::format("invalid quantity \"{}\": {}", *quantity, reason);
    return false;
  }
  if (IsIntegerResource(name) && !IsWholeNumber(*quantity)) {
    *error = fmt::format("invalid quantity \"{}\": {} is counted in whole units", *quantity, name);
    return false;
  }
  return true;
}

}  // namespace quotient::config
