// Small synchronous HTTP/1.1 clients for integration tests (Boost.Beast).
//
// HttpClient: one keep-alive connection to 127.0.0.1:port, plain or TLS, sending whole
// requests and reading whole responses, as kube-scheduler's Go client does
// (POST, Content-Length, keep-alive).
// RawSocket: a plain TCP connection for arbitrary bytes (malformed HTTP, slow clients,
// interim responses).
//
// Every operation is bounded by the connection's timeout: nothing blocks a test forever.
// Failures are reported in HttpResult::error (status 0), never thrown.
//
// Thread safety: thread-compatible; use one object from one thread at a time.
#pragma once

#include <boost/beast/http/verb.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace quotient::test {

inline constexpr std::chrono::milliseconds kClientTimeout{30'000};

using Headers = std::vector<std::pair<std::string, std::string>>;

struct HttpResult {
  unsigned status = 0;  // 0: no response was read; see `error`
  std::string error;    // the first transport error, if any
  Headers headers;
  std::string body;
  bool keep_alive = false;

  // The first header of that name (case-insensitive); empty if absent.
  std::string Header(std::string_view name) const;
};

struct TlsClientFiles {
  std::string ca_file;    // PEM CA that must have signed the server certificate
  std::string cert_file;  // optional PEM client certificate (mutual TLS)
  std::string key_file;   // its PEM private key
};

namespace detail {
class Conn;
}

class HttpClient {
 public:
  // Connects to 127.0.0.1:port; connected()/error() tell the outcome.
  explicit HttpClient(uint16_t port, std::chrono::milliseconds timeout = kClientTimeout);
  // Connects and completes a TLS handshake, verifying the server as 127.0.0.1.
  HttpClient(uint16_t port, const TlsClientFiles& tls,
             std::chrono::milliseconds timeout = kClientTimeout);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  bool connected() const;
  const std::string& error() const;  // connect or handshake error

  // POST with Content-Type: application/json (plus `headers`).
  HttpResult Post(std::string_view target, std::string body, const Headers& headers = {});
  HttpResult Get(std::string_view target, const Headers& headers = {});
  HttpResult Send(boost::beast::http::verb method, std::string_view target, std::string body,
                  const Headers& headers);

  // Reads until the server closes the connection or `limit` passes; returns the bytes.
  std::string ReadUntilClosed(std::chrono::milliseconds limit, bool* closed);

 private:
  std::unique_ptr<detail::Conn> conn_;
};

class RawSocket {
 public:
  explicit RawSocket(uint16_t port, std::chrono::milliseconds timeout = kClientTimeout);
  ~RawSocket();
  RawSocket(const RawSocket&) = delete;
  RawSocket& operator=(const RawSocket&) = delete;

  bool connected() const;
  const std::string& error() const;

  // Writes all of `bytes`; false (see error()) on failure.
  bool Write(std::string_view bytes);
  // Reads one response; a 1xx interim response counts as one.
  HttpResult ReadResponse();
  // Reads until the server closes the connection or `limit` passes; returns the bytes.
  // `reset` (optional): whether the close was a reset (RST) rather than an orderly FIN.
  std::string ReadUntilClosed(std::chrono::milliseconds limit, bool* closed, bool* reset = nullptr);

 private:
  std::unique_ptr<detail::Conn> conn_;
};

}  // namespace quotient::test
