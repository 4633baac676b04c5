// Initial sync and watch throughput of the live cluster cache, through the real code path:
// kube::ApiClient (Beast, HTTP/1.1) -> kube::Reflector (paginated LIST, then WATCH) ->
// state::PodSink / NodeSink -> state::ClusterState -> quota::QuotaLedger, wired as
// state::LiveCluster wires them (pods with kube-scheduler's field selector, 2,000 per page,
// the configured QPS/burst, io threads = cores).
//
// Run (Release build; check `uptime` first, nothing else heavy on the machine):
//   cmake --build build-bench --target bench_sync
//   build-bench/benchmarks/bench_sync --pods=150000 --nodes=15000 --events=200000
//   build-bench/benchmarks/bench_sync ... --qps=0        # no client-side rate limit
//   build-bench/benchmarks/bench_sync ... --breakdown    # + the pod list again outside the
//       reflector (fetch only / sequential / pipelined) and in-process decode/apply costs
//   build-bench/benchmarks/bench_sync --print-objects    # a list pod, a node, 20 events
// Results and what they mean: docs/benchmarks.md, "Initial sync and watch throughput".
// CI smoke:  bench_sync --smoke   (ctest -L bench; 2,000 pods, checks every count)
//
// The API server is a child process (fork before any thread): it renders every list page
// and the whole watch stream before the clock starts, then only writes pre-rendered bytes
// (lists chunked, one chunk per item: kube-apiserver answers lists chunked, in pieces of a
// few KB). Its memory is not in this process's RSS; its CPU is reported apart. Phases:
//  1. initial sync: both reflectors Start(); ends when both status().synced.
//  2. watch: the server then streams --events pod events on the open pod watch (17 of 20
//     status changes of bound pods, then per 20: a new pending pod ADDED, its binding
//     MODIFIED, one list pod DELETED); ends when status().events reaches --events.
// Every count (pods, bound pods, nodes, ledger) is checked at the end of each phase.
#include <fmt/format.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "extender/kube/list_watch_decode.h"
#include "extender/kube/query.h"
#include "extender/kube/reflector.h"
#include "extender/objects/pod_decode.h"
#include "extender/state/watch_sinks.h"
#include "extender/telemetry/logging.h"
#include "quota/quota_test_util.h"

namespace quotient::benchmarks {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
namespace kube = extender::kube;
namespace state = extender::state;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

// kube-scheduler's pod informer filter, as state::LiveCluster watches pods.
constexpr std::string_view kActivePods = "status.phase!=Succeeded,status.phase!=Failed";
constexpr int64_t kListResourceVersion = 1'000'000;
constexpr size_t kWriteSliceBytes = 1u << 20;

struct Flags {
  int64_t pods = 150'000;
  int64_t nodes = 15'000;
  int64_t events = 200'000;
  int64_t namespaces = 500;
  int64_t page_size = 2000;  // state::LiveCluster's kListPageSize
  int64_t io_threads = std::max(1u, std::thread::hardware_concurrency());  // as serve
  double qps = 50;  // ClientConfig / server_config defaults
  int64_t burst = 100;
  bool breakdown = false;
  bool print_objects = false;  // print a list pod, a node and one event of each kind, exit
  double timeout_s = 300;
};

// ---------------------------------------------------------------------------------------
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

void AppendListPod(std::string* out, int64_t id, const Flags& f) {
  PodState s;
  s.resource_version = kListResourceVersion - 1 - id % 900'000;
  AppendPod(out, id, s, f, /*with_kind=*/false);
}

// The watch events: per 20, event 0 ADDS a new pending pod, 1 binds it (MODIFIED with
// nodeName), 2 DELETES a pod of the list, the other 17 change the status of a bound pod.
struct EventPlan {
  int64_t added = 0, bound = 0, deleted = 0;  // new pods, their bindings, list pods deleted
};
EventPlan PlanOf(int64_t events) {
  return {(events + 19) / 20, (events + 18) / 20, (events + 17) / 20};
}

template <typename OnEvent>
void ForEachEvent(const Flags& f, int64_t pods, int64_t events, OnEvent&& on_event) {
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

// ---------------------------------------------------------------------------------------
// The fake API server (child process). Pre-rendered answers; one thread per connection.

constexpr std::string_view kChunkedHeader =
    "HTTP/1.1 200 OK\r\nAudit-Id: 6c1d1f2e-bench\r\nCache-Control: no-cache, private\r\n"
    "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";

constexpr std::string_view kBadRequest = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n";

void AppendChunk(std::string* out, std::string_view bytes) {
  fmt::format_to(std::back_inserter(*out), "{:x}\r\n", bytes.size());
  out->append(bytes);
  out->append("\r\n");
}

struct ListPages {
  std::vector<std::string> answers;  // whole HTTP answers
  std::vector<std::string> bodies;   // the JSON alone, when asked for (--breakdown)
  int64_t body_bytes = 0;            // JSON only
};

template <typename AppendItem>
ListPages RenderList(std::string_view kind, int64_t count, const Flags& f, bool bodies,
                     AppendItem&& append) {
  ListPages list;
  const int64_t pages = std::max<int64_t>(1, (count + f.page_size - 1) / f.page_size);
  std::string item;
  for (int64_t p = 0; p < pages; ++p) {
    const int64_t first = p * f.page_size, last = std::min(count, first + f.page_size);
    std::string head =
        fmt::format(R"({{"kind":"{}","apiVersion":"v1","metadata":{{"resourceVersion":"{}")", kind,
                    kListResourceVersion);
    if (last < count) {
      head += fmt::format(R"(,"continue":"page-{}","remainingItemCount":{})", p + 1, count - last);
    }
    head += R"(},"items":[)";
    std::string body_chunks, body;
    AppendChunk(&body_chunks, head);
    body += head;
    for (int64_t i = first; i < last; ++i) {
      item.assign(i == first ? "" : ",");
      append(&item, i);
      AppendChunk(&body_chunks, item);
      body += item;
    }
    AppendChunk(&body_chunks, "]}");
    body += "]}";
    list.body_bytes += static_cast<int64_t>(body.size());
    if (bodies) {
      list.bodies.push_back(std::move(body));
    } else {
      list.answers.push_back(std::string(kChunkedHeader) + body_chunks + "0\r\n\r\n");
    }
  }
  return list;
}

struct ServerReport {  // child -> parent, once, through a pipe
  uint16_t port = 0;
  int64_t node_bytes = 0, pod_bytes = 0, watch_bytes = 0;
  double render_s = 0;
};

struct Server {
  int64_t page_size = 0;
  ListPages nodes, pods;
  std::string watch;  // the pod watch stream after the header: chunked event lines
  std::mutex mu;
  std::condition_variable cv;
  bool go = false;  // guarded by mu: stream the pod events

  static std::string Param(std::string_view target, std::string_view name) {
    const size_t q = target.find('?');
    std::string_view query = q == std::string_view::npos ? "" : target.substr(q + 1);
    while (!query.empty()) {
      const std::string_view pair = query.substr(0, query.find('&'));
      if (pair.substr(0, pair.find('=')) == name) {
        std::string out;  // URL-decoded
        for (size_t i = pair.find('=') + 1; i < pair.size(); ++i) {
          if (pair[i] == '%' && i + 2 < pair.size()) {
            out += static_cast<char>(std::stoi(std::string(pair.substr(i + 1, 2)), nullptr, 16));
            i += 2;
          } else {
            out += pair[i];
          }
        }
        return out;
      }
      query.remove_prefix(std::min(query.size(), pair.size() + 1));
    }
    return {};
  }

  // Answers the connection's requests until it closes. A watch holds it to the end.
  void Serve(tcp::socket socket) {
    boost::beast::flat_buffer buffer;
    boost::system::error_code ec;
    for (;;) {
      http::request<http::string_body> req;
      http::read(socket, buffer, req, ec);
      if (ec) return;
      const std::string target(req.target());
      const std::string path = target.substr(0, target.find('?'));
      const bool is_pods = path == "/api/v1/pods";
      if ((!is_pods && path != "/api/v1/nodes") ||
          (is_pods && Param(target, "fieldSelector") != kActivePods)) {
        asio::write(socket, asio::buffer(kBadRequest), ec);
        continue;
      }
      if (Param(target, "watch") == "1") {
        asio::write(socket, asio::buffer(kChunkedHeader), ec);
        if (is_pods) {
          std::unique_lock lock(mu);
          cv.wait(lock, [&] { return go; });
          lock.unlock();
          for (size_t at = 0; at < watch.size() && !ec; at += kWriteSliceBytes) {
            asio::write(
                socket,
                asio::buffer(watch.data() + at, std::min(kWriteSliceBytes, watch.size() - at)), ec);
          }
        }
        char byte;
        socket.read_some(asio::buffer(&byte, 1), ec);  // until the client closes
        return;
      }
      const ListPages& list = is_pods ? pods : nodes;
      const std::string token = Param(target, "continue");
      const size_t page = token.empty() ? 0 : std::stoul(token.substr(5));
      if (Param(target, "limit") != std::to_string(page_size) || page >= list.answers.size()) {
        asio::write(socket, asio::buffer(kBadRequest), ec);
        continue;
      }
      asio::write(socket, asio::buffer(list.answers[page]), ec);
      if (ec) return;
    }
  }
};

[[noreturn]] void RunServer(const Flags& f, int report_fd, int control_fd) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  prctl(PR_SET_NAME, "fake-apiserver");
  const auto start = Clock::now();
  auto server = std::make_unique<Server>();
  server->page_size = f.page_size;
  server->nodes = RenderList("NodeList", f.nodes, f, false, AppendNode);
  server->pods = RenderList("PodList", f.pods, f, false,
                            [&f](std::string* out, int64_t id) { AppendListPod(out, id, f); });
  ServerReport report;
  ForEachEvent(f, f.pods, f.events, [&](const std::string& line) {
    AppendChunk(&server->watch, line);
    report.watch_bytes += static_cast<int64_t>(line.size());
  });
  report.render_s = std::chrono::duration<double>(Clock::now() - start).count();
  report.node_bytes = server->nodes.body_bytes;
  report.pod_bytes = server->pods.body_bytes;

  asio::io_context ioc;
  tcp::acceptor acceptor(ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  report.port = acceptor.local_endpoint().port();
  if (write(report_fd, &report, sizeof report) != sizeof report) _exit(2);
  std::thread([&] {
    for (;;) {
      tcp::socket socket(ioc);
      acceptor.accept(socket);
      std::thread([&, s = std::move(socket)]() mutable { server->Serve(std::move(s)); }).detach();
    }
  }).detach();
  char byte;
  while (read(control_fd, &byte, 1) == 1) {  // 'g': stream the events; EOF: exit
    std::lock_guard lock(server->mu);
    server->go = true;
    server->cv.notify_all();
  }
  _exit(0);
}

// ---------------------------------------------------------------------------------------
// Measurements of this process (the client).

struct Snapshot {
  Clock::time_point at = Clock::now();
  double cpu_s = 0;         // this process, user + system
  int64_t faults = 0;       // this process, minor + major page faults
  double server_cpu_s = 0;  // the child
  int64_t rss_kib = 0, hwm_kib = 0, maxrss_kib = 0;
  int64_t heap_bytes = 0;     // malloc'd and in use (all arenas)
  double machine_busy_s = 0;  // every CPU of the machine (/proc/stat), busy time
};

// Busy CPU time of the whole machine: user, nice, system, irq, softirq, steal.
double MachineBusySeconds() {
  std::ifstream in("/proc/stat");
  std::string cpu;
  int64_t user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
  in >> cpu >> user >> nice >> system >> idle >> iowait >> irq >> softirq >> steal;
  return static_cast<double>(user + nice + system + irq + softirq + steal) /
         static_cast<double>(sysconf(_SC_CLK_TCK));
}

int64_t StatusKib(const std::string& text, std::string_view key) {
  const size_t at = text.find(key);
  return at == std::string::npos ? 0 : std::stoll(text.substr(at + key.size()));
}

Snapshot Take(pid_t child) {
  Snapshot s;
  s.machine_busy_s = MachineBusySeconds();
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  s.cpu_s = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
            static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
  s.maxrss_kib = ru.ru_maxrss;
  s.faults = ru.ru_minflt + ru.ru_majflt;
  std::ifstream status_file("/proc/self/status");
  const std::string status((std::istreambuf_iterator<char>(status_file)), {});
  s.rss_kib = StatusKib(status, "VmRSS:");
  s.hwm_kib = StatusKib(status, "VmHWM:");
  const struct mallinfo2 mi = mallinfo2();
  s.heap_bytes = static_cast<int64_t>(mi.uordblks + mi.hblkhd);
  std::ifstream stat_file(fmt::format("/proc/{}/stat", child));
  const std::string stat((std::istreambuf_iterator<char>(stat_file)), {});
  std::string_view rest = std::string_view(stat).substr(stat.rfind(')') + 2);
  for (int field = 3; field < 14; ++field) rest.remove_prefix(rest.find(' ') + 1);  // to utime
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  const int64_t utime = std::stoll(std::string(rest.substr(0, rest.find(' '))));
  rest.remove_prefix(rest.find(' ') + 1);
  s.server_cpu_s = static_cast<double>(utime + std::stoll(std::string(rest))) / ticks;
  return s;
}

std::string LoadAverage() {
  std::ifstream in("/proc/loadavg");
  std::string a, b, c;
  in >> a >> b >> c;
  return a + " " + b + " " + c;
}

double Seconds(Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

// Cores kept busy by anything but this process and the server during [a, b].
double OtherLoad(const Snapshot& a, const Snapshot& b) {
  const double others = (b.machine_busy_s - a.machine_busy_s) - (b.cpu_s - a.cpu_s) -
                        (b.server_cpu_s - a.server_cpu_s);
  return std::max(0.0, others / Seconds(b.at - a.at));
}

double MiB(int64_t bytes) {
  return static_cast<double>(bytes) / (1 << 20);
}

bool Check(bool ok, std::string_view what) {
  if (!ok) {
    std::fprintf(stderr, "bench_sync: FAILED: %.*s\n", static_cast<int>(what.size()), what.data());
  }
  return ok;
}

std::shared_ptr<const quota::QuotaTree> QuotaTreeFor(const Flags& f, int64_t* leaves) {
  // 25 departments; one leaf per two namespaces (team-000, team-001 -> dept-xx.team-000).
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

int64_t Count(double x) {
  return static_cast<int64_t>(x);
}

// --breakdown: page `p` of the pod list, through `client` (as the reflector asks for it).
asio::awaitable<kube::ApiResponse> FetchPodPage(kube::ApiClient* client, const Flags& f,
                                                int64_t p) {
  kube::Query query("/api/v1/pods");
  query.Add("limit", std::to_string(f.page_size));
  if (p > 0) query.Add("continue", fmt::format("page-{}", p));
  query.Add("fieldSelector", kActivePods);
  std::string target = query.target();
  std::string body;
  kube::RequestOptions options;
  auto request = client->Request(kube::Method::kGet, std::move(target), std::move(body),
                                 std::move(options));  // named: GCC bug 99576
  kube::ApiResponse page = co_await std::move(request);
  co_return page;
}

// --breakdown: the pod list again, outside the reflector, into a fresh ClusterState and
// ledger: pages fetched through an ApiClient without rate limit and decoded by PodSink on
// this thread. kFetchOnly: no decode. kSequential: fetch, decode, fetch... as
// Reflector::ListAll does. kPipelined: page p+1 is requested before page p is decoded (a
// prototype: the continue tokens are known here; a reflector would read metadata.continue,
// which precedes the items, first). *start and *end: measurements around the list.
enum class ListMode { kFetchOnly, kSequential, kPipelined };
void ListPods(asio::io_context& ioc, kube::ClientConfig config, const Flags& f, ListMode mode,
              pid_t child, Snapshot* start, Snapshot* end) {
  config.qps = 0;
  kube::ApiClient client(ioc, config);
  int64_t leaves = 0;
  quota::QuotaLedger ledger(QuotaTreeFor(f, &leaves), {});
  state::ClusterState cluster(&ledger);
  state::PodSink sink(&cluster);
  const int64_t pages = std::max<int64_t>(1, (f.pods + f.page_size - 1) / f.page_size);
  auto fetch = [&](int64_t p) {
    return asio::co_spawn(ioc, FetchPodPage(&client, f, p), asio::use_future);
  };
  const std::function<void(extender::json::od::value&)> on_item = [&](auto& item) {
    std::string error;
    if (!sink.Apply(kube::EventType::kAdded, item, &error)) std::abort();
  };
  *start = Take(child);
  sink.BeginList();
  std::future<kube::ApiResponse> next = fetch(0);
  for (int64_t p = 0; p < pages; ++p) {
    const kube::ApiResponse page = next.get();
    if (!page.ok()) std::abort();
    if (p + 1 < pages && mode != ListMode::kSequential) next = fetch(p + 1);
    kube::ListMeta meta;
    std::string error;
    if (mode != ListMode::kFetchOnly && !kube::DecodeListPage(page.body, on_item, &meta, &error)) {
      std::abort();
    }
    if (p + 1 < pages && mode == ListMode::kSequential) next = fetch(p + 1);
  }
  sink.EndList();
  *end = Take(child);
  if (mode != ListMode::kFetchOnly && cluster.counts().bound_pods != static_cast<size_t>(f.pods)) {
    std::abort();
  }
}

// ---------------------------------------------------------------------------------------
// The client: the production wiring (state::LiveCluster) against the child server.

bool RunClient(const Flags& f, pid_t child, const ServerReport& server, int control_fd) {
  int64_t leaves = 0;
  quota::QuotaLedger ledger(QuotaTreeFor(f, &leaves), {});
  state::ClusterState cluster(&ledger);
  state::PodSink pod_sink(&cluster);
  state::NodeSink node_sink(&cluster);
  asio::io_context ioc(static_cast<int>(f.io_threads));
  auto guard = asio::make_work_guard(ioc);
  kube::ClientConfig config;
  config.https = false;
  config.host = "127.0.0.1";
  config.port = server.port;
  config.server = fmt::format("http://127.0.0.1:{}", server.port);
  config.qps = f.qps;
  config.burst = static_cast<int>(f.burst);
  kube::ApiClient client(ioc, config);
  auto make = [&](std::string name, std::string path, std::string_view selector,
                  kube::ObjectSink* sink) {
    kube::ReflectorOptions o;  // LiveCluster's: default resync and watch timeout
    o.name = std::move(name);
    o.list_path = std::move(path);
    o.field_selector = std::string(selector);
    o.page_size = f.page_size;
    return std::make_unique<kube::Reflector>(ioc, &client, std::move(o), sink);
  };
  auto nodes = make("nodes", "/api/v1/nodes", "", &node_sink);
  auto pods = make("pods", "/api/v1/pods", kActivePods, &pod_sink);
  std::vector<std::thread> threads;
  for (int i = 0; i < f.io_threads; ++i) {
    threads.emplace_back([&ioc] {
      pthread_setname_np(pthread_self(), "sync-io");
      ioc.run();
    });
  }
  const auto deadline = Clock::now() + std::chrono::duration<double>(f.timeout_s);
  auto wait_until = [&](auto&& done) {
    while (!done()) {
      if (Clock::now() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return true;
  };
  const std::string load_before = LoadAverage();

  // 1. Initial sync.
  const Snapshot before = Take(child);
  nodes->Start();
  pods->Start();
  bool ok = Check(wait_until([&] { return nodes->status().synced && pods->status().synced; }),
                  "initial sync within --timeout");
  const Snapshot synced = Take(child);
  const kube::ReflectorStatus node_status = nodes->status(), pod_status = pods->status();
  state::ClusterCounts counts = cluster.counts();
  ok &= Check(counts.nodes == static_cast<size_t>(f.nodes), "every node in the cache");
  ok &= Check(counts.pods == static_cast<size_t>(f.pods), "every pod in the cache");
  ok &= Check(counts.bound_pods == static_cast<size_t>(f.pods), "every pod bound");
  ok &= Check(ledger.bound_count() == static_cast<size_t>(f.pods), "every pod charged");
  ok &= Check(node_status.lists == 1 && pod_status.lists == 1 && node_status.failures == 0 &&
                  pod_status.failures == 0,
              "one list each, no failure");
  ok &= Check(node_status.skipped_objects + pod_status.skipped_objects == 0, "no object skipped");

  // 2. Watch events.
  const Snapshot watch_start = Take(child);
  if (write(control_fd, "g", 1) != 1) ok = Check(false, "start the event stream");
  ok &= Check(wait_until([&] { return pods->status().events >= static_cast<uint64_t>(f.events); }),
              "every watch event applied within --timeout");
  const Snapshot watched = Take(child);
  const EventPlan plan = PlanOf(f.events);
  counts = cluster.counts();
  ok &= Check(counts.pods == static_cast<size_t>(f.pods + plan.added - plan.deleted),
              "pods after the events");
  ok &= Check(counts.bound_pods == static_cast<size_t>(f.pods + plan.bound - plan.deleted),
              "bound pods after the events");
  ok &= Check(ledger.bound_count() == counts.bound_pods, "ledger after the events");
  ok &= Check(pods->status().skipped_objects == 0 && pods->status().watch_restarts == 0,
              "no event skipped, one watch");

  struct ListRun {
    std::string_view name;
    ListMode mode;
    Snapshot start{}, end{};
  };
  std::vector<ListRun> list_runs;
  if (f.breakdown) {
    list_runs = {
        {"pod list again, fetch only (ApiClient, no decode)", ListMode::kFetchOnly},
        {"pod list again, fetch then decode (as ListAll)", ListMode::kSequential},
        {"pod list again, next page fetched while decoding (prototype)", ListMode::kPipelined}};
    for (ListRun& run : list_runs) ListPods(ioc, config, f, run.mode, child, &run.start, &run.end);
  }

  nodes->Stop();
  pods->Stop();
  client.Stop();
  nodes.reset();  // waits for the loops while the io threads run
  pods.reset();
  guard.reset();
  ioc.stop();
  for (auto& t : threads) t.join();

  // Report.
  const double sync_s = Seconds(synced.at - before.at);
  const double watch_s = Seconds(watched.at - watch_start.at);
  const int64_t listed = server.node_bytes + server.pod_bytes;
  fmt::print(
      "bench_sync: {} pods (avg {} B of JSON each), {} nodes (avg {} B), {} namespaces, {} quota "
      "leaves; pages of {} (chunked, one chunk per item); {} io threads; qps {} burst {}\n",
      f.pods, server.pod_bytes / std::max<int64_t>(1, f.pods), f.nodes,
      server.node_bytes / std::max<int64_t>(1, f.nodes), f.namespaces, leaves, f.page_size,
      f.io_threads, f.qps, f.burst);
  fmt::print("server (child process) rendered everything in {:.1f} s before the clock started\n",
             server.render_s);
  fmt::print("load average before: {}; after: {}\n\n", load_before, LoadAverage());
  fmt::print(
      "| phase | wall s | objects | objects/s | MB (10^6) | MB/s | client CPU s | server CPU s "
      "| client page faults | other load (cores) |\n");
  fmt::print("|---|---|---|---|---|---|---|---|---|---|\n");
  fmt::print(
      "| initial sync (both synced) | {:.3f} | {} | {} | {:.1f} | {:.0f} | {:.2f} | {:.2f} | "
      "{} | {:.2f} |\n",
      sync_s, f.pods + f.nodes, Count((f.pods + f.nodes) / sync_s), listed / 1e6,
      listed / 1e6 / sync_s, synced.cpu_s - before.cpu_s, synced.server_cpu_s - before.server_cpu_s,
      synced.faults - before.faults, OtherLoad(before, synced));
  fmt::print("| &nbsp; nodes list | {:.3f} | {} | {} | {:.1f} | | | | | |\n",
             Seconds(node_status.last_sync - before.at), f.nodes,
             Count(f.nodes / Seconds(node_status.last_sync - before.at)), server.node_bytes / 1e6);
  fmt::print("| &nbsp; pods list | {:.3f} | {} | {} | {:.1f} | | | | | |\n",
             Seconds(pod_status.last_sync - before.at), f.pods,
             Count(f.pods / Seconds(pod_status.last_sync - before.at)), server.pod_bytes / 1e6);
  fmt::print(
      "| watch: pod events | {:.3f} | {} | **{}** events/s | {:.1f} | {:.0f} | {:.2f} | {:.2f} | "
      "{} | {:.2f} |\n",
      watch_s, f.events, Count(f.events / watch_s), server.watch_bytes / 1e6,
      server.watch_bytes / 1e6 / watch_s, watched.cpu_s - watch_start.cpu_s,
      watched.server_cpu_s - watch_start.server_cpu_s, watched.faults - watch_start.faults,
      OtherLoad(watch_start, watched));
  for (const ListRun& run : list_runs) {
    const double run_s = Seconds(run.end.at - run.start.at);
    fmt::print("| {} | {:.3f} | {} | {} | {:.1f} | {:.0f} | {:.2f} | {:.2f} | {} | {:.2f} |\n",
               run.name, run_s, f.pods, Count(f.pods / run_s), server.pod_bytes / 1e6,
               server.pod_bytes / 1e6 / run_s, run.end.cpu_s - run.start.cpu_s,
               run.end.server_cpu_s - run.start.server_cpu_s, run.end.faults - run.start.faults,
               OtherLoad(run.start, run.end));
  }
  fmt::print("\n");
  const double per_object = static_cast<double>(synced.heap_bytes - before.heap_bytes) /
                            static_cast<double>(f.pods + f.nodes);
  fmt::print("memory of this process (the server's is not in it):\n");
  fmt::print(
      "  RSS before sync {:.0f} MiB, after sync {:.0f} MiB (+{:.0f} MiB), after the watch {:.0f} "
      "MiB\n",
      before.rss_kib / 1024.0, synced.rss_kib / 1024.0, (synced.rss_kib - before.rss_kib) / 1024.0,
      watched.rss_kib / 1024.0);
  fmt::print(
      "  heap in use before sync {:.0f} MiB, after sync {:.0f} MiB: {:.0f} B per object "
      "(pods + nodes), after the watch {:.0f} MiB\n",
      MiB(before.heap_bytes), MiB(synced.heap_bytes), per_object, MiB(watched.heap_bytes));
  fmt::print(
      "  peak RSS at sync end: ru_maxrss {:.0f} MiB, VmHWM {:.0f} MiB; at the end: ru_maxrss "
      "{:.0f} MiB, VmHWM {:.0f} MiB\n\n",
      synced.maxrss_kib / 1024.0, synced.hwm_kib / 1024.0, watched.maxrss_kib / 1024.0,
      watched.hwm_kib / 1024.0);
  const auto verdict = [](bool met) { return met ? "met" : "MISSED"; };
  fmt::print(
      "targets: sync <= 3 s: {} ({:.2f} s); peak RSS <= 1 GiB: {} ({:.0f} MiB); "
      ">= 20,000 pod events/s: {} ({})\n",
      verdict(sync_s <= 3), sync_s, verdict(watched.hwm_kib <= (1 << 20)), watched.hwm_kib / 1024.0,
      verdict(f.events / watch_s >= 20'000), Count(f.events / watch_s));
  return ok;
}

// ---------------------------------------------------------------------------------------
// --breakdown: the same objects decoded and applied in-process on one thread, step by
// step (no HTTP, no reflector): where a list item and a watch event spend their time.

template <typename Fn>
double BestOf(int runs, Fn&& fn) {
  double best = 1e30;
  for (int r = 0; r < runs; ++r) {
    const auto start = Clock::now();
    fn();
    best = std::min(best, Seconds(Clock::now() - start));
  }
  return best;
}

void Breakdown(const Flags& f) {
  namespace od = extender::json::od;
  const int64_t pods = std::min<int64_t>(f.pods, 20'000);
  const int64_t events = std::min<int64_t>(f.events, 20'000);
  const ListPages list = RenderList(
      "PodList", pods, f, true, [&f](std::string* out, int64_t id) { AppendListPod(out, id, f); });
  std::vector<extender::RequestBody> pages;
  for (const auto& body : list.bodies) pages.push_back(extender::RequestBody::Copy(body));
  std::vector<std::string> lines;
  ForEachEvent(f, pods, events,
               [&](const std::string& line) { lines.push_back(line.substr(0, line.size() - 1)); });
  int64_t line_bytes = 0;
  for (const auto& l : lines) line_bytes += static_cast<int64_t>(l.size());
  int64_t leaves = 0;
  const auto tree = QuotaTreeFor(f, &leaves);

  auto each_page = [&](const std::function<void(od::value&)>& on_item) {
    for (const auto& page : pages) {
      kube::ListMeta meta;
      std::string error;
      if (!kube::DecodeListPage(page, on_item, &meta, &error)) std::abort();
    }
  };
  extender::PodInfo pod;
  extender::DecodeError derr;
  const double walk = BestOf(3, [&] { each_page([](od::value&) {}); });
  const double decode = BestOf(3, [&] {
    each_page([&](od::value& item) { extender::DecodePodObject(item, nullptr, &pod, &derr); });
  });
  std::unique_ptr<quota::QuotaLedger> ledger;
  std::unique_ptr<state::ClusterState> cluster;
  std::unique_ptr<state::PodSink> sink;
  const double apply = BestOf(3, [&] {
    sink.reset();
    cluster.reset();
    ledger = std::make_unique<quota::QuotaLedger>(tree, quota::QuotaLedger::Options{});
    cluster = std::make_unique<state::ClusterState>(ledger.get());
    sink = std::make_unique<state::PodSink>(cluster.get());
    sink->BeginList();
    std::string error;
    each_page([&](od::value& item) { sink->Apply(kube::EventType::kAdded, item, &error); });
    sink->EndList();
  });

  auto each_event = [&](int depth) {
    for (const auto& line : lines) {
      extender::RequestBody event = extender::RequestBody::Copy(line);
      if (depth == 0) continue;
      od::document doc;
      kube::WatchEventHead head;
      std::string error;
      if (!kube::DecodeEventHead(event, &doc, &head, &error)) std::abort();
      if (depth == 1) continue;
      const auto type = head.type == kube::WatchEventType::kAdded      ? kube::EventType::kAdded
                        : head.type == kube::WatchEventType::kModified ? kube::EventType::kModified
                                                                       : kube::EventType::kDeleted;
      kube::DecodeEventObject(
          doc,
          [&](od::value& object) {
            if (depth == 2) return extender::DecodePodObject(object, nullptr, &pod, &derr);
            return sink->Apply(type, object, &error);
          },
          &error);
    }
  };
  const double copy = BestOf(3, [&] { each_event(0); });
  const double head = BestOf(3, [&] { each_event(1); });
  const double object = BestOf(3, [&] { each_event(2); });
  const double applied = BestOf(1, [&] { each_event(3); });

  const double n = static_cast<double>(pods), e = static_cast<double>(events);
  const double list_mb = static_cast<double>(list.body_bytes) / 1e6;
  fmt::print("\nin-process breakdown, one thread ({} list pods in {} pages, {} watch events):\n",
             pods, pages.size(), events);
  fmt::print("| step (cumulative) | µs per object | MB/s |\n|---|---|---|\n");
  fmt::print("| list page: parse, skip every item | {:.2f} | {:.0f} |\n", walk / n * 1e6,
             list_mb / walk);
  fmt::print("| + DecodePodObject | {:.2f} | {:.0f} |\n", decode / n * 1e6, list_mb / decode);
  fmt::print("| + PodSink::Apply (ClusterState, ledger) | {:.2f} | {:.0f} |\n", apply / n * 1e6,
             list_mb / apply);
  const double event_mb = static_cast<double>(line_bytes) / 1e6;
  fmt::print("| event: RequestBody::Copy | {:.2f} | {:.0f} |\n", copy / e * 1e6, event_mb / copy);
  fmt::print("| + DecodeEventHead (1st pass) | {:.2f} | {:.0f} |\n", head / e * 1e6,
             event_mb / head);
  fmt::print("| + DecodeEventObject + DecodePodObject (2nd pass) | {:.2f} | {:.0f} |\n",
             object / e * 1e6, event_mb / object);
  fmt::print("| + PodSink::Apply (instead of the bare decode) | {:.2f} | {:.0f} |\n",
             applied / e * 1e6, event_mb / applied);
}

bool ParseFlags(int argc, char** argv, Flags* f) {
  const std::pair<std::string_view, int64_t*> counts[] = {
      {"--pods", &f->pods},           {"--nodes", &f->nodes},
      {"--events", &f->events},       {"--namespaces", &f->namespaces},
      {"--page-size", &f->page_size}, {"--io-threads", &f->io_threads},
      {"--burst", &f->burst}};
  const std::pair<std::string_view, double*> reals[] = {{"--qps", &f->qps},
                                                        {"--timeout", &f->timeout_s}};
  const std::pair<std::string_view, bool*> switches[] = {{"--breakdown", &f->breakdown},
                                                         {"--print-objects", &f->print_objects}};
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const std::string_view name = arg.substr(0, arg.find('='));
    const std::string value(arg.substr(std::min(arg.size(), name.size() + 1)));
    bool known = false;
    try {
      for (const auto& [flag, out] : counts) {
        if (flag == name) *out = std::stoll(value), known = true;
      }
      for (const auto& [flag, out] : reals) {
        if (flag == name) *out = std::stod(value), known = true;
      }
    } catch (const std::exception&) {
      known = false;
    }
    for (const auto& [flag, out] : switches) {
      if (flag == arg) *out = true, known = true;
    }
    if (arg == "--smoke") {
      f->pods = 2'000, f->nodes = 200, f->events = 2'000, f->namespaces = 50, f->timeout_s = 60;
      known = true;
    }
    if (!known) {
      std::fprintf(stderr,
                   "usage: bench_sync [--pods=N] [--nodes=N] [--events=N] [--namespaces=N] "
                   "[--page-size=N] [--io-threads=N] [--qps=X (0: no limit)] [--burst=N] "
                   "[--breakdown] [--print-objects] [--timeout=SECONDS] [--smoke]\n"
                   "bad argument: %s\n",
                   argv[i]);
      return false;
    }
  }
  const int64_t deletions = PlanOf(f->events).deleted;
  if (f->pods <= deletions || f->nodes < 1 || f->namespaces < 1 || f->page_size < 1 ||
      f->io_threads < 1) {
    std::fprintf(stderr, "bench_sync: need --pods > events/20, and positive counts\n");
    return false;
  }
  return true;
}

int Main(int argc, char** argv) {
  Flags f;
  if (!ParseFlags(argc, argv, &f)) return 2;
  if (f.print_objects) {
    std::string text;
    AppendListPod(&text, 1, f);
    text += "\n";
    AppendNode(&text, 0);
    text += "\n";
    ForEachEvent(f, f.pods, 20, [&](const std::string& line) { text += line; });
    std::fwrite(text.data(), 1, text.size(), stdout);
    return 0;
  }
  int report_pipe[2], control_pipe[2];
  if (pipe(report_pipe) != 0 || pipe(control_pipe) != 0) return 2;
  const pid_t child = fork();  // before any thread: the server's memory stays out of ours
  if (child < 0) return 2;
  if (child == 0) {
    close(report_pipe[0]);
    close(control_pipe[1]);
    RunServer(f, report_pipe[1], control_pipe[0]);
  }
  close(report_pipe[1]);
  close(control_pipe[0]);
  ServerReport server;
  if (read(report_pipe[0], &server, sizeof server) != sizeof server) {
    std::fprintf(stderr, "bench_sync: the server process failed\n");
    return 2;
  }
  extender::ConfigureLogging(extender::LogFormat::kText, "warn");
  const bool ok = RunClient(f, child, server, control_pipe[1]);
  close(control_pipe[1]);  // the server exits
  waitpid(child, nullptr, 0);
  if (ok && f.breakdown) Breakdown(f);
  return ok ? 0 : 1;
}

}  // namespace
}  // namespace quotient::benchmarks

int main(int argc, char** argv) {
  return quotient::benchmarks::Main(argc, argv);
}
