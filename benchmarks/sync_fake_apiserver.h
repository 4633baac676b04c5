// bench_sync's API server, run in a child process forked before any thread (so its memory
// stays out of the client's RSS). It renders every list page and the whole pod watch stream
// before the clock starts, then only writes pre-rendered bytes: lists chunked, one chunk per
// item (kube-apiserver answers lists chunked, in pieces of a few KB), one thread per
// connection. It answers GET /api/v1/nodes and /api/v1/pods (with kActivePods) page by page
// (`limit` must be the page size, `continue` as it gave), and `watch=1`: the pod watch
// streams its events once the parent writes 'g' on the control pipe, the node watch none.
// Anything else gets 400.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "benchmarks/sync_objects.h"

namespace quotient::benchmarks::sync {

struct ListPages {
  std::vector<std::string> answers;  // whole HTTP answers
  std::vector<std::string> bodies;   // the JSON alone, when asked for (--breakdown)
  int64_t body_bytes = 0;            // JSON only
};

// `count` items (`append` writes item i) in pages of f.page_size, as a list of `kind`: whole
// HTTP answers, or with `bodies` the JSON alone.
ListPages RenderList(std::string_view kind, int64_t count, const Flags& f, bool bodies,
                     const std::function<void(std::string*, int64_t)>& append);

struct ServerReport {  // child -> parent, once, through a pipe
  uint16_t port = 0;
  int64_t node_bytes = 0, pod_bytes = 0, watch_bytes = 0;
  double render_s = 0;
};

// The child's whole life: renders, listens on 127.0.0.1 (port 0), writes a ServerReport to
// `report_fd`, serves until `control_fd` reaches end of file, then exits. It dies with its
// parent (PR_SET_PDEATHSIG).
[[noreturn]] void RunServer(const Flags& f, int report_fd, int control_fd);

}  // namespace quotient::benchmarks::sync
