// Kubernetes name syntax (apimachinery's validation rules) for values operators write in
// config files, so a typo is reported at load time instead of being rejected by the API
// server or, worse, silently never matching anything.
//
// Each function returns true for a valid value; otherwise false with *error set to a short
// reason (without the value or a field path; callers add those).
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace quotient::config {

// A DNS-1123 label (namespace names): at most 63 lowercase letters, digits or '-',
// starting and ending with a letter or digit.
bool ValidateDns1123Label(std::string_view value, std::string* error);

// A DNS-1123 subdomain: at most 253 characters; lowercase labels joined by '.'.
bool ValidateDns1123Subdomain(std::string_view value, std::string* error);

// A qualified name (label keys): an optional DNS-1123 subdomain prefix and '/', then a
// name of at most 63 letters, digits, '-', '_' or '.' starting and ending with a letter or
// digit: "org", "nvidia.com/gpu.product", "kubernetes.io/hostname".
bool ValidateQualifiedName(std::string_view value, std::string* error);

// A label value: empty, or a name as in a qualified name (at most 63 characters).
bool ValidateLabelValue(std::string_view value, std::string* error);

// A resource name: "domain/name" with a qualified-name syntax (nvidia.com/gpu,
// nvidia.com/mig-1g.5gb, aliyun.com/gpu-mem, kube-queue/max-jobs), or without a domain
// one of the standard names: cpu, memory, ephemeral-storage, storage, pods,
// hugepages-<size>. Pods can request nothing else without a domain, so a quota on, say,
// "gpu" would never apply.
bool ValidateResourceName(std::string_view value, std::string* error);

// True for the resources Kubernetes counts in whole units, whose quantities the API
// server rejects unless they are integers: pods, and extended resources (a domain other
// than kubernetes.io: nvidia.com/gpu, aliyun.com/gpu-mem, ...).
bool IsIntegerResource(std::string_view name);

// One `resource: quantity` entry of a min/max/capacity/requests map, checked as the API
// server would: a valid resource name, a scalar quantity, whole units for pods and extended
// resources. `quantity` is null when the YAML value is not a scalar. On success stores the
// amount in canonical units (quota/resource_list.h); on failure sets *error to the whole
// message, e.g. `invalid quantity "1.5": nvidia.com/gpu is counted in whole units`.
bool ParseResourceEntry(std::string_view name, const std::string* quantity, int64_t* amount,
                        std::string* error);

// A node selector as Quotient's attributes take it: "key=value" terms joined by ',',
// spaces around terms, keys and values allowed; keys are qualified names, values label
// values, no key twice: "org=team-a", "gpu-type=T4, org=public".
bool ValidateNodeSelector(std::string_view value, std::string* error);

}  // namespace quotient::config
