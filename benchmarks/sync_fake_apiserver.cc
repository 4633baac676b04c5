#include "benchmarks/sync_fake_apiserver.h"

#include <fmt/format.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <iterator>
#include <memory>
#include <mutex>
#include <thread>

namespace quotient::benchmarks::sync {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

constexpr size_t kWriteSliceBytes = 1u << 20;

constexpr std::string_view kChunkedHeader =
    "HTTP/1.1 200 OK\r\nAudit-Id: 6c1d1f2e-bench\r\nCache-Control: no-cache, private\r\n"
    "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";

constexpr std::string_view kBadRequest = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n";

void AppendChunk(std::string* out, std::string_view bytes) {
  fmt::format_to(std::back_inserter(*out), "{:x}\r\n", bytes.size());
  out->append(bytes);
  out->append("\r\n");
}

struct Server {
  int64_t page_size = 0;
  ListPages nodes, pods;
  std::string watch;  // the pod watch stream after the header: chunked event lines
  std::mutex mu;
  std::condition_variable cv;
  bool go = false;  // guarded by mu: stream the pod events

  static std::string Param(std::string_view target, std::string_view name) {
    const size_t q = target.find('?');
    std::string_view query = q == std::string_view::npos ? "" : target.substr(q + 1);
    while (!query.empty()) {
      const std::string_view pair = query.substr(0, query.find('&'));
      if (pair.substr(0, pair.find('=')) == name) {
        std::string out;  // URL-decoded
        for (size_t i = pair.find('=') + 1; i < pair.size(); ++i) {
          if (pair[i] == '%' && i + 2 < pair.size()) {
            out += static_cast<char>(std::stoi(std::string(pair.substr(i + 1, 2)), nullptr, 16));
            i += 2;
          } else {
            out += pair[i];
          }
        }
        return out;
      }
      query.remove_prefix(std::min(query.size(), pair.size() + 1));
    }
    return {};
  }

  // Answers the connection's requests until it closes. A watch holds it to the end.
  void Serve(tcp::socket socket) {
    boost::beast::flat_buffer buffer;
    boost::system::error_code ec;
    for (;;) {
      http::request<http::string_body> req;
      http::read(socket, buffer, req, ec);
      if (ec) return;
      const std::string target(req.target());
      const std::string path = target.substr(0, target.find('?'));
      const bool is_pods = path == "/api/v1/pods";
      if ((!is_pods && path != "/api/v1/nodes") ||
          (is_pods && Param(target, "fieldSelector") != kActivePods)) {
        asio::write(socket, asio::buffer(kBadRequest), ec);
        continue;
      }
      if (Param(target, "watch") == "1") {
        asio::write(socket, asio::buffer(kChunkedHeader), ec);
        if (is_pods) {
          std::unique_lock lock(mu);
          cv.wait(lock, [&] { return go; });
          lock.unlock();
          for (size_t at = 0; at < watch.size() && !ec; at += kWriteSliceBytes) {
            asio::write(
                socket,
                asio::buffer(watch.data() + at, std::min(kWriteSliceBytes, watch.size() - at)), ec);
          }
        }
        char byte;
        socket.read_some(asio::buffer(&byte, 1), ec);  // until the client closes
        return;
      }
      const ListPages& list = is_pods ? pods : nodes;
      const std::string token = Param(target, "continue");
      const size_t page = token.empty() ? 0 : std::stoul(token.substr(5));
      if (Param(target, "limit") != std::to_string(page_size) || page >= list.answers.size()) {
        asio::write(socket, asio::buffer(kBadRequest), ec);
        continue;
      }
      asio::write(socket, asio::buffer(list.answers[page]), ec);
      if (ec) return;
    }
  }
};

}  // namespace

ListPages RenderList(std::string_view kind, int64_t count, const Flags& f, bool bodies,
                     const std::function<void(std::string*, int64_t)>& append) {
  ListPages list;
  const int64_t pages = std::max<int64_t>(1, (count + f.page_size - 1) / f.page_size);
  std::string item;
  for (int64_t p = 0; p < pages; ++p) {
    const int64_t first = p * f.page_size, last = std::min(count, first + f.page_size);
    std::string head =
        fmt::format(R"({{"kind":"{}","apiVersion":"v1","metadata":{{"resourceVersion":"{}")", kind,
                    kListResourceVersion);
    if (last < count) {
      head += fmt::format(R"(,"continue":"page-{}","remainingItemCount":{})", p + 1, count - last);
    }
    head += R"(},"items":[)";
    std::string body_chunks, body;
    AppendChunk(&body_chunks, head);
    body += head;
    for (int64_t i = first; i < last; ++i) {
      item.assign(i == first ? "" : ",");
      append(&item, i);
      AppendChunk(&body_chunks, item);
      body += item;
    }
    AppendChunk(&body_chunks, "]}");
    body += "]}";
    list.body_bytes += static_cast<int64_t>(body.size());
    if (bodies) {
      list.bodies.push_back(std::move(body));
    } else {
      list.answers.push_back(std::string(kChunkedHeader) + body_chunks + "0\r\n\r\n");
    }
  }
  return list;
}

[[noreturn]] void RunServer(const Flags& f, int report_fd, int control_fd) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  prctl(PR_SET_NAME, "fake-apiserver");
  const auto start = std::chrono::steady_clock::now();
  auto server = std::make_unique<Server>();
  server->page_size = f.page_size;
  server->nodes = RenderList("NodeList", f.nodes, f, false, AppendNode);
  server->pods = RenderList("PodList", f.pods, f, false,
                            [&f](std::string* out, int64_t id) { AppendListPod(out, id, f); });
  ServerReport report;
  ForEachEvent(f, f.pods, f.events, [&](const std::string& line) {
    AppendChunk(&server->watch, line);
    report.watch_bytes += static_cast<int64_t>(line.size());
  });
  report.render_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  report.node_bytes = server->nodes.body_bytes;
  report.pod_bytes = server->pods.body_bytes;

  asio::io_context ioc;
  tcp::acceptor acceptor(ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  report.port = acceptor.local_endpoint().port();
  if (write(report_fd, &report, sizeof report) != sizeof report) _exit(2);
  std::thread([&] {
    for (;;) {
      tcp::socket socket(ioc);
      acceptor.accept(socket);
      std::thread([&, s = std::move(socket)]() mutable { server->Serve(std::move(s)); }).detach();
    }
  }).detach();
  char byte;
  while (read(control_fd, &byte, 1) == 1) {  // 'g': stream the events; EOF: exit
    std::lock_guard lock(server->mu);
    server->go = true;
    server->cv.notify_all();
  }
  _exit(0);
}

}  // namespace quotient::benchmarks::sync
