// The HTTP/1.1 exchanges of the API client, over a connected stream (tcp::socket or
// TlsStream): one request and its whole answer, or a watch request and its stream of
// newline-delimited events. Timeouts and cancellation are the caller's Operation: these
// functions only read and write, and report what failed.
//
// Thread safety: run on the calling operation's strand; they touch only their arguments.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <cstddef>
#include <functional>
#include <string>

#include "extender/kube/api_client.h"
#include "extender/kube/operation.h"

namespace quotient::extender::kube {

using HttpRequest = boost::beast::http::request<boost::beast::http::string_body>;

inline constexpr size_t kMaxAnswerBytes = size_t{1} << 30;  // Request() answers
inline constexpr size_t kMaxAnswerHeaderBytes = 64u << 10;
inline constexpr size_t kReadChunkBytes = 64u << 10;
inline constexpr size_t kMaxErrorBodyBytes = 4u << 10;  // kept from a refused watch

// How one attempt of a request went.
struct ExchangeOutcome {
  bool sent = false;        // the whole request was written
  bool answered = false;    // at least one byte of the answer arrived
  bool keep_alive = false;  // the connection may carry another request
  std::string error;        // transport failure; empty when *response is an HTTP answer
};

// Writes `request` and reads the answer: status and whole body (Content-Length bodies
// straight into the RequestBody, chunked ones grown geometrically then copied once).
template <class Stream>
boost::asio::awaitable<void> ExchangeRequest(Stream& stream, const HttpRequest& request,
                                             ApiResponse* response, ExchangeOutcome* outcome);

// Writes the watch `request`, then calls on_event for each event line until the stream
// ends. `op` receives the idle deadline before every read. Fills *result except when
// the end was a cancellation (the caller maps op.cancelled()).
template <class Stream>
boost::asio::awaitable<void> ExchangeWatch(Stream& stream, const HttpRequest& request,
                                           Operation& op, const WatchOptions& options,
                                           const std::function<bool(RequestBody&)>& on_event,
                                           WatchResult* result);

}  // namespace quotient::extender::kube
