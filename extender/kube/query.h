// Builds an API request target: a path plus URL-encoded query parameters.
//
//   Query q("/api/v1/pods");
//   q.Add("fieldSelector", "spec.nodeName=node-1");
//   q.target();  // "/api/v1/pods?fieldSelector=spec.nodeName%3Dnode-1"
//
// Thread safety: thread-compatible value.
#pragma once

#include <string>
#include <string_view>

namespace quotient::extender::kube {

// Percent-encodes everything but RFC 3986 unreserved characters (A-Z a-z 0-9 - _ . ~).
std::string UrlEncode(std::string_view text);

class Query {
 public:
  // `path` may already carry a query ("/apis/x?a=b"): parameters are appended to it.
  explicit Query(std::string path);
  void Add(std::string_view name, std::string_view value);
  const std::string& target() const { return target_; }

 private:
  std::string target_;
  bool has_query_;
};

}  // namespace quotient::extender::kube
