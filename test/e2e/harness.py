"""What the end-to-end tests do to the local cluster (test/cluster/cluster.sh): a Cluster
(kubeconfig, clients, Quotient's addresses, restarts) and, per test, a Kube that creates
namespaces, fake nodes and Deployments, reads pods and events, and deletes what it created.

Objects read from the API are plain JSON dicts (no client models): what the server sent.
"""

import contextlib
import datetime
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

import yaml
from kubernetes import client, config
from kubernetes.client.rest import ApiException

ROOT = Path(__file__).resolve().parents[2]
CLUSTER_SH = ROOT / "test" / "cluster" / "cluster.sh"
sys.path.insert(0, str(ROOT / "test" / "cluster"))
import nodes as fake_nodes  # noqa: E402  (test/cluster/nodes.py)

DEFAULT_TIMEOUT_S = 60
POLL_INTERVAL_S = 0.2


def wait_until(predicate, timeout=DEFAULT_TIMEOUT_S, what="the condition",
               interval=POLL_INTERVAL_S):
    """Polls `predicate` until it returns a truthy value, which is returned. API errors count
    as "not yet" (the API server may be restarting). Fails the test after `timeout` seconds
    with `what` and the last value or error seen."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        try:
            value = predicate()
            if value:
                return value
            last = value
        except (ApiException, OSError) as e:
            last = f"{type(e).__name__}: {e}"
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}; last: {last}")
        time.sleep(interval)


class Background:
    """A context manager that calls `step()` every `interval` s on a thread of its own until
    the block ends (then joins it). Subclasses define step()."""

    def __init__(self, interval):
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def _run(self):
        while not self._stop.is_set():
            self.step()
            self._stop.wait(self.interval)

    def step(self):
        raise NotImplementedError


def raw(call, *args, **kwargs):
    """Calls a client method and returns the server's JSON as dicts."""
    return json.loads(call(*args, _preload_content=False, **kwargs).data)


class Cluster:
    """A running cluster.sh cluster. Thread-compatible."""

    def __init__(self, state_dir):
        self.state_dir = Path(state_dir)
        env = self.sh("env", capture=True)
        exports = dict(re.findall(r"(\w+)=(\S+)", env))
        self.kubeconfig = exports["KUBECONFIG"]
        self.quotient_url = exports["QUOTIENT_URL"]
        self.metrics_url = exports["QUOTIENT_METRICS_URL"]
        self.api_client = config.new_client_from_config(config_file=self.kubeconfig)
        self.core = client.CoreV1Api(self.api_client)
        self.apps = client.AppsV1Api(self.api_client)
        self.policy = client.PolicyV1Api(self.api_client)
        self.scheduling = client.SchedulingV1Api(self.api_client)

    @staticmethod
    def sh_in(state_dir, *args, capture=False, env=None):
        full_env = {**os.environ, "QUOTIENT_CLUSTER_DIR": str(state_dir), **(env or {})}
        result = subprocess.run([str(CLUSTER_SH), *args], env=full_env, text=True,
                                stdout=subprocess.PIPE if capture else None)
        if result.returncode != 0:
            raise RuntimeError(f"cluster.sh {' '.join(args)} failed ({result.returncode}); "
                               f"logs in {state_dir}/logs")
        return result.stdout

    def sh(self, *args, capture=False, env=None):
        return self.sh_in(self.state_dir, *args, capture=capture, env=env)

    def restart_quotient(self, **env):
        """Restarts Quotient; QUOTIENT_ARGS=..., QUOTIENT_QUOTA_FILE=... change its flags."""
        self.sh("restart-quotient", env=env)

    def restart_apiserver(self):
        self.sh("restart-apiserver")

    def stopped_components(self):
        """Components that are not running (a test stopped or killed them)."""
        result = subprocess.run([str(CLUSTER_SH), "status"], text=True, stdout=subprocess.PIPE,
                                env={**os.environ, "QUOTIENT_CLUSTER_DIR": str(self.state_dir)})
        return [line.split()[0] for line in result.stdout.splitlines()
                if len(line.split()) > 1 and line.split()[1] == "stopped"]

    def heal(self):
        """Starts again what a test left stopped, so that its failure stays its own."""
        for name in self.stopped_components():
            self.sh("start", name)

    def scheduler_config(self):
        return (self.state_dir / "kube-scheduler-config.yaml").read_text()

    def metrics(self):
        with urllib.request.urlopen(f"{self.metrics_url}/metrics", timeout=5) as r:
            return r.read().decode()

    def metric(self, name, **labels):
        """Sum of the samples of `name` whose labels include `labels` (0 if none)."""
        return metric_sum(self.metrics(), name, **labels)

    def log_lines(self, component, *contains, last=40):
        """The last `last` lines of a component's log (quotient, kube-scheduler, ...) that
        contain one of `contains`, for failure messages."""
        path = self.state_dir / "logs" / f"{component}.log"
        if not path.exists():
            return []
        lines = [line for line in path.read_text(errors="replace").splitlines()
                 if any(c in line for c in contains)]
        return lines[-last:]

    def audit_events(self):
        """The API server's audit log (cluster.sh up with QUOTIENT_AUDIT=1: every write), as
        dicts; None when the cluster runs without one."""
        path = self.state_dir / "logs" / "audit.log"
        if not path.exists():
            return None
        events = []
        for line in path.read_text().splitlines():
            with contextlib.suppress(ValueError):
                events.append(json.loads(line))
        return events


def metric_sum(text, name, **labels):
    """Sum of the samples of `name` in Prometheus text `text` whose labels include `labels`."""
    total = 0.0
    for line in text.splitlines():
        m = re.match(r"^(\w+)(?:\{(.*)\})? (\S+)$", line)
        if not m or m.group(1) != name:
            continue
        have = dict(re.findall(r'(\w+)="([^"]*)"', m.group(2) or ""))
        if all(have.get(k) == str(v) for k, v in labels.items()):
            total += float(m.group(3))
    return total


def audit_time(event):
    """When the API server received the audited request (seconds since the epoch)."""
    return datetime.datetime.fromisoformat(event["requestReceivedTimestamp"]).timestamp()


@dataclass
class PodCounts:
    bound: int  # spec.nodeName set and not terminating
    pending: int  # not bound yet
    terminating: int

    def __str__(self):
        return f"{self.bound} bound, {self.pending} pending, {self.terminating} terminating"


class Kube:
    """One test's view of the cluster: creates namespaces, nodes and workloads, and deletes
    them (waiting until the namespaces are gone) at cleanup(). Thread-compatible."""

    def __init__(self, cluster):
        self.cluster = cluster
        self.core = cluster.core
        self.apps = cluster.apps
        self.policy = cluster.policy
        self.scheduling = cluster.scheduling
        self._namespaces = []
        self._nodes = []
        self._priority_classes = []

    # ---- creating ----

    def create_namespace(self, name=None):
        """Creates `name` (default: a unique one) and deletes it at cleanup. A namespace of
        that name still terminating is waited for; one that is active (created by a manifest
        an earlier test applied) is taken over."""
        name = name or f"e2e-{uuid.uuid4().hex[:8]}"

        def absent_or_active():
            try:
                ns = raw(self.core.read_namespace, name)
            except ApiException as e:
                if e.status == 404:
                    return "absent"
                raise
            return None if ns["metadata"].get("deletionTimestamp") else "active"

        state = wait_until(absent_or_active,
                           what=f"namespace {name} from an earlier test to be deleted")
        if state == "absent":
            try:
                self.core.create_namespace({"metadata": {"name": name}}, _preload_content=False)
            except ApiException as e:
                if e.status != 409:  # created meanwhile (an apply): take it over too
                    raise
        self._namespaces.append(name)
        return name

    def create_nodes(self, count, cpu, memory="64Gi", gpu=0, prefix="node-", first=1,
                     labels=None, pods=110, extra_resources=None):
        """Creates fake nodes prefix1..prefixN with this capacity; returns their names."""
        names = [f"{prefix}{i}" for i in range(first, first + count)]
        fake_nodes.create_nodes(self.core, names, cpu, memory, pods, gpu, labels,
                                extra_resources)
        self._nodes.extend(names)
        return names

    def create_priority_class(self, name, value, preemption_policy="PreemptLowerPriority"):
        """A PriorityClass, deleted at cleanup."""
        body = {"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass",
                "metadata": {"name": name}, "value": value,
                "preemptionPolicy": preemption_policy}
        try:
            self.scheduling.create_priority_class(body, _preload_content=False)
        except ApiException as e:
            if e.status != 409:
                raise
        self._priority_classes.append(name)
        return name

    def remove_finalizers(self, namespace, finalizer):
        """Drops `finalizer` from every pod of `namespace` that has it."""
        for p in self.pods(namespace):
            kept = [f for f in p["metadata"].get("finalizers") or [] if f != finalizer]
            if kept != (p["metadata"].get("finalizers") or []):
                try:
                    self.core.patch_namespaced_pod(p["metadata"]["name"], namespace,
                                                   {"metadata": {"finalizers": kept or None}},
                                                   _preload_content=False)
                except ApiException as e:
                    if e.status != 404:
                        raise

    def create_deployment(self, namespace, name, replicas, cpu, memory=None, gpu=0,
                          priority_class=None, labels=None, finalizers=None,
                          extra_resources=None, scheduler_name=None):
        """A Deployment of `replicas` pods whose one container requests (and is limited to)
        `cpu`, and `memory` and `gpu` nvidia.com/gpu when given, and `extra_resources`
        (name -> quantity). `finalizers` go on every pod (remove them with remove_finalizers
        before the namespace can go)."""
        resources = {"cpu": str(cpu)}
        resources.update({k: str(v) for k, v in (extra_resources or {}).items()})
        if memory:
            resources["memory"] = str(memory)
        if gpu:
            resources["nvidia.com/gpu"] = str(gpu)
        pod_labels = {"app": name, **(labels or {})}
        pod_spec = {
            "containers": [{"name": "main", "image": "registry.k8s.io/pause:3.10",
                            "resources": {"requests": resources, "limits": resources}}],
            "terminationGracePeriodSeconds": 30,
        }
        if priority_class:
            pod_spec["priorityClassName"] = priority_class
        if scheduler_name:
            pod_spec["schedulerName"] = scheduler_name
        pod_meta = {"labels": pod_labels}
        if finalizers:
            pod_meta["finalizers"] = list(finalizers)
        body = {
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": name, "namespace": namespace},
            "spec": {
                "replicas": replicas,
                "selector": {"matchLabels": {"app": name}},
                "template": {"metadata": pod_meta, "spec": pod_spec},
            },
        }
        self.apps.create_namespaced_deployment(namespace, body, _preload_content=False)
        return name

    def scale(self, namespace, deployment, replicas):
        self.apps.patch_namespaced_deployment_scale(
            deployment, namespace, {"spec": {"replicas": replicas}}, _preload_content=False)

    # ---- reading ----

    def pods(self, namespace, label_selector=None):
        kwargs = {"label_selector": label_selector} if label_selector else {}
        return raw(self.core.list_namespaced_pod, namespace, **kwargs)["items"]

    def pod_counts(self, namespace):
        bound = pending = terminating = 0
        for p in self.pods(namespace):
            if p["metadata"].get("deletionTimestamp"):
                terminating += 1
            elif p["spec"].get("nodeName"):
                bound += 1
            else:
                pending += 1
        return PodCounts(bound, pending, terminating)

    def wait_for_pods(self, namespace, bound, pending=0, timeout=DEFAULT_TIMEOUT_S):
        """Waits until `namespace` has exactly `bound` bound and `pending` pending pods and no
        terminating one; returns the counts."""
        want = PodCounts(bound, pending, 0)
        state = {}

        def reached():
            state["last"] = self.pod_counts(namespace)
            return state["last"] == want

        try:
            wait_until(reached, timeout, what=f"{namespace}: {want}")
        except AssertionError as e:
            raise AssertionError(f"{e}; pods: {state.get('last', '?')}"
                                 f"{self._why_pending(namespace)}") from None
        return want

    def failed_scheduling_events(self, namespace, pod_name):
        """Messages of the FailedScheduling events of a pod, oldest first."""
        events = raw(self.core.list_namespaced_event, namespace,
                     field_selector=f"involvedObject.name={pod_name},reason=FailedScheduling")
        events = sorted(events["items"],
                        key=lambda e: e.get("lastTimestamp") or e.get("eventTime") or "")
        return [e.get("message", "") for e in events]

    def _why_pending(self, namespace, max_pods=2):
        """The last FailedScheduling message of a few pending pods, for failure messages."""
        lines = []
        try:
            pending = [p for p in self.pods(namespace) if not p["spec"].get("nodeName")]
            for p in pending[:max_pods]:
                name = p["metadata"]["name"]
                events = self.failed_scheduling_events(namespace, name)
                lines.append(f"\n  {name}: {events[-1] if events else 'no FailedScheduling event'}")
        except ApiException as e:
            lines.append(f"\n  (could not read the pods: {e.status} {e.reason})")
        return "".join(lines)

    # ---- cleaning up ----

    def cleanup(self, timeout=DEFAULT_TIMEOUT_S):
        for ns in self._namespaces:
            try:
                self.core.delete_namespace(ns, _preload_content=False)
            except ApiException as e:
                if e.status != 404:
                    raise
        # Until the namespaces are gone, not only their pods: the next test may create a
        # namespace of the same name, and a terminating one refuses new objects.
        for ns in self._namespaces:
            wait_until(lambda: not self._exists(self.core.read_namespace, ns), timeout,
                       what=f"namespace {ns} to be deleted")
        fake_nodes.delete_nodes(self.core, self._nodes)
        for name in self._priority_classes:
            try:
                self.scheduling.delete_priority_class(name, _preload_content=False)
            except ApiException as e:
                if e.status != 404:
                    raise
        self._namespaces, self._nodes, self._priority_classes = [], [], []

    @staticmethod
    def _exists(read, name):
        try:
            read(name, _preload_content=False)
            return True
        except ApiException as e:
            if e.status == 404:
                return False
            raise


# ---- more processes: kube-schedulers and Quotients beside the cluster's ---------------------

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def hostname_argv(hostname):
    """The command prefix that runs a command with its own hostname (a UTS namespace, as a
    pod's containers share one), or None when this machine cannot: kube-scheduler names itself
    <hostname>_<uuid>, and two schedulers sharing a Lease on one machine need distinct ones."""
    if not shutil.which("unshare"):
        return None
    prefix = ["unshare", "--uts"] if os.geteuid() == 0 else [
        "unshare", "--user", "--map-root-user", "--uts"]
    argv = prefix + ["sh", "-c", 'hostname "$0" && exec "$@"', hostname]
    if subprocess.run(argv + ["true"], capture_output=True).returncode != 0:
        return None
    return argv


class Process:
    """A child process logging to `log_path`, in its own process group. Thread-compatible."""

    def __init__(self, argv, log_path, env=None):
        self.log_path = Path(log_path)
        with open(self.log_path, "a") as log:
            self.proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=env,
                                         start_new_session=True)

    def alive(self):
        return self.proc.poll() is None

    def signal(self, sig):
        if self.alive():
            self.proc.send_signal(sig)

    def kill(self):
        """SIGKILL, as a crash; returns once the process is gone."""
        self.signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self, timeout=20):
        """SIGCONT (it may be stopped), SIGTERM, then SIGKILL after `timeout` s."""
        if not self.alive():
            return
        self.proc.send_signal(signal.SIGCONT)
        self.proc.terminate()
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def log_tail(self, chars=2000):
        return self.log_path.read_text(errors="replace")[-chars:]


def start_scheduler(cluster, workdir, name, cfg, prefix=()):
    """A kube-scheduler with the KubeSchedulerConfiguration `cfg` (a dict; the cluster's
    kubeconfig is filled in), its own port and certificates in `workdir`, run under the command
    `prefix` (hostname_argv). Its HTTPS port (healthz, metrics) is `.port`."""
    workdir = Path(workdir)
    cfg = {**cfg, "clientConnection": {**cfg.get("clientConnection", {}),
                                        "kubeconfig": cluster.kubeconfig}}
    (workdir / f"{name}.yaml").write_text(yaml.safe_dump(cfg))
    (workdir / f"{name}-certs").mkdir(exist_ok=True)
    binary = (cluster.state_dir / "cmd" / "kube-scheduler").read_text().split("\n")[0]
    port = free_port()
    process = Process([*prefix, binary, f"--config={workdir / f'{name}.yaml'}",
                       "--bind-address=127.0.0.1", f"--secure-port={port}",
                       f"--cert-dir={workdir / f'{name}-certs'}", "--profiling=false"],
                      workdir / f"{name}.log")
    process.port = port
    return process


class QuotientProcess(Process):
    """`quotient serve` (the cluster's binary) on the cluster's API server (or `kubeconfig`'s)
    with `args`, on ports of its own, run under the command `prefix` (hostname_argv)."""

    def __init__(self, cluster, workdir, name, args, prefix=(), env=None, kubeconfig=None):
        self.port, self.ops_port = free_port(), free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.metrics_url = f"http://127.0.0.1:{self.ops_port}"
        binary = (cluster.state_dir / "cmd" / "quotient").read_text().split("\n")[0]
        super().__init__([*prefix, binary, "serve", "--kubeconfig",
                          str(kubeconfig or cluster.kubeconfig),
                          "--listen", f"127.0.0.1:{self.port}",
                          "--metrics-listen", f"127.0.0.1:{self.ops_port}", *args],
                         Path(workdir) / f"{name}.log", env)

    def get(self, path):
        with urllib.request.urlopen(f"{self.metrics_url}{path}", timeout=2) as r:
            return r.read().decode()

    def synced(self):
        assert self.alive(), f"Quotient exited: {self.log_tail()}"
        try:
            return self.get("/readyz").startswith("ok: synced")
        except OSError:  # refused while starting, 503 until synced
            return False

    def metric(self, name, **labels):
        """As Cluster.metric; None when Quotient does not answer."""
        try:
            return metric_sum(self.get("/metrics"), name, **labels)
        except OSError:
            return None


def bind_all_config(cfg, scheduler_name):
    """The cluster's scheduler configuration `cfg` changed the way docs/gpu.md says for pods
    asking for a GPU fraction by label alone: prioritize and bind moved to the filter entry, so
    Quotient binds every pod (and writes its placement first); one profile, `scheduler_name`."""
    (main,) = [e for e in cfg["extenders"] if e.get("filterVerb")]
    (gpu,) = [e for e in cfg["extenders"] if e.get("bindVerb")]
    for key in ("prioritizeVerb", "bindVerb", "weight"):
        main[key] = gpu.pop(key)
    cfg["profiles"] = [{"schedulerName": scheduler_name}]
    return cfg


@contextlib.contextmanager
def bind_all_scheduler(cluster, tmp_path, scheduler_name):
    """A second kube-scheduler, named `scheduler_name`, calling the cluster's Quotient with
    bind_all_config. Stopped on exit."""
    cfg = bind_all_config(yaml.safe_load(cluster.scheduler_config()), scheduler_name)
    proc = start_scheduler(cluster, tmp_path, "kube-scheduler-bind-all", cfg)
    try:
        yield proc.proc
    finally:
        proc.stop()
        if proc.proc.returncode not in (0, -15):
            print(proc.log_tail())


def unexplained_pending(pods):
    """Names of the pods that are neither bound, terminating, nor pending with the scheduler's
    PodScheduled=False condition and its reason."""
    silent = []
    for p in pods:
        if p["spec"].get("nodeName") or p["metadata"].get("deletionTimestamp"):
            continue
        conds = {c["type"]: c for c in p.get("status", {}).get("conditions") or []}
        cond = conds.get("PodScheduled")
        if not (cond and cond.get("status") == "False" and cond.get("reason")):
            silent.append(f"{p['metadata']['namespace']}/{p['metadata']['name']}")
    return silent
