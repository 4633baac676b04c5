// The ElasticQuotaTree file (YAML or JSON, several documents, Lists). Oracles: a loaded
// tree compiles; a refusal passes CheckRefusal (at least one error, each with a message;
// the printed errors are one bounded line each, controls escaped, kMaxFormattedErrors at most
// and a line that counts the rest).
#include <cstddef>
#include <cstdint>

#include "config/quota_yaml.h"
#include "quota/quota_tree.h"
#include "test/fuzz/config_refusal_check.h"
#include "test/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace quotient;
  quota::QuotaNodeSpec root;
  config::ConfigErrors errors;
  if (config::LoadQuotaTree(fuzz::AsText(data, size), "fuzz.yaml", &root, &errors)) {
    FUZZ_CHECK(errors.empty(), "a loaded tree has no errors");
    FUZZ_CHECK(quota::QuotaTree::Build(root) != nullptr, "a loaded tree compiles");
    return 0;
  }
  fuzz::CheckRefusal(errors);
  return 0;
}
