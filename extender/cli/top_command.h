// `quotient top` and `quotient explain NS/NAME`: what a running Quotient knows, read
// from its ops listener (GET /debug/quota, /debug/explain) and printed as a table or a
// few sentences (--output text, the default) or as the endpoint's JSON (--output json).
//
//   quotient top [--server URL] [--output text|json]
//   quotient explain NAMESPACE/POD [--server URL] [--output text|json]
//
// URL: --server, else $QUOTIENT_METRICS_URL (test/cluster/cluster.sh env sets it), else
// http://127.0.0.1:8888. Exit codes: 0 printed, 1 the server could not be reached or
// answered an error, 2 usage.
//
// Thread safety: blocks the calling thread for the request (10 s at most).
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace quotient::extender {

int RunTop(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);
int RunExplain(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace quotient::extender
