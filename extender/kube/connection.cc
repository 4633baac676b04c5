#include "extender/kube/connection.h"

#include <fmt/format.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace quotient::extender::kube {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

namespace {
constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
}  // namespace

Connection::Connection(const asio::any_io_executor& executor, ssl::context* tls) {
  if (tls != nullptr) {
    tls_ = std::make_unique<TlsStream>(executor, *tls);
  } else {
    plain_ = std::make_unique<tcp::socket>(executor);
  }
}

Connection::~Connection() {
  if (open_ != nullptr) open_->fetch_sub(1, std::memory_order_relaxed);
}

void Connection::CountIn(std::atomic<int64_t>* open, std::atomic<uint64_t>* opened) {
  open_ = open;
  open_->fetch_add(1, std::memory_order_relaxed);
  opened->fetch_add(1, std::memory_order_relaxed);
}

std::string HostPort(const ClientConfig& config) {
  if (config.host.find(':') != std::string::npos) {
    return fmt::format("[{}]:{}", config.host, config.port);
  }
  return fmt::format("{}:{}", config.host, config.port);
}

asio::awaitable<std::unique_ptr<Connection>> Connect(const ClientConfig& config, ssl::context* tls,
                                                     Operation& op, std::string* error) {
  const asio::any_io_executor executor = co_await asio::this_coro::executor;
  const std::string where = HostPort(config);
  std::vector<tcp::endpoint> endpoints;
  boost::system::error_code ec;
  const asio::ip::address address = asio::ip::make_address(config.host, ec);
  if (!ec) {
    endpoints.emplace_back(address, config.port);
  } else {
    tcp::resolver resolver(executor);
    op.AttachResolver(&resolver);
    const std::string service = std::to_string(config.port);
    auto [rec, results] = co_await resolver.async_resolve(config.host, service, kUseTuple);
    op.AttachResolver(nullptr);
    if (rec) {
      *error = fmt::format("resolve {}: {}", config.host, rec.message());
      co_return nullptr;
    }
    for (const auto& entry : results) endpoints.push_back(entry.endpoint());
  }
  if (op.cancelled() != Operation::CancelReason::kNone) co_return nullptr;

  auto conn = std::make_unique<Connection>(executor, tls);
  op.Attach(&conn->socket());
  auto [cec, endpoint] = co_await asio::async_connect(conn->socket(), endpoints, kUseTuple);
  if (cec) {
    *error = fmt::format("connect {}: {}", where, cec.message());
    op.Attach(nullptr);
    co_return nullptr;
  }
  boost::system::error_code ignored;
  conn->socket().set_option(tcp::no_delay(true), ignored);
  if (TlsStream* stream = conn->tls()) {
    std::string setup_error;
    if (!PrepareTlsStream(config, *stream, &setup_error)) {
      *error = fmt::format("{}: {}", where, setup_error);
      op.Attach(nullptr);
      co_return nullptr;
    }
    auto [hec] = co_await stream->async_handshake(ssl::stream_base::client, kUseTuple);
    if (hec) {
      const std::string verdict = TlsVerifyFailure(*stream);
      *error = verdict.empty()
                   ? fmt::format("tls handshake with {}: {}", where, hec.message())
                   : fmt::format("tls handshake with {}: {} ({})", where, hec.message(), verdict);
      op.Attach(nullptr);
      co_return nullptr;
    }
  }
  co_return conn;
}

}  // namespace quotient::extender::kube
