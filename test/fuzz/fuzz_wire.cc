// The extender verbs' bodies as kube-scheduler posts them: the first byte picks the verb
// (filter, prioritize, preempt, bind), the rest is the body. Oracles: a refusal carries a
// message; the answer to a decoded valid request encodes to JSON that parses, with one
// entry per node (filter passing every node, prioritize scoring each, preempt echoing the
// victims).
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "extender/wire/wire_codec.h"
#include "test/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace quotient;
  using namespace quotient::extender;
  if (size == 0) return 0;
  const int verb = data[0] % 4;
  const RequestBody body = RequestBody::Copy(fuzz::AsText(data + 1, size - 1));
  DecodeError error;
  std::string out;
  if (verb <= 1) {
    ExtenderArgs args;
    if (!DecodeExtenderArgs(body, &args, &error)) {
      FUZZ_CHECK(!error.message.empty(), "a refused body says why");
      return 0;
    }
    if (verb == 0) {
      FilterAnswer answer;
      for (size_t i = 0; i < args.nodes.size(); ++i) answer.passed.push_back(i);
      EncodeFilterResult(args, answer, &out);
    } else {
      EncodeHostPriorities(args, std::vector<int64_t>(args.nodes.size(), 5), &out);
    }
    const nlohmann::json json = nlohmann::json::parse(out, nullptr, /*allow_exceptions=*/false);
    // A filter answer echoes the request's Node objects as they came (On-Demand skips
    // them without validating their inside), so only a valid request must give a valid
    // answer (docs/fuzzing.md, "Last campaign").
    if (json.is_discarded() && !nlohmann::json::accept(body.view())) return 0;
    FUZZ_CHECK(!json.is_discarded(), "the answer to a valid request is JSON");
    if (verb == 1) {
      FUZZ_CHECK(json.is_array() && json.size() == args.nodes.size(), "one score per node");
    } else if (args.has_node_names) {
      FUZZ_CHECK(json["NodeNames"].is_array() && json["NodeNames"].size() == args.nodes.size(),
                 "every node passes");
    }
  } else if (verb == 2) {
    PreemptionArgs args;
    if (!DecodePreemptionArgs(body, &args, &error)) {
      FUZZ_CHECK(!error.message.empty(), "a refused body says why");
      return 0;
    }
    EncodePreemptionResult(args.nodes, &out);
    const nlohmann::json json = nlohmann::json::parse(out, nullptr, false);
    FUZZ_CHECK(!json.is_discarded(), "the answer is JSON");
  } else {
    BindingArgs args;
    if (!DecodeBindingArgs(body, &args, &error)) {
      FUZZ_CHECK(!error.message.empty(), "a refused body says why");
      return 0;
    }
    EncodeBindingResult(args.pod_name, &out);  // any text as the error
    const nlohmann::json json = nlohmann::json::parse(out, nullptr, false);
    FUZZ_CHECK(!json.is_discarded(), "the answer is JSON");
  }
  return 0;
}
