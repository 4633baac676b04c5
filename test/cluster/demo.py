#!/usr/bin/env python3
"""The elastic quota demo on the real control plane: plays a `quotient simulate` scenario
(examples/scenario-1-elastic-quota.yaml by default) through kube-apiserver, kube-scheduler
and Quotient, and prints per step the table `quotient simulate` prints for the same file.

    demo.py [SCENARIO] [--state-dir DIR]

It (re)starts a cluster of its own with cluster.sh in DIR (default .cache/demo-cluster),
Quotient serving the scenario's quota, creates the scenario's nodes as fake nodes, then
per step creates or deletes the Deployment and waits until the pods settle: the counts of
bound and pending pods unchanged for SETTLE_S, and a FailedScheduling event for every
pending pod (its latest message is the reason printed, with the quota text Quotient wrote).
`expect` steps compare with the live counts. The cluster is left running.

Reclaim steps (a quota below its min taking pods back from borrowers) run live: Quotient
evicts the victims through the Eviction API; the evicted pods are listed per step.

Exit status: 0 when every expectation holds; 1 when one fails or a step times out; 2 on a
bad scenario or a cluster that does not start. Needs the binaries of ./dev.sh build and
build-k8s.sh.
"""

import argparse
import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import yaml
from kubernetes import client, config
from kubernetes.client.rest import ApiException

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))
import nodes as fake_nodes  # noqa: E402  (test/cluster/nodes.py)

CLUSTER_SH = HERE / "cluster.sh"
DEFAULT_SCENARIO = ROOT / "examples" / "scenario-1-elastic-quota.yaml"
DEFAULT_STATE = ROOT / ".cache" / "demo-cluster"
SETTLE_S = 2.0  # counts unchanged this long: the step has settled
STEP_TIMEOUT_S = 90
READY_TIMEOUT_S = 60
POLL_S = 0.25
IMAGE = "registry.k8s.io/pause:3.10"
APP = "app"  # the pod label naming the Deployment
NO_EVENT = "no FailedScheduling event yet"


class DemoError(Exception):
    """A step or the set-up failed; `status` is the exit status."""

    def __init__(self, message, status=1):
        super().__init__(message)
        self.status = status


def say(msg):
    print(f"demo: {msg}", file=sys.stderr, flush=True)


def raw(call, *args, **kwargs):
    return json.loads(call(*args, _preload_content=False, **kwargs).data)


# ---- the scenario -------------------------------------------------------------------------

def load_scenario(path, state_dir):
    """The scenario's nodes, steps and quota file. An inline `quota` is written next to the
    state dir (cluster.sh up empties the state dir) for Quotient's --quota-file."""
    try:
        with open(path) as f:
            sc = yaml.safe_load(f)
    except (OSError, yaml.YAMLError) as e:
        raise DemoError(f"cannot read {path}: {e}", 2) from None
    if not isinstance(sc, dict) or not sc.get("nodes") or not sc.get("steps"):
        raise DemoError(f"{path}: expected `nodes` and `steps` (see docs/simulate.md; "
                        f"`quotient simulate {path}` reports every error)", 2)
    if "quotaFile" in sc:
        quota_file = (Path(path).parent / sc["quotaFile"]).resolve()
    elif "quota" in sc:
        quota_file = Path(f"{state_dir}-quota.yaml")
        quota_file.write_text(yaml.safe_dump(sc["quota"], sort_keys=False))
    else:
        raise DemoError(f"{path}: no `quotaFile` or `quota`", 2)
    return sc["nodes"], sc["steps"], quota_file


def format_requests(requests):
    return ", ".join(f"{k}={v}" for k, v in sorted((requests or {}).items())) or "no requests"


def format_counts(counts):
    return "{" + ", ".join(f"{ns}: {n}" for ns, n in sorted(counts.items())) + "}"


def step_title(step):
    """The title `quotient simulate` prints for the step (extender/simulate/report.cc)."""
    if "create" in step:
        c = step["create"]
        title = (f"create {c['namespace']}/{c['name']}: {c.get('replicas', 1)} × "
                 f"{format_requests(c.get('requests'))}")
        if c.get("priority", 0):
            title += f", priority {c['priority']}"
        if c.get("preemptible", True) is False:
            title += ", not preemptible"
        return title
    if "delete" in step:
        return f"delete {step['delete']['namespace']}/{step['delete']['name']}"
    e = step["expect"]
    parts = [f"{k} {format_counts(e[k])}" for k in ("running", "pending") if e.get(k)]
    return "expect " + "; ".join(parts)


# ---- the cluster --------------------------------------------------------------------------

def cluster_sh(state_dir, *args, env=None):
    """Runs cluster.sh on `state_dir`; returns its stdout. Its progress lines go to stderr,
    without its hint to eval `cluster.sh env`, which would name the default state dir."""
    full_env = {**os.environ, "QUOTIENT_CLUSTER_DIR": str(state_dir), **(env or {})}
    proc = subprocess.Popen([str(CLUSTER_SH), *args], env=full_env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    for line in proc.stderr:  # as they come: `up` takes a while; stdout is a few lines
        print(line.rstrip("\n").split("; to use it:")[0], file=sys.stderr, flush=True)
    out = proc.stdout.read()
    proc.wait()
    if proc.returncode != 0:
        raise DemoError(f"cluster.sh {' '.join(args)} failed; logs in {state_dir}/logs", 2)
    return out


def start_cluster(state_dir, quota_file):
    rel = os.path.relpath(quota_file, Path.cwd())
    say(f"starting etcd, kube-apiserver, kube-controller-manager, kube-scheduler, Quotient "
        f"(--quota-file {rel}) and the fake kubelet in {os.path.relpath(state_dir)}")
    cluster_sh(state_dir, "down")
    cluster_sh(state_dir, "up", env={"QUOTIENT_QUOTA_FILE": str(quota_file)})
    env = dict(line.split("=", 1) for line in
               cluster_sh(state_dir, "env").replace("export ", "").split())
    api = config.new_client_from_config(config_file=env["KUBECONFIG"])
    wait_synced(env["QUOTIENT_METRICS_URL"])
    return api, env


def wait_synced(metrics_url):
    deadline = time.monotonic() + READY_TIMEOUT_S
    body = ""
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{metrics_url}/readyz", timeout=2) as r:
                body = r.read().decode()
                if body.startswith("ok: synced"):
                    return
        except OSError as e:
            body = str(e)
        time.sleep(POLL_S)
    raise DemoError(f"Quotient's /readyz did not say synced within {READY_TIMEOUT_S} s "
                    f"(last: {body.strip()})", 2)


def create_nodes(core, entries):
    names = []
    for entry in entries:
        cap = {k: str(v) for k, v in (entry.get("capacity") or {}).items()}
        if "name" in entry:
            batch = [entry["name"]]
        else:
            batch = [f"{entry['namePrefix']}{i}" for i in range(1, entry.get("count", 1) + 1)]
        extra = {k: v for k, v in cap.items()
                 if k not in ("cpu", "memory", "pods", fake_nodes.GPU)}
        fake_nodes.create_nodes(core, batch, cap.get("cpu", "0"), cap.get("memory", "0"),
                                cap.get("pods", "110"), cap.get(fake_nodes.GPU, 0),
                                entry.get("labels"), extra)
        names += batch
        say(f"created {len(batch)} fake node(s) {batch[0]}..{batch[-1]}: "
            f"{format_requests(cap)}")
    return names


def ensure_namespace(core, name):
    try:
        core.create_namespace({"metadata": {"name": name}}, _preload_content=False)
    except ApiException as e:
        if e.status != 409:
            raise


def ensure_priority_class(api, value):
    name = f"demo-priority-{value}".replace("-" * 2, "-minus-")
    body = {"metadata": {"name": name}, "value": int(value), "globalDefault": False}
    try:
        client.SchedulingV1Api(api).create_priority_class(body, _preload_content=False)
    except ApiException as e:
        if e.status != 409:
            raise
    return name


def create_deployment(api, c):
    requests = {k: str(v) for k, v in (c.get("requests") or {}).items()}
    spec = {"containers": [{"name": "main", "image": IMAGE,
                            "resources": {"requests": requests, "limits": requests}}],
            "terminationGracePeriodSeconds": 30}
    if c.get("priority", 0):
        spec["priorityClassName"] = ensure_priority_class(api, c["priority"])
    labels = {**(c.get("labels") or {}), APP: c["name"]}
    if c.get("preemptible", True) is False:
        labels["quotient.io/preemptible"] = "false"  # extender/objects/preemptible.h
    body = {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": c["name"], "namespace": c["namespace"]},
            "spec": {"replicas": c.get("replicas", 1),
                     "selector": {"matchLabels": {APP: c["name"]}},
                     "template": {"metadata": {"labels": labels,
                                               "annotations": c.get("annotations") or {}},
                                  "spec": spec}}}
    client.AppsV1Api(api).create_namespaced_deployment(c["namespace"], body,
                                                       _preload_content=False)


# ---- reading the cluster ------------------------------------------------------------------

def event_time(e):
    return ((e.get("series") or {}).get("lastObservedTime") or e.get("lastTimestamp")
            or e.get("eventTime") or e["metadata"].get("creationTimestamp") or "")


class Snapshot:
    """Pods of the demo's namespaces and the latest scheduling events about them."""

    def __init__(self, core, namespaces):
        self.pods = []  # (namespace, pod dict), oldest first
        self.reason = {}  # (namespace, pod name) -> latest FailedScheduling message
        self.preempted = {}  # (namespace, pod name) -> latest Preempted/QuotaReclaim message
        for ns in namespaces:
            items = raw(core.list_namespaced_pod, ns)["items"]
            items.sort(key=lambda p: (p["metadata"]["creationTimestamp"], p["metadata"]["name"]))
            self.pods += [(ns, p) for p in items]
            events = raw(core.list_namespaced_event, ns,
                         field_selector="involvedObject.kind=Pod")["items"]
            for e in sorted(events, key=event_time):
                key = (ns, e["involvedObject"]["name"])
                if e.get("reason") == "FailedScheduling":
                    self.reason[key] = e.get("message") or e.get("note", "")
                elif e.get("reason") in ("Preempted", "QuotaReclaim"):
                    self.preempted[key] = e.get("message", "")
        self.namespaces = list(namespaces)

    def bound(self):
        return {(ns, p["metadata"]["name"]): p["spec"]["nodeName"] for ns, p in self.pods
                if p["spec"].get("nodeName") and not p["metadata"].get("deletionTimestamp")}

    def pending(self):
        return [(ns, p) for ns, p in self.pods
                if not p["spec"].get("nodeName") and not p["metadata"].get("deletionTimestamp")]

    def terminating(self):
        return sum(1 for _, p in self.pods if p["metadata"].get("deletionTimestamp"))

    def counts(self):
        running = {ns: 0 for ns in self.namespaces}
        pending = {ns: 0 for ns in self.namespaces}
        for ns, _ in self.bound():
            running[ns] += 1
        for ns, _ in self.pending():
            pending[ns] += 1
        return running, pending

    def key(self):
        """What must stay unchanged for the step to count as settled."""
        return (tuple(sorted(self.bound().items())),
                tuple(p["metadata"]["name"] for _, p in self.pending()), self.terminating())

    def unexplained(self):
        return [f"{ns}/{p['metadata']['name']}" for ns, p in self.pending()
                if (ns, p["metadata"]["name"]) not in self.reason]


def settle(core, namespaces, ready=lambda snap: True, what="the pods"):
    """Waits until `ready(snapshot)` and the pods have not changed for SETTLE_S, nothing is
    terminating and every pending pod has a FailedScheduling event. Returns the snapshot."""
    deadline = time.monotonic() + STEP_TIMEOUT_S
    last_key, since, snap = None, time.monotonic(), None
    while True:
        try:
            snap = Snapshot(core, namespaces)
        except (ApiException, OSError) as e:
            snap, why = None, f"{type(e).__name__}: {e}"
        if snap is not None:
            key = snap.key()
            if key != last_key:
                last_key, since = key, time.monotonic()
            stable = time.monotonic() - since >= SETTLE_S
            waiting = [] if ready(snap) else [f"{what} to be created"]
            if snap.terminating():
                waiting.append(f"{snap.terminating()} terminating pod(s) to go")
            if snap.unexplained():
                waiting.append(f"FailedScheduling events of {', '.join(snap.unexplained()[:3])}")
            if stable and not waiting:
                return snap
            running, pending = snap.counts()
            why = (f"running {format_counts(running)}, pending {format_counts(pending)}"
                   + (f"; waiting for {'; '.join(waiting)}" if waiting else "; still changing"))
        if time.monotonic() >= deadline:
            raise DemoError(f"the step did not settle within {STEP_TIMEOUT_S} s: {why}. Look "
                            f"at: cluster.sh events, cluster.sh logs kube-scheduler, "
                            f"cluster.sh logs quotient")
        time.sleep(POLL_S)


# ---- printing (the format of extender/simulate/report.cc) ---------------------------------

def print_table(snap, namespaces, before, gone_ok):
    running, pending = snap.counts()
    shown = [ns for ns in sorted(namespaces)]
    if not shown:
        print("  no namespaces yet")
    else:
        width = max(len("namespace"), *(len(ns) for ns in shown))
        print(f"  {'namespace':<{width}}  running  pending")
        for ns in shown:
            print(f"  {ns:<{width}}  {running[ns]:>7}  {pending[ns]:>7}")
    now = snap.bound()
    for key, node in before.items():
        if key not in now and key not in gone_ok:
            why = snap.preempted.get(key, "deleted (no Preempted or QuotaReclaim event yet)")
            print(f"  evicted {key[0]}/{key[1]} from {node}: {why}")
    groups = []  # consecutive pending pods of one Deployment with one reason share a line
    for ns, p in snap.pending():
        name = p["metadata"]["name"]
        group = (ns, p["metadata"].get("labels", {}).get(APP), snap.reason.get((ns, name),
                                                                               NO_EVENT))
        if groups and groups[-1][0] == group:
            groups[-1][1].append(name)
        else:
            groups.append((group, [name]))
    for (ns, _, reason), names in groups:
        print(f"  pending {ns}/{', '.join(names)}: {reason}")


def check_expect(expect, snap):
    """The mismatches as `quotient simulate` words them."""
    running, pending = snap.counts()
    failures = []
    for kind, actual in (("running", running), ("pending", pending)):
        for ns, want in sorted((expect.get(kind) or {}).items()):
            got = actual.get(ns, 0)
            if got != want:
                failures.append(f"{ns} {kind}: expected {want}, got {got}")
    return failures


# ---- the demo -----------------------------------------------------------------------------

def run(args):
    state_dir = Path(args.state_dir).resolve()
    state_dir.parent.mkdir(parents=True, exist_ok=True)
    node_entries, steps, quota_file = load_scenario(args.scenario, state_dir)
    api, env = start_cluster(state_dir, quota_file)
    core = client.CoreV1Api(api)
    node_names = create_nodes(core, node_entries)
    namespaces = []
    for step in steps:
        if "create" in step and step["create"]["namespace"] not in namespaces:
            namespaces.append(step["create"]["namespace"])
    for ns in namespaces:
        ensure_namespace(core, ns)
    print(f"cluster: {len(node_names)} fake nodes; quota: {os.path.relpath(quota_file)}, "
          f"served by Quotient; kube-scheduler calls it for filter, prioritize, preempt and "
          f"bind", flush=True)

    shown, snap = [], Snapshot(core, [])
    held = failed = 0
    for number, step in enumerate(steps, 1):
        print(f"step {number}: {step_title(step)}", flush=True)
        if "expect" in step:
            snap = Snapshot(core, shown)
            failures = check_expect(step["expect"], snap)
            for f in failures:
                print(f"  FAILED: {f}")
            if not failures:
                print("  ok")
                held += 1
            else:
                failed += 1
            sys.stdout.flush()
            continue
        before, gone_ok = snap.bound(), set()
        if "create" in step:
            c = step["create"]
            if c["namespace"] not in shown:
                shown.append(c["namespace"])
            create_deployment(api, c)
            want = c.get("replicas", 1)

            def ready(s, ns=c["namespace"], name=c["name"], want=want):
                return sum(1 for n, p in s.pods if n == ns and
                           p["metadata"].get("labels", {}).get(APP) == name) >= want
        else:
            d = step["delete"]
            client.AppsV1Api(api).delete_namespaced_deployment(
                d["name"], d["namespace"], propagation_policy="Background",
                _preload_content=False)
            gone_ok = {k for k in before if k[0] == d["namespace"]}

            def ready(s, ns=d["namespace"], name=d["name"]):
                return not any(n == ns and p["metadata"].get("labels", {}).get(APP) == name
                               for n, p in s.pods)
        t0 = time.monotonic()
        snap = settle(core, shown, ready)
        say(f"step {number} settled in {time.monotonic() - t0:.1f} s")
        print_table(snap, shown, before, gone_ok)
        sys.stdout.flush()

    total = held + failed
    if failed:
        print(f"{failed} of {total} expectations failed")
    else:
        print(f"all {total} expectations hold")
    return 1 if failed else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("scenario", nargs="?", default=str(DEFAULT_SCENARIO))
    parser.add_argument("--state-dir", default=str(DEFAULT_STATE),
                        help="the cluster's state dir (default .cache/demo-cluster)")
    args = parser.parse_args()
    try:
        status = run(args)
    except DemoError as e:
        say(str(e))
        sys.exit(e.status)
    except ApiException as e:
        say(f"the API server refused a request: {e.status} {e.reason}: {e.body}")
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
    d = os.path.relpath(Path(args.state_dir).resolve())
    sh = f"QUOTIENT_CLUSTER_DIR={d} {os.path.relpath(CLUSTER_SH)}"
    print(f"""
The cluster keeps running in {d}. To look at it:
  eval "$({sh} env)"   # KUBECONFIG, QUOTIENT_URL, QUOTIENT_METRICS_URL
  {sh} pods            # also: nodes, events, status, logs NAME
  curl -s "$QUOTIENT_METRICS_URL/metrics" | grep -E 'quotient_quota_used|quotient_decisions_total'
Stop it with:
  {sh} down
The same scenario through the decision core alone: ./dev.sh simulate""")
    sys.exit(status)


if __name__ == "__main__":
    main()
