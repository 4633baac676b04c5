#include "extender/http/http_server.h"

#include <fmt/format.h>

#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cstring>
#include <limits>
#include <mutex>
#include <optional>
#include <random>
#include <unordered_set>

#include "extender/http/tls_context.h"
#include "extender/telemetry/logging.h"
#include "extender/wire/wire_codec.h"

namespace quotient::extender {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
// Large reads keep a multi-megabyte body to a few hundred syscalls; Beast's default
// read size grows from 512 bytes (see docs/benchmarks.md, "reading large bodies").
constexpr size_t kReadChunkBytes = 64u << 10;
constexpr size_t kMaxRequestIdBytes = 64;
constexpr auto kTlsShutdownTimeout = std::chrono::seconds(1);
constexpr auto kShutdownPollInterval = std::chrono::milliseconds(10);
// After a refusal that left request bytes unread, what the server still reads and drops
// before closing (see DiscardUnreadBytes): enough for a client to notice the refusal and
// stop sending, little enough that a client who never stops costs one second of a slot.
constexpr auto kDiscardTimeout = std::chrono::seconds(1);
constexpr size_t kDiscardMaxBytes = 4u << 20;
constexpr size_t kDiscardReadBytes = 16u << 10;

// Per-connection state shared by the session and the server's registry (for shutdown).
// All fields are confined to the connection's strand.
struct Connection {
  beast::tcp_stream* lowest = nullptr;  // set while the session runs
  bool idle = true;                     // between requests
  bool closing = false;                 // server is draining: answer, then close
  // Accept + limits.headerTimeout: one deadline for the TLS handshake, the wait for the
  // first request and that request's header (set by RunSession, then constant).
  Clock::time_point first_header_deadline;
  bool unread_request_bytes = false;  // a refusal left request bytes unread: close after
                                      // it, draining them first (DiscardUnreadBytes)
};

// A request refused before routing: status, reason and the message for the client.
struct Refusal {
  unsigned status = 400;
  RejectReason reason = RejectReason::kBadHttp;
  std::string message;
};

// What a read step came to: go on, close quietly (the peer left, or a read timed out and
// was counted), or refuse: write `refusal`, then close.
struct ReadOutcome {
  enum class Kind { kOk, kClose, kRefuse };
  Kind kind = Kind::kOk;
  Refusal refusal;

  static ReadOutcome Ok() { return {}; }
  static ReadOutcome Close() { return {Kind::kClose, {}}; }
  static ReadOutcome Refuse(unsigned status, RejectReason reason, std::string message) {
    return {Kind::kRefuse, Refusal{status, reason, std::move(message)}};
  }
};

using RequestParser = http::request_parser<http::string_body>;

struct Listener {
  ListenerOptions options;
  std::unique_ptr<ssl::context> tls;
  std::unique_ptr<tcp::acceptor> acceptor;
};

std::string MakeRequestIdPrefix() {
  std::random_device rd;
  return fmt::format("{:08x}", rd());
}

bool IsSafeRequestIdChar(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' ||
         c == '_' || c == '.';
}

}  // namespace

struct HttpServer::Impl : std::enable_shared_from_this<HttpServer::Impl> {
  Impl(asio::io_context& io, HttpServerOptions opts, Router* r, ServerMetrics* m)
      : ioc(io), options(std::move(opts)), router(r), metrics(m) {}

  asio::io_context& ioc;
  const HttpServerOptions options;
  Router* const router;
  ServerMetrics* const metrics;
  const std::string request_id_prefix = MakeRequestIdPrefix();
  std::atomic<uint64_t> request_counter{0};

  std::vector<std::unique_ptr<Listener>> listeners;  // constant after Start()

  std::mutex mu;
  std::unordered_set<std::shared_ptr<Connection>> connections;       // guarded by mu
  bool draining = false;                                             // guarded by mu
  std::unordered_map<Connection*, asio::any_io_executor> executors;  // guarded by mu

  std::string NextRequestId(std::string_view supplied) {
    if (!supplied.empty() && supplied.size() <= kMaxRequestIdBytes &&
        std::all_of(supplied.begin(), supplied.end(), IsSafeRequestIdChar)) {
      return std::string(supplied);
    }
    return fmt::format("{}-{:x}", request_id_prefix,
                       request_counter.fetch_add(1, std::memory_order_relaxed));
  }

  asio::awaitable<void> AcceptLoop(Listener* listener);
  asio::awaitable<void> Drain(std::chrono::milliseconds grace, std::function<void()> done);
  asio::awaitable<void> RunSession(tcp::socket socket, Listener* listener);
  // The session loop, one step per function, as Beast's examples read: wait for a request,
  // read its header, let the router refuse it from the header alone (a body it would not
  // use is never read), answer 100-continue, read its body, hand it to the router, write
  // the answer; a step that fails either closes quietly or writes a refusal, then closes.
  template <class Stream>
  asio::awaitable<void> ServeRequests(Stream& stream, Connection& conn, Listener* listener);
  template <class Stream>
  asio::awaitable<bool> AwaitRequest(Stream& stream, beast::flat_buffer& buffer,
                                     Clock::time_point deadline);
  template <class Stream>
  asio::awaitable<ReadOutcome> ReadHeader(Stream& stream, beast::flat_buffer& buffer,
                                          RequestParser& parser, Clock::time_point deadline);
  // A 413 for an announced Content-Length above the body limit; nullopt otherwise.
  std::optional<Refusal> RefuseOversizedBody(const RequestParser& parser) const;
  template <class Stream>
  asio::awaitable<bool> AnswerExpectContinue(Stream& stream, const RequestParser& parser);
  template <class Stream>
  asio::awaitable<ReadOutcome> ReadBody(Stream& stream, beast::flat_buffer& buffer,
                                        RequestParser& parser, Route route, RequestBody* body);
  template <class Stream>
  asio::awaitable<bool> Respond(Stream& stream, Connection& conn, const RequestParser& parser,
                                std::optional<HttpResponse> answer, RequestBody body,
                                const std::string& request_id, Listener* listener,
                                Clock::time_point started);
  // A read deadline passed: beast::tcp_stream has already closed the socket, so no 408
  // can be written; count it and let the session end.
  void ReadTimedOut(Route route, std::string_view what) {
    metrics->CountRejected(RejectReason::kReadTimeout);
    Log(spdlog::level::info, "connection closed: read timeout",
        {{"route", RouteName(route)}, {"error", what}});
  }

  // Reads and drops what the client still sends after a refusal left request bytes
  // unread, until it closes, kDiscardTimeout passes or kDiscardMaxBytes are read: a socket
  // closed with unread bytes (or receiving more) makes the kernel reset the connection,
  // and a client still sending its body then fails its write or loses the refusal.
  asio::awaitable<void> DiscardUnreadBytes(beast::tcp_stream& lowest);

  template <class Stream>
  asio::awaitable<void> WriteRefusal(Stream& stream, const Refusal& refusal, Route route,
                                     unsigned version);

  void Register(const std::shared_ptr<Connection>& conn, asio::any_io_executor exec) {
    std::lock_guard lock(mu);
    connections.insert(conn);
    executors.emplace(conn.get(), std::move(exec));
    if (draining) conn->closing = true;  // benign: not yet running on its strand
  }
  void Unregister(const std::shared_ptr<Connection>& conn) {
    std::lock_guard lock(mu);
    executors.erase(conn.get());
    connections.erase(conn);
  }
  // Posts `fn(conn)` to every connection's strand.
  template <class Fn>
  void ForEachConnection(Fn fn) {
    std::lock_guard lock(mu);
    for (const auto& conn : connections) {
      asio::post(executors.at(conn.get()), [conn, fn] { fn(*conn); });
    }
  }
  size_t ConnectionCount() {
    std::lock_guard lock(mu);
    return connections.size();
  }
};

HttpServer::HttpServer(asio::io_context& ioc, HttpServerOptions options, Router* router,
                       ServerMetrics* metrics)
    : impl_(std::make_shared<Impl>(ioc, std::move(options), router, metrics)) {}

HttpServer::~HttpServer() = default;

bool HttpServer::Start(std::string* error) {
  for (const ListenerOptions& lo : impl_->options.listeners) {
    auto listener = std::make_unique<Listener>();
    listener->options = lo;
    std::string where = fmt::format("listener {}:{}", lo.host, lo.port);
    if (lo.tls) {
      listener->tls = MakeServerTlsContext(*lo.tls, error);
      if (!listener->tls) {
        *error = fmt::format("{}: {}", where, *error);
        return false;
      }
    }
    boost::system::error_code ec;
    auto address = asio::ip::make_address(lo.host, ec);
    if (ec) {
      *error = fmt::format("{}: invalid address \"{}\": {}", where, lo.host, ec.message());
      return false;
    }
    auto acceptor = std::make_unique<tcp::acceptor>(impl_->ioc);
    tcp::endpoint endpoint(address, lo.port);
    if (acceptor->open(endpoint.protocol(), ec); !ec) {
      acceptor->set_option(asio::socket_base::reuse_address(true), ec);
      acceptor->bind(endpoint, ec);
    }
    if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      *error = fmt::format("{}: cannot listen: {}", where, ec.message());
      return false;
    }
    listener->acceptor = std::move(acceptor);
    impl_->listeners.push_back(std::move(listener));
  }
  for (auto& listener : impl_->listeners) {
    asio::co_spawn(impl_->ioc, impl_->AcceptLoop(listener.get()), asio::detached);
  }
  return true;
}

std::vector<uint16_t> HttpServer::BoundPorts() const {
  std::vector<uint16_t> ports;
  for (const auto& listener : impl_->listeners) {
    boost::system::error_code ec;
    ports.push_back(listener->acceptor->local_endpoint(ec).port());
  }
  return ports;
}

void HttpServer::Shutdown(std::chrono::milliseconds grace, std::function<void()> done) {
  asio::co_spawn(impl_->ioc, impl_->Drain(grace, std::move(done)), asio::detached);
}

asio::awaitable<void> HttpServer::Impl::Drain(std::chrono::milliseconds grace,
                                              std::function<void()> done) {
  auto self = shared_from_this();
  {
    std::lock_guard lock(mu);
    draining = true;
  }
  for (auto& listener : listeners) {
    boost::system::error_code ec;
    listener->acceptor->close(ec);
  }
  // Idle connections close now; busy ones finish their request first.
  ForEachConnection([](Connection& conn) {
    conn.closing = true;
    if (conn.idle && conn.lowest != nullptr) conn.lowest->cancel();
  });
  const auto deadline = Clock::now() + grace;
  asio::steady_timer timer(ioc);
  while (ConnectionCount() > 0 && Clock::now() < deadline) {
    timer.expires_after(kShutdownPollInterval);
    co_await timer.async_wait(kUseTuple);
  }
  ForEachConnection([](Connection& conn) {
    if (conn.lowest != nullptr) conn.lowest->close();
  });
  done();
}

asio::awaitable<void> HttpServer::Impl::AcceptLoop(Listener* listener) {
  auto self = shared_from_this();
  for (;;) {
    auto [ec, socket] =
        co_await listener->acceptor->async_accept(asio::make_strand(ioc), kUseTuple);
    if (ec) {
      if (ec == asio::error::operation_aborted || !listener->acceptor->is_open()) co_return;
      Log(spdlog::level::warn, "accept failed", {{"error", ec.message()}});
      asio::steady_timer backoff(ioc, std::chrono::milliseconds(50));  // e.g. EMFILE
      co_await backoff.async_wait(kUseTuple);
      continue;
    }
    boost::system::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    auto executor = socket.get_executor();
    asio::co_spawn(executor, RunSession(std::move(socket), listener), asio::detached);
  }
}

asio::awaitable<void> HttpServer::Impl::RunSession(tcp::socket socket, Listener* listener) {
  auto self = shared_from_this();
  auto conn = std::make_shared<Connection>();
  conn->first_header_deadline = Clock::now() + options.header_timeout;
  Register(conn, socket.get_executor());
  metrics->AddConnections(1);
  beast::tcp_stream plain(std::move(socket));
  if (listener->tls) {
    beast::ssl_stream<beast::tcp_stream> tls(std::move(plain), *listener->tls);
    conn->lowest = &beast::get_lowest_layer(tls);
    conn->lowest->expires_at(conn->first_header_deadline);
    auto [ec] = co_await tls.async_handshake(ssl::stream_base::server, kUseTuple);
    if (ec) {
      metrics->CountRejected(RejectReason::kTlsHandshake);
      Log(spdlog::level::info, "tls handshake refused", {{"error", ec.message()}});
    } else {
      co_await ServeRequests(tls, *conn, listener);
      conn->lowest->expires_after(kTlsShutdownTimeout);
      co_await tls.async_shutdown(kUseTuple);
      if (conn->unread_request_bytes) co_await DiscardUnreadBytes(*conn->lowest);
    }
  } else {
    conn->lowest = &plain;
    co_await ServeRequests(plain, *conn, listener);
    if (conn->unread_request_bytes) {
      co_await DiscardUnreadBytes(plain);
    } else {
      boost::system::error_code ignored;
      plain.socket().shutdown(tcp::socket::shutdown_send, ignored);
    }
  }
  conn->lowest = nullptr;
  metrics->AddConnections(-1);
  Unregister(conn);
}

asio::awaitable<void> HttpServer::Impl::DiscardUnreadBytes(beast::tcp_stream& lowest) {
  boost::system::error_code ignored;
  lowest.socket().shutdown(tcp::socket::shutdown_send, ignored);  // the answer ends here
  lowest.expires_after(kDiscardTimeout);
  std::vector<char> scratch(kDiscardReadBytes);
  for (size_t discarded = 0; discarded < kDiscardMaxBytes;) {
    auto [ec, n] = co_await lowest.async_read_some(asio::buffer(scratch), kUseTuple);
    if (ec) break;  // the client closed, the time is up, or the server is shutting down
    discarded += n;
  }
}

template <class Stream>
asio::awaitable<void> HttpServer::Impl::WriteRefusal(Stream& stream, const Refusal& refusal,
                                                     Route route, unsigned version) {
  const unsigned status = refusal.status;
  const RejectReason reason = refusal.reason;
  const std::string& message = refusal.message;
  metrics->CountRejected(reason);
  metrics->CountRequest(route, status);
  Log(spdlog::level::warn, "request refused",
      {{"status", fmt::format_int(status).c_str()},
       {"reason", RejectReasonName(reason)},
       {"error", message}});
  http::response<http::string_body> res{static_cast<http::status>(status), version};
  res.set(http::field::server, "quotient");
  res.set(http::field::content_type, "application/json");
  res.keep_alive(false);
  EncodeErrorBody(message, RejectReasonName(reason), &res.body());
  res.prepare_payload();
  beast::get_lowest_layer(stream).expires_after(options.write_timeout);
  co_await http::async_write(stream, res, kUseTuple);
}

template <class Stream>
asio::awaitable<void> HttpServer::Impl::ServeRequests(Stream& stream, Connection& conn,
                                                      Listener* listener) {
  // Bounded by one header plus one read: Beast's header limit covers the request header
  // and its body limit the chunk data, but neither a chunk-size line (with its extensions)
  // nor a trailer; without a bound, one that never ends would grow the buffer until the
  // body timeout. A full buffer fails the read with buffer_overflow (ReadHeader, ReadBody).
  beast::flat_buffer buffer(options.max_header_bytes + kReadChunkBytes);
  buffer.reserve(kReadChunkBytes);
  for (bool first_request = true;; first_request = false) {
    conn.idle = true;
    if (conn.closing) co_return;
    // A new connection has one header timeout from accept for its first request; a
    // keep-alive one may idle for the idle timeout, then has a header timeout from the
    // request's first bytes.
    const bool arrived = co_await AwaitRequest(
        stream, buffer,
        first_request ? conn.first_header_deadline : Clock::now() + options.idle_timeout);
    if (!arrived) co_return;  // closed, idle timeout or shutdown: nothing to answer
    conn.idle = false;

    RequestParser parser;
    const ReadOutcome header = co_await ReadHeader(
        stream, buffer, parser,
        first_request ? conn.first_header_deadline : Clock::now() + options.header_timeout);
    if (header.kind == ReadOutcome::Kind::kRefuse) {
      conn.unread_request_bytes = true;
      co_await WriteRefusal(stream, header.refusal, Route::kOther, 11);
    }
    if (header.kind != ReadOutcome::Kind::kOk) co_return;
    const Clock::time_point started = Clock::now();
    const auto& req = parser.get();
    const Route route = router->Classify(req.target());
    const std::string request_id = NextRequestId(req["X-Request-Id"]);
    const bool has_body = !parser.is_done();
    // A 404, 405 or 413 the router gives from the header alone: its body is never read.
    std::optional<HttpResponse> answer =
        router->RefuseBeforeBody(route, {req.method_string(), req.target(), has_body, request_id},
                                 listener->options.webhooks);
    RequestBody body;
    if (answer) {
      conn.unread_request_bytes = has_body;
    } else {
      // Checked before 100 Continue: a client is never invited to send a body it is refused.
      const std::optional<Refusal> too_large = RefuseOversizedBody(parser);
      if (too_large) {
        conn.unread_request_bytes = true;
        co_await WriteRefusal(stream, *too_large, route, req.version());
        co_return;
      }
      const bool continued = co_await AnswerExpectContinue(stream, parser);
      if (!continued) co_return;
      const ReadOutcome read = co_await ReadBody(stream, buffer, parser, route, &body);
      if (read.kind == ReadOutcome::Kind::kRefuse) {
        conn.unread_request_bytes = true;
        co_await WriteRefusal(stream, read.refusal, route, req.version());
      }
      if (read.kind != ReadOutcome::Kind::kOk) co_return;
    }
    const bool keep_alive = co_await Respond(stream, conn, parser, std::move(answer),
                                             std::move(body), request_id, listener, started);
    if (!keep_alive) co_return;
  }
}

// Waits until `deadline` for the first bytes of the next request, unless some are
// buffered already.
template <class Stream>
asio::awaitable<bool> HttpServer::Impl::AwaitRequest(Stream& stream, beast::flat_buffer& buffer,
                                                     Clock::time_point deadline) {
  if (buffer.size() > 0) co_return true;
  beast::get_lowest_layer(stream).expires_at(deadline);
  auto [ec, n] = co_await stream.async_read_some(buffer.prepare(kReadChunkBytes), kUseTuple);
  if (ec) co_return false;
  buffer.commit(n);
  co_return true;
}

template <class Stream>
asio::awaitable<ReadOutcome> HttpServer::Impl::ReadHeader(Stream& stream,
                                                          beast::flat_buffer& buffer,
                                                          RequestParser& parser,
                                                          Clock::time_point deadline) {
  parser.header_limit(static_cast<std::uint32_t>(options.max_header_bytes));
  // No body limit while reading the header: Beast would refuse an announced Content-Length
  // there as a parse error; ReadBody answers it with a 413 instead.
  parser.body_limit(std::numeric_limits<std::uint64_t>::max());
  beast::get_lowest_layer(stream).expires_at(deadline);
  auto [ec, n] = co_await http::async_read_header(stream, buffer, parser, kUseTuple);
  if (!ec) co_return ReadOutcome::Ok();
  if (ec == beast::error::timeout) {
    ReadTimedOut(Route::kOther, "request header not received within the header timeout");
  } else if (ec == http::error::header_limit || ec == http::error::buffer_overflow) {
    co_return ReadOutcome::Refuse(
        431, RejectReason::kHeaderTooLarge,
        fmt::format("request header exceeds {} bytes", options.max_header_bytes));
  } else if (ec.category() == beast::http::make_error_code(http::error::bad_method).category() &&
             ec != http::error::end_of_stream && ec != http::error::partial_message) {
    co_return ReadOutcome::Refuse(400, RejectReason::kBadHttp,
                                  fmt::format("malformed HTTP request: {}", ec.message()));
  }
  co_return ReadOutcome::Close();
}

std::optional<Refusal> HttpServer::Impl::RefuseOversizedBody(const RequestParser& parser) const {
  const auto length = parser.content_length();
  if (!length || *length <= options.max_body_bytes) return std::nullopt;
  return Refusal{413, RejectReason::kBodyTooLarge,
                 fmt::format("request body of {} bytes exceeds the limit of {} bytes "
                             "(limits.maxBodyBytes)",
                             *length, options.max_body_bytes)};
}

// "Expect: 100-continue": the client waits for this interim answer before the body.
template <class Stream>
asio::awaitable<bool> HttpServer::Impl::AnswerExpectContinue(Stream& stream,
                                                             const RequestParser& parser) {
  const auto& req = parser.get();
  if (!beast::iequals(req[http::field::expect], "100-continue")) co_return true;
  http::response<http::empty_body> cont{http::status::continue_, req.version()};
  beast::get_lowest_layer(stream).expires_after(options.write_timeout);
  auto [ec, n] = co_await http::async_write(stream, cont, kUseTuple);
  co_return !ec;
}

// A Content-Length body is read straight into one RequestBody (with simdjson's padding); a
// chunked body through the parser, under the body limit.
template <class Stream>
asio::awaitable<ReadOutcome> HttpServer::Impl::ReadBody(Stream& stream, beast::flat_buffer& buffer,
                                                        RequestParser& parser, Route route,
                                                        RequestBody* body) {
  beast::tcp_stream& lowest = beast::get_lowest_layer(stream);
  if (auto length = parser.content_length(); length) {
    // REQUIRES: RefuseOversizedBody(parser) was nullopt, so *length <= max_body_bytes.
    *body = RequestBody::Allocate(*length);
    size_t have = std::min<size_t>(buffer.size(), *length);
    if (have > 0) std::memcpy(body->data(), buffer.data().data(), have);
    buffer.consume(have);
    if (have < *length) {
      lowest.expires_after(options.body_timeout);
      auto [ec, n] = co_await asio::async_read(
          stream, asio::buffer(body->data() + have, *length - have), kUseTuple);
      if (ec == beast::error::timeout) {
        ReadTimedOut(route, "request body not received within the body timeout");
      }
      if (ec) co_return ReadOutcome::Close();
    }
    co_return ReadOutcome::Ok();
  }
  if (parser.is_done()) co_return ReadOutcome::Ok();  // no body
  parser.body_limit(options.max_body_bytes);          // chunked transfer encoding
  lowest.expires_after(options.body_timeout);
  auto [ec, n] = co_await http::async_read(stream, buffer, parser, kUseTuple);
  if (!ec) {
    *body = RequestBody::Copy(parser.get().body());
    co_return ReadOutcome::Ok();
  }
  if (ec == http::error::body_limit) {
    co_return ReadOutcome::Refuse(
        413, RejectReason::kBodyTooLarge,
        fmt::format("request body exceeds the limit of {} bytes", options.max_body_bytes));
  }
  if (ec == http::error::buffer_overflow) {
    co_return ReadOutcome::Refuse(
        431, RejectReason::kHeaderTooLarge,
        fmt::format("a chunk-size line or trailer of the chunked body exceeds {} bytes",
                    options.max_header_bytes + kReadChunkBytes));
  }
  if (ec == beast::error::timeout) {
    ReadTimedOut(route, "request body not received within the body timeout");
  } else if (ec != http::error::end_of_stream) {
    co_return ReadOutcome::Refuse(400, RejectReason::kBadHttp,
                                  fmt::format("malformed HTTP body: {}", ec.message()));
  }
  co_return ReadOutcome::Close();
}

// Routes the request (unless the router `answer`ed it from its header), writes the answer
// and records it. Returns whether the connection stays open for another request.
template <class Stream>
asio::awaitable<bool> HttpServer::Impl::Respond(Stream& stream, Connection& conn,
                                                const RequestParser& parser,
                                                std::optional<HttpResponse> answer,
                                                RequestBody body, const std::string& request_id,
                                                Listener* listener, Clock::time_point started) {
  const auto& req = parser.get();
  // Counted in flight until this frame ends, however it ends (a cancelled write included).
  struct InFlight {
    ServerMetrics* metrics;
    explicit InFlight(ServerMetrics* m) : metrics(m) { metrics->AddInFlight(1); }
    ~InFlight() { metrics->AddInFlight(-1); }
    InFlight(const InFlight&) = delete;
    InFlight& operator=(const InFlight&) = delete;
  } in_flight(metrics);
  const bool head = req.method() == http::verb::head;
  HttpResponse response;
  if (answer) {
    response = std::move(*answer);
  } else {
    // A named request, not a temporary in the co_await expression: GCC 12 destroys such
    // temporaries twice (GCC bug 99576).
    HttpRequest request{req.method_string(), req.target(), std::move(body), request_id};
    response = co_await router->Handle(std::move(request), listener->options.webhooks);
  }

  http::response<http::string_body> res{static_cast<http::status>(response.status), req.version()};
  res.set(http::field::server, "quotient");
  res.set(http::field::content_type, response.content_type);
  res.set("X-Request-Id", request_id);
  if (!response.allow.empty()) res.set(http::field::allow, response.allow);
  const bool keep_alive = req.keep_alive() && !conn.closing && !conn.unread_request_bytes;
  res.keep_alive(keep_alive);
  if (head) {
    res.content_length(response.body.size());
  } else {
    res.body() = std::move(response.body);
    res.prepare_payload();
  }
  beast::get_lowest_layer(stream).expires_after(options.write_timeout);
  auto [ec, n] = co_await http::async_write(stream, res, kUseTuple);
  metrics->CountRequest(response.route, response.status);
  metrics->ObserveLatency(response.route,
                          std::chrono::duration<double>(Clock::now() - started).count());
  co_return !ec && keep_alive;
}

}  // namespace quotient::extender
