// The reclaim engine as /debug/explain's ReclaimStatusSource: what the Reclaimer says of
// a pod it reclaims for or evicted (extender/control/reclaimer.h).
//
// Thread safety: thread-safe (the Reclaimer is).
#pragma once

#include "extender/control/reclaimer.h"
#include "extender/debug/explain.h"

namespace quotient::extender {

class ReclaimerStatusSource : public ReclaimStatusSource {
 public:
  // REQUIRES: `reclaimer` outlives this object (it may be null: no reclaim).
  explicit ReclaimerStatusSource(const state::Reclaimer* reclaimer) : reclaimer_(reclaimer) {}
  std::vector<std::string> ReclaimsFor(std::string_view ns, std::string_view pod,
                                       const quota::QuotaTree& tree,
                                       quota::QuotaId leaf) const override {
    (void)tree, (void)leaf;
    return reclaimer_ != nullptr ? reclaimer_->Describe(ns, pod) : std::vector<std::string>{};
  }

 private:
  const state::Reclaimer* const reclaimer_;
};

}  // namespace quotient::extender
