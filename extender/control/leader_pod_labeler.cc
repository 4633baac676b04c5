#include "extender/control/leader_pod_labeler.h"

#include <fmt/format.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <utility>

#include "config/k8s_names.h"
#include "extender/control/api_outcome.h"
#include "extender/json/json_read.h"
#include "extender/kube/query.h"
#include "extender/telemetry/logging.h"

namespace quotient::extender::state {
namespace {

constexpr std::chrono::seconds kTick{1};
constexpr std::chrono::seconds kRequestTimeout{10};

std::string Failure(const kube::ApiResponse& response) {
  if (response.status == 0) return response.error;
  return fmt::format("HTTP {}: {}", response.status, StatusMessage(response.body.view()));
}

}  // namespace

std::string ValidateLeaderLabel(const LeaderLabelOptions& options) {
  std::string why;
  if (!config::ValidateDns1123Label(options.pod_namespace, &why)) {
    return fmt::format(
        "the pod namespace {:?} is not a namespace name ({}); set POD_NAMESPACE "
        "from the downward API (fieldRef metadata.namespace)",
        options.pod_namespace, why);
  }
  if (!config::ValidateDns1123Subdomain(options.pod_name, &why)) {
    return fmt::format(
        "the pod name {:?} is not a pod name ({}); set POD_NAME from the "
        "downward API (fieldRef metadata.name)",
        options.pod_name, why);
  }
  if (!config::ValidateQualifiedName(options.label, &why)) {
    return fmt::format("the leader label {:?} is not a label key: {}", options.label, why);
  }
  if (options.resync < std::chrono::seconds(1)) return "the label resync must be at least 1s";
  return "";
}

LeaderPodLabeler::LeaderPodLabeler(boost::asio::io_context& ioc, kube::ApiClient* client,
                                   const kube::WriteFence* fence, LeaderLabelOptions options,
                                   metrics::Registry* registry)
    : client_(client),
      fence_(fence),
      options_(std::move(options)),
      ioc_(ioc),
      strand_(boost::asio::make_strand(ioc)),
      timer_(strand_) {
  if (registry != nullptr) {
    metrics::Family* family = registry->AddCounter(
        "quotient_leader_label_syncs_total",
        "Syncs of the leader label on the leading replica's pod (the Service routes to it), by "
        "result.",
        {"result"});
    syncs_ok_ = family->CounterWith({"ok"});
    syncs_failed_ = family->CounterWith({"failed"});
  }
}

LeaderPodLabeler::~LeaderPodLabeler() {
  Stop();
  if (started_ && !ioc_.stopped()) loop_done_.get_future().wait();
}

void LeaderPodLabeler::Start() {
  if (started_) return;
  started_ = true;
  boost::asio::co_spawn(strand_, Loop(), [this](std::exception_ptr) { loop_done_.set_value(); });
}

void LeaderPodLabeler::Stop() {
  if (!started_ || stopping_.exchange(true)) return;
  boost::asio::post(strand_, [this] { timer_.cancel(); });
}

LeaderLabelStatus LeaderPodLabeler::status() const {
  std::lock_guard lock(mu_);
  return status_;
}

boost::asio::awaitable<void> LeaderPodLabeler::Loop() {
  Clock::time_point last_ok{};
  bool labelled = false;
  while (!stopping_) {
    if (!kube::MayWrite(fence_)) {
      labelled = false;  // the next leader clears it; this replica writes nothing
      std::lock_guard lock(mu_);
      status_.labelled = false;
    } else if (!labelled || Clock::now() - last_ok >= options_.resync) {
      std::string error = co_await Sync();
      if (stopping_) break;
      labelled = error.empty();
      if (labelled) last_ok = Clock::now();
    }
    timer_.expires_after(kTick);
    boost::system::error_code ec;
    co_await timer_.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
  }
}

boost::asio::awaitable<std::string> LeaderPodLabeler::Sync() {
  if (!kube::MayWrite(fence_)) co_return fence_->Why();
  std::vector<std::string> labelled;
  std::string error = co_await ListLabelled(&labelled);
  for (const std::string& pod : labelled) {
    if (!error.empty()) break;
    if (pod != options_.pod_name) error = co_await PatchLabel(pod, false);
  }
  if (error.empty()) error = co_await PatchLabel(options_.pod_name, true);
  Record(error);
  co_return error;
}

boost::asio::awaitable<std::string> LeaderPodLabeler::ListLabelled(
    std::vector<std::string>* names) {
  kube::Query query(fmt::format("/api/v1/namespaces/{}/pods", options_.pod_namespace));
  query.Add("labelSelector", options_.label + "=true");
  kube::RequestOptions request_options;
  request_options.timeout = kRequestTimeout;
  auto request = client_->Request(kube::Method::kGet, query.target(), "", request_options);
  kube::ApiResponse response = co_await std::move(request);
  if (!response.ok()) co_return "listing the labelled pods: " + Failure(response);

  json::od::document doc;
  DecodeError error;
  auto on_item = [&](json::od::value& item, const json::Path* path) {
    return json::ForEachField(
        item, path, &error, [&](std::string_view key, json::od::value& v, const json::Path* p) {
          if (!json::KeyIs(key, "metadata")) return true;
          return json::ForEachField(
              v, p, &error, [&](std::string_view k, json::od::value& f, const json::Path* fp) {
                if (!json::KeyIs(k, "name")) return true;
                std::string_view name;
                if (!json::ReadString(f, fp, &name, &error)) return false;
                names->emplace_back(name);
                return true;
              });
        });
  };
  bool ok = json::Iterate(response.body, &doc, &error);
  json::od::value root;
  if (ok && doc.get_value().get(root) != simdjson::SUCCESS) {
    ok = false;
    error.message = "not JSON";
  }
  ok = ok && json::ForEachField(root, nullptr, &error,
                                [&](std::string_view key, json::od::value& v, const json::Path* p) {
                                  return !json::KeyIs(key, "items") ||
                                         json::ForEachElement(v, p, &error, on_item);
                                });
  if (!ok) co_return "listing the labelled pods: " + error.message;
  co_return "";
}

boost::asio::awaitable<std::string> LeaderPodLabeler::PatchLabel(const std::string& pod, bool set) {
  if (!IsPathSafe(pod)) co_return fmt::format("pod name {:?} is not a name", pod);
  std::string target = fmt::format("/api/v1/namespaces/{}/pods/{}", options_.pod_namespace, pod);
  std::string body = fmt::format(R"({{"metadata":{{"labels":{{"{}":{}}}}}}})", options_.label,
                                 set ? "\"true\"" : "null");
  kube::RequestOptions request_options;
  request_options.content_type = "application/merge-patch+json";
  request_options.timeout = kRequestTimeout;
  auto write = FencedWrite(client_, fence_, kube::Method::kPatch, std::move(target),
                           std::move(body), std::move(request_options));
  kube::ApiResponse response = co_await std::move(write);
  // A stale pod that is gone needs no label removed.
  if (response.ok() || (!set && response.status == 404)) co_return "";
  co_return fmt::format("{} the leader label {} pod {}: {}", set ? "setting" : "removing",
                        set ? "on" : "from", pod, Failure(response));
}

void LeaderPodLabeler::Record(const std::string& error) {
  bool changed;
  {
    std::lock_guard lock(mu_);
    changed = status_.last_error != error || status_.labelled != error.empty();
    ++status_.syncs;
    if (!error.empty()) ++status_.failures;
    status_.labelled = error.empty();
    status_.last_error = error;
  }
  if (metrics::Counter* c = error.empty() ? syncs_ok_ : syncs_failed_) c->Inc();
  if (!changed) return;
  if (error.empty()) {
    Log(spdlog::level::info, "leading: the Service routes to this pod",
        {{"pod", options_.pod_namespace + "/" + options_.pod_name}, {"label", options_.label}});
  } else {
    Log(spdlog::level::warn, "leader label sync failed (retried every second)",
        {{"pod", options_.pod_namespace + "/" + options_.pod_name}, {"error", error}});
  }
}

}  // namespace quotient::extender::state
