// The ElasticQuotaTree file (YAML or JSON, several documents, Lists). Oracles: a loaded
// tree compiles; a refusal carries at least one error, each with a message; the formatted
// errors stay bounded (kMaxFormattedErrors lines).
#include <cstddef>
#include <cstdint>

#include "config/quota_yaml.h"
#include "quota/quota_tree.h"
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
  FUZZ_CHECK(!errors.empty(), "a refused tree says why");
  for (const config::ConfigError& e : errors) FUZZ_CHECK(!e.message.empty(), "errors have text");
  const std::string text = config::FormatErrors(errors);
  size_t lines = 0;
  for (char c : text) lines += c == '\n';
  FUZZ_CHECK(lines <= config::kMaxFormattedErrors + 1, "formatted errors are bounded");
  return 0;
}
