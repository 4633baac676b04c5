#!/usr/bin/env python3
"""Time to ready and failover time of Quotient with leader election, on the local control
plane (test/cluster), at scale.

    .cache/venv/bin/python benchmarks/bench_failover.py --nodes 5000 --pods 50000 --rounds 3 \
        [--json FILE] [--keep]

One cluster (cluster.sh up in --cluster-dir, default .cache/failover-cluster; torn down at
the end unless --keep) with N fake nodes and P pods of 100m CPU bound to them (spec.nodeName
set at creation) across 10 quota'd namespaces. kube-scheduler, the fake kubelet and the
cluster's own Quotient are stopped: only the two measured replicas talk to the API server.
Each replica is `quotient serve` with the shipped leader-election timings (15 s lease, 10 s
renew deadline, 2 s retry) on a Lease of its own, and the quota tree as a file.

Per round:
  - ready: a replica started alone, from exec to `/readyz` answering "ok: synced" (every pod
    and node listed and charged), and to `quotient_leader` 1 (it may decide), with its RSS;
  - a second replica started beside it, to ready (a warm follower);
  - crash failover: the leader killed with SIGKILL, the time until the follower leads
    (bounded below by the lease duration: the Lease must run out first);
  - graceful failover: the killed replica started again and synced, then the leader stopped
    with SIGTERM (it drains and releases the Lease), the time until the other leads.

Times are measured by polling every 50 ms (the resolution). Nothing is asserted on timing;
the exit status is 1 if a replica did not become ready or lead within --timeout.
"""

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import yaml
from kubernetes.client.rest import ApiException

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_e2e import (ROOT, Cluster, create_fake_nodes, create_namespaces,  # noqa: E402
                       machine, parallel, quota_tree)
from prom_text import parse_metrics, select  # noqa: E402

POLL_S = 0.05
LEASE = {"leaseName": "quotient-bench", "leaseDuration": "15s", "renewDeadline": "10s",
         "retryPeriod": "2s"}


def log(msg):
    print(f"{time.strftime('%H:%M:%S')} bench-failover: {msg}", file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Replica:
    def __init__(self, binary, settings, quota_file, kubeconfig, name, log_dir):
        self.name = name
        self.port, self.ops_port = free_port(), free_port()
        self.log = open(Path(log_dir) / f"{name}.log", "a")
        self.started = time.monotonic()
        self.proc = subprocess.Popen(
            [binary, "serve", "--config", str(settings), "--quota-file", str(quota_file),
             "--kubeconfig", kubeconfig, "--listen", f"127.0.0.1:{self.port}",
             "--metrics-listen", f"127.0.0.1:{self.ops_port}"],
            stdout=self.log, stderr=subprocess.STDOUT)

    def _get(self, path):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.ops_port}{path}", timeout=5) as r:
            return r.read().decode()

    def ready(self):
        try:
            return self._get("/readyz").startswith("ok: synced")
        except OSError:  # refused while starting, 503 until synced
            return False

    def leading(self):
        try:
            samples = parse_metrics(self._get("/metrics"), {"quotient_leader"})
        except OSError:
            return False
        return sum(v for _, v in select(samples, "quotient_leader")) == 1

    def rss_mib(self):
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def stop(self, sig=signal.SIGTERM):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=60)
        self.log.close()


def seconds_until(predicate, since, timeout_s, what):
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout_s} s waiting for {what}")
        time.sleep(POLL_S)
    return time.monotonic() - since


def create_pods(core, namespaces, nodes, pods):
    def make(i):
        ns = namespaces[i % len(namespaces)]
        body = {"metadata": {"name": f"held-{i}"},
                "spec": {"nodeName": f"node-{i % nodes + 1}",
                         "containers": [{"name": "c", "image": "registry.k8s.io/pause:3.10",
                                         "resources": {"requests": {"cpu": "100m"}}}],
                         "terminationGracePeriodSeconds": 0}}
        try:
            core.create_namespaced_pod(ns, body, _preload_content=False)
        except ApiException as e:
            if e.status != 409:
                raise
    parallel(make, range(pods), workers=16)


def one_round(args, binary, settings, quota_file, kubeconfig, log_dir, rnd):
    mk = lambda name: Replica(binary, settings, quota_file, kubeconfig, f"{name}-r{rnd}",
                              log_dir)
    r = {"round": rnd}
    a = mk("a")
    b = None
    try:
        r["ready_s"] = seconds_until(a.ready, a.started, args.timeout, "replica a to sync")
        r["rss_mib"] = round(a.rss_mib(), 1)
        r["leading_s"] = seconds_until(a.leading, a.started, args.timeout, "replica a to lead")
        b = mk("b")
        r["follower_ready_s"] = seconds_until(b.ready, b.started, args.timeout,
                                              "replica b to sync")
        t = time.monotonic()
        a.stop(signal.SIGKILL)
        r["crash_failover_s"] = seconds_until(b.leading, t, args.timeout,
                                              "replica b to lead after a crash")
        a = mk("a2")
        seconds_until(a.ready, a.started, args.timeout, "replica a to sync again")
        t = time.monotonic()
        b.stop(signal.SIGTERM)
        r["graceful_failover_s"] = seconds_until(a.leading, t, args.timeout,
                                                 "replica a to lead after a graceful stop")
    finally:
        for x in (a, b):
            if x is not None:
                x.stop(signal.SIGKILL)
    return r


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--nodes", type=int, default=5000)
    p.add_argument("--pods", type=int, default=50000)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--namespaces", type=int, default=10)
    p.add_argument("--timeout", type=float, default=120)
    p.add_argument("--cluster-dir", default=str(ROOT / ".cache" / "failover-cluster"))
    p.add_argument("--json", help="write every round's numbers to this file")
    p.add_argument("--keep", action="store_true", help="leave the cluster running")
    args = p.parse_args()

    binary = os.environ.get("QUOTIENT_BIN", str(ROOT / "build" / "extender" / "quotient"))
    inputs = Path(tempfile.mkdtemp(prefix="bench-failover-"))
    namespaces = [f"held-{i}" for i in range(args.namespaces)]
    quota_file = inputs / "quota.yaml"
    quota_file.write_text(yaml.safe_dump(quota_tree(namespaces)))
    settings = inputs / "quotient.yaml"
    settings.write_text(yaml.safe_dump({
        "leaderElection": {"enabled": True, "leaseNamespace": "default", **LEASE},
        "kubernetes": {"qps": 500, "burst": 1000}}))
    cluster = Cluster(args.cluster_dir, {"QUOTIENT_QUOTA_FILE": str(quota_file)})
    info = {"machine": machine(), "args": vars(args), "start": time.strftime("%F %T %z")}
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    results = []
    try:
        log(f"starting the cluster in {args.cluster_dir}")
        cluster.sh("up")
        cluster.load()
        for name in ("kube-scheduler", "fake-kubelet", "quotient"):
            cluster.sh("stop", name)
        create_namespaces(cluster.core, namespaces)
        t0 = time.monotonic()
        create_fake_nodes(cluster.core, args.nodes, cpu=64, memory="256Gi")
        log(f"{args.nodes} nodes in {time.monotonic() - t0:.1f} s")
        t0 = time.monotonic()
        create_pods(cluster.core, namespaces, args.nodes, args.pods)
        log(f"{args.pods} bound pods in {time.monotonic() - t0:.1f} s")
        for rnd in range(1, args.rounds + 1):
            r = one_round(args, binary, settings, quota_file, cluster.kubeconfig,
                          cluster.state_dir / "logs", rnd)
            results.append(r)
            log(f"round {rnd}: ready {r['ready_s']:.2f} s (RSS {r['rss_mib']} MiB), leading "
                f"{r['leading_s']:.2f} s, follower ready {r['follower_ready_s']:.2f} s, "
                f"crash failover {r['crash_failover_s']:.2f} s, graceful failover "
                f"{r['graceful_failover_s']:.2f} s")
        info["end_loadavg"] = os.getloadavg()
        for key in ("ready_s", "leading_s", "crash_failover_s", "graceful_failover_s"):
            values = sorted(r[key] for r in results)
            print(f"{key}: median {values[len(values) // 2]:.2f}, range "
                  f"{values[0]:.2f}-{values[-1]:.2f} over {len(values)} rounds")
        print(f"machine: {info['machine']['nproc']} × {info['machine']['cpu']}; load average "
              f"at start {' '.join(f'{x:.2f}' for x in info['machine']['loadavg'])}, at end "
              f"{' '.join(f'{x:.2f}' for x in info['end_loadavg'])}")
    except TimeoutError as e:
        log(str(e))
        return 1
    finally:
        if args.json:
            Path(args.json).write_text(json.dumps({**info, "results": results}, indent=1))
        if not args.keep:
            cluster.sh("down", check=False)
        shutil.rmtree(inputs, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
