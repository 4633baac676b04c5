// With leader election, the outermost decider: a replica that may not write (it does not
// hold the Lease, or its renew deadline passed, kube/leader_elector.h) decides nothing. It
// answers every verb with an error naming why ("not the leader: the lease is held by x"),
// which kube-scheduler reports and retries with backoff; it never admits a pod, scores,
// proposes victims or binds. The leader passes everything to the inner chain.
//
// Thread safety: as the wrapped decider; the fence is thread-safe.
#pragma once

#include <memory>
#include <string>

#include "extender/kube/write_fence.h"
#include "extender/wire/decider.h"

namespace quotient::extender::state {

class LeaderGateDecider : public Decider {
 public:
  // REQUIRES: fence outlives the decider.
  LeaderGateDecider(std::unique_ptr<Decider> inner, const kube::WriteFence* fence)
      : inner_(std::move(inner)), fence_(fence) {}

  std::string Describe() const override { return inner_->Describe() + ", leader-elected"; }
  FilterDecision Filter(const ExtenderArgs& args) override;
  PrioritizeDecision Prioritize(const ExtenderArgs& args) override;
  PreemptDecision Preempt(const PreemptionArgs& args) override;
  boost::asio::awaitable<BindDecision> Bind(BindingArgs args) override;

 private:
  const std::unique_ptr<Decider> inner_;
  const kube::WriteFence* const fence_;
};

}  // namespace quotient::extender::state
