#include "benchmarks/sync_breakdown.h"

#include <fmt/format.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_future.hpp>
#include <cstdlib>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "benchmarks/sync_fake_apiserver.h"
#include "extender/json/request_body.h"
#include "extender/kube/list_watch_decode.h"
#include "extender/kube/query.h"
#include "extender/objects/pod_decode.h"
#include "extender/state/watch_sinks.h"
#include "quota/quota_ledger.h"

namespace quotient::benchmarks::sync {
namespace {

namespace asio = boost::asio;
namespace kube = extender::kube;
namespace state = extender::state;

// --breakdown: page `p` of the pod list, through `client` (as the reflector asks for it).
asio::awaitable<kube::ApiResponse> FetchPodPage(kube::ApiClient* client, const Flags& f,
                                                int64_t p) {
  kube::Query query("/api/v1/pods");
  query.Add("limit", std::to_string(f.page_size));
  if (p > 0) query.Add("continue", fmt::format("page-{}", p));
  query.Add("fieldSelector", kActivePods);
  std::string target = query.target();
  std::string body;
  kube::RequestOptions options;
  auto request = client->Request(kube::Method::kGet, std::move(target), std::move(body),
                                 std::move(options));  // named: GCC bug 99576
  kube::ApiResponse page = co_await std::move(request);
  co_return page;
}

template <typename Fn>
double BestOf(int runs, Fn&& fn) {
  double best = 1e30;
  for (int r = 0; r < runs; ++r) {
    const auto start = Clock::now();
    fn();
    best = std::min(best, Seconds(Clock::now() - start));
  }
  return best;
}

}  // namespace

void ListPods(asio::io_context& ioc, kube::ClientConfig config, const Flags& f, ListMode mode,
              pid_t child, Snapshot* start, Snapshot* end) {
  config.qps = 0;
  kube::ApiClient client(ioc, config);
  int64_t leaves = 0;
  quota::QuotaLedger ledger(QuotaTreeFor(f, &leaves), {});
  state::ClusterState cluster(&ledger);
  state::PodSink sink(&cluster);
  const int64_t pages = std::max<int64_t>(1, (f.pods + f.page_size - 1) / f.page_size);
  auto fetch = [&](int64_t p) {
    return asio::co_spawn(ioc, FetchPodPage(&client, f, p), asio::use_future);
  };
  const std::function<void(extender::json::od::value&)> on_item = [&](auto& item) {
    std::string error;
    if (!sink.Apply(kube::EventType::kAdded, item, &error)) std::abort();
  };
  *start = Take(child);
  sink.BeginList();
  std::future<kube::ApiResponse> next = fetch(0);
  for (int64_t p = 0; p < pages; ++p) {
    const kube::ApiResponse page = next.get();
    if (!page.ok()) std::abort();
    if (p + 1 < pages && mode != ListMode::kSequential) next = fetch(p + 1);
    kube::ListMeta meta;
    std::string error;
    if (mode != ListMode::kFetchOnly && !kube::DecodeListPage(page.body, on_item, &meta, &error)) {
      std::abort();
    }
    if (p + 1 < pages && mode == ListMode::kSequential) next = fetch(p + 1);
  }
  sink.EndList();
  *end = Take(child);
  if (mode != ListMode::kFetchOnly && cluster.counts().bound_pods != static_cast<size_t>(f.pods)) {
    std::abort();
  }
}

void Breakdown(const Flags& f) {
  namespace od = extender::json::od;
  const int64_t pods = std::min<int64_t>(f.pods, 20'000);
  const int64_t events = std::min<int64_t>(f.events, 20'000);
  const ListPages list = RenderList(
      "PodList", pods, f, true, [&f](std::string* out, int64_t id) { AppendListPod(out, id, f); });
  std::vector<extender::RequestBody> pages;
  for (const auto& body : list.bodies) pages.push_back(extender::RequestBody::Copy(body));
  std::vector<std::string> lines;
  ForEachEvent(f, pods, events,
               [&](const std::string& line) { lines.push_back(line.substr(0, line.size() - 1)); });
  int64_t line_bytes = 0;
  for (const auto& l : lines) line_bytes += static_cast<int64_t>(l.size());
  int64_t leaves = 0;
  const auto tree = QuotaTreeFor(f, &leaves);

  auto each_page = [&](const std::function<void(od::value&)>& on_item) {
    for (const auto& page : pages) {
      kube::ListMeta meta;
      std::string error;
      if (!kube::DecodeListPage(page, on_item, &meta, &error)) std::abort();
    }
  };
  extender::PodInfo pod;
  extender::DecodeError derr;
  const double walk = BestOf(3, [&] { each_page([](od::value&) {}); });
  const double decode = BestOf(3, [&] {
    each_page([&](od::value& item) { extender::DecodePodObject(item, nullptr, &pod, &derr); });
  });
  std::unique_ptr<quota::QuotaLedger> ledger;
  std::unique_ptr<state::ClusterState> cluster;
  std::unique_ptr<state::PodSink> sink;
  const double apply = BestOf(3, [&] {
    sink.reset();
    cluster.reset();
    ledger = std::make_unique<quota::QuotaLedger>(tree, quota::QuotaLedger::Options{});
    cluster = std::make_unique<state::ClusterState>(ledger.get());
    sink = std::make_unique<state::PodSink>(cluster.get());
    sink->BeginList();
    std::string error;
    each_page([&](od::value& item) { sink->Apply(kube::EventType::kAdded, item, &error); });
    sink->EndList();
  });

  auto each_event = [&](int depth) {
    for (const auto& line : lines) {
      extender::RequestBody event = extender::RequestBody::Copy(line);
      if (depth == 0) continue;
      od::document doc;
      kube::WatchEventHead head;
      std::string error;
      if (!kube::DecodeEventHead(event, &doc, &head, &error)) std::abort();
      if (depth == 1) continue;
      const auto type = head.type == kube::WatchEventType::kAdded      ? kube::EventType::kAdded
                        : head.type == kube::WatchEventType::kModified ? kube::EventType::kModified
                                                                       : kube::EventType::kDeleted;
      kube::DecodeEventObject(
          doc,
          [&](od::value& object) {
            if (depth == 2) return extender::DecodePodObject(object, nullptr, &pod, &derr);
            return sink->Apply(type, object, &error);
          },
          &error);
    }
  };
  const double copy = BestOf(3, [&] { each_event(0); });
  const double head = BestOf(3, [&] { each_event(1); });
  const double object = BestOf(3, [&] { each_event(2); });
  const double applied = BestOf(1, [&] { each_event(3); });

  const double n = static_cast<double>(pods), e = static_cast<double>(events);
  const double list_mb = static_cast<double>(list.body_bytes) / 1e6;
  fmt::print("\nin-process breakdown, one thread ({} list pods in {} pages, {} watch events):\n",
             pods, pages.size(), events);
  fmt::print("| step (cumulative) | µs per object | MB/s |\n|---|---|---|\n");
  fmt::print("| list page: parse, skip every item | {:.2f} | {:.0f} |\n", walk / n * 1e6,
             list_mb / walk);
  fmt::print("| + DecodePodObject | {:.2f} | {:.0f} |\n", decode / n * 1e6, list_mb / decode);
  fmt::print("| + PodSink::Apply (ClusterState, ledger) | {:.2f} | {:.0f} |\n", apply / n * 1e6,
             list_mb / apply);
  const double event_mb = static_cast<double>(line_bytes) / 1e6;
  fmt::print("| event: RequestBody::Copy | {:.2f} | {:.0f} |\n", copy / e * 1e6, event_mb / copy);
  fmt::print("| + DecodeEventHead (1st pass) | {:.2f} | {:.0f} |\n", head / e * 1e6,
             event_mb / head);
  fmt::print("| + DecodeEventObject + DecodePodObject (2nd pass) | {:.2f} | {:.0f} |\n",
             object / e * 1e6, event_mb / object);
  fmt::print("| + PodSink::Apply (instead of the bare decode) | {:.2f} | {:.0f} |\n",
             applied / e * 1e6, event_mb / applied);
}

}  // namespace quotient::benchmarks::sync
