#!/usr/bin/env python3
"""End-to-end scheduling throughput: a stock kube-scheduler alone against the same
kube-scheduler with Quotient as its extender, on the local control plane (test/cluster).

    ./dev.sh bench-e2e [--nodes 500] [--pods 1000] [--rounds 2]
    .cache/venv/bin/python benchmarks/bench_e2e.py --nodes 5000 --pods 1000 --rounds 2 \
        [--json FILE] [--keep]

One cluster (cluster.sh up in --cluster-dir, default .cache/bench-cluster; torn down at the
end unless --keep) with N fake nodes and 10 namespaces, each a leaf of Quotient's quota tree.
Each round runs both modes, plain first: with kube-scheduler stopped, P pods of 100m CPU are
created across the namespaces; then kube-scheduler starts with the mode's configuration and
schedules them all from its queue, so the scheduler, not the client creating pods, is the
bottleneck. The modes differ only in the `extenders` section: "quotient" is the shipped
deploy/scheduler/kube-scheduler-config.yaml as cluster.sh renders it, "plain" the same file
without extenders. Both raise kube-scheduler's client QPS/burst to --qps (Quotient's
kubernetes.qps/burst too), so that no client-side rate limit decides the result. Quotient runs
in both modes (in "plain" it only watches). The fake kubelet is stopped: bound pods stay
Pending and nobody writes their status while the scheduler works.

Printed per round and mode, and summed up per mode (median and range over the rounds):
  - pods/s from the first bind to the last (kube-scheduler's "Successfully bound pod to node"
    log lines, microsecond timestamps), and the ratio quotient / plain of the same round;
  - CPU µs per pod of Quotient, kube-scheduler, kube-apiserver and etcd over that span
    (/proc/PID/stat utime + stime, sampled every --sample-ms, from the last sample before the
    first bind to the first after the last, scaled to the span; resolution 10 ms of CPU);
  - the peak number of Quotient's ESTABLISHED TCP connections to the API server (its socket
    inodes matched in /proc/PID/net/tcp, sampled as above: a shorter spike can be missed);
  - Quotient's webhook server time per verb (quotient_http_request_duration_seconds, p50/p90/
    p99 interpolated within histogram buckets as Prometheus' histogram_quantile does);
  - what kube-scheduler sees: no 1.36/1.37 metric times an extender's bind, so "bind" is the mean of
    scheduler_scheduling_attempt_duration_seconds{result="scheduled"} (scheduling cycle start to
    bound) minus the mean of scheduler_scheduling_algorithm_duration_seconds (filter + score,
    extender calls included): the binding cycle, i.e. the bind call and its wait for a
    goroutine. In plain mode the DefaultBinder's own time is also there:
    scheduler_framework_extension_point_duration_seconds{extension_point="Bind"};
  - API requests per pod: kube-apiserver's apiserver_request_total deltas by verb, resource and
    subresource, and by client: kube-scheduler's rest_client_requests_total by method; Quotient's
    quotient_kube_requests_total by verb if it exports it, else the rest ("other").

Nothing is asserted on timing; the exit status is 1 only if a pod was not bound.
"""

import argparse
import datetime
import json
import os
import re
import shutil
import signal
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import yaml
from kubernetes import client, config
from kubernetes.client.rest import ApiException

ROOT = Path(__file__).resolve().parents[1]
CLUSTER_SH = ROOT / "test" / "cluster" / "cluster.sh"
sys.path.insert(0, str(ROOT / "test" / "cluster"))
import nodes as fake_nodes  # noqa: E402  (test/cluster/nodes.py)
from prom_text import delta, histogram, parse_metrics, quantile, select  # noqa: E402

MODES = ("plain", "quotient")
COMPONENTS = ("quotient", "kube-scheduler", "kube-apiserver", "etcd")
VERBS = ("filter", "prioritize", "preempt", "bind")
BOUND_LINE = "Successfully bound pod to node"
BENCH_LABEL = "quotient.test/bench-e2e"
CLK_TCK = os.sysconf("SC_CLK_TCK")
# So that the scheduler's /metrics is readable without credentials (127.0.0.1 only).
SCHEDULER_ARGS = "--authorization-always-allow-paths=/healthz,/readyz,/livez,/metrics"


def log(msg):
    print(f"bench-e2e: {msg}", file=sys.stderr, flush=True)


# ---- the cluster ----------------------------------------------------------------------------

class Cluster:
    """cluster.sh in one state directory, and what the benchmark reads from it."""

    def __init__(self, state_dir, env):
        self.state_dir = Path(state_dir)
        self.env = {**os.environ, "QUOTIENT_CLUSTER_DIR": str(state_dir), **env}

    def sh(self, *args, capture=False, check=True):
        r = subprocess.run([str(CLUSTER_SH), *args], env=self.env, text=True,
                           stdout=subprocess.PIPE if capture else subprocess.DEVNULL)
        if check and r.returncode != 0:
            raise RuntimeError(f"cluster.sh {' '.join(args)} failed ({r.returncode}); "
                               f"logs in {self.state_dir}/logs")
        return r.stdout

    def load(self):
        self.ports = dict(re.findall(r"^(\w+)=(\d+)$",
                                     (self.state_dir / "cluster.env").read_text(), re.M))
        self.kubeconfig = str(self.state_dir / "kubeconfig")
        self.token = (self.state_dir / "token").read_text().strip()
        self.api = config.new_client_from_config(config_file=self.kubeconfig)
        self.core = client.CoreV1Api(self.api)

    def pid(self, name):
        try:
            return int((self.state_dir / "pids" / name).read_text())
        except (OSError, ValueError):
            return None

    def scheduler_log(self):
        return self.state_dir / "logs" / "kube-scheduler.log"

    def scheduler_config_path(self):
        return self.state_dir / "kube-scheduler-config.yaml"

    def _get(self, url, headers=None):
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        req = urllib.request.Request(url, headers=headers or {})
        with urllib.request.urlopen(req, timeout=30, context=ctx) as r:
            return r.read().decode()

    def quotient_metrics(self):
        return self._get(f"http://127.0.0.1:{self.ports['QUOTIENT_METRICS_PORT']}/metrics")

    def scheduler_metrics(self):
        return self._get(f"https://127.0.0.1:{self.ports['SCHED_PORT']}/metrics")

    def apiserver_metrics(self):
        return self._get(f"https://127.0.0.1:{self.ports['API_PORT']}/metrics",
                         {"Authorization": f"Bearer {self.token}"})


# ---- sampling -------------------------------------------------------------------------------

def cpu_ticks(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    except (OSError, IndexError, ValueError):
        return None


def tcp_connections_to(pid, port, own_ports=()):
    """ESTABLISHED TCP connections of process `pid` whose remote port is `port`, except those
    on its own listening ports `own_ports` (a connection kube-scheduler opened to Quotient
    from an ephemeral port that happens to be the API server's number would count)."""
    inodes = set()
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    except OSError:
        return None
    want = f":{port:04X}"
    own = tuple(f":{p:04X}" for p in own_ports)
    n = 0
    for table in ("tcp", "tcp6"):
        try:
            with open(f"/proc/{pid}/net/{table}") as f:
                next(f)
                for line in f:
                    parts = line.split()
                    # sl local rem st ... uid timeout inode
                    if (parts[3] == "01" and parts[2].endswith(want) and parts[9] in inodes
                            and not parts[1].endswith(own)):
                        n += 1
        except OSError:
            pass
    return n


KLOG_TIME = re.compile(r"^[IWEF](\d{4} \d\d:\d\d:\d\d\.\d{6})")


def klog_time(line, year):
    m = KLOG_TIME.match(line)
    if not m:
        return None
    return datetime.datetime.strptime(f"{year}{m.group(1)}", "%Y%m%d %H:%M:%S.%f").timestamp()


class Sampler(threading.Thread):
    """Every interval: CPU ticks of each component, Quotient's connections to the API server,
    and the kube-scheduler log's new bind lines (with their own timestamps)."""

    def __init__(self, cluster, interval_s):
        super().__init__(daemon=True)
        self.cluster = cluster
        self.interval_s = interval_s
        self.api_port = int(cluster.ports["API_PORT"])
        self.own_ports = (int(cluster.ports["QUOTIENT_PORT"]),
                          int(cluster.ports["QUOTIENT_METRICS_PORT"]))
        self.samples = []  # (wall time, {component: ticks})
        self.bind_times = []
        self.peak_connections = 0
        self.connections_seen = []
        self._halt = threading.Event()
        log_path = cluster.scheduler_log()
        self._log_offset = log_path.stat().st_size if log_path.exists() else 0
        self._partial = ""

    def run(self):
        year = datetime.date.today().year
        while not self._halt.is_set():
            now = time.time()
            ticks = {}
            for name in COMPONENTS:
                pid = self.cluster.pid(name)
                t = cpu_ticks(pid) if pid else None
                if t is not None:
                    ticks[name] = t
            self.samples.append((now, ticks))
            qpid = self.cluster.pid("quotient")
            if qpid:
                n = tcp_connections_to(qpid, self.api_port, self.own_ports)
                if n is not None:
                    self.connections_seen.append(n)
                    self.peak_connections = max(self.peak_connections, n)
            self._read_log(year)
            self._halt.wait(self.interval_s)

    def _read_log(self, year):
        try:
            with open(self.cluster.scheduler_log(), errors="replace") as f:
                f.seek(self._log_offset)
                chunk = f.read()
                self._log_offset = f.tell()
        except OSError:
            return
        text = self._partial + chunk
        lines = text.split("\n")
        self._partial = lines.pop()
        for line in lines:
            if BOUND_LINE in line:
                t = klog_time(line, year)
                if t is not None:
                    self.bind_times.append(t)

    def stop(self):
        self._halt.set()
        self.join(timeout=10)
        self._read_log(datetime.date.today().year)

    def cpu_between(self, t0, t1):
        """{component: CPU seconds} from the last sample at or before t0 to the first at or
        after t1, and the window actually covered. A component with no process at the first
        of those samples started inside the window (kube-scheduler starts with the round and
        may bind its first pod within one sampling interval): all its CPU since it started
        counts, its start-up included."""
        before = [s for s in self.samples if s[0] <= t0]
        after = [s for s in self.samples if s[0] >= t1]
        a = before[-1] if before else self.samples[0]
        b = after[0] if after else self.samples[-1]
        cpu = {name: (b[1][name] - a[1].get(name, 0)) / CLK_TCK
               for name in COMPONENTS if name in b[1]}
        return cpu, b[0] - a[0]


# ---- the workload ---------------------------------------------------------------------------

def quota_tree(namespaces):
    leaves = [{"name": f"root.{ns}", "namespaces": [ns],
               "min": {"cpu": 100}, "max": {"cpu": 10000}} for ns in namespaces]
    return {"apiVersion": "scheduling.sigs.k8s.io/v1beta1", "kind": "ElasticQuotaTree",
            "metadata": {"name": "elasticquotatree", "namespace": "kube-system"},
            "spec": {"root": {"name": "root", "min": {"cpu": 100 * len(namespaces)},
                              "max": {"cpu": 10000 * len(namespaces)}, "children": leaves}}}


def pod_manifest(name):
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "labels": {BENCH_LABEL: "true"}},
            "spec": {"containers": [{"name": "c", "image": "registry.k8s.io/pause:3.10",
                                     "resources": {"requests": {"cpu": "100m"}}}],
                     "terminationGracePeriodSeconds": 0}}


def parallel(fn, items, workers=8):
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for _ in pool.map(fn, items):
            pass


def create_namespaces(core, namespaces):
    for ns in namespaces:
        try:
            core.create_namespace({"metadata": {"name": ns}}, _preload_content=False)
        except ApiException as e:
            if e.status != 409:
                raise


def create_fake_nodes(core, count, cpu, memory, chunk=50):
    """node-1 .. node-COUNT, created CHUNK at a time on 8 threads."""
    parallel(lambda s: fake_nodes.create_nodes(
        core, [f"node-{i}" for i in range(s, min(s + chunk, count + 1))],
        cpu=cpu, memory=memory, pods=110), range(1, count + 1, chunk))


def bench_pods(core, namespaces):
    pods = []
    for ns in namespaces:
        r = core.list_namespaced_pod(ns, label_selector=f"{BENCH_LABEL}=true",
                                     _preload_content=False)
        pods.extend(json.loads(r.data)["items"])
    return pods


def wait_for(what, predicate, timeout_s, interval_s=0.5):
    deadline = time.monotonic() + timeout_s
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout_s} s waiting for {what}")
        time.sleep(interval_s)


def quotient_gauge(cluster, name, **labels):
    samples = parse_metrics(cluster.quotient_metrics(), {name})
    return sum(v for _, v in select(samples, name, **labels))


# ---- one measured run -----------------------------------------------------------------------

def write_scheduler_config(cluster, base, mode, qps):
    cfg = json.loads(json.dumps(base))
    conn = cfg.setdefault("clientConnection", {})
    conn["qps"] = qps
    conn["burst"] = qps
    if mode == "plain":
        cfg.pop("extenders", None)
    with open(cluster.scheduler_config_path(), "w") as f:
        f.write(f"# Rendered by benchmarks/bench_e2e.py: mode {mode}\n")
        yaml.safe_dump(cfg, f, sort_keys=False)


APISERVER = {"apiserver_request_total"}
QUOTIENT = {"quotient_http_request_duration_seconds_bucket",
            "quotient_http_request_duration_seconds_count",
            "quotient_http_request_duration_seconds_sum", "quotient_kube_requests_total",
            "quotient_kube_connections_opened_total"} | {
            f"{h}_{x}" for h in ("quotient_kube_request_duration_seconds",
                                 "quotient_kube_connection_wait_seconds")
            for x in ("bucket", "count", "sum")}
SCHEDULER = {f"scheduler_{h}_{s}" for h in ("scheduling_attempt_duration_seconds",
                                              "scheduling_algorithm_duration_seconds",
                                              "framework_extension_point_duration_seconds")
             for s in ("bucket", "count", "sum")} | {"rest_client_requests_total"}


def run_mode(cluster, args, base_cfg, namespaces, round_no, mode):
    core = cluster.core
    write_scheduler_config(cluster, base_cfg, mode, args.qps)
    pods_before = quotient_gauge(cluster, "quotient_cluster_objects", kind="pods")
    names = [(namespaces[i % len(namespaces)], f"r{round_no}-{mode}-{i}")
             for i in range(args.pods)]
    t0 = time.monotonic()
    parallel(lambda nn: core.create_namespaced_pod(nn[0], pod_manifest(nn[1]),
                                                   _preload_content=False), names)
    log(f"round {round_no} {mode}: created {args.pods} pods in {time.monotonic() - t0:.1f} s")
    wait_for("Quotient to see the pods",
             lambda: quotient_gauge(cluster, "quotient_cluster_objects", kind="pods")
             >= pods_before + args.pods, 60)
    time.sleep(1)

    api0 = parse_metrics(cluster.apiserver_metrics(), APISERVER)
    q0 = parse_metrics(cluster.quotient_metrics(), QUOTIENT)
    sampler = Sampler(cluster, args.sample_ms / 1000)
    sampler.start()
    perf = None
    if args.perf and mode == "quotient":
        # Quotient's on-CPU profile while the scheduler works. DWARF call graphs: the
        # Release build keeps no frame pointers.
        perf = subprocess.Popen(
            ["perf", "record", "-q", "-F", "499", "--call-graph", "dwarf,32768", "-p",
             str(cluster.pid("quotient")),
             "-o", f"{args.perf}.r{round_no}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    cluster.sh("start", "kube-scheduler")
    sched_perf = None
    if args.perf_scheduler:
        # kube-scheduler's on-CPU profile in both modes, from its start (Go keeps frame
        # pointers): where its extra CPU per pod goes when it calls an extender.
        sched_perf = subprocess.Popen(
            ["perf", "record", "-q", "-F", "999", "-g", "-p", str(cluster.pid("kube-scheduler")),
             "-o", f"{args.perf_scheduler}.{mode}.r{round_no}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    timeout_s = args.round_timeout
    try:
        wait_for(f"{args.pods} binds", lambda: len(sampler.bind_times) >= args.pods,
                 timeout_s, 0.2)
    except TimeoutError as e:
        log(f"round {round_no} {mode}: {e} ({len(sampler.bind_times)} bound)")
    for recorder in (perf, sched_perf):
        if recorder:
            recorder.send_signal(signal.SIGINT)
            recorder.wait(timeout=60)
    time.sleep(1)  # the scheduler's events and status writes of the last pods
    sampler.stop()
    sched = parse_metrics(cluster.scheduler_metrics(), SCHEDULER)
    api1 = parse_metrics(cluster.apiserver_metrics(), APISERVER)
    q1 = parse_metrics(cluster.quotient_metrics(), QUOTIENT)
    cluster.sh("stop", "kube-scheduler")

    pods = bench_pods(core, namespaces)
    bound = sum(1 for p in pods if p["spec"].get("nodeName"))
    result = summarize(args, mode, round_no, sampler, bound, sched, delta(api1, api0),
                       delta(q1, q0))

    t0 = time.monotonic()
    for ns in namespaces:
        core.delete_collection_namespaced_pod(ns, label_selector=f"{BENCH_LABEL}=true",
                                              grace_period_seconds=0, _preload_content=False)
    wait_for("the pods to be deleted", lambda: not bench_pods(core, namespaces), 120, 1)
    wait_for("Quotient to see them gone",
             lambda: quotient_gauge(cluster, "quotient_cluster_objects", kind="pods")
             <= pods_before, 60)
    log(f"round {round_no} {mode}: deleted in {time.monotonic() - t0:.1f} s")
    return result


def summarize(args, mode, round_no, sampler, bound, sched, api, quo):
    r = {"round": round_no, "mode": mode, "pods": args.pods, "bound": bound,
         "binds_logged": len(sampler.bind_times)}
    times = sorted(sampler.bind_times)
    if len(times) >= 2:
        span = times[-1] - times[0]
        r["span_s"] = span
        r["pods_per_s"] = (len(times) - 1) / span if span > 0 else None
        cpu, window = sampler.cpu_between(times[0], times[-1])
        r["cpu_window_s"] = window
        # The samples around the span cover up to one interval more on each side: scale the
        # CPU measured over that window to the span.
        scale = span / window if window > 0 else 1.0
        r["cpu_us_per_pod"] = {k: v * scale * 1e6 / len(times) for k, v in cpu.items()}
    r["peak_api_connections"] = sampler.peak_connections
    r["api_connections_at_rest"] = sampler.connections_seen[0] if sampler.connections_seen else None

    n = max(1, args.pods)
    by_verb = {}
    for d, v in select(api, "apiserver_request_total"):
        if v <= 0:
            continue
        key = " ".join(x for x in (d.get("verb"), d.get("resource"), d.get("subresource")) if x)
        by_verb[key] = by_verb.get(key, 0.0) + v
    r["api_requests_per_pod"] = {k: v / n for k, v in sorted(by_verb.items())}
    total = sum(by_verb.values())
    sched_reqs = {}
    for d, v in select(sched, "rest_client_requests_total"):
        sched_reqs[d.get("method", "?")] = sched_reqs.get(d.get("method", "?"), 0.0) + v
    clients = {"kube-scheduler": {k: v / n for k, v in sorted(sched_reqs.items())}}
    quotient_reqs = {}
    for d, v in select(quo, "quotient_kube_requests_total"):
        if v > 0:
            quotient_reqs[d.get("verb", "?")] = quotient_reqs.get(d.get("verb", "?"), 0.0) + v
    if quotient_reqs:
        clients["quotient"] = {k: v / n for k, v in sorted(quotient_reqs.items())}
    # Clients count a watch (GET) when they open it, the API server when it ends: compare
    # the rest without GETs.
    non_get = {k: v for k, v in by_verb.items() if not k.startswith(("GET", "LIST", "WATCH"))}
    rest = (sum(non_get.values()) - sum(v for k, v in sched_reqs.items() if k != "GET")
            - sum(v for k, v in quotient_reqs.items() if k != "GET"))
    clients["rest, non-GET" if quotient_reqs else "rest, non-GET (Quotient's)"] = \
        {"all": rest / n}
    r["api_requests_per_pod_by_client"] = clients
    r["api_requests_per_pod_total"] = total / n

    webhooks = {}
    for verb in VERBS:
        buckets, count, total_s = histogram(quo, "quotient_http_request_duration_seconds",
                                            route=verb)
        if count > 0:
            webhooks[verb] = {"calls_per_pod": count / n, "mean_ms": total_s / count * 1e3,
                              **{f"p{int(q * 100)}_ms": quantile(buckets, q) * 1e3
                                 for q in (0.5, 0.9, 0.99)}}
    r["quotient_webhook"] = webhooks

    # Quotient's own API client (exported since the bounded pool): request time by verb and
    # the wait for a connection.
    kube = {}
    for verb in ("GET", "POST", "PATCH", "PUT", "DELETE"):
        buckets, count, total_s = histogram(quo, "quotient_kube_request_duration_seconds",
                                            verb=verb)
        if count > 0:
            kube[verb] = {"per_pod": count / n, "mean_ms": total_s / count * 1e3,
                          "p99_ms": quantile(buckets, 0.99) * 1e3}
    buckets, count, total_s = histogram(quo, "quotient_kube_connection_wait_seconds")
    if count > 0:
        kube["connection_wait"] = {"per_pod": count / n, "mean_ms": total_s / count * 1e3,
                                   "p99_ms": quantile(buckets, 0.99) * 1e3}
    opened = {d.get("kind"): v for d, v in select(quo, "quotient_kube_connections_opened_total")}
    if opened:
        r["quotient_connections_opened"] = opened
    r["quotient_client"] = kube

    sch = {}
    b, c, s = histogram(sched, "scheduler_scheduling_attempt_duration_seconds",
                        result="scheduled")
    if c:
        sch["attempt_mean_ms"] = s / c * 1e3
        sch["attempt_p50_ms"] = quantile(b, 0.5) * 1e3
        sch["attempt_p99_ms"] = quantile(b, 0.99) * 1e3
        b2, c2, s2 = histogram(sched, "scheduler_scheduling_algorithm_duration_seconds")
        if c2:
            sch["algorithm_mean_ms"] = s2 / c2 * 1e3
            sch["binding_cycle_mean_ms"] = sch["attempt_mean_ms"] - sch["algorithm_mean_ms"]
    b, c, s = histogram(sched, "scheduler_framework_extension_point_duration_seconds",
                        extension_point="Bind", status="Success")
    if c:
        sch["bind_plugins_mean_ms"] = s / c * 1e3
        sch["bind_plugins_p99_ms"] = quantile(b, 0.99) * 1e3
    r["scheduler"] = sch
    return r


# ---- reporting ------------------------------------------------------------------------------

def fmt(v, spec=".0f"):
    return "-" if v is None else format(v, spec)


def print_run(r):
    cpu = r.get("cpu_us_per_pod", {})
    s = r["scheduler"]
    print(f"round {r['round']} {r['mode']:>8}: {fmt(r.get('pods_per_s'))} pods/s "
          f"({r['binds_logged']} binds in {fmt(r.get('span_s'), '.2f')} s, {r['bound']}/{r['pods']} "
          f"bound); CPU µs/pod " +
          ", ".join(f"{k} {fmt(cpu.get(k))}" for k in COMPONENTS) +
          f"; Quotient→API connections peak {r['peak_api_connections']} "
          f"(at start {fmt(r['api_connections_at_rest'])}" +
          "".join(f", {v:.0f} {k} connections opened"
                  for k, v in r.get("quotient_connections_opened", {}).items()) + ")")
    for verb, w in r["quotient_webhook"].items():
        print(f"    quotient {verb:>10}: {w['calls_per_pod']:.2f}/pod, mean {w['mean_ms']:.3f} ms,"
              f" p50 {w['p50_ms']:.3f}, p90 {w['p90_ms']:.3f}, p99 {w['p99_ms']:.3f} ms")
    print("    kube-scheduler: attempt (cycle start → bound) mean "
          f"{fmt(s.get('attempt_mean_ms'), '.1f')} ms p50 {fmt(s.get('attempt_p50_ms'), '.1f')}"
          f" p99 {fmt(s.get('attempt_p99_ms'), '.1f')}; algorithm mean "
          f"{fmt(s.get('algorithm_mean_ms'), '.1f')} ms; binding cycle mean "
          f"{fmt(s.get('binding_cycle_mean_ms'), '.1f')} ms" +
          (f"; Bind plugins mean {s['bind_plugins_mean_ms']:.1f} ms p99 "
           f"{s['bind_plugins_p99_ms']:.1f} ms" if "bind_plugins_mean_ms" in s else ""))
    if r.get("quotient_client"):
        print("    quotient's API client: " + "; ".join(
            f"{k} {v['per_pod']:.2f}/pod mean {v['mean_ms']:.1f} ms p99 {v['p99_ms']:.1f} ms"
            for k, v in r["quotient_client"].items()))
    print(f"    API requests/pod {r['api_requests_per_pod_total']:.2f}: " +
          ", ".join(f"{k} {v:.2f}" for k, v in r["api_requests_per_pod"].items()
                    if v >= 0.005))
    print("    by client: " + "; ".join(
        f"{c} " + ", ".join(f"{k} {v:.2f}" for k, v in d.items())
        for c, d in r["api_requests_per_pod_by_client"].items()))


def spread(values):
    values = [v for v in values if v is not None]
    if not values:
        return "-"
    if len(values) == 1:
        return f"{values[0]:.0f}"
    return f"{statistics.median(values):.0f} ({min(values):.0f}–{max(values):.0f})"


def print_summary(results, args):
    print(f"\nsummary: {args.nodes} nodes, {args.pods} pods, {args.rounds} rounds "
          "(median (min–max) over rounds)")
    for mode in MODES:
        rs = [r for r in results if r["mode"] == mode]
        if not rs:
            continue
        line = f"  {mode:>8}: {spread([r.get('pods_per_s') for r in rs])} pods/s; CPU µs/pod "
        line += ", ".join(f"{c} {spread([r.get('cpu_us_per_pod', {}).get(c) for r in rs])}"
                          for c in COMPONENTS)
        line += f"; peak connections {max(r['peak_api_connections'] for r in rs)}"
        line += f"; API requests/pod {spread([r['api_requests_per_pod_total'] for r in rs])}"
        print(line)
    ratios = []
    for rnd in sorted({r["round"] for r in results}):
        p = [r for r in results if r["round"] == rnd and r["mode"] == "plain"]
        q = [r for r in results if r["round"] == rnd and r["mode"] == "quotient"]
        if p and q and p[0].get("pods_per_s") and q[0].get("pods_per_s"):
            ratios.append(q[0]["pods_per_s"] / p[0]["pods_per_s"])
    if ratios:
        print("  ratio quotient/plain per round: " + ", ".join(f"{x:.2f}" for x in ratios) +
              f"; best {max(ratios):.2f}")


def machine():
    model = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {"nproc": os.cpu_count(), "cpu": model, "loadavg": os.getloadavg()}


# ---- main -----------------------------------------------------------------------------------

def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--nodes", type=int, default=500)
    p.add_argument("--pods", type=int, default=1000)
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--namespaces", type=int, default=10)
    p.add_argument("--qps", type=int, default=5000,
                   help="client QPS and burst of kube-scheduler and Quotient")
    p.add_argument("--cluster-dir", default=str(ROOT / ".cache" / "bench-cluster"))
    p.add_argument("--quotient-config", help="extra YAML merged into Quotient's settings")
    p.add_argument("--sample-ms", type=int, default=100)
    p.add_argument("--round-timeout", type=float, default=300)
    p.add_argument("--json", help="write every round's numbers to this file")
    p.add_argument("--perf", metavar="FILE",
                   help="record Quotient's profile in quotient mode into FILE.rROUND (perf)")
    p.add_argument("--perf-scheduler", metavar="FILE",
                   help="record kube-scheduler's profile in both modes into FILE.MODE.rROUND")
    p.add_argument("--keep", action="store_true", help="leave the cluster running")
    args = p.parse_args()

    inputs = Path(tempfile.mkdtemp(prefix="bench-e2e-"))
    namespaces = [f"bench-{i}" for i in range(args.namespaces)]
    (inputs / "quota.yaml").write_text(yaml.safe_dump(quota_tree(namespaces)))
    settings = {"kubernetes": {"qps": args.qps, "burst": args.qps}}
    if args.quotient_config:
        extra = yaml.safe_load(Path(args.quotient_config).read_text()) or {}
        for k, v in extra.items():
            settings[k] = {**settings.get(k, {}), **v} if isinstance(v, dict) else v
    (inputs / "quotient.yaml").write_text(yaml.safe_dump(settings))
    cluster = Cluster(args.cluster_dir, {
        "QUOTIENT_QUOTA_FILE": str(inputs / "quota.yaml"),
        "QUOTIENT_ARGS": f"--config {inputs / 'quotient.yaml'}",
        "QUOTIENT_SCHEDULER_ARGS": SCHEDULER_ARGS,
    })
    info = {"machine": machine(), "args": vars(args), "start": time.strftime("%F %T %z")}
    log(f"{info['machine']['nproc']} × {info['machine']['cpu']}, load average "
        f"{' '.join(f'{x:.2f}' for x in info['machine']['loadavg'])}")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    results = []
    try:
        log(f"starting the cluster in {args.cluster_dir}")
        cluster.sh("up")
        cluster.load()
        cluster.sh("stop", "kube-scheduler")
        cluster.sh("stop", "fake-kubelet")
        base_cfg = yaml.safe_load(cluster.scheduler_config_path().read_text())
        create_namespaces(cluster.core, namespaces)
        t0 = time.monotonic()
        create_fake_nodes(cluster.core, args.nodes, cpu=32, memory="256Gi")
        wait_for("Quotient to see the nodes",
                 lambda: quotient_gauge(cluster, "quotient_cluster_objects", kind="nodes")
                 >= args.nodes, 120)
        log(f"{args.nodes} nodes in {time.monotonic() - t0:.1f} s")
        for rnd in range(1, args.rounds + 1):
            for mode in MODES:
                r = run_mode(cluster, args, base_cfg, namespaces, rnd, mode)
                results.append(r)
                print_run(r)
                sys.stdout.flush()
        info["end_loadavg"] = os.getloadavg()
        print_summary(results, args)
        print(f"machine: {info['machine']['nproc']} × {info['machine']['cpu']}; load average at "
              f"start {' '.join(f'{x:.2f}' for x in info['machine']['loadavg'])}, at end "
              f"{' '.join(f'{x:.2f}' for x in info['end_loadavg'])}")
    finally:
        if args.json:
            Path(args.json).write_text(json.dumps({**info, "results": results}, indent=1))
        if not args.keep:
            cluster.sh("down", check=False)
        shutil.rmtree(inputs, ignore_errors=True)
    missing = [r for r in results if r["bound"] < r["pods"]]
    if missing or len(results) < 2 * args.rounds:
        log("not every pod was bound: " + ", ".join(
            f"round {r['round']} {r['mode']}: {r['bound']}/{r['pods']}" for r in missing))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
