// A connection to the API server (TCP, or TLS over TCP) and how one is opened.
//
// Thread safety: a Connection is used by one call at a time, on that call's strand;
// between calls it rests in the client's idle pool (guarded by the pool's mutex).
#pragma once

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "extender/kube/client_config.h"
#include "extender/kube/client_tls.h"
#include "extender/kube/operation.h"

namespace quotient::extender::kube {

class Connection {
 public:
  // `tls` null: plain TCP.
  Connection(const boost::asio::any_io_executor& executor, boost::asio::ssl::context* tls);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Counts this connection in `*open` (incremented now, decremented when it is destroyed)
  // and in `*opened` (incremented now). REQUIRES: called at most once; both outlive the
  // connection.
  void CountIn(std::atomic<int64_t>* open, std::atomic<uint64_t>* opened);

  boost::asio::ip::tcp::socket& socket() { return tls_ ? tls_->next_layer() : *plain_; }
  TlsStream* tls() { return tls_.get(); }

  std::chrono::steady_clock::time_point idle_since{};  // when it entered the idle pool

 private:
  std::unique_ptr<boost::asio::ip::tcp::socket> plain_;
  std::unique_ptr<TlsStream> tls_;
  std::atomic<int64_t>* open_ = nullptr;
};

// Resolves config.host (unless it is an IP address), connects and, for https, performs
// the TLS handshake, all interruptible through `op` (its deadline, its stop tokens).
// On success the connection's socket is attached to `op` (the caller detaches it before
// the connection moves on). Returns null with *error ("connect 10.0.0.1:6443: Connection
// refused") and nothing attached; when `op` was cancelled the caller reports
// op.cancelled() instead. `tls` is null for http.
boost::asio::awaitable<std::unique_ptr<Connection>> Connect(const ClientConfig& config,
                                                            boost::asio::ssl::context* tls,
                                                            Operation& op, std::string* error);

// "host:port", with brackets around an IPv6 host: for the Host header and messages.
std::string HostPort(const ClientConfig& config);

}  // namespace quotient::extender::kube
