#include "extender/kube/api_client.h"

#include <fmt/format.h>
#include <openssl/evp.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/verb.hpp>
#include <filesystem>
#include <mutex>
#include <vector>

#include "extender/kube/client_config.h"
#include "extender/kube/client_tls.h"
#include "extender/kube/connection.h"
#include "extender/kube/connection_slots.h"
#include "extender/kube/exchange.h"
#include "extender/kube/operation.h"
#include "extender/kube/rate_limiter.h"
#include "extender/telemetry/logging.h"

namespace quotient::extender::kube {

namespace asio = boost::asio;
namespace http = boost::beast::http;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using CancelReason = Operation::CancelReason;

namespace {

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
constexpr auto kIdleConnectionTtl = std::chrono::seconds(90);  // as Go's IdleConnTimeout

http::verb Verb(Method method) {
  switch (method) {
    case Method::kGet: return http::verb::get;
    case Method::kPost: return http::verb::post;
    case Method::kPut: return http::verb::put;
    case Method::kPatch: return http::verb::patch;
    case Method::kDelete: return http::verb::delete_;
  }
  return http::verb::get;
}

// RFC 9110 idempotent methods: safe to send again when the answer never started.
bool Idempotent(Method method) {
  return method == Method::kGet || method == Method::kPut || method == Method::kDelete;
}

std::string Base64(std::string_view text) {
  std::string out(4 * ((text.size() + 2) / 3), '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::string TrimmedFile(const std::string& path, bool* ok) {
  std::string token;
  std::string error;
  *ok = ReadCredentialFile(path, &token, &error);
  if (!*ok) return std::string();
  const size_t start = token.find_first_not_of(" \t\r\n");
  const size_t end = token.find_last_not_of(" \t\r\n");
  return start == std::string::npos ? std::string() : token.substr(start, end - start + 1);
}

std::string CancelMessage(CancelReason reason, std::chrono::milliseconds timeout) {
  if (reason == CancelReason::kTimeout) return fmt::format("timed out after {}ms", timeout.count());
  return "stopped";
}

}  // namespace

struct ApiClient::Impl : std::enable_shared_from_this<ApiClient::Impl> {
  Impl(asio::io_context& io, ClientConfig c, std::shared_ptr<ClientObserver> obs)
      : ioc(io),
        config(std::move(c)),
        observer(std::move(obs)),
        limiter(config.qps, config.burst),
        slots(static_cast<size_t>(std::max(config.max_connections, 1))),
        token(config.token) {
    if (config.https) {
      tls = MakeClientTlsContext(config, &tls_error);
      if (!tls && tls_error.empty()) tls_error = "tls: cannot create the client context";
    }
  }

  asio::io_context& ioc;
  const ClientConfig config;
  const std::shared_ptr<ClientObserver> observer;  // may be null
  std::unique_ptr<asio::ssl::context> tls;         // constant after construction; null for http
  std::string tls_error;                           // constant; why `tls` is null for https
  TokenBucket limiter;                             // thread-safe
  ConnectionSlots slots;                           // thread-safe: the bound on request connections
  std::stop_source stop;                           // thread-safe
  std::atomic<int64_t> open_requests{0};     // request connections alive (Connection::CountIn)
  std::atomic<int64_t> open_watches{0};      // watch connections alive
  std::atomic<uint64_t> opened_requests{0};  // request connections ever opened
  std::atomic<uint64_t> opened_watches{0};   // watch connections ever opened

  std::mutex mu;
  std::vector<std::unique_ptr<Connection>> idle;  // guarded by mu; oldest first
  std::string token;                              // guarded by mu
  fs::file_time_type token_mtime{};               // guarded by mu

  // The Authorization header value, or "" for none.
  std::string Authorization();
  std::unique_ptr<Connection> TakeIdle();
  void PutIdle(std::unique_ptr<Connection> conn);
  HttpRequest MakeRequest(http::verb verb, const std::string& target, std::string body,
                          const std::string& content_type);

  asio::awaitable<ApiResponse> DoRequest(Method method, std::string target, std::string body,
                                         RequestOptions options);
  asio::awaitable<void> RunRequest(Operation& op, Method method, const std::string& target,
                                   std::string body, const RequestOptions& options,
                                   ApiResponse* response);
  // Waits for the rate limiter and a connection slot, then checks the write fence. True:
  // the caller holds a slot (acquired at *started) and must release it. False: no slot
  // held, *response says why.
  asio::awaitable<bool> AdmitRequest(Operation& op, const RequestOptions& options,
                                     ApiResponse* response, Clock::time_point* started);
  // Sends `request` on an idle pooled connection or a new one, once more on a new one
  // when a pooled connection turns out closed (a write only if it was never sent). A
  // fenced write is checked once more right before it is sent (connecting takes time).
  asio::awaitable<void> Exchange(Operation& op, Method method, const HttpRequest& request,
                                 const RequestOptions& options, ApiResponse* response);
  asio::awaitable<WatchResult> DoWatch(std::string target,
                                       std::function<bool(RequestBody&)> on_event,
                                       WatchOptions options);
  asio::awaitable<void> RunWatch(Operation& op, const std::string& target,
                                 const std::function<bool(RequestBody&)>& on_event,
                                 const WatchOptions& options, WatchResult* result);
};

std::string ApiClient::Impl::Authorization() {
  if (!config.token_file.empty()) {
    std::error_code ec;
    const fs::file_time_type mtime = fs::last_write_time(config.token_file, ec);
    std::lock_guard lock(mu);
    if (!ec && mtime != token_mtime) {  // projected tokens rotate: re-read on change
      bool ok = false;
      std::string fresh = TrimmedFile(config.token_file, &ok);
      if (ok && !fresh.empty()) {
        token = std::move(fresh);
        token_mtime = mtime;
      }
    }
    if (!token.empty()) return "Bearer " + token;
  }
  if (!config.token.empty()) return "Bearer " + config.token;
  if (!config.username.empty()) return "Basic " + Base64(config.username + ":" + config.password);
  return {};
}

std::unique_ptr<Connection> ApiClient::Impl::TakeIdle() {
  std::lock_guard lock(mu);
  const auto now = Clock::now();
  while (!idle.empty()) {
    std::unique_ptr<Connection> conn = std::move(idle.back());
    idle.pop_back();
    if (now - conn->idle_since < kIdleConnectionTtl) return conn;
  }
  return nullptr;
}

void ApiClient::Impl::PutIdle(std::unique_ptr<Connection> conn) {
  conn->idle_since = Clock::now();
  std::lock_guard lock(mu);
  if (stop.stop_requested()) return;
  // Never more than the bound: the caller holds a slot (ConnectionSlots).
  if (idle.size() >= slots.limit()) idle.erase(idle.begin());
  idle.push_back(std::move(conn));
}

HttpRequest ApiClient::Impl::MakeRequest(http::verb verb, const std::string& target,
                                         std::string body, const std::string& content_type) {
  HttpRequest req{verb, config.base_path + target, 11};
  req.set(http::field::host, HostPort(config));
  req.set(http::field::user_agent, config.user_agent);
  req.set(http::field::accept, "application/json");
  if (std::string auth = Authorization(); !auth.empty()) req.set(http::field::authorization, auth);
  if (!body.empty()) req.set(http::field::content_type, content_type);
  req.keep_alive(true);
  req.body() = std::move(body);
  req.prepare_payload();
  return req;
}

asio::awaitable<ApiResponse> ApiClient::Impl::DoRequest(Method method, std::string target,
                                                        std::string body, RequestOptions options) {
  auto self = shared_from_this();
  auto op = std::make_shared<Operation>(co_await asio::this_coro::executor);
  op->BindStop(stop.get_token(), options.stop);
  ApiResponse response;
  try {
    co_await RunRequest(*op, method, target, std::move(body), options, &response);
  } catch (const std::exception& e) {  // e.g. bad_alloc: no exception reaches the caller
    response = ApiResponse{};
    response.error = fmt::format("request failed: {}", e.what());
  }
  op->Finish();
  co_return response;
}

asio::awaitable<void> ApiClient::Impl::RunRequest(Operation& op, Method method,
                                                  const std::string& target, std::string body,
                                                  const RequestOptions& options,
                                                  ApiResponse* response) {
  Clock::time_point started;
  if (!co_await AdmitRequest(op, options, response, &started)) co_return;
  // Gives the slot back after the connection went back to the pool (or was closed), and
  // tells the observer how the request ended.
  struct SlotGuard {
    Impl* impl;
    Method method;
    Clock::time_point started;
    ApiResponse* response;
    ~SlotGuard() {
      impl->slots.Release();
      if (impl->observer)
        impl->observer->OnRequest(method, response->status, Clock::now() - started);
    }
  } guard{this, method, started, response};
  const HttpRequest request =
      MakeRequest(Verb(method), target, std::move(body), options.content_type);
  co_await Exchange(op, method, request, options, response);
}

asio::awaitable<bool> ApiClient::Impl::AdmitRequest(Operation& op, const RequestOptions& options,
                                                    ApiResponse* response,
                                                    Clock::time_point* started) {
  if (config.https && !tls) {
    response->error = tls_error;
    co_return false;
  }
  if (stop.stop_requested() || options.stop.stop_requested()) {
    response->error = "stopped";
    co_return false;
  }
  if (const Clock::duration delay = limiter.Reserve(Clock::now());
      delay > Clock::duration::zero()) {
    op.wait_timer().expires_after(delay);
    co_await op.wait_timer().async_wait(kUseTuple);
  }
  op.SetDeadline(Clock::now() + options.timeout);
  const Clock::time_point queued = Clock::now();
  const bool acquired = co_await slots.Acquire(op);
  *started = Clock::now();
  if (observer) observer->OnSlotWait(*started - queued, acquired);
  if (!acquired) {
    response->error = op.cancelled() == CancelReason::kTimeout
                          ? fmt::format("timed out after {}ms waiting for a connection ({} in use)",
                                        options.timeout.count(), slots.limit())
                          : CancelMessage(op.cancelled(), options.timeout);
    co_return false;
  }
  if (!MayWrite(options.fence)) {  // the lease was lost while this write waited
    slots.Release();
    response->error = options.fence->Why();
    co_return false;
  }
  co_return true;
}

asio::awaitable<void> ApiClient::Impl::Exchange(Operation& op, Method method,
                                                const HttpRequest& request,
                                                const RequestOptions& options,
                                                ApiResponse* response) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (op.cancelled() != CancelReason::kNone) break;
    std::unique_ptr<Connection> conn = attempt == 0 ? TakeIdle() : nullptr;
    const bool reused = conn != nullptr;
    if (reused) {
      op.Attach(&conn->socket());
    } else {
      std::string error;
      std::unique_ptr<Connection> fresh = co_await Connect(config, tls.get(), op, &error);
      if (!fresh) {
        response->error = op.cancelled() != CancelReason::kNone
                              ? CancelMessage(op.cancelled(), options.timeout)
                              : error;
        co_return;
      }
      fresh->CountIn(&open_requests, &opened_requests);
      conn = std::move(fresh);
    }
    if (!MayWrite(options.fence)) {  // the lease was lost while this write connected
      op.Attach(nullptr);
      PutIdle(std::move(conn));  // unused, still good
      response->error = options.fence->Why();
      co_return;
    }
    ExchangeOutcome outcome;
    if (TlsStream* stream = conn->tls()) {
      co_await ExchangeRequest(*stream, request, response, &outcome);
    } else {
      co_await ExchangeRequest(conn->socket(), request, response, &outcome);
    }
    op.Attach(nullptr);
    if (outcome.error.empty() && op.cancelled() == CancelReason::kNone) {
      if (outcome.keep_alive) PutIdle(std::move(conn));
      co_return;
    }
    const bool retry = reused && op.cancelled() == CancelReason::kNone &&
                       (!outcome.sent || (!outcome.answered && Idempotent(method)));
    if (!retry) {
      *response = ApiResponse{};
      response->error = op.cancelled() != CancelReason::kNone
                            ? CancelMessage(op.cancelled(), options.timeout)
                            : outcome.error;
      co_return;
    }
    if (LogEnabled(spdlog::level::debug)) {
      Log(spdlog::level::debug, "kube: pooled connection was closed, reconnecting",
          {{"error", outcome.error}});
    }
  }
  *response = ApiResponse{};
  response->error = CancelMessage(op.cancelled(), options.timeout);
}

asio::awaitable<WatchResult> ApiClient::Impl::DoWatch(std::string target,
                                                      std::function<bool(RequestBody&)> on_event,
                                                      WatchOptions options) {
  auto self = shared_from_this();
  auto op = std::make_shared<Operation>(co_await asio::this_coro::executor);
  op->BindStop(stop.get_token(), options.stop);
  WatchResult result;
  try {
    co_await RunWatch(*op, target, on_event, options, &result);
  } catch (const std::exception& e) {  // e.g. thrown by on_event
    result.end = WatchEnd::kTransport;
    result.error = fmt::format("watch failed: {}", e.what());
  }
  if (op->cancelled() == CancelReason::kStopped) {
    result.end = WatchEnd::kStopped;
    result.error.clear();
  } else if (op->cancelled() == CancelReason::kTimeout) {
    result.end = WatchEnd::kTransport;
    result.error = "watch timed out (connect timeout or idle timeout)";
  }
  op->Finish();
  co_return result;
}

asio::awaitable<void> ApiClient::Impl::RunWatch(Operation& op, const std::string& target,
                                                const std::function<bool(RequestBody&)>& on_event,
                                                const WatchOptions& options, WatchResult* result) {
  result->end = WatchEnd::kTransport;
  if (config.https && !tls) {
    result->error = tls_error;
    co_return;
  }
  if (stop.stop_requested() || options.stop.stop_requested()) {
    result->end = WatchEnd::kStopped;
    co_return;
  }
  op.SetDeadline(Clock::now() + options.connect_timeout);
  std::unique_ptr<Connection> conn = co_await Connect(config, tls.get(), op, &result->error);
  if (!conn) co_return;
  conn->CountIn(&open_watches, &opened_watches);
  const HttpRequest request = MakeRequest(http::verb::get, target, {}, {});
  if (TlsStream* stream = conn->tls()) {
    co_await ExchangeWatch(*stream, request, op, options, on_event, result);
  } else {
    co_await ExchangeWatch(conn->socket(), request, op, options, on_event, result);
  }
  op.Attach(nullptr);
}

ApiClient::ApiClient(asio::io_context& ioc, ClientConfig config)
    : impl_(std::make_shared<Impl>(ioc, std::move(config), nullptr)) {}

ApiClient::ApiClient(asio::io_context& ioc, ClientConfig config,
                     std::shared_ptr<ClientObserver> observer)
    : impl_(std::make_shared<Impl>(ioc, std::move(config), std::move(observer))) {}

ApiClient::~ApiClient() {
  Stop();
}

const ClientConfig& ApiClient::config() const {
  return impl_->config;
}

asio::awaitable<ApiResponse> ApiClient::Request(Method method, std::string target) {
  std::string body;
  RequestOptions options;
  co_return co_await Request(method, std::move(target), std::move(body), std::move(options));
}

asio::awaitable<ApiResponse> ApiClient::Request(Method method, std::string target,
                                                std::string body) {
  RequestOptions options;
  co_return co_await Request(method, std::move(target), std::move(body), std::move(options));
}

asio::awaitable<ApiResponse> ApiClient::Request(Method method, std::string target, std::string body,
                                                RequestOptions options) {
  // Each call runs on a strand of its own, so that cancellation (posted to that strand)
  // never races the call's socket operations. Named locals: GCC bug 99576.
  std::shared_ptr<Impl> impl = impl_;
  auto strand = asio::make_strand(impl->ioc);
  auto task = impl->DoRequest(method, std::move(target), std::move(body), std::move(options));
  auto spawned = asio::co_spawn(strand, std::move(task), asio::use_awaitable);
  ApiResponse response = co_await std::move(spawned);
  co_return response;
}

asio::awaitable<WatchResult> ApiClient::Watch(std::string target,
                                              std::function<bool(RequestBody&)> on_event) {
  WatchOptions options;
  co_return co_await Watch(std::move(target), std::move(on_event), std::move(options));
}

asio::awaitable<WatchResult> ApiClient::Watch(std::string target,
                                              std::function<bool(RequestBody&)> on_event,
                                              WatchOptions options) {
  std::shared_ptr<Impl> impl = impl_;
  auto strand = asio::make_strand(impl->ioc);
  auto task = impl->DoWatch(std::move(target), std::move(on_event), std::move(options));
  auto spawned = asio::co_spawn(strand, std::move(task), asio::use_awaitable);
  WatchResult result = co_await std::move(spawned);
  co_return result;
}

ClientPoolStats ApiClient::pool_stats() const {
  ClientPoolStats s;
  s.open = impl_->open_requests.load(std::memory_order_relaxed);
  s.in_use = static_cast<int64_t>(impl_->slots.in_use());
  s.waiting = static_cast<int64_t>(impl_->slots.waiting());
  s.watches = impl_->open_watches.load(std::memory_order_relaxed);
  s.limit = static_cast<int64_t>(impl_->slots.limit());
  s.opened_requests = impl_->opened_requests.load(std::memory_order_relaxed);
  s.opened_watches = impl_->opened_watches.load(std::memory_order_relaxed);
  return s;
}

void ApiClient::Stop() {
  impl_->stop.request_stop();
  std::vector<std::unique_ptr<Connection>> idle;
  {
    std::lock_guard lock(impl_->mu);
    idle.swap(impl_->idle);
  }
}

}  // namespace quotient::extender::kube
