// The gate every write to the API passes (Bindings, Evictions, Events, patches): with
// leader election, only the replica holding the lease may write (leader_elector.h). A
// writer checks MayWrite() before it sends, and passes the fence in RequestOptions so that
// the client checks it again when the request leaves the rate limit and the connection line
// (ApiClient; the wait there can take seconds in a burst); a closed fence fails the write
// locally, with Why() as the reason, and nothing reaches the API server.
//
// Thread safety: implementations are thread-safe; MayWrite() is cheap (an atomic load).
#pragma once

#include <string>

namespace quotient::extender::kube {

class WriteFence {
 public:
  virtual ~WriteFence() = default;
  virtual bool MayWrite() const = 0;
  // Why writes are fenced now, for errors and logs ("not the leader (the lease is held by x)").
  virtual std::string Why() const = 0;
};

// Open when `fence` is null (no leader election), else what it says.
inline bool MayWrite(const WriteFence* fence) {
  return fence == nullptr || fence->MayWrite();
}

}  // namespace quotient::extender::kube
