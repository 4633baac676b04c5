#include "test/support/http_client.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <limits>

namespace quotient::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using ErrorCode = boost::system::error_code;

std::string HttpResult::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (beast::iequals(key, name)) return value;
  }
  return {};
}

namespace detail {

// One client connection. Each operation starts an async op with a deadline on the
// tcp_stream and runs the private io_context until it completes.
class Conn {
 public:
  Conn(uint16_t port, std::chrono::milliseconds timeout, const TlsClientFiles* tls)
      : port_(port), timeout_(timeout) {
    plain_ = std::make_unique<beast::tcp_stream>(ioc_);
    plain_->expires_after(timeout_);
    ErrorCode ec = Run([&](auto handler) {
      plain_->async_connect(tcp::endpoint(asio::ip::make_address_v4("127.0.0.1"), port), handler);
    });
    if (ec) {
      error_ = "connect: " + ec.message();
      return;
    }
    if (tls != nullptr && !StartTls(*tls)) return;
    connected_ = true;
  }

  ~Conn() {
    ErrorCode ignored;
    Lowest().socket().close(ignored);
  }

  bool connected() const { return connected_; }
  const std::string& error() const { return error_; }

  bool Write(std::string_view bytes) {
    Lowest().expires_after(timeout_);
    ErrorCode ec = WithStream([&](auto& stream) {
      return Run([&](auto handler) {
        asio::async_write(stream, asio::buffer(bytes.data(), bytes.size()), handler);
      });
    });
    if (ec) error_ = "write: " + ec.message();
    return !ec;
  }

  HttpResult Request(http::verb method, std::string_view target, std::string body,
                     const Headers& headers) {
    http::request<http::string_body> req{method, target, 11};
    req.set(http::field::host, "127.0.0.1:" + std::to_string(port_));
    req.set(http::field::user_agent, "Go-http-client/1.1");
    for (const auto& [name, value] : headers) req.set(name, value);
    req.keep_alive(true);
    req.body() = std::move(body);
    req.prepare_payload();
    Lowest().expires_after(timeout_);
    ErrorCode wec = WithStream([&](auto& stream) {
      return Run([&](auto handler) { http::async_write(stream, req, handler); });
    });
    // A server may answer early and close while the body is still being written, so a
    // write error is reported only if no response can be read either.
    HttpResult result = ReadResponse();
    if (result.status == 0 && wec) result.error = "write: " + wec.message();
    return result;
  }

  HttpResult ReadResponse() {
    HttpResult result;
    http::response_parser<http::string_body> parser;
    parser.body_limit(std::numeric_limits<std::uint64_t>::max());
    parser.header_limit(1u << 20);
    Lowest().expires_after(timeout_);
    ErrorCode ec = WithStream([&](auto& stream) {
      return Run([&](auto handler) { http::async_read(stream, buffer_, parser, handler); });
    });
    if (ec) {
      result.error = "read: " + ec.message();
      return result;
    }
    auto& res = parser.get();
    result.status = res.result_int();
    result.keep_alive = res.keep_alive();
    for (const auto& field : res) {
      result.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    result.body = std::move(res.body());
    return result;
  }

  std::string ReadUntilClosed(std::chrono::milliseconds limit, bool* closed, bool* reset) {
    std::string out = beast::buffers_to_string(buffer_.data());
    buffer_.consume(buffer_.size());
    const auto deadline = std::chrono::steady_clock::now() + limit;
    char chunk[4096];
    for (;;) {
      const auto left = deadline - std::chrono::steady_clock::now();
      if (left <= std::chrono::steady_clock::duration::zero()) {
        *closed = false;
        return out;
      }
      Lowest().expires_after(left);
      std::size_t n = 0;
      ErrorCode ec = WithStream([&](auto& stream) {
        return Run([&](auto handler) { stream.async_read_some(asio::buffer(chunk), handler); }, &n);
      });
      out.append(chunk, n);
      if (ec) {
        *closed = ec != beast::error::timeout;
        if (reset != nullptr) *reset = ec == asio::error::connection_reset;
        return out;
      }
    }
  }

 private:
  bool StartTls(const TlsClientFiles& files) {
    ctx_ = std::make_unique<ssl::context>(ssl::context::tls_client);
    ErrorCode ec;
    ctx_->load_verify_file(files.ca_file, ec);
    if (!ec && !files.cert_file.empty()) ctx_->use_certificate_chain_file(files.cert_file, ec);
    if (!ec && !files.key_file.empty()) {
      ctx_->use_private_key_file(files.key_file, ssl::context::pem, ec);
    }
    if (ec) {
      error_ = "client tls files: " + ec.message();
      return false;
    }
    ctx_->set_verify_mode(ssl::verify_peer);
    tls_ = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(std::move(*plain_), *ctx_);
    plain_.reset();
    tls_->set_verify_callback(ssl::host_name_verification("127.0.0.1"));
    Lowest().expires_after(timeout_);
    ec = Run([&](auto handler) { tls_->async_handshake(ssl::stream_base::client, handler); });
    if (ec) {
      error_ = "handshake: " + ec.message();
      return false;
    }
    return true;
  }

  beast::tcp_stream& Lowest() { return tls_ ? beast::get_lowest_layer(*tls_) : *plain_; }

  template <class Op>
  ErrorCode WithStream(Op op) {
    if (tls_) return op(*tls_);
    return op(*plain_);
  }

  // Starts one async operation and runs the io_context until it has completed.
  template <class Start>
  ErrorCode Run(Start start, std::size_t* bytes = nullptr) {
    ErrorCode result = asio::error::operation_aborted;
    start([&result, bytes](ErrorCode ec, auto... rest) {
      result = ec;
      if (bytes != nullptr) ((*bytes = static_cast<std::size_t>(rest)), ...);
    });
    ioc_.restart();
    ioc_.run();
    return result;
  }

  asio::io_context ioc_;
  const uint16_t port_;
  const std::chrono::milliseconds timeout_;
  std::unique_ptr<ssl::context> ctx_;
  std::unique_ptr<beast::tcp_stream> plain_;
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> tls_;
  beast::flat_buffer buffer_;
  bool connected_ = false;
  std::string error_;
};

}  // namespace detail

HttpClient::HttpClient(uint16_t port, std::chrono::milliseconds timeout)
    : conn_(std::make_unique<detail::Conn>(port, timeout, nullptr)) {}

HttpClient::HttpClient(uint16_t port, const TlsClientFiles& tls, std::chrono::milliseconds timeout)
    : conn_(std::make_unique<detail::Conn>(port, timeout, &tls)) {}

HttpClient::~HttpClient() = default;

bool HttpClient::connected() const {
  return conn_->connected();
}
const std::string& HttpClient::error() const {
  return conn_->error();
}

HttpResult HttpClient::Post(std::string_view target, std::string body, const Headers& headers) {
  Headers all = {{"Content-Type", "application/json"}, {"Accept-Encoding", "gzip"}};
  all.insert(all.end(), headers.begin(), headers.end());
  return conn_->Request(http::verb::post, target, std::move(body), all);
}

HttpResult HttpClient::Get(std::string_view target, const Headers& headers) {
  return conn_->Request(http::verb::get, target, {}, headers);
}

HttpResult HttpClient::Send(http::verb method, std::string_view target, std::string body,
                            const Headers& headers) {
  return conn_->Request(method, target, std::move(body), headers);
}

std::string HttpClient::ReadUntilClosed(std::chrono::milliseconds limit, bool* closed) {
  return conn_->ReadUntilClosed(limit, closed, nullptr);
}

RawSocket::RawSocket(uint16_t port, std::chrono::milliseconds timeout)
    : conn_(std::make_unique<detail::Conn>(port, timeout, nullptr)) {}

RawSocket::~RawSocket() = default;

bool RawSocket::connected() const {
  return conn_->connected();
}
const std::string& RawSocket::error() const {
  return conn_->error();
}
bool RawSocket::Write(std::string_view bytes) {
  return conn_->Write(bytes);
}
HttpResult RawSocket::ReadResponse() {
  return conn_->ReadResponse();
}

std::string RawSocket::ReadUntilClosed(std::chrono::milliseconds limit, bool* closed, bool* reset) {
  return conn_->ReadUntilClosed(limit, closed, reset);
}

}  // namespace quotient::test
