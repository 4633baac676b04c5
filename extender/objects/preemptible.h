// Non-preemptible pods (docs/quota.md, "Non-preemptible pods"): a pod labelled
//
//   quotient.io/preemptible: "false"
//
// is never chosen as a victim, neither by Quotient's reclaim nor in the scheduler's
// priority preemption (the preempt verb drops it), and in exchange it is admitted only
// within its quota's guaranteed `min` (quota::PodDemand::preemptible). The value is
// compared case-insensitively; any other value, or no label, leaves the pod preemptible.
// A label rather than an annotation so that operators can select such pods
// (`kubectl get pods -l quotient.io/preemptible=false`).
//
// Thread safety: pure functions.
#pragma once

#include <string_view>

#include "extender/objects/pod.h"

namespace quotient::extender {

inline constexpr std::string_view kPreemptibleLabel = "quotient.io/preemptible";

// False iff the pod carries kPreemptibleLabel with the value "false" (any case).
bool IsPreemptible(const PodInfo& pod);

}  // namespace quotient::extender
