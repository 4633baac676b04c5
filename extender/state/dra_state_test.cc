// The claim charge of pods (DraState) through the watch sinks into ClusterState and the
// quota ledger: estimate before allocation, the allocation's charge after, a shared claim
// charged once, a claim not there yet, KEP-5004 claims not charged twice, release on
// deletion, unmapped classes counted.
#include "extender/state/dra_state.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "extender/objects/pod_decode.h"
#include "extender/state/dra_sinks.h"
#include "extender/state/watch_sinks.h"
#include "extender/telemetry/metrics.h"
#include "quota/quota_test_util.h"

namespace quotient::extender::state {
namespace {

using ::testing::HasSubstr;

constexpr std::string_view kGpu = "nvidia.com/gpu";

quota::DeviceChargeConfig GpuMapping() {
  quota::DeviceChargeConfig config;
  std::string error;
  EXPECT_TRUE(quota::DeviceChargeConfig::Build(
      {{"gpu.nvidia.com", std::string(kGpu), quota::DeviceChargeMode::kDevices, "", ""}}, &config,
      &error))
      << error;
  return config;
}

// A pod in namespace team-a using claims by name (`claims`) or from a template.
std::string Pod(std::string_view name, std::string_view uid, std::string_view node,
                std::string_view claim_entries, std::string_view statuses = "",
                std::string_view extended = "") {
  std::string status = R"("phase": "Pending")";
  if (!statuses.empty()) status += fmt::format(R"(, "resourceClaimStatuses": [{}])", statuses);
  if (!extended.empty()) {
    status +=
        fmt::format(R"(, "extendedResourceClaimStatus": {{"resourceClaimName": "{}"}})", extended);
  }
  return fmt::format(
      R"({{"metadata": {{"name": "{}", "namespace": "team-a", "uid": "{}"}},
          "spec": {{{}"containers": [{{"name": "c", "resources": {{"requests": {{"cpu": "1"}}}}}}],
                   "resourceClaims": [{}]}},
          "status": {{{}}}}})",
      name, uid, node.empty() ? "" : fmt::format(R"("nodeName": "{}", )", node), claim_entries,
      status);
}

// A claim in team-a asking `count` devices of `device_class`; allocated to devices of
// node-1's pool and reserved for `reserved_uids` when `allocated`.
std::string Claim(std::string_view name, std::string_view uid, int count,
                  std::string_view device_class = "gpu.nvidia.com", bool allocated = false,
                  std::vector<std::string> reserved_uids = {}) {
  std::string status;
  if (allocated) {
    std::string results, reserved;
    for (int i = 0; i < count; ++i) {
      results += fmt::format(
          R"({}{{"request": "gpu", "driver": "gpu.nvidia.com", "pool": "node-1",
                "device": "gpu-{}"}})",
          i == 0 ? "" : ",", i);
    }
    for (size_t i = 0; i < reserved_uids.size(); ++i) {
      reserved += fmt::format(R"({}{{"resource": "pods", "name": "p", "uid": "{}"}})",
                              i == 0 ? "" : ",", reserved_uids[i]);
    }
    status = fmt::format(
        R"(, "status": {{"allocation": {{"devices": {{"results": [{}]}}}}, "reservedFor": [{}]}})",
        results, reserved);
  }
  return fmt::format(
      R"({{"metadata": {{"name": "{}", "namespace": "team-a", "uid": "{}"}},
          "spec": {{"devices": {{"requests": [{{"name": "gpu", "exactly":
              {{"deviceClassName": "{}", "allocationMode": "ExactCount", "count": {}}}}}]}}}}{}}})",
      name, uid, device_class, count, status);
}

constexpr std::string_view kSlice = R"({"metadata": {"name": "node-1-gpus"},
    "spec": {"driver": "gpu.nvidia.com", "nodeName": "node-1",
             "pool": {"name": "node-1", "generation": 1, "resourceSliceCount": 1},
             "devices": [{"name": "gpu-0"}, {"name": "gpu-1"}, {"name": "gpu-2"}]}})";

class DraChargeTest : public ::testing::Test {
 protected:
  DraChargeTest() { ApplyTo(slices_, kube::EventType::kAdded, kSlice); }

  template <typename Sink>
  void ApplyTo(Sink& sink, kube::EventType type, std::string_view json) {
    simdjson::padded_string padded(json);
    json::od::parser parser;
    json::od::document doc = parser.iterate(padded);
    json::od::value value = doc.get_value();
    std::string error;
    EXPECT_TRUE(sink.Apply(type, value, &error)) << error << "\n" << json;
  }
  void AddPod(std::string_view json) { ApplyTo(pods_, kube::EventType::kAdded, json); }
  void AddClaim(std::string_view json) { ApplyTo(claims_, kube::EventType::kModified, json); }

  int64_t UsedGpus() {
    const quota::QuotaUsage& usage = ledger_.usage();
    const quota::QuotaTree& tree = usage.tree();
    return usage.Used(tree.Find("root.a"), tree.ResourceIndex(kGpu));
  }
  // The webhook path: the pod as the filter sees it.
  PodInfo Enriched(std::string_view json) {
    simdjson::padded_string padded(json);
    json::od::parser parser;
    json::od::document doc = parser.iterate(padded);
    json::od::value value = doc.get_value();
    PodInfo pod;
    DecodeError error;
    EXPECT_TRUE(DecodePodObject(value, nullptr, &pod, &error)) << error.message;
    enricher_.Enrich(&pod);
    return pod;
  }

  quota::QuotaLedger ledger_{
      quota::testing::TreeBuilder()
          .AddQuota("root.a", "root", {{}, {{kGpu, 4}, {"cpu", 100'000}}, {"team-a"}})
          .Build(),
      {}};
  metrics::Registry registry_;
  DraState dra_{GpuMapping(), &registry_};
  DraEnricher enricher_{&dra_};
  ClusterState state_{&ledger_};
  PodSink pods_{&state_, nullptr, &enricher_, {}, &dra_};
  ClaimSink claims_{&dra_, &state_};
  SliceSink slices_{&dra_};
};

constexpr std::string_view kByName = R"({"name": "gpu", "resourceClaimName": "train-gpus"})";

TEST_F(DraChargeTest, AClaimNotAllocatedYetIsChargedWhatItAsks) {
  AddClaim(Claim("train-gpus", "c1", 2));
  PodInfo pod = Enriched(Pod("train", "p1", "", kByName));
  EXPECT_EQ(pod.claim_problem, ClaimProblem::kNone);
  EXPECT_EQ(pod.claim_charge, (quota::ResourceList{{kGpu, 2}}));
  EXPECT_THAT(pod.claim_note, HasSubstr("claim train-gpus (device class gpu.nvidia.com"));
  EXPECT_EQ(QuotaRequests(pod).Get(kGpu), 2);
  EXPECT_EQ(pod.requests.Get(kGpu), 0) << "the node's charge stays without the claim";
}

TEST_F(DraChargeTest, ABoundPodIsChargedItsAllocationAndReleasedOnDeletion) {
  AddClaim(Claim("train-gpus", "c1", 2, "gpu.nvidia.com", true, {"p1"}));
  AddPod(Pod("train", "p1", "node-1", kByName));
  EXPECT_EQ(UsedGpus(), 2);
  PodRecord record;
  ASSERT_TRUE(state_.FindPod("p1", &record));
  EXPECT_EQ(record.requests.Get(kGpu), 0);
  ApplyTo(pods_, kube::EventType::kDeleted, Pod("train", "p1", "node-1", kByName));
  EXPECT_EQ(UsedGpus(), 0);
}

TEST_F(DraChargeTest, AClaimAllocatedAfterThePodBoundReplacesTheEstimate) {
  // Ask for All devices: the estimate is the largest pool (3), the allocation holds 2.
  std::string all = Claim("train-gpus", "c1", 1);
  all.replace(all.find(R"("allocationMode": "ExactCount", "count": 1)"),
              std::string_view(R"("allocationMode": "ExactCount", "count": 1)").size(),
              R"("allocationMode": "All")");
  AddClaim(all);
  AddPod(Pod("train", "p1", "node-1", kByName));
  EXPECT_EQ(UsedGpus(), 3) << "All is charged the largest pool before allocation";
  AddClaim(Claim("train-gpus", "c1", 2, "gpu.nvidia.com", true, {"p1"}));
  EXPECT_EQ(UsedGpus(), 2) << "the allocation's charge replaces the estimate";
}

TEST_F(DraChargeTest, ASharedClaimIsChargedOnceToThePodReservedFirst) {
  AddClaim(Claim("train-gpus", "c1", 1, "gpu.nvidia.com", true, {"p1", "p2"}));
  AddPod(Pod("worker-1", "p1", "node-1", kByName));
  AddPod(Pod("worker-2", "p2", "node-1", kByName));
  EXPECT_EQ(UsedGpus(), 1);
  EXPECT_TRUE(Enriched(Pod("worker-2", "p2", "node-1", kByName)).claim_charge.empty());
  // worker-1 leaves and the claim's reservedFor follows: worker-2 pays now.
  ApplyTo(pods_, kube::EventType::kDeleted, Pod("worker-1", "p1", "node-1", kByName));
  EXPECT_EQ(UsedGpus(), 0);
  AddClaim(Claim("train-gpus", "c1", 1, "gpu.nvidia.com", true, {"p2"}));
  EXPECT_EQ(UsedGpus(), 1);
}

TEST_F(DraChargeTest, AClaimNotSeenYetIsAProblemNotAFreePass) {
  PodInfo pod = Enriched(Pod("train", "p1", "", kByName));
  EXPECT_EQ(pod.claim_problem, ClaimProblem::kPending);
  EXPECT_THAT(pod.claim_note, HasSubstr("ResourceClaim team-a/train-gpus not seen yet"));
  // Bound before the claim's event arrived: charged once the claim is seen.
  AddPod(Pod("train", "p1", "node-1", kByName));
  EXPECT_EQ(UsedGpus(), 0);
  AddClaim(Claim("train-gpus", "c1", 1, "gpu.nvidia.com", true, {"p1"}));
  EXPECT_EQ(UsedGpus(), 1);
}

TEST_F(DraChargeTest, ATemplateClaimIsResolvedThroughThePodStatus) {
  constexpr std::string_view kTemplate =
      R"({"name": "gpu", "resourceClaimTemplateName": "one-gpu"})";
  PodInfo waiting = Enriched(Pod("train", "p1", "", kTemplate));
  EXPECT_EQ(waiting.claim_problem, ClaimProblem::kPending);
  EXPECT_THAT(waiting.claim_note, HasSubstr("not generated from its template yet"));
  AddClaim(Claim("train-gpu-x7k2p", "c1", 1));
  PodInfo generated = Enriched(Pod("train", "p1", "", kTemplate,
                                   R"({"name": "gpu", "resourceClaimName": "train-gpu-x7k2p"})"));
  EXPECT_EQ(generated.claim_problem, ClaimProblem::kNone);
  EXPECT_EQ(generated.claim_charge.Get(kGpu), 1);
}

TEST_F(DraChargeTest, AnExtendedResourceClaimIsNotChargedTwice) {
  // KEP-5004: the container asks nvidia.com/gpu, the scheduler writes a claim for it.
  AddClaim(Claim("train-extended-resources-abcde", "c1", 1, "gpu.nvidia.com", true, {"p1"}));
  PodInfo pod = Enriched(Pod("train", "p1", "node-1", "", "", "train-extended-resources-abcde"));
  EXPECT_TRUE(pod.claim_charge.empty());
  EXPECT_EQ(pod.claim_problem, ClaimProblem::kNone);
}

TEST_F(DraChargeTest, AClaimWhoseChargeIsRefusedIsAProblemNamingIt) {
  AddClaim(Claim("train-gpus", "c1", 40));
  PodInfo pod = Enriched(Pod("train", "p1", "", kByName));
  EXPECT_EQ(pod.claim_problem, ClaimProblem::kRefused);
  EXPECT_THAT(pod.claim_note, HasSubstr("ResourceClaim team-a/train-gpus: claim request gpu: 40 "
                                        "devices > 32"));
}

TEST_F(DraChargeTest, AnUnmappedClassIsChargedNothingAndCountedOncePerClaim) {
  AddClaim(Claim("fpga", "c9", 1, "fpga.example.com"));
  AddClaim(Claim("fpga", "c9", 1, "fpga.example.com"));  // the same claim again
  PodInfo pod = Enriched(Pod("train", "p1", "", R"({"name": "f", "resourceClaimName": "fpga"})"));
  EXPECT_EQ(pod.claim_problem, ClaimProblem::kNone);
  EXPECT_TRUE(pod.claim_charge.empty());
  // The pod's note (filter messages, explain) says what is free and why.
  EXPECT_THAT(pod.claim_note,
              HasSubstr("claim fpga: class fpga.example.com is not in dra.deviceClasses, its "
                        "devices charged nothing"));
  EXPECT_THAT(
      registry_.Render(),
      HasSubstr(R"(quotient_dra_unmapped_claims_total{device_class="fpga.example.com"} 1)"));
}

TEST_F(DraChargeTest, TheClaimNoteStaysBoundedHoweverManyClaimsAPodNames) {
  // 200 claims with long names (the API allows 256 per pod): every one is charged, the
  // note names the first few and counts the rest.
  std::string entries;
  for (int i = 0; i < 200; ++i) {
    const std::string name = fmt::format("claim-{:03d}-{}", i, std::string(200, 'x'));
    AddClaim(
        Claim(name, fmt::format("c{}", i), 1, i % 2 == 0 ? "gpu.nvidia.com" : "fpga.example.com"));
    entries += fmt::format(R"({}{{"name": "r{}", "resourceClaimName": "{}"}})", i == 0 ? "" : ",",
                           i, name);
  }
  PodInfo pod = Enriched(Pod("train", "p1", "", entries));
  EXPECT_EQ(pod.claim_problem, ClaimProblem::kNone);
  EXPECT_EQ(pod.claim_charge.Get(kGpu), 100) << "the bound is on the note, not the charge";
  EXPECT_LE(pod.claim_note.size(), DraState::kMaxClaimNoteBytes + 32) << pod.claim_note;
  EXPECT_THAT(pod.claim_note, HasSubstr("claim claim-000-x"));
  EXPECT_THAT(pod.claim_note, ::testing::EndsWith(" more"));
}

TEST_F(DraChargeTest, ADeletedClaimTakesItsChargeAway) {
  AddClaim(Claim("train-gpus", "c1", 1, "gpu.nvidia.com", true, {"p1"}));
  AddPod(Pod("train", "p1", "node-1", kByName));
  EXPECT_EQ(UsedGpus(), 1);
  ApplyTo(claims_, kube::EventType::kDeleted, Claim("train-gpus", "c1", 1));
  EXPECT_EQ(UsedGpus(), 0);
}

TEST_F(DraChargeTest, AClaimTheRelistNoLongerHasIsDropped) {
  AddClaim(Claim("train-gpus", "c1", 1, "gpu.nvidia.com", true, {"p1"}));
  AddPod(Pod("train", "p1", "node-1", kByName));
  claims_.BeginList();
  claims_.EndList();
  EXPECT_EQ(dra_.claim_count(), 0u);
  EXPECT_EQ(UsedGpus(), 0);
}

}  // namespace
}  // namespace quotient::extender::state
