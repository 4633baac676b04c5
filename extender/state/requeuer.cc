#include "extender/state/requeuer.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <fmt/chrono.h>
#include <fmt/format.h>

#include <chrono>
#include <vector>

#include "extender/logging.h"

namespace quotient::extender::state {

Requeuer::Requeuer(boost::asio::io_context& ioc, kube::ApiClient* client,
                   metrics::Registry* registry,
                   std::function<bool(const std::string& uid)> still_pending)
    : ioc_(ioc),
      client_(client),
      still_pending_(std::move(still_pending)),
      nudges_(registry->AddCounter(
          "quotient_requeue_nudges_total",
          "Pods refused for quota that Quotient asked kube-scheduler to retry after a quota "
          "reload, by result of the annotation patch.",
          {"result"})) {
  for (const char* result : {"patched", "gone", "failed"}) nudges_->CounterWith({result});
}

std::string Requeuer::PatchBody(std::string_view timestamp) {
  return fmt::format(R"({{"metadata":{{"annotations":{{"{}":"{}"}}}}}})", kRequeueAnnotation,
                     timestamp);
}

void Requeuer::NoteRefused(const std::string& uid, const std::string& ns,
                           const std::string& name) {
  std::lock_guard lock(mu_);
  if (!uids_.insert(uid).second) return;
  pods_.push_back({uid, ns, name});
  if (pods_.size() > kMaxTracked) {
    uids_.erase(pods_.front().uid);
    pods_.pop_front();
  }
}

size_t Requeuer::tracked() const {
  std::lock_guard lock(mu_);
  return pods_.size();
}

size_t Requeuer::NudgeAll(std::string_view why) {
  std::deque<Pod> pods;
  {
    std::lock_guard lock(mu_);
    pods.swap(pods_);
    uids_.clear();
  }
  std::vector<Pod> waiting;
  for (Pod& pod : pods) {
    if (still_pending_(pod.uid)) waiting.push_back(std::move(pod));
  }
  if (waiting.empty()) return 0;
  Log(spdlog::level::info, "asking the scheduler to retry pods refused for quota",
      {{"pods", fmt::format_int(waiting.size()).c_str()}, {"why", why}});
  const std::string stamp =
      fmt::format("{:%FT%TZ}", std::chrono::floor<std::chrono::seconds>(
                                   std::chrono::system_clock::now()));
  for (Pod& pod : waiting) {
    boost::asio::co_spawn(
        ioc_,
        [this, pod = std::move(pod), stamp]() -> boost::asio::awaitable<void> {
          std::string target =
              fmt::format("/api/v1/namespaces/{}/pods/{}", pod.ns, pod.name);
          std::string body = PatchBody(stamp);
          kube::RequestOptions options;
          options.content_type = "application/merge-patch+json";
          auto request = client_->Request(kube::Method::kPatch, std::move(target),
                                          std::move(body), std::move(options));
          kube::ApiResponse response = co_await std::move(request);
          // 404: the pod went away meanwhile, which is as good as a retry.
          const char* result = response.ok()              ? "patched"
                               : response.status == 404   ? "gone"
                                                          : "failed";
          nudges_->CounterWith({result})->Inc();
          if (!response.ok() && response.status != 404) {
            Log(spdlog::level::warn, "requeue patch failed",
                {{"pod", pod.ns + "/" + pod.name},
                 {"status", fmt::format_int(response.status).c_str()},
                 {"error", response.error}});
          }
        },
        boost::asio::detached);
  }
  return waiting.size();
}

}  // namespace quotient::extender::state
