// A minimal HTTP/1.1 GET for the operator commands (`quotient top`, `quotient explain`)
// that read a running server's ops listener. Plain HTTP only: the ops listener
// (server.metricsListen) never uses TLS.
//
// Thread safety: each call runs its own io_context on the calling thread and blocks it
// for at most `timeout`.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace quotient::extender {

struct FetchResult {
  bool ok = false;  // a response arrived (any status)
  unsigned status = 0;
  std::string body;
  std::string error;  // why no response arrived
};

// GETs `base_url` + `target`. `base_url` is http://HOST[:PORT] (default port 80) with no
// path; `target` starts with '/'.
FetchResult HttpGet(std::string_view base_url, std::string_view target,
                    std::chrono::milliseconds timeout = std::chrono::seconds(10));

// Percent-encodes a query value (unreserved characters kept).
std::string UrlEncode(std::string_view value);

// The server the commands talk to: --server, else $QUOTIENT_METRICS_URL, else the default
// listen address http://127.0.0.1:8888.
std::string DefaultServerUrl();

}  // namespace quotient::extender
