// Wire-path micro-benchmarks: decode -> decide (pass-through) -> encode, without HTTP.
//
// Run (Release build; nothing else heavy on the machine):
//   cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release
//   cmake --build build --target bench_wire
//   build/benchmarks/bench_wire --benchmark_repetitions=9 --benchmark_report_aggregates_only=true
// One family:  --benchmark_filter='FullNodes'
// Everything, waiting for an idle machine: benchmarks/run_all.sh build OUT_DIR
// CI smoke:    bench_wire --benchmark_min_time=0.01   (ctest -L bench)
//
// Bodies come from benchmarks/fixtures.h (the golden trainer pod; N node names or N
// replicated ~18 KB GPU Node objects). bytes_per_second is request bytes; items_per_second
// is nodes. Results and the targets they are held against: docs/benchmarks.md.
#include <benchmark/benchmark.h>
#include <simdjson.h>

#include <cstdint>
#include <map>
#include <string>

#include "benchmarks/fixtures.h"
#include "extender/http/readiness.h"
#include "extender/http/router.h"
#include "extender/http/server_metrics.h"
#include "extender/telemetry/logging.h"
#include "extender/telemetry/metrics.h"
#include "extender/wire/decider.h"
#include "extender/wire/wire_codec.h"

namespace quotient::benchmarks {
namespace {

using extender::RequestBody;
using extender::Verb;

// The router as extender/service/serve.cc builds it, minus the HTTP server.
struct Service {
  Service() {
    extender::ConfigureLogging(extender::LogFormat::kText, "warn");  // as `serve --log-level warn`
    readiness.Set(true, "serving");
  }
  extender::metrics::Registry registry;
  extender::ServerMetrics server_metrics{&registry};
  extender::Readiness readiness;
  extender::PassThroughDecider decider;
  extender::Router router{"", &decider, &server_metrics, &registry, &readiness};
};

Service& GetService() {
  static Service service;
  return service;
}

// Request bodies are built once per size: the 5,000-node one is ~90 MB.
const RequestBody& NamesBody(int64_t nodes) {
  static std::map<int64_t, RequestBody> bodies;
  auto [it, inserted] = bodies.try_emplace(nodes);
  if (inserted) it->second = FilterNamesRequest(static_cast<size_t>(nodes));
  return it->second;
}

const RequestBody& FullNodesBody(int64_t nodes) {
  static std::map<int64_t, RequestBody> bodies;
  auto [it, inserted] = bodies.try_emplace(nodes);
  if (inserted) it->second = FilterFullNodesRequest(static_cast<size_t>(nodes));
  return it->second;
}

void Report(benchmark::State& state, const RequestBody& body, size_t response_bytes) {
  const auto iterations = static_cast<int64_t>(state.iterations());
  state.SetBytesProcessed(iterations * static_cast<int64_t>(body.size()));
  state.SetItemsProcessed(iterations * state.range(0));
  state.counters["request_bytes"] = static_cast<double>(body.size());
  state.counters["response_bytes"] = static_cast<double>(response_bytes);
}

// The whole synchronous webhook: DecodeExtenderArgs, the decider, the encoder, metrics.
void RunWebhook(benchmark::State& state, Verb verb, const RequestBody& body) {
  extender::Router& router = GetService().router;
  extender::HttpResponse check = router.HandleSyncWebhook(verb, body, "bench");
  if (check.status != 200) {
    state.SkipWithError(("webhook answered " + std::to_string(check.status)).c_str());
    return;
  }
  for (auto _ : state) {
    extender::HttpResponse response = router.HandleSyncWebhook(verb, body, "bench");
    benchmark::DoNotOptimize(response.body.data());
  }
  Report(state, body, check.body.size());
}

// Decode only, to separate parse throughput from encoding.
void RunDecode(benchmark::State& state, const RequestBody& body) {
  extender::ExtenderArgs args;
  extender::DecodeError error;
  if (!extender::DecodeExtenderArgs(body, &args, &error) ||
      args.nodes.size() != static_cast<size_t>(state.range(0))) {
    state.SkipWithError(("decode failed: " + error.message).c_str());
    return;
  }
  for (auto _ : state) {
    bool ok = extender::DecodeExtenderArgs(body, &args, &error);
    benchmark::DoNotOptimize(ok);
    benchmark::DoNotOptimize(args.nodes.data());
  }
  Report(state, body, 0);
}

void BM_FilterNames(benchmark::State& state) {
  RunWebhook(state, Verb::kFilter, NamesBody(state.range(0)));
}
void BM_PrioritizeNames(benchmark::State& state) {
  RunWebhook(state, Verb::kPrioritize, NamesBody(state.range(0)));
}
void BM_DecodeNames(benchmark::State& state) {
  RunDecode(state, NamesBody(state.range(0)));
}
void BM_FilterFullNodes(benchmark::State& state) {
  RunWebhook(state, Verb::kFilter, FullNodesBody(state.range(0)));
}
void BM_PrioritizeFullNodes(benchmark::State& state) {
  RunWebhook(state, Verb::kPrioritize, FullNodesBody(state.range(0)));
}
void BM_DecodeFullNodes(benchmark::State& state) {
  RunDecode(state, FullNodesBody(state.range(0)));
}

// EncodeFilterResult alone for the full-node echo (the answer carries every node's bytes),
// into an output string that is 0: fresh, as the router passes it (new pages for every
// answer); 1: reused across requests (capacity kept, pages already mapped). The gap is
// the cost of faulting in fresh memory for a ~9 / ~90 MB answer.
void BM_EncodeFilterFullNodes(benchmark::State& state) {
  const RequestBody& body = FullNodesBody(state.range(0));
  const bool reuse = state.range(1) == 1;
  extender::ExtenderArgs args;
  extender::DecodeError error;
  if (!extender::DecodeExtenderArgs(body, &args, &error)) {
    state.SkipWithError(("decode failed: " + error.message).c_str());
    return;
  }
  extender::FilterDecision decision = extender::PassThroughDecider().Filter(args);
  std::string reused;
  if (reuse) extender::EncodeFilterResult(args, decision.answer, &reused);  // warm it
  size_t answer_bytes = 0;
  for (auto _ : state) {
    std::string fresh;
    std::string& out = reuse ? reused : fresh;
    out.clear();
    extender::EncodeFilterResult(args, decision.answer, &out);
    answer_bytes = out.size();
    benchmark::DoNotOptimize(out.data());
  }
  Report(state, body, answer_bytes);
}

// simdjson's own floor for the full-node body: stage 1 (structural index) plus one
// On-Demand walk that reads each item's metadata.name, nothing else.
void BM_SimdjsonFloorFullNodes(benchmark::State& state) {
  const RequestBody& body = FullNodesBody(state.range(0));
  namespace od = simdjson::ondemand;
  od::parser parser;
  auto count_names = [&]() -> int64_t {
    simdjson::padded_string_view view(body.data(), body.size(),
                                      body.size() + extender::kBodyPaddingBytes);
    od::document doc;
    if (parser.iterate(view).get(doc) != simdjson::SUCCESS) return -1;
    int64_t names = 0;
    od::array items;
    if (doc.find_field("Nodes").find_field("items").get_array().get(items) != simdjson::SUCCESS) {
      return -1;
    }
    for (auto item : items) {
      std::string_view name;
      if (item.find_field("metadata").find_field("name").get_string().get(name) ==
          simdjson::SUCCESS) {
        ++names;
      }
    }
    return names;
  };
  if (count_names() != state.range(0)) {
    state.SkipWithError("simdjson walk did not find every node");
    return;
  }
  for (auto _ : state) benchmark::DoNotOptimize(count_names());
  Report(state, body, 0);
}

void Common(benchmark::internal::Benchmark* b) {
  b->Unit(benchmark::kMicrosecond);
}
void NameCounts(benchmark::internal::Benchmark* b) {
  b->ArgName("nodes")->Arg(500)->Arg(5000)->Arg(15000);
  Common(b);
}
void FullNodeCounts(benchmark::internal::Benchmark* b) {
  b->ArgName("nodes")->Arg(500)->Arg(5000);
  Common(b);
}

BENCHMARK(BM_FilterNames)->Apply(NameCounts);
BENCHMARK(BM_PrioritizeNames)->Apply(NameCounts);
BENCHMARK(BM_DecodeNames)->Apply(NameCounts);
BENCHMARK(BM_FilterFullNodes)->Apply(FullNodeCounts);
BENCHMARK(BM_PrioritizeFullNodes)->Apply(FullNodeCounts);
BENCHMARK(BM_DecodeFullNodes)->Apply(FullNodeCounts);
BENCHMARK(BM_EncodeFilterFullNodes)
    ->ArgNames({"nodes", "reuse"})
    ->ArgsProduct({{500, 5000}, {0, 1}})
    ->Apply(Common);
BENCHMARK(BM_SimdjsonFloorFullNodes)->Apply(FullNodeCounts);

}  // namespace
}  // namespace quotient::benchmarks

BENCHMARK_MAIN();
