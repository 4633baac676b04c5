// Reading one large request body from a loopback socket: the server's direct read versus
// Beast's http::async_read with a default flat_buffer (the "large-body read size" gotcha).
//
// Run (Release build; nothing else heavy on the machine):
//   cmake --build build --target bench_body_read
//   build/benchmarks/bench_body_read --benchmark_min_time=2
// CI smoke: bench_body_read --benchmark_min_time=0.01   (ctest -L bench)
//
// A writer thread sends a whole POST /filter request (header + body) over a keep-alive
// loopback TCP connection each iteration; the benchmark thread reads it with one of:
//   Direct         what extender/http/http_server.cc does: a flat_buffer reserved to 64 KiB for
//                  the header, then the body read straight into a padded RequestBody.
//   NaiveString    http::async_read(stream, flat_buffer{}, request_parser<string_body>)
//                  with only the body limit raised, then a copy into a RequestBody (simdjson
//                  needs the padding). Beast sizes each read from the buffer's spare capacity,
//                  which stays ~512 bytes because the body is moved out of it.
//   ReservedString the same with buffer.reserve(64 KiB): the read-size fix without the
//                  direct read (one extra copy of the body).
// Real time is the request's transfer (writer and reader overlap on two cores); CPU time
// is the reading thread's, i.e. what the server spends.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cstring>
#include <map>
#include <semaphore>
#include <thread>

#include "benchmarks/fixtures.h"

namespace quotient::benchmarks {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using extender::RequestBody;

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
constexpr size_t kReadChunkBytes = 64u << 10;  // as extender/http/http_server.cc
constexpr uint64_t kBodyLimit = uint64_t{1} << 30;

enum class Reader { kDirect, kNaiveString, kReservedString };

// The request kube-scheduler's Go client would send with this body.
std::string MakeRequest(int64_t nodes, bool full) {
  RequestBody body = full ? FilterFullNodesRequest(static_cast<size_t>(nodes))
                          : FilterNamesRequest(static_cast<size_t>(nodes));
  std::string request =
      "POST /filter HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: Go-http-client/1.1\r\n"
      "Content-Length: " +
      std::to_string(body.size()) +
      "\r\nContent-Type: application/json\r\nAccept-Encoding: gzip\r\n\r\n";
  request.append(body.view());
  return request;
}

// A loopback connection whose far end writes `request` once per Send().
class Loopback {
 public:
  explicit Loopback(std::string request) : request_(std::move(request)) {
    tcp::acceptor acceptor(ioc_, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
    writer_socket_.connect(acceptor.local_endpoint());
    acceptor.accept(reader_);
    reader_.set_option(tcp::no_delay(true));
    writer_ = std::thread([this] {
      for (;;) {
        go_.acquire();
        if (stop_) return;
        boost::system::error_code ec;
        asio::write(writer_socket_, asio::buffer(request_), ec);
        if (ec) return;
      }
    });
  }
  ~Loopback() {
    stop_ = true;
    go_.release();
    writer_.join();
  }
  void Send() { go_.release(); }
  asio::io_context& ioc() { return ioc_; }
  tcp::socket& reader() { return reader_; }
  size_t request_size() const { return request_.size(); }

 private:
  const std::string request_;
  asio::io_context ioc_{1};
  tcp::socket reader_{ioc_};
  tcp::socket writer_socket_{ioc_};  // used only by the writer thread after construction
  std::binary_semaphore go_{0};
  std::atomic<bool> stop_{false};
  std::thread writer_;
};

// The server's way: header through the parser, body straight into a RequestBody.
asio::awaitable<void> ReadDirect(tcp::socket& socket, beast::flat_buffer& buffer, RequestBody* out,
                                 boost::system::error_code* error) {
  http::request_parser<http::string_body> parser;
  parser.body_limit(kBodyLimit);
  auto [hec, hn] = co_await http::async_read_header(socket, buffer, parser, kUseTuple);
  if (hec) {
    *error = hec;
    co_return;
  }
  const uint64_t length = parser.content_length().value_or(0);
  RequestBody body = RequestBody::Allocate(length);
  const size_t have = std::min<size_t>(buffer.size(), length);
  if (have > 0) std::memcpy(body.data(), buffer.data().data(), have);
  buffer.consume(have);
  if (have < length) {
    auto [bec, bn] = co_await asio::async_read(
        socket, asio::buffer(body.data() + have, length - have), kUseTuple);
    *error = bec;
  }
  *out = std::move(body);
}

// The textbook way: the whole message through the parser into a string, then padded.
asio::awaitable<void> ReadString(tcp::socket& socket, beast::flat_buffer& buffer, RequestBody* out,
                                 boost::system::error_code* error) {
  http::request_parser<http::string_body> parser;
  parser.body_limit(kBodyLimit);
  auto [ec, n] = co_await http::async_read(socket, buffer, parser, kUseTuple);
  *error = ec;
  if (!ec) *out = RequestBody::Copy(parser.get().body());
}

void RunRead(benchmark::State& state, Reader reader) {
  static std::map<std::pair<int64_t, int64_t>, std::string> requests;
  auto key = std::pair{state.range(0), state.range(1)};
  if (!requests.contains(key)) requests[key] = MakeRequest(key.first, key.second != 0);
  Loopback loop(requests[key]);
  beast::flat_buffer buffer;  // one per connection, as in the server
  if (reader != Reader::kNaiveString) buffer.reserve(kReadChunkBytes);
  RequestBody body;
  boost::system::error_code error;
  size_t body_bytes = 0;
  for (auto _ : state) {
    loop.Send();
    auto read = reader == Reader::kDirect ? ReadDirect(loop.reader(), buffer, &body, &error)
                                          : ReadString(loop.reader(), buffer, &body, &error);
    asio::co_spawn(loop.ioc(), std::move(read), asio::detached);
    loop.ioc().run();
    loop.ioc().restart();
    if (error) {
      state.SkipWithError(error.message().c_str());
      break;
    }
    body_bytes = body.size();
    benchmark::DoNotOptimize(body.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * loop.request_size()));
  state.counters["body_bytes"] = static_cast<double>(body_bytes);
}

void BM_ReadBody_Direct(benchmark::State& state) {
  RunRead(state, Reader::kDirect);
}
void BM_ReadBody_NaiveString(benchmark::State& state) {
  RunRead(state, Reader::kNaiveString);
}
void BM_ReadBody_ReservedString(benchmark::State& state) {
  RunRead(state, Reader::kReservedString);
}

// {nodes, full}: 5,000 names (~88 KB), 500 full nodes (~9 MB), 5,000 full nodes (~92 MB).
void Sizes(benchmark::internal::Benchmark* b) {
  b->ArgNames({"nodes", "full"})->Args({5000, 0})->Args({500, 1})->Args({5000, 1});
  b->Unit(benchmark::kMillisecond)->UseRealTime();
}

BENCHMARK(BM_ReadBody_Direct)->Apply(Sizes);
BENCHMARK(BM_ReadBody_ReservedString)->Apply(Sizes);
BENCHMARK(BM_ReadBody_NaiveString)->Apply(Sizes);

}  // namespace
}  // namespace quotient::benchmarks

BENCHMARK_MAIN();
