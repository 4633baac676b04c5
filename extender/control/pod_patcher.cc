#include "extender/control/pod_patcher.h"

#include <fmt/format.h>

#include <string>
#include <utility>

#include "extender/control/api_outcome.h"

namespace quotient::extender::state {

boost::asio::awaitable<std::string> ApiPodPatcher::Patch(std::string ns, std::string name,
                                                         std::string body) {
  // The same grant as the Requeuer's patch (deploy/rbac.yaml: patch pods).
  std::string target = fmt::format("/api/v1/namespaces/{}/pods/{}", ns, name);
  kube::RequestOptions options;
  options.content_type = "application/merge-patch+json";
  auto write = FencedWrite(client_, fence_, kube::Method::kPatch, std::move(target),
                           std::move(body), std::move(options));
  kube::ApiResponse response = co_await std::move(write);
  if (response.ok()) co_return std::string();
  co_return response.status == 0 ? response.error
                                 : "HTTP " + std::to_string(response.status) + ": " +
                                       std::string(response.body.view().substr(0, 200));
}

}  // namespace quotient::extender::state
