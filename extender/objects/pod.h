// What Quotient keeps of a v1.Pod: identity, scheduling attributes and its effective
// resource requests. Built from API JSON by DecodePodObject (pod_decode.h); everything the
// decisions need, nothing more.
//
// Thread safety: value type (thread-compatible).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "extender/json/string_pairs.h"
#include "quota/resource_list.h"

namespace quotient::extender {

// A spec.resourceClaims[] entry: exactly one of claim_name and template_name is set in a
// valid pod (the API enforces it; Quotient keeps what it was sent).
struct PodClaimRef {
  std::string name;           // the name containers use
  std::string claim_name;     // resourceClaimName: a claim in the pod's namespace
  std::string template_name;  // resourceClaimTemplateName: a claim generated per pod
  bool operator==(const PodClaimRef&) const = default;
};

// At most this many spec.resourceClaims or status.resourceClaimStatuses entries
// (Quotient's bound; a longer list fails to decode, naming the field).
inline constexpr int64_t kMaxPodResourceClaims = 256;

// Why a pod's DRA claims could not be charged (state::DraState::ChargePod, docs/dra.md).
enum class ClaimProblem {
  kNone,
  kPending,  // a claim does not exist yet (a template's claim not generated, or not seen)
  kRefused,  // a claim's charge is refused (quota::ClaimChargeCode)
};

struct PodInfo {
  std::string name;
  std::string ns;  // metadata.namespace
  std::string uid;
  std::string node_name;           // spec.nodeName, empty while pending
  std::string phase;               // status.phase
  std::string creation_timestamp;  // RFC 3339 as sent; empty when absent or null
  bool terminating = false;        // metadata.deletionTimestamp is set
  int32_t priority = 0;            // spec.priority (0 when absent)
  bool preemption_never = false;   // spec.preemptionPolicy == "Never"
  std::string scheduler_name;      // spec.schedulerName ("" when absent: default-scheduler)
  bool unschedulable = false;      // status.conditions: PodScheduled False, reason Unschedulable
  bool nominated = false;          // status.nominatedNodeName set (priority preemption under way)
  std::string nominated_node;      // status.nominatedNodeName
  StringPairs labels;
  StringPairs annotations;
  // Effective requests as kube-scheduler computes them (pod_requests.h), plus
  // "pods": 1. Units as in quota/resource_list.h.
  quota::ResourceList requests;
  // Dynamic Resource Allocation (docs/dra.md): spec.resourceClaims, the generated claims'
  // names from status.resourceClaimStatuses (pod claim name -> claim name, "" while not
  // generated), and KEP-5004's status.extendedResourceClaimStatus.resourceClaimName.
  std::vector<PodClaimRef> resource_claims;
  StringPairs resource_claim_statuses;
  std::string extended_resource_claim;
  // Set by the DRA enricher (state::DraState), not decoded: the quota charge of the pod's
  // claims (quota only: no node advertises it, kube-scheduler's DRA plugin checks device
  // fit), why it could not be charged, and which claims and classes it charged or the
  // problem ("claim gpu-0 (device class gpu.nvidia.com: nvidia.com/gpu=1)").
  quota::ResourceList claim_charge;
  ClaimProblem claim_problem = ClaimProblem::kNone;
  std::string claim_note;
};

// What the pod charges to its quota: its requests plus its claims' charge.
quota::ResourceList QuotaRequests(const PodInfo& pod);

// Finds `key` in labels or annotations; returns nullptr when absent.
const std::string* FindValue(const StringPairs& pairs, std::string_view key);

}  // namespace quotient::extender
