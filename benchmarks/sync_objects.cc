#include "benchmarks/sync_objects.h"

#include <fmt/format.h>

#include <initializer_list>
#include <iterator>
#include <vector>

#include "quota/quota_test_util.h"

namespace quotient::benchmarks::sync {
namespace {

// Realistic objects. Deterministic: the same cluster every run.

uint64_t Mix(uint64_t x) {  // splitmix64
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

std::string Uid(uint64_t seed) {
  const uint64_t a = Mix(seed), b = Mix(a);
  return fmt::format("{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}", a >> 32, (a >> 16) & 0xffff, a & 0xfff,
                     0x8000 | (b >> 48 & 0x3fff), b & 0xffffffffffffULL);
}

std::string Hex(uint64_t seed, int chars) {
  std::string out;
  for (uint64_t x = Mix(seed); static_cast<int>(out.size()) < chars; x = Mix(x)) {
    out += fmt::format("{:016x}", x);
  }
  out.resize(static_cast<size_t>(chars));
  return out;
}

std::string Suffix(uint64_t seed, int chars) {  // as Kubernetes' rand.String
  constexpr std::string_view kAlphabet = "bcdfghjklmnpqrstvwxz2456789";
  std::string out;
  for (uint64_t x = Mix(seed); static_cast<int>(out.size()) < chars; x /= kAlphabet.size()) {
    out += kAlphabet[x % kAlphabet.size()];
  }
  return out;
}

std::string Stamp(uint64_t seconds) {  // RFC 3339, within November 2026
  return fmt::format("2026-11-{:02d}T{:02d}:{:02d}:{:02d}Z", 1 + seconds / 86400 % 28,
                     seconds / 3600 % 24, seconds / 60 % 60, seconds % 60);
}

// Appends `tmpl` with each '%' replaced by the next argument.
void Fill(std::string* out, std::string_view tmpl, std::initializer_list<std::string_view> args) {
  auto arg = args.begin();
  for (size_t at; (at = tmpl.find('%')) != std::string_view::npos; tmpl.remove_prefix(at + 1)) {
    out->append(tmpl.substr(0, at));
    out->append(*arg++);
  }
  out->append(tmpl);
}

std::string NodeName(int64_t n) {
  return fmt::format("{}-{:05d}", n % 10 == 0 ? "gpu-a100-pool" : "cpu-general-pool", n);
}
bool GpuNode(int64_t n) {
  return n % 10 == 0;
}

// A pod of a Deployment (ReplicaSet owner), as the API server serves it.
enum class PodPhase { kPending, kScheduled, kRunning };
struct PodState {
  PodPhase phase = PodPhase::kRunning;
  int64_t resource_version = 0;
  int restarts = 0;
  bool ready = true;
  bool deleting = false;
  int64_t changed = 0;  // seconds offset of the last status change
};

int64_t NodeOf(int64_t pod, const Flags& f) {
  return pod % f.nodes;
}

void AppendPod(std::string* out, int64_t id, const PodState& s, const Flags& f, bool with_kind) {
  constexpr std::string_view kApps[] = {"web", "api", "worker", "trainer", "inference", "batch"};
  const int64_t node = NodeOf(id, f);
  const bool gpu = GpuNode(node), sidecar = id % 2 == 0, bound = s.phase != PodPhase::kPending;
  const std::string ns = fmt::format("team-{:03d}", id % f.namespaces);
  const std::string_view app = kApps[(id / f.namespaces) % std::size(kApps)];
  const std::string rs = fmt::format("{}-{}", app, Suffix(Mix(id % f.namespaces) ^ app.size(), 10));
  const std::string name = rs + "-" + Suffix(id * 31 + 7, 5), uid = Uid(id * 17 + 5);
  const std::string rs_uid = Uid(id % f.namespaces * 101 + app.size());
  const std::string token = Suffix(id * 29 + 3, 5), born = Stamp(1'000'000 + id % 500'000);
  const std::string ip =
      fmt::format("10.{}.{}.{}", 128 + node / 256 % 64, node % 256, 2 + id / f.nodes % 250);
  const std::string host_ip =
      fmt::format("10.{}.{}.{}", 16 + node / 65536, node / 256 % 256, node % 256);
  const std::string changed = Stamp(1'000'100 + id % 500'000 + s.changed);
  const std::string image = fmt::format("registry.example.com/{}/{}", ns, app);
  const std::string tag = fmt::format("1.{}.{}", id % 30, id % 7);
  out->append(with_kind ? R"({"kind":"Pod","apiVersion":"v1","metadata":{)" : R"({"metadata":{)");
  Fill(
      out,
      R"("name":"%","generateName":"%-","namespace":"%","uid":"%","resourceVersion":"%","creationTimestamp":"%",)",
      {name, rs, ns, uid, std::to_string(s.resource_version), born});
  if (s.deleting)
    Fill(out, R"("deletionTimestamp":"%","deletionGracePeriodSeconds":30,)", {changed});
  Fill(
      out,
      R"("labels":{"app":"%","app.kubernetes.io/name":"%","pod-template-hash":"%","team":"%"},"ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"%","uid":"%","controller":true,"blockOwnerDeletion":true}],)",
      {app, app, rs.substr(app.size() + 1), ns, rs, rs_uid});
  // managedFields: kube-controller-manager created it; the kubelet writes status.
  constexpr std::string_view kEnvFields =
      R"("f:env":{".":{},"k:{\"name\":\"GOMAXPROCS\"}":{".":{},"f:name":{},"f:value":{}},"k:{\"name\":\"LOG_LEVEL\"}":{".":{},"f:name":{},"f:value":{}},"k:{\"name\":\"POD_NAME\"}":{".":{},"f:name":{},"f:valueFrom":{".":{},"f:fieldRef":{}}}},)";
  constexpr std::string_view kResourceFields =
      R"("f:resources":{".":{},"f:limits":{".":{},"f:cpu":{},"f:memory":{}},"f:requests":{".":{},"f:cpu":{},"f:memory":{}}},"f:terminationMessagePath":{},"f:terminationMessagePolicy":{}})";
  Fill(
      out,
      R"("managedFields":[{"manager":"kube-controller-manager","operation":"Update","apiVersion":"v1","time":"%","fieldsType":"FieldsV1","fieldsV1":{"f:metadata":{"f:generateName":{},"f:labels":{".":{},"f:app":{},"f:app.kubernetes.io/name":{},"f:pod-template-hash":{},"f:team":{}},"f:ownerReferences":{".":{},"k:{\"uid\":\"%\"}":{}}},"f:spec":{"f:containers":{"k:{\"name\":\"%\"}":{".":{},%"f:image":{},"f:imagePullPolicy":{},"f:name":{},"f:ports":{".":{},"k:{\"containerPort\":8080,\"protocol\":\"TCP\"}":{".":{},"f:containerPort":{},"f:name":{},"f:protocol":{}}},%)",
      {born, rs_uid, app, kEnvFields, kResourceFields});
  if (sidecar) {
    Fill(
        out,
        R"(,"k:{\"name\":\"log-shipper\"}":{".":{},%"f:image":{},"f:imagePullPolicy":{},"f:name":{},%)",
        {kEnvFields, kResourceFields});
  }
  out->append(
      R"(},"f:dnsPolicy":{},"f:enableServiceLinks":{},"f:restartPolicy":{},"f:schedulerName":{},"f:securityContext":{},"f:terminationGracePeriodSeconds":{}}}})");
  if (s.phase == PodPhase::kRunning) {
    Fill(
        out,
        R"(,{"manager":"kubelet","operation":"Update","apiVersion":"v1","time":"%","fieldsType":"FieldsV1","fieldsV1":{"f:status":{"f:conditions":{"k:{\"type\":\"ContainersReady\"}":{".":{},"f:lastProbeTime":{},"f:lastTransitionTime":{},"f:status":{},"f:type":{}},"k:{\"type\":\"Initialized\"}":{".":{},"f:lastProbeTime":{},"f:lastTransitionTime":{},"f:status":{},"f:type":{}},"k:{\"type\":\"Ready\"}":{".":{},"f:lastProbeTime":{},"f:lastTransitionTime":{},"f:status":{},"f:type":{}}},"f:containerStatuses":{},"f:hostIP":{},"f:hostIPs":{},"f:phase":{},"f:podIP":{},"f:podIPs":{".":{},"k:{\"ip\":\"%\"}":{".":{},"f:ip":{}}},"f:startTime":{}}},"subresource":"status"})",
        {changed, ip});
  }
  // spec
  Fill(
      out,
      R"(]},"spec":{"volumes":[{"name":"kube-api-access-%","projected":{"sources":[{"serviceAccountToken":{"expirationSeconds":3607,"path":"token"}},{"configMap":{"name":"kube-root-ca.crt","items":[{"key":"ca.crt","path":"ca.crt"}]}},{"downwardAPI":{"items":[{"path":"namespace","fieldRef":{"apiVersion":"v1","fieldPath":"metadata.namespace"}}]}}],"defaultMode":420}}],"containers":[)",
      {token});
  constexpr std::string_view kContainer =
      R"({"name":"%","image":"%:%",%"env":[{"name":"LOG_LEVEL","value":"info"},{"name":"POD_NAME","valueFrom":{"fieldRef":{"apiVersion":"v1","fieldPath":"metadata.name"}}},{"name":"GOMAXPROCS","value":"2"}],"resources":{"limits":{%},"requests":{%}},"volumeMounts":[{"name":"kube-api-access-%","readOnly":true,"mountPath":"/var/run/secrets/kubernetes.io/serviceaccount"}],"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File","imagePullPolicy":"IfNotPresent"})";
  Fill(
      out, kContainer,
      {app, image, tag, R"("ports":[{"name":"http","containerPort":8080,"protocol":"TCP"}],)",
       gpu ? R"("cpu":"8","memory":"64Gi","nvidia.com/gpu":"1")" : R"("cpu":"2","memory":"4Gi")",
       gpu ? R"("cpu":"4","memory":"32Gi","nvidia.com/gpu":"1")" : R"("cpu":"500m","memory":"1Gi")",
       token});
  if (sidecar) {
    out->push_back(',');
    Fill(out, kContainer,
         {"log-shipper", "registry.example.com/platform/fluent-bit", "3.1.4", "",
          R"("cpu":"200m","memory":"256Mi")", R"("cpu":"100m","memory":"128Mi")", token});
  }
  out->append(
      R"(],"restartPolicy":"Always","terminationGracePeriodSeconds":30,"dnsPolicy":"ClusterFirst","serviceAccountName":"default","serviceAccount":"default",)");
  if (bound) Fill(out, R"("nodeName":"%",)", {NodeName(node)});
  out->append(
      R"("securityContext":{},"schedulerName":"default-scheduler","tolerations":[{"key":"node.kubernetes.io/not-ready","operator":"Exists","effect":"NoExecute","tolerationSeconds":300},{"key":"node.kubernetes.io/unreachable","operator":"Exists","effect":"NoExecute","tolerationSeconds":300}],"priority":0,"enableServiceLinks":true,"preemptionPolicy":"PreemptLowerPriority"},)");
  // status
  if (s.phase == PodPhase::kPending) {
    out->append(R"("status":{"phase":"Pending","qosClass":"Burstable"}})");
    return;
  }
  constexpr std::string_view kCondition =
      R"({"type":"%","status":"%","lastProbeTime":null,"lastTransitionTime":"%"})";
  if (s.phase == PodPhase::kScheduled) {
    out->append(R"("status":{"phase":"Pending","conditions":[)");
    Fill(out, kCondition, {"PodScheduled", "True", changed});
    out->append(R"(],"qosClass":"Burstable"}})");
    return;
  }
  const std::string_view ready = s.ready ? "True" : "False";
  out->append(R"("status":{"phase":"Running","conditions":[)");
  Fill(out, kCondition, {"Initialized", "True", born});
  out->push_back(',');
  Fill(out, kCondition, {"Ready", ready, changed});
  out->push_back(',');
  Fill(out, kCondition, {"ContainersReady", ready, changed});
  out->push_back(',');
  Fill(out, kCondition, {"PodScheduled", "True", born});
  Fill(
      out,
      R"(],"hostIP":"%","hostIPs":[{"ip":"%"}],"podIP":"%","podIPs":[{"ip":"%"}],"startTime":"%","containerStatuses":[)",
      {host_ip, host_ip, ip, ip, born});
  constexpr std::string_view kStatus =
      R"({"name":"%","state":{"running":{"startedAt":"%"}},"lastState":{},"ready":%,"restartCount":%,"image":"%:%","imageID":"%@sha256:%","containerID":"containerd://%","started":true})";
  const std::string restarts = std::to_string(s.restarts);
  Fill(out, kStatus,
       {app, changed, s.ready ? "true" : "false", restarts, image, tag, image,
        Hex(id % f.namespaces, 64), Hex(id * 3 + 2, 64)});
  if (sidecar) {
    out->push_back(',');
    Fill(out, kStatus,
         {"log-shipper", changed, s.ready ? "true" : "false", restarts,
          "registry.example.com/platform/fluent-bit", "3.1.4",
          "registry.example.com/platform/fluent-bit", Hex(99, 64), Hex(id * 3 + 1, 64)});
  }
  out->append(R"(],"qosClass":"Burstable"}})");
}

}  // namespace

void AppendNode(std::string* out, int64_t n) {
  const bool gpu = GpuNode(n);
  const std::string name = NodeName(n), id = Hex(n * 7 + 1, 17),
                    ip = fmt::format("10.{}.{}.{}", 16 + n / 65536, n / 256 % 256, n % 256);
  const std::string zone = fmt::format("eu-west-1{}", "abc"[n % 3]);
  const std::string type = gpu ? "p4de.24xlarge" : "m6i.16xlarge";
  const std::string cidr = fmt::format("10.{}.{}.0/24", 128 + n / 256 % 64, n % 256);
  const std::string cap =
      gpu ? R"("cpu":"96","ephemeral-storage":"104845292Ki","hugepages-1Gi":"0","hugepages-2Mi":"0","memory":"1176832892Ki","nvidia.com/gpu":"8","pods":"110")"
          : R"("cpu":"64","ephemeral-storage":"104845292Ki","hugepages-1Gi":"0","hugepages-2Mi":"0","memory":"261092476Ki","pods":"110")";
  const std::string alloc =
      gpu ? R"("cpu":"95690m","ephemeral-storage":"95551679124","hugepages-1Gi":"0","hugepages-2Mi":"0","memory":"1150514812Ki","nvidia.com/gpu":"8","pods":"110")"
          : R"("cpu":"63770m","ephemeral-storage":"95551679124","hugepages-1Gi":"0","hugepages-2Mi":"0","memory":"255324796Ki","pods":"110")";
  const std::string beat = Stamp(2'000'000 + n % 40), born = Stamp(n * 13 % 1'000'000);
  Fill(
      out,
      R"({"metadata":{"name":"%","uid":"%","resourceVersion":"%","creationTimestamp":"%","labels":{"beta.kubernetes.io/arch":"amd64","beta.kubernetes.io/instance-type":"%","beta.kubernetes.io/os":"linux","failure-domain.beta.kubernetes.io/region":"eu-west-1","failure-domain.beta.kubernetes.io/zone":"%","kubernetes.io/arch":"amd64","kubernetes.io/hostname":"%","kubernetes.io/os":"linux","node.kubernetes.io/instance-type":"%","pool":"%","topology.ebs.csi.aws.com/zone":"%","topology.kubernetes.io/region":"eu-west-1","topology.kubernetes.io/zone":"%"%},"annotations":{"alpha.kubernetes.io/provided-node-ip":"%","csi.volume.kubernetes.io/nodeid":"{\"ebs.csi.aws.com\":\"i-%\"}","node.alpha.kubernetes.io/ttl":"0","volumes.kubernetes.io/controller-managed-attach-detach":"true"}},)",
      {name, Uid(n * 3 + 11), std::to_string(kListResourceVersion - 1 - n), born, type, zone, name,
       type, gpu ? "gpu-a100" : "general", zone, zone,
       gpu ? R"(,"nvidia.com/gpu.count":"8","nvidia.com/gpu.present":"true","nvidia.com/gpu.product":"NVIDIA-A100-SXM4-80GB")"
           : "",
       ip, id});
  Fill(out, R"("spec":{"podCIDR":"%","podCIDRs":["%"],"providerID":"aws:///%/i-%"%},)",
       {cidr, cidr, zone, id,
        gpu ? R"(,"taints":[{"key":"nvidia.com/gpu","value":"present","effect":"NoSchedule"}])"
            : ""});
  Fill(out, R"("status":{"capacity":{%},"allocatable":{%},"conditions":[)", {cap, alloc});
  constexpr std::string_view kConditions[][3] = {
      {"MemoryPressure", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"},
      {"DiskPressure", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"},
      {"PIDPressure", "KubeletHasSufficientPID", "kubelet has sufficient PID available"},
      {"Ready", "KubeletReady", "kubelet is posting ready status"}};
  for (const auto& c : kConditions) {
    Fill(
        out,
        R"({"type":"%","status":"%","lastHeartbeatTime":"%","lastTransitionTime":"%","reason":"%","message":"%"}%)",
        {c[0], c[0] == "Ready" ? "True" : "False", beat, born, c[1], c[2],
         c[0] == "Ready" ? "" : ","});
  }
  const std::string dns = fmt::format("ip-{}.eu-west-1.compute.internal", ip);
  Fill(
      out,
      R"(],"addresses":[{"type":"InternalIP","address":"%"},{"type":"InternalDNS","address":"%"},{"type":"Hostname","address":"%"}],"daemonEndpoints":{"kubeletEndpoint":{"Port":10250}},"nodeInfo":{"machineID":"%","systemUUID":"%","bootID":"%","kernelVersion":"6.1.102-111.182.amzn2023.x86_64","osImage":"Amazon Linux 2023.5.20240805","containerRuntimeVersion":"containerd://1.7.20","kubeletVersion":"v1.30.2-eks-1552ad0","kubeProxyVersion":"v1.30.2-eks-1552ad0","operatingSystem":"linux","architecture":"amd64"},"images":[)",
      {ip, dns, dns, Hex(n * 5 + 2, 32), Uid(n * 5 + 3), Uid(n * 5 + 4)});
  constexpr std::string_view kImages[][2] = {
      {"nvcr.io/nvidia/pytorch", "24.05-py3"},
      {"602401143452.dkr.ecr.eu-west-1.amazonaws.com/amazon-k8s-cni", "v1.18.3"},
      {"registry.example.com/platform/fluent-bit", "3.1.4"},
      {"registry.k8s.io/kube-proxy", "v1.30.2"},
      {"registry.k8s.io/pause", "3.9"}};
  for (size_t i = 0; i < std::size(kImages); ++i) {
    Fill(out, R"({"names":["%@sha256:%","%:%"],"sizeBytes":%}%)",
         {kImages[i][0], Hex(i * 977 + 5, 64), kImages[i][0], kImages[i][1],
          std::to_string(Mix(i) % 9'000'000'000 + 300'000), i + 1 < std::size(kImages) ? "," : ""});
  }
  out->append("]}}");
}

void AppendListPod(std::string* out, int64_t id, const Flags& f) {
  PodState s;
  s.resource_version = kListResourceVersion - 1 - id % 900'000;
  AppendPod(out, id, s, f, /*with_kind=*/false);
}

EventPlan PlanOf(int64_t events) {
  return {(events + 19) / 20, (events + 18) / 20, (events + 17) / 20};
}

void ForEachEvent(const Flags& f, int64_t pods, int64_t events,
                  const std::function<void(const std::string&)>& on_event) {
  const int64_t deletions = PlanOf(events).deleted;
  std::string line;
  for (int64_t k = 0; k < events; ++k) {
    const int64_t block = k / 20, slot = k % 20;
    PodState s;
    s.resource_version = kListResourceVersion + 1 + k;
    s.changed = 60 + k / 100;
    std::string_view type = "MODIFIED";
    int64_t id = 0;
    if (slot == 0) {
      type = "ADDED", id = pods + block, s.phase = PodPhase::kPending;
    } else if (slot == 1) {
      id = pods + block, s.phase = PodPhase::kScheduled;
    } else if (slot == 2) {
      type = "DELETED", id = block, s.deleting = true;  // list pods 0, 1, 2, ... go away
    } else {
      id = deletions + (k * 7919) % (pods - deletions);  // never a deleted pod
      s.restarts = static_cast<int>(k / 20 % 5);
      s.ready = k % 3 != 0;
    }
    line.clear();
    Fill(&line, R"({"type":"%","object":)", {type});
    AppendPod(&line, id, s, f, /*with_kind=*/true);
    line.append("}\n");
    on_event(line);
  }
}

std::shared_ptr<const quota::QuotaTree> QuotaTreeFor(const Flags& f, int64_t* leaves) {
  using quota::ResourceList;
  const ResourceList huge{
      {"cpu", 1'000'000'000'000}, {"memory", int64_t{1} << 60}, {"nvidia.com/gpu", 1'000'000}};
  quota::testing::TreeBuilder tree({huge, huge, {}});
  constexpr int kDepartments = 25;
  for (int d = 0; d < kDepartments; ++d) {
    tree.AddQuota(fmt::format("dept-{:02d}", d), "root", {{}, huge, {}});
  }
  *leaves = 0;
  for (int64_t ns = 0; ns < f.namespaces; ns += 2, ++*leaves) {
    std::vector<std::string> namespaces{fmt::format("team-{:03d}", ns)};
    if (ns + 1 < f.namespaces) namespaces.push_back(fmt::format("team-{:03d}", ns + 1));
    tree.AddQuota(fmt::format("leaf-{:03d}", ns / 2),
                  fmt::format("dept-{:02d}", ns / 2 % kDepartments),
                  {{{"cpu", 100'000}, {"memory", int64_t{1} << 40}, {"nvidia.com/gpu", 8}},
                   huge,
                   std::move(namespaces)});
  }
  return tree.Build();
}

}  // namespace quotient::benchmarks::sync
