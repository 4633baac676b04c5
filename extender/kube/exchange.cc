#include "extender/kube/exchange.h"

#include <fmt/format.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <cstring>
#include <memory>

#include "extender/kube/client_tls.h"
#include "extender/kube/line_splitter.h"

namespace quotient::extender::kube {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using Clock = std::chrono::steady_clock;
using AnswerParser = http::response_parser<http::buffer_body>;

namespace {

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);

// Points the parser's body at [data, data + size).
void SetBodyBuffer(AnswerParser& parser, char* data, size_t size) {
  parser.get().body().data = data;
  parser.get().body().size = size;
  parser.get().body().more = true;
}

// A body of unknown length (chunked, or until EOF): grows geometrically, so reading N
// bytes copies O(N) in total.
class GrowingBody {
 public:
  char* Space(size_t at_least) {
    if (capacity_ - used_ < at_least) {
      const size_t capacity = std::max(2 * capacity_, used_ + at_least);
      auto data = std::make_unique_for_overwrite<char[]>(capacity);
      if (used_ > 0) std::memcpy(data.get(), data_.get(), used_);
      data_ = std::move(data);
      capacity_ = capacity;
    }
    return data_.get() + used_;
  }
  size_t space() const { return capacity_ - used_; }
  void Commit(size_t bytes) { used_ += bytes; }
  RequestBody Take() const { return RequestBody::Copy({data_.get(), used_}); }

 private:
  std::unique_ptr<char[]> data_;
  size_t capacity_ = 0;
  size_t used_ = 0;
};

// Reads the rest of the answer body into *body (1 GiB at most, enforced by the parser).
template <class Stream>
asio::awaitable<boost::system::error_code> ReadBody(Stream& stream, beast::flat_buffer& buffer,
                                                    AnswerParser& parser, RequestBody* body) {
  if (parser.is_done()) co_return boost::system::error_code{};
  if (auto length = parser.content_length()) {
    *body = RequestBody::Allocate(*length);
    SetBodyBuffer(parser, body->data(), *length);
    while (!parser.is_done()) {
      auto [ec, n] = co_await http::async_read(stream, buffer, parser, kUseTuple);
      if (ec && ec != http::error::need_buffer) co_return ec;
      if (ec) co_return http::error::body_limit;  // more than announced: cannot happen
    }
    co_return boost::system::error_code{};
  }
  GrowingBody growing;
  while (!parser.is_done()) {
    char* space = growing.Space(kReadChunkBytes);
    const size_t offered = growing.space();
    SetBodyBuffer(parser, space, offered);
    auto [ec, n] = co_await http::async_read(stream, buffer, parser, kUseTuple);
    growing.Commit(offered - parser.get().body().size);
    if (ec && ec != http::error::need_buffer) co_return ec;
  }
  *body = growing.Take();
  co_return boost::system::error_code{};
}

}  // namespace

template <class Stream>
asio::awaitable<void> ExchangeRequest(Stream& stream, const HttpRequest& request,
                                      ApiResponse* response, ExchangeOutcome* outcome) {
  auto [wec, wn] = co_await http::async_write(stream, request, kUseTuple);
  if (wec) {
    outcome->error = fmt::format("send: {}", wec.message());
    co_return;
  }
  outcome->sent = true;
  beast::flat_buffer buffer;
  buffer.reserve(kReadChunkBytes);  // Beast reads at most the buffer's free space
  AnswerParser parser;
  parser.header_limit(static_cast<std::uint32_t>(kMaxAnswerHeaderBytes));
  parser.body_limit(kMaxAnswerBytes);
  auto [hec, hn] = co_await http::async_read_header(stream, buffer, parser, kUseTuple);
  outcome->answered = parser.got_some() || buffer.size() > 0;
  if (hec) {
    outcome->error = fmt::format("read answer: {}", hec.message());
    co_return;
  }
  RequestBody body;
  const boost::system::error_code bec = co_await ReadBody(stream, buffer, parser, &body);
  if (bec) {
    outcome->error = bec == http::error::body_limit
                         ? fmt::format("answer body exceeds {} bytes", kMaxAnswerBytes)
                         : fmt::format("read answer body: {}", bec.message());
    co_return;
  }
  response->status = static_cast<int>(parser.get().result_int());
  response->body = std::move(body);
  response->error.clear();
  outcome->keep_alive = parser.keep_alive() && buffer.size() == 0;
}

template <class Stream>
asio::awaitable<void> ExchangeWatch(Stream& stream, const HttpRequest& request, Operation& op,
                                    const WatchOptions& options,
                                    const std::function<bool(RequestBody&)>& on_event,
                                    WatchResult* result) {
  result->end = WatchEnd::kTransport;
  auto [wec, wn] = co_await http::async_write(stream, request, kUseTuple);
  if (wec) {
    result->error = fmt::format("send: {}", wec.message());
    co_return;
  }
  beast::flat_buffer buffer;
  buffer.reserve(kReadChunkBytes);
  AnswerParser parser;
  parser.header_limit(static_cast<std::uint32_t>(kMaxAnswerHeaderBytes));
  parser.body_limit(std::numeric_limits<std::uint64_t>::max());  // a stream has no end
  auto [hec, hn] = co_await http::async_read_header(stream, buffer, parser, kUseTuple);
  if (hec) {
    result->error = fmt::format("read answer: {}", hec.message());
    co_return;
  }
  result->status = static_cast<int>(parser.get().result_int());
  if (result->status != 200) {
    // Keep the start of the body (a Status object says why), then give up the connection.
    std::string text(kMaxErrorBodyBytes, '\0');
    SetBodyBuffer(parser, text.data(), text.size());
    if (!parser.is_done()) co_await http::async_read(stream, buffer, parser, kUseTuple);
    text.resize(text.size() - parser.get().body().size);
    result->end = WatchEnd::kHttpError;
    result->error = std::move(text);
    co_return;
  }

  LineSplitter lines(options.max_event_bytes);
  for (;;) {
    char* space = lines.Prepare(kReadChunkBytes);
    SetBodyBuffer(parser, space, kReadChunkBytes);
    boost::system::error_code ec;
    if (!parser.is_done()) {
      op.SetDeadline(Clock::now() + options.idle_timeout);
      auto [rec, n] = co_await http::async_read_some(stream, buffer, parser, kUseTuple);
      ec = rec == http::error::need_buffer ? boost::system::error_code{} : rec;
    }
    lines.Commit(kReadChunkBytes - parser.get().body().size);
    std::string_view line;
    while (lines.Next(&line)) {
      RequestBody event = RequestBody::Copy(line);
      ++result->events;
      if (!on_event(event)) {
        result->end = WatchEnd::kStopped;
        co_return;
      }
    }
    if (lines.overflow()) {
      result->end = WatchEnd::kTooLarge;
      result->error = fmt::format("a watch event exceeds {} bytes", options.max_event_bytes);
      co_return;
    }
    if (parser.is_done()) {
      if (std::string_view rest = lines.Rest();
          rest.find_first_not_of(" \t\r") != std::string_view::npos) {
        RequestBody event = RequestBody::Copy(rest);
        ++result->events;
        if (!on_event(event)) {
          result->end = WatchEnd::kStopped;
          co_return;
        }
      }
      result->end = WatchEnd::kServerClosed;
      co_return;
    }
    if (ec == http::error::partial_message || ec == http::error::end_of_stream) {
      // The connection ended inside the stream: like Go's unexpected EOF in a watch,
      // an ordinary end (the unterminated last line is dropped).
      result->end = WatchEnd::kServerClosed;
      co_return;
    }
    if (ec) {
      result->error = fmt::format("read watch stream: {}", ec.message());
      co_return;
    }
  }
}

template asio::awaitable<void> ExchangeRequest(asio::ip::tcp::socket&, const HttpRequest&,
                                               ApiResponse*, ExchangeOutcome*);
template asio::awaitable<void> ExchangeRequest(TlsStream&, const HttpRequest&, ApiResponse*,
                                               ExchangeOutcome*);
template asio::awaitable<void> ExchangeWatch(asio::ip::tcp::socket&, const HttpRequest&, Operation&,
                                             const WatchOptions&,
                                             const std::function<bool(RequestBody&)>&,
                                             WatchResult*);
template asio::awaitable<void> ExchangeWatch(TlsStream&, const HttpRequest&, Operation&,
                                             const WatchOptions&,
                                             const std::function<bool(RequestBody&)>&,
                                             WatchResult*);

}  // namespace quotient::extender::kube
