"""High availability in sidecar mode on the real control plane (docs/operations.md, "High
availability"): two kube-schedulers with leader election on one Lease, each calling its own
Quotient on 127.0.0.1 (leaderElection.mode followScheduler), each pair with a hostname of its
own as two pods would have. Quotient binds every pod (bind_all_config), so every bind passes
the fence of the Quotient that made it.

One test, one stream of pods into quota'd namespaces, two faults:
  1. kill -9 of the leading pair (scheduler and Quotient at once) mid-stream: scheduling
     resumes through the other pair within RESUME_S;
  2. SIGSTOP of the leading pair past the lease, during a reclaim: the other pair takes over
     and schedules; after SIGCONT, the API server's audit log (cluster.sh QUOTIENT_AUDIT=1)
     shows no write by the paused Quotient (its user agent names it) after it was stopped.
Throughout, a checker polling the API finds no quota over its max; at the end every pod is
bound, or pending with the scheduler's reason, and no reclaim victim was evicted twice.
"""

import contextlib
import signal
import time
from collections import Counter

import pytest
import yaml
from kubernetes import client
from kubernetes.client.rest import ApiException

from harness import (Background, QuotientProcess, audit_time, bind_all_config, hostname_argv, raw,
                     start_scheduler, unexplained_pending, wait_until)
from quota_support import CpuInvariant

SCHEDULER = "quotient-ha"
LEASE = "quotient-ha-scheduler"  # kube-system/quotient-ha-scheduler
# kube-scheduler's election, short (client-go needs lease > renew deadline > 1.2 x retry).
ELECTION = {"leaderElect": True, "leaseDuration": "4s", "renewDeadline": "3s",
            "retryPeriod": "1s", "resourceLock": "leases", "resourceName": LEASE,
            "resourceNamespace": "kube-system"}
# Quotient looks at the Lease twice per scheduler renew; the fence ends 1 s before takeover.
SIDECAR = {"enabled": True, "mode": "followScheduler", "followLeaseNamespace": "kube-system",
           "followLeaseName": LEASE, "retryPeriod": "500ms", "followMargin": "1s"}
RESUME_S = 20
POD_CPU = "500m"


def quota_tree(stream_ns, victims_ns, claimer_ns):
    """root: `stream` (max 20 cpu), and `reclaim` (max 4) whose two children are guaranteed
    2 cpu each: `victims` borrows all 4 first, then `claimer` takes its 2 back."""
    leaf = lambda name, ns, mn, mx: {"name": name, "namespaces": [ns], "min": {"cpu": mn},
                                     "max": {"cpu": mx}}
    return {"apiVersion": "scheduling.sigs.k8s.io/v1beta1", "kind": "ElasticQuotaTree",
            "metadata": {"name": "elasticquotatree", "namespace": "kube-system"},
            "spec": {"root": {"name": "root", "min": {"cpu": 40}, "max": {"cpu": 40}, "children": [
                leaf("root.stream", stream_ns, 10, 20),
                {"name": "root.reclaim", "min": {"cpu": 4}, "max": {"cpu": 4}, "children": [
                    leaf("root.reclaim.victims", victims_ns, 2, 4),
                    leaf("root.reclaim.claimer", claimer_ns, 2, 4)]}]}}}


class Pair:
    """A kube-scheduler and its Quotient, sharing the hostname `host`."""

    def __init__(self, cluster, workdir, host, prefix, run):
        self.cluster, self.workdir, self.host, self.prefix = cluster, workdir, host, prefix
        self.run = run  # started pairs of this host, for log names
        self.quotient = QuotientProcess(
            cluster, workdir, f"quotient-{host}-{run}",
            ["--config", str(workdir / "quotient.yaml"), "--quota-file",
             str(workdir / "quota.yaml")], prefix=prefix)
        cfg = bind_all_config(yaml.safe_load(cluster.scheduler_config()), SCHEDULER)
        for entry in cfg["extenders"]:
            entry["urlPrefix"] = self.quotient.url
        cfg["leaderElection"] = ELECTION
        self.scheduler = start_scheduler(cluster, workdir, f"kube-scheduler-{host}-{run}", cfg,
                                         prefix)

    def leading(self):
        return self.quotient.metric("quotient_leader") == 1

    def processes(self):
        return (self.scheduler, self.quotient)

    def user_agent_prefix(self):
        return f"quotient ({self.host}_"  # the identity is <hostname>_<random>


class Stream(Background):
    """Creates one pod every `interval` s in `namespace` in the background."""

    def __init__(self, kube, namespace, interval=0.5):
        super().__init__(interval)
        self.kube, self.namespace = kube, namespace
        self.created = []  # (name, monotonic time)

    def step(self):
        name = f"s-{len(self.created)}"
        create_pod(self.kube, self.namespace, name)
        self.created.append((name, time.monotonic()))

    def bound_after(self, t):
        """Whether a pod created after monotonic time `t` is bound."""
        names = {n for n, at in self.created if at > t}
        return any(p["spec"].get("nodeName") for p in self.kube.pods(self.namespace)
                   if p["metadata"]["name"] in names)


def create_pod(kube, namespace, name):
    kube.core.create_namespaced_pod(namespace, {
        "metadata": {"name": name},
        "spec": {"schedulerName": SCHEDULER, "terminationGracePeriodSeconds": 0,
                 "containers": [{"name": "c", "image": "registry.k8s.io/pause:3.10",
                                 "resources": {"requests": {"cpu": POD_CPU},
                                               "limits": {"cpu": POD_CPU}}}]}},
        _preload_content=False)


def lease_holder(cluster):
    lease = raw(client.CoordinationV1Api(cluster.api_client).read_namespaced_lease, LEASE,
                "kube-system")
    return lease["spec"].get("holderIdentity") or ""


def test_sidecar_pairs_fail_over_on_kill_and_on_pause_without_a_stale_write(cluster, kube,
                                                                           tmp_path):
    hosts = {h: hostname_argv(h) for h in ("ha-a", "ha-b")}
    if None in hosts.values():
        pytest.skip("cannot give a process its own hostname here (unshare --uts)")
    if cluster.audit_events() is None:
        pytest.skip("the cluster has no audit log (start it with QUOTIENT_AUDIT=1)")
    kube.create_nodes(2, cpu=16, prefix="ha-node-")
    stream_ns, victims_ns, claimer_ns = (kube.create_namespace() for _ in range(3))
    (tmp_path / "quota.yaml").write_text(yaml.safe_dump(
        quota_tree(stream_ns, victims_ns, claimer_ns)))
    (tmp_path / "quotient.yaml").write_text(yaml.safe_dump(
        {"leaderElection": SIDECAR, "reclaim": {"schedulerNames": [SCHEDULER]}}))
    runs = Counter()

    def start(host):
        runs[host] += 1
        return Pair(cluster, tmp_path, host, hosts[host], runs[host])

    pairs = {h: start(h) for h in hosts}
    try:
        for p in pairs.values():
            wait_until(p.quotient.synced, 30, f"Quotient {p.host} to sync")
        leader = wait_until(lambda: [p for p in pairs.values() if p.leading()], 30,
                            "a Quotient to follow its scheduler into the lead")
        assert len(leader) == 1, [p.host for p in leader]
        (leader,) = leader
        assert lease_holder(cluster).startswith(f"{leader.host}_")

        limits = {stream_ns: 20_000, victims_ns: 4_000, claimer_ns: 4_000,
                  (victims_ns, claimer_ns): 4_000}
        with CpuInvariant(kube, limits) as invariant, Stream(kube, stream_ns) as stream:
            for i in range(8):  # the victims borrow the claimer's guaranteed 2 cpu
                create_pod(kube, victims_ns, f"v-{i}")
            wait_until(lambda: kube.pod_counts(victims_ns).bound == 8, 30,
                       "the victims' pods to bind")

            # 1. kill -9 of the leading pair mid-stream.
            for proc in leader.processes():
                proc.kill()
            killed_at, killed_wall = time.monotonic(), time.time()
            standby = first_standby = next(p for p in pairs.values() if p is not leader)
            wait_until(lambda: stream.bound_after(killed_at), RESUME_S,
                       "scheduling to resume through the other pair after kill -9")
            resumed_s = time.monotonic() - killed_at
            assert standby.leading()
            pairs[leader.host] = start(leader.host)  # back, as the standby
            wait_until(pairs[leader.host].quotient.synced, 30, "the restarted Quotient to sync")
            leader, standby = standby, pairs[leader.host]

            # 2. SIGSTOP of the leading pair past the lease, with a reclaim under way: the
            # claimer's pods need the 2 cpu the victims borrowed.
            for i in range(6):  # 4 within its guarantee, 2 beyond: those wait
                create_pod(kube, claimer_ns, f"c-{i}")
            time.sleep(1.5)  # the scheduler tries them, the reclaim starts
            refused_before = leader.quotient.metric("quotient_decisions_total", reason="not_leader")
            for proc in leader.processes():
                proc.signal(signal.SIGSTOP)
            stopped_at, stopped_wall = time.monotonic(), time.time()
            wait_until(lambda: stream.bound_after(stopped_at), RESUME_S,
                       "the other pair to take over from the paused one")
            took_over_s = time.monotonic() - stopped_at
            assert standby.leading()
            assert lease_holder(cluster).startswith(f"{standby.host}_")
            for proc in leader.processes():
                proc.signal(signal.SIGCONT)
            # The resumed scheduler finds its lease lost and exits; its Quotient refuses.
            wait_until(lambda: not leader.scheduler.alive(), 15,
                       "the resumed kube-scheduler to give up the lease and exit")
            assert not leader.leading()
            refused_after_resume = leader.quotient.metric(
                "quotient_decisions_total", reason="not_leader") - refused_before
            kube.wait_for_pods(claimer_ns, bound=4, pending=2, timeout=30)

        invariant.assert_held()
        namespaces = (stream_ns, victims_ns, claimer_ns)
        pods = [p for ns in namespaces for p in kube.pods(ns)]
        wait_until(lambda: not unexplained_pending([p for ns in namespaces for p in kube.pods(ns)]),
                   30, "every pending pod to carry the scheduler's reason")

        events = cluster.audit_events()
        paused_writes = [e for e in events if e.get("userAgent", "").startswith(
            leader.user_agent_prefix())]
        assert any(audit_time(e) < stopped_wall for e in paused_writes), \
            "the paused Quotient wrote nothing before its pause: its writes are not told apart"
        late = [f"{e['verb']} {e['objectRef'].get('resource')}/"
                f"{e['objectRef'].get('subresource', '')} {e['objectRef'].get('name')}"
                for e in paused_writes if audit_time(e) > stopped_wall]
        assert not late, f"the paused Quotient wrote after SIGSTOP/SIGCONT: {late}"
        resumed_binds = [e for e in events
                         if e.get("userAgent", "").startswith(first_standby.user_agent_prefix())
                         and e.get("objectRef", {}).get("subresource") == "binding"
                         and audit_time(e) > killed_wall]
        assert resumed_binds, "no bind through the other pair after kill -9"
        evictions = Counter(e["objectRef"]["name"] for e in events
                            if e.get("objectRef", {}).get("subresource") == "eviction"
                            and e["objectRef"].get("namespace") == victims_ns)
        assert evictions, "no reclaim eviction: the reclaim did not run"
        assert max(evictions.values()) == 1, f"a victim was evicted more than once: {evictions}"
        print(f"failover: resumed {resumed_s:.1f} s after kill -9, took over {took_over_s:.1f} s "
              f"after SIGSTOP; {len(pods)} pods, {sum(bool(p['spec'].get('nodeName')) for p in pods)}"
              f" bound; evictions {dict(evictions)}; the resumed Quotient refused "
              f"{refused_after_resume:.0f} calls of its scheduler")
    finally:
        for p in pairs.values():
            for proc in p.processes():
                proc.stop()
        for log in sorted(tmp_path.glob("*.log")):  # shown when the test fails
            print(f"==> {log.name}\n{log.read_text(errors='replace')[-1500:]}")
        with contextlib.suppress(ApiException):
            client.CoordinationV1Api(cluster.api_client).delete_namespaced_lease(
                LEASE, "kube-system", _preload_content=False)
