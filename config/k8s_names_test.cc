// Kubernetes name syntax: what the API server accepts, and the reasons for what it rejects.
#include "config/k8s_names.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace quotient::config {
namespace {

using Validator = bool (*)(std::string_view, std::string*);

struct NameCase {
  const char* what;
  Validator validate;
  std::string value;
  bool valid;
  std::string reason = "";  // a part of the reason when invalid
};

TEST(K8sNamesTest, ValuesAreJudgedAsKubernetesDoes) {
  const std::string long_label(64, 'a');
  const std::vector<NameCase> cases = {
      {"a namespace", ValidateDns1123Label, "team-a", true},
      {"a namespace of digits", ValidateDns1123Label, "123", true},
      {"a 63-character namespace", ValidateDns1123Label, std::string(63, 'a'), true},
      {"a 64-character namespace", ValidateDns1123Label, long_label, false, "at most 63"},
      {"an uppercase namespace", ValidateDns1123Label, "Team", false, "lowercase"},
      {"a namespace with '_'", ValidateDns1123Label, "team_a", false, "DNS-1123 label"},
      {"a namespace ending in '-'", ValidateDns1123Label, "team-", false, "DNS-1123 label"},
      {"an empty namespace", ValidateDns1123Label, "", false, "DNS-1123 label"},
      {"a domain", ValidateDns1123Subdomain, "nvidia.com", true},
      {"a domain with an empty part", ValidateDns1123Subdomain, "nvidia..com", false, "subdomain"},
      {"a domain ending in '.'", ValidateDns1123Subdomain, "nvidia.com.", false, "subdomain"},
      {"a label key with a domain", ValidateQualifiedName, "nvidia.com/gpu.product", true},
      {"a label key without a domain", ValidateQualifiedName, "gpu-type", true},
      {"a label key ending in '/'", ValidateQualifiedName, "example.com/", false, "empty"},
      {"an empty label value", ValidateLabelValue, "", true},
      {"a label value", ValidateLabelValue, "T4", true},
      {"a label value with a space", ValidateLabelValue, "T 4", false, "letters, digits"},
      {"cpu", ValidateResourceName, "cpu", true},
      {"hugepages", ValidateResourceName, "hugepages-1Gi", true},
      {"a GPU", ValidateResourceName, "nvidia.com/gpu", true},
      {"a MIG profile", ValidateResourceName, "nvidia.com/mig-3g.20gb", true},
      {"a queue resource", ValidateResourceName, "kube-queue/max-jobs", true},
      {"an uppercase name part", ValidateResourceName, "example.com/GPU_Mem", true},
      {"an unprefixed unknown name", ValidateResourceName, "gpu", false, "needs a domain"},
      {"a bare hugepages", ValidateResourceName, "hugepages-", false, "letters, digits"},
      {"an empty name", ValidateResourceName, "", false, "is empty"},
      {"a name with a space", ValidateResourceName, "gpu mem", false, "letters, digits"},
      {"two slashes", ValidateResourceName, "a.com/b/c", false, "more than one '/'"},
      {"an uppercase domain", ValidateResourceName, "NVIDIA.com/gpu", false, "domain before"},
      {"one selector term", ValidateNodeSelector, "org=team-a", true},
      {"selector terms with spaces", ValidateNodeSelector, " gpu-type=T4 , org=public ", true},
      {"a selector with an empty value", ValidateNodeSelector, "dedicated=", true},
      {"an empty selector", ValidateNodeSelector, " ", false, "is empty"},
      {"a selector term without '='", ValidateNodeSelector, "org", false, "not key=value"},
      {"a selector with '!='", ValidateNodeSelector, "org!=a", false, "not key=value"},
      {"a selector with '=='", ValidateNodeSelector, "org==a", false, "not key=value"},
      {"a selector with an empty term", ValidateNodeSelector, "org=a,", false, "not key=value"},
      {"a selector with a bad key", ValidateNodeSelector, "-org=a", false, "label key \"-org\""},
      {"a selector with a key twice", ValidateNodeSelector, "org=a,org=b", false, "twice"},
  };
  for (const NameCase& c : cases) {
    std::string reason;
    EXPECT_EQ(c.validate(c.value, &reason), c.valid) << c.what << ": \"" << c.value << "\"";
    if (!c.valid) {
      EXPECT_NE(reason.find(c.reason), std::string::npos) << c.what << ": " << reason;
    }
  }
}

TEST(K8sNamesTest, PodsAndExtendedResourcesAreCountedInWholeUnits) {
  for (std::string_view name : {"pods", "nvidia.com/gpu", "aliyun.com/gpu-mem",
                                "nvidia.com/mig-1g.5gb", "kube-queue/max-jobs"}) {
    EXPECT_TRUE(IsIntegerResource(name)) << name;
  }
  for (std::string_view name : {"cpu", "memory", "ephemeral-storage", "hugepages-2Mi",
                                "kubernetes.io/batch-cpu", "requests.nvidia.com/gpu"}) {
    EXPECT_FALSE(IsIntegerResource(name)) << name;
  }
}

}  // namespace
}  // namespace quotient::config
