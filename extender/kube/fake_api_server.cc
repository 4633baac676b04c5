#include "extender/kube/fake_api_server.h"

#include <fmt/format.h>
#include <sys/socket.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

namespace quotient::extender::kube::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

namespace {

std::string UrlDecode(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      out.push_back(static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else if (text[i] == '+') {
      out.push_back(' ');
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

// Calls fn(name, value) for each query parameter of `target`.
template <class Fn>
void ForEachParam(std::string_view target, Fn fn) {
  const size_t q = target.find('?');
  if (q == std::string_view::npos) return;
  std::string_view query = target.substr(q + 1);
  while (!query.empty()) {
    const size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    const size_t eq = pair.find('=');
    fn(UrlDecode(pair.substr(0, eq)),
       eq == std::string_view::npos ? std::string() : UrlDecode(pair.substr(eq + 1)));
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
}

}  // namespace

std::string FakeRequest::Param(std::string_view name) const {
  std::string found;
  ForEachParam(target, [&](const std::string& n, const std::string& v) {
    if (n == name) found = v;
  });
  return found;
}

bool FakeRequest::HasParam(std::string_view name) const {
  bool found = false;
  ForEachParam(target, [&](const std::string& n, const std::string&) { found |= n == name; });
  return found;
}

struct FakeApiServer::Impl {
  Handler handler;
  std::unique_ptr<ssl::context> tls;
  asio::io_context ioc;  // never run: the sockets are used synchronously
  std::unique_ptr<tcp::acceptor> acceptor;
  std::thread accept_thread;
  std::atomic<bool> closing{false};
  std::atomic<int>* connection_count = nullptr;

  mutable std::mutex mu;
  std::vector<std::thread> threads;   // guarded by mu
  std::vector<int> open_fds;          // guarded by mu
  std::vector<FakeRequest> requests;  // guarded by mu

  void Listen(uint16_t port);
  void AcceptLoop();
  void ServeConnection(tcp::socket socket, int id);
  template <class Stream>
  void Serve(Stream& stream, tcp::socket& socket, int id);
  void StopAll();
};

template <class Stream>
class ExchangeImpl : public FakeExchange {
 public:
  ExchangeImpl(Stream& stream, tcp::socket& socket, FakeRequest request,
               const std::atomic<bool>& closing)
      : stream_(stream), socket_(socket), request_(std::move(request)), closing_(closing) {}

  const FakeRequest& request() const override { return request_; }
  bool closed() const { return closed_; }

  void Respond(int status, std::string_view body) override {
    Write(fmt::format(
        "HTTP/1.1 {} {}\r\nContent-Type: application/json\r\nContent-Length: "
        "{}\r\n\r\n{}",
        status, http::obsolete_reason(static_cast<http::status>(status)), body.size(), body));
  }
  void StartChunked(int status) override {
    Write(
        fmt::format("HTTP/1.1 {} {}\r\nContent-Type: application/json\r\nTransfer-Encoding: "
                    "chunked\r\n\r\n",
                    status, http::obsolete_reason(static_cast<http::status>(status))));
  }
  void Send(std::string_view bytes) override {
    if (!bytes.empty()) Write(fmt::format("{:x}\r\n{}\r\n", bytes.size(), bytes));
  }
  void End() override { Write("0\r\n\r\n"); }
  void Close() override {
    boost::system::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    closed_ = true;
  }
  bool WaitFor(const std::function<bool()>& pred, std::chrono::milliseconds timeout) override {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!pred()) {
      if (closing_.load() || std::chrono::steady_clock::now() >= deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return true;
  }

 private:
  void Write(const std::string& text) {
    if (closed_) return;
    boost::system::error_code ec;
    asio::write(stream_, asio::buffer(text), ec);
    if (ec) closed_ = true;
  }

  Stream& stream_;
  tcp::socket& socket_;
  const FakeRequest request_;
  const std::atomic<bool>& closing_;
  bool closed_ = false;
};

void FakeApiServer::Impl::Listen(uint16_t port) {
  acceptor = std::make_unique<tcp::acceptor>(ioc);
  const tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), port);
  acceptor->open(endpoint.protocol());
  acceptor->set_option(asio::socket_base::reuse_address(true));
  acceptor->bind(endpoint);
  acceptor->listen();
  closing = false;
  accept_thread = std::thread([this] { AcceptLoop(); });
}

void FakeApiServer::Impl::AcceptLoop() {
  for (int id = 1;; ++id) {
    tcp::socket socket(ioc);
    boost::system::error_code ec;
    acceptor->accept(socket, ec);
    if (ec || closing) return;
    const int number = connection_count->fetch_add(1) + 1;
    std::lock_guard lock(mu);
    open_fds.push_back(socket.native_handle());
    threads.emplace_back(
        [this, s = std::move(socket), number]() mutable { ServeConnection(std::move(s), number); });
  }
}

void FakeApiServer::Impl::ServeConnection(tcp::socket socket, int id) {
  if (tls) {
    ssl::stream<tcp::socket&> stream(socket, *tls);
    boost::system::error_code ec;
    stream.handshake(ssl::stream_base::server, ec);
    if (!ec) Serve(stream, socket, id);
  } else {
    Serve(socket, socket, id);
  }
  {
    std::lock_guard lock(mu);
    std::erase(open_fds, socket.native_handle());
  }
  boost::system::error_code ignored;
  socket.close(ignored);
}

template <class Stream>
void FakeApiServer::Impl::Serve(Stream& stream, tcp::socket& socket, int id) {
  beast::flat_buffer buffer;
  for (;;) {
    http::request<http::string_body> req;
    boost::system::error_code ec;
    http::read(stream, buffer, req, ec);
    if (ec || closing) return;
    FakeRequest request;
    request.method = std::string(req.method_string());
    request.target = std::string(req.target());
    request.path = request.target.substr(0, request.target.find('?'));
    request.authorization = std::string(req[http::field::authorization]);
    request.user_agent = std::string(req[http::field::user_agent]);
    request.accept = std::string(req[http::field::accept]);
    request.content_type = std::string(req[http::field::content_type]);
    request.body = req.body();
    request.connection = id;
    {
      std::lock_guard lock(mu);
      requests.push_back(request);
    }
    ExchangeImpl<Stream> exchange(stream, socket, std::move(request), closing);
    handler(exchange);
    if (exchange.closed() || !req.keep_alive()) return;
  }
}

void FakeApiServer::Impl::StopAll() {
  closing = true;
  if (acceptor) {
    // shutdown() wakes a blocked accept() on Linux; closing under it would race.
    ::shutdown(acceptor->native_handle(), SHUT_RDWR);
    if (accept_thread.joinable()) accept_thread.join();
    boost::system::error_code ignored;
    acceptor->close(ignored);
  }
  std::vector<std::thread> joining;
  {
    std::lock_guard lock(mu);
    for (int fd : open_fds) ::shutdown(fd, SHUT_RDWR);
    joining.swap(threads);
  }
  for (auto& thread : joining) thread.join();
}

FakeApiServer::FakeApiServer(Handler handler, const FakeServerTls* tls)
    : impl_(std::make_unique<Impl>()) {
  impl_->handler = std::move(handler);
  impl_->connection_count = &connection_count_;
  if (tls != nullptr) {
    impl_->tls = std::make_unique<ssl::context>(ssl::context::tls_server);
    impl_->tls->use_certificate_chain_file(tls->cert_file);
    impl_->tls->use_private_key_file(tls->key_file, ssl::context::pem);
    if (!tls->client_ca_file.empty()) {
      impl_->tls->load_verify_file(tls->client_ca_file);
      impl_->tls->set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
    }
  }
  impl_->Listen(0);
  port_ = impl_->acceptor->local_endpoint().port();
}

FakeApiServer::~FakeApiServer() {
  impl_->StopAll();
}

ClientConfig FakeApiServer::Config() const {
  ClientConfig config;
  config.https = impl_->tls != nullptr;
  config.host = "127.0.0.1";
  config.port = port_;
  config.server = fmt::format("{}://127.0.0.1:{}", config.https ? "https" : "http", port_);
  return config;
}

void FakeApiServer::Pause() {
  impl_->StopAll();
}

void FakeApiServer::Resume() {
  impl_->Listen(port_);
}

std::vector<FakeRequest> FakeApiServer::requests() const {
  std::lock_guard lock(impl_->mu);
  return impl_->requests;
}

}  // namespace quotient::extender::kube::testing
