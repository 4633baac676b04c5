// bench_sync --breakdown: where the time of a list item and of a watch event goes.
// ListPods lists the pods again outside the reflector (fetch only, fetch then decode, or the
// next page fetched while decoding); Breakdown decodes and applies the same objects in
// process on one thread, step by step, and prints a table.
//
// Thread safety: each call owns what it builds; ListPods runs its requests on `ioc`, whose
// threads the caller runs.
#pragma once

#include <sys/types.h>

#include <boost/asio/io_context.hpp>

#include "benchmarks/sync_measure.h"
#include "benchmarks/sync_objects.h"
#include "extender/kube/api_client.h"

namespace quotient::benchmarks::sync {

// --breakdown: the pod list again, outside the reflector, into a fresh ClusterState and
// ledger: pages fetched through an ApiClient without rate limit and decoded by PodSink on
// this thread. kFetchOnly: no decode. kSequential: fetch, decode, fetch... as
// Reflector::ListAll does. kPipelined: page p+1 is requested before page p is decoded (a
// prototype: the continue tokens are known here; a reflector would read metadata.continue,
// which precedes the items, first). *start and *end: measurements around the list.
enum class ListMode { kFetchOnly, kSequential, kPipelined };
void ListPods(boost::asio::io_context& ioc, extender::kube::ClientConfig config, const Flags& f,
              ListMode mode, pid_t child, Snapshot* start, Snapshot* end);

// The in-process steps over min(f.pods, 20,000) list pods and min(f.events, 20,000) events:
// parse a page, + DecodePodObject, + PodSink::Apply; an event's copy, head, object, apply.
void Breakdown(const Flags& f);

}  // namespace quotient::benchmarks::sync
