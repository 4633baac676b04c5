#include "extender/cli/debug_client.h"

#include <fmt/format.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cstdlib>

namespace quotient::extender {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

namespace {

constexpr size_t kMaxResponseBytes = 64 << 20;

// Named values only inside co_await expressions (GCC 12 bug 99576).
asio::awaitable<void> Get(std::string host, std::string port, std::string target,
                          std::chrono::milliseconds timeout, FetchResult* out) {
  auto executor = co_await asio::this_coro::executor;
  asio::ip::tcp::resolver resolver(executor);
  beast::tcp_stream stream(executor);
  auto token = asio::as_tuple(asio::use_awaitable);
  auto resolve = resolver.async_resolve(host, port, token);
  auto [resolve_ec, endpoints] = co_await std::move(resolve);
  if (resolve_ec) {
    out->error = fmt::format("cannot resolve {}: {}", host, resolve_ec.message());
    co_return;
  }
  stream.expires_after(timeout);
  auto connect = stream.async_connect(endpoints, token);
  auto [connect_ec, endpoint] = co_await std::move(connect);
  if (connect_ec) {
    out->error = fmt::format("cannot connect to {}:{}: {}", host, port, connect_ec.message());
    co_return;
  }
  http::request<http::empty_body> request{http::verb::get, target, 11};
  request.set(http::field::host, host);
  request.set(http::field::user_agent, "quotient-cli");
  request.set(http::field::connection, "close");
  auto write = http::async_write(stream, request, token);
  auto [write_ec, written] = co_await std::move(write);
  if (write_ec) {
    out->error = fmt::format("sending the request: {}", write_ec.message());
    co_return;
  }
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(kMaxResponseBytes);
  auto read = http::async_read(stream, buffer, parser, token);
  auto [read_ec, read_bytes] = co_await std::move(read);
  if (read_ec) {
    out->error = fmt::format("reading the response: {}", read_ec.message());
    co_return;
  }
  out->ok = true;
  out->status = parser.get().result_int();
  out->body = std::move(parser.get().body());
}

}  // namespace

FetchResult HttpGet(std::string_view base_url, std::string_view target,
                    std::chrono::milliseconds timeout) {
  FetchResult result;
  constexpr std::string_view kScheme = "http://";
  if (base_url.substr(0, kScheme.size()) != kScheme) {
    result.error = fmt::format(
        "server URL \"{}\" must start with http:// (the ops listener, server.metricsListen, "
        "is plain HTTP)",
        base_url);
    return result;
  }
  std::string_view rest = base_url.substr(kScheme.size());
  while (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  if (rest.find('/') != std::string_view::npos) {
    result.error = fmt::format("server URL \"{}\" must have no path", base_url);
    return result;
  }
  std::string host(rest), port = "80";
  if (size_t colon = rest.rfind(':'); colon != std::string_view::npos && rest.back() != ']') {
    host = std::string(rest.substr(0, colon));
    port = std::string(rest.substr(colon + 1));
  }
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  asio::io_context ioc;
  asio::co_spawn(ioc, Get(host, port, std::string(target), timeout, &result), asio::detached);
  ioc.run();
  return result;
}

std::string UrlEncode(std::string_view value) {
  std::string out;
  for (unsigned char c : value) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

std::string DefaultServerUrl() {
  const char* env = std::getenv("QUOTIENT_METRICS_URL");
  return env != nullptr && *env != '\0' ? env : "http://127.0.0.1:8888";
}

}  // namespace quotient::extender
