"""Reclaim through the real kube-scheduler (issue: reclaim): a quota below its guaranteed
`min` gets it back by evicting borrowers, fairly between siblings, through the Eviction API,
without storms. Evictions are counted from the API server (pod UIDs that left), never from
Quotient's own numbers; Quotient's metrics and Events are checked beside them."""

import time

import pytest

from harness import raw, wait_until
from quota_support import EXAMPLES, CpuInvariant, Departures, QuotaFile, scenario1_quota

CORES = 1000  # millis
# While idling, a node is relabelled every NUDGE_S: a cluster event, after which kube-scheduler
# retries every unschedulable pod (after its backoff, at most podMaxBackoffSeconds = 10 s).
# IDLE_S covers many such retry cycles, and 30 of Quotient's reclaim passes.
IDLE_S = 30
NUDGE_S = 3


@pytest.fixture
def quota(cluster):
    return QuotaFile(cluster)


def reclaim_events(kube, namespace):
    """Messages of the QuotaReclaim Events Quotient recorded on evicted pods."""
    events = raw(kube.core.list_namespaced_event, namespace, field_selector="reason=QuotaReclaim")
    return [e.get("message", "") for e in events["items"]]


def idle_with_scheduler_retries(kube, node, seconds=IDLE_S):
    """Waits `seconds`, relabelling `node` every NUDGE_S so that kube-scheduler retries
    its unschedulable pods again and again."""
    deadline = time.monotonic() + seconds
    n = 0
    while time.monotonic() < deadline:
        n += 1
        kube.core.patch_node(node, {"metadata": {"labels": {"e2e.quotient.io/nudge": str(n)}}},
                             _preload_content=False)
        time.sleep(NUDGE_S)


def scenario1_namespaces(kube, quota):
    quota.apply(scenario1_quota())
    kube.create_nodes(4, cpu=10, memory="64Gi", prefix="s1-node-")
    for ns in ("namespace1", "namespace2", "namespace3", "namespace4"):
        kube.create_namespace(ns)


def test_scenario1_all_four_steps_reclaim_one_pod_from_each_sibling_and_then_nothing(
        cluster, kube, quota):
    scenario1_namespaces(kube, quota)
    names = ["namespace1", "namespace2", "namespace3", "namespace4"]
    limits = {ns: 20 * CORES for ns in names}
    started = cluster.metric("quotient_reclaims_total", event="started")
    with CpuInvariant(kube, limits) as inv, Departures(kube, names) as gone:
        kube.create_deployment("namespace1", "web", replicas=5, cpu=5)
        kube.wait_for_pods("namespace1", bound=4, pending=1)
        kube.create_deployment("namespace2", "web", replicas=5, cpu=5)
        kube.wait_for_pods("namespace2", bound=4, pending=1)
        assert gone.counts() == {ns: 0 for ns in names}

        # Step 3: namespace3 is below its min and takes 10 cores back from root.a.
        kube.create_deployment("namespace3", "web", replicas=5, cpu=5)
        kube.wait_for_pods("namespace3", bound=2, pending=3, timeout=90)
        kube.wait_for_pods("namespace1", bound=3, pending=2)
        kube.wait_for_pods("namespace2", bound=3, pending=2)
        assert gone.counts() == {"namespace1": 1, "namespace2": 1, "namespace3": 0,
                                 "namespace4": 0}

        # Step 4: namespace4 likewise.
        kube.create_deployment("namespace4", "web", replicas=5, cpu=5)
        kube.wait_for_pods("namespace4", bound=2, pending=3, timeout=90)
        for ns in ("namespace1", "namespace2", "namespace3"):
            kube.wait_for_pods(ns, bound=2, pending=3)
        assert gone.counts() == {"namespace1": 2, "namespace2": 2, "namespace3": 0,
                                 "namespace4": 0}

        # No storm: many scheduler retry cycles later, still exactly 4 evictions.
        idle_with_scheduler_retries(kube, "s1-node-1")
        assert gone.counts() == {"namespace1": 2, "namespace2": 2, "namespace3": 0,
                                 "namespace4": 0}
        for ns in names:
            kube.wait_for_pods(ns, bound=2, pending=3, timeout=5)
        inv.assert_held()
    assert cluster.metric("quotient_reclaims_total", event="started") - started == 4
    # Every eviction is visible on its victim, naming the quota that reclaimed.
    messages = reclaim_events(kube, "namespace1") + reclaim_events(kube, "namespace2")
    assert len(messages) == 4, messages
    assert sum("quota root.b.1 reclaims" in m for m in messages) == 2, messages
    assert sum("quota root.b.2 reclaims" in m for m in messages) == 2, messages
    # The Pending replacements say why they wait.
    pending = [p for p in kube.pods("namespace1") if not p["spec"].get("nodeName")]
    events = wait_until(
        lambda: kube.failed_scheduling_events("namespace1", pending[0]["metadata"]["name"]),
        what="a FailedScheduling event of a replacement")
    assert any("quota root" in e or "Insufficient cpu" in e for e in events), events


def test_the_capacity_scheduling_demo_gives_quota2_its_guarantee_back(kube, quota):
    quota.apply((EXAMPLES / "quota-capacity-demo.yaml").read_text())
    kube.create_nodes(2, cpu=4, memory="16Gi", prefix="cap-node-")
    for ns in ("quota1", "quota2"):
        kube.create_namespace(ns)
    with Departures(kube, ["quota1", "quota2"]) as gone:
        kube.create_deployment("quota1", "nginx", replicas=4, cpu=2)
        kube.wait_for_pods("quota1", bound=3, pending=1)
        kube.create_deployment("quota2", "nginx", replicas=2, cpu=2)
        kube.wait_for_pods("quota2", bound=2, timeout=90)
        kube.wait_for_pods("quota1", bound=2, pending=2)
        assert gone.counts() == {"quota1": 1, "quota2": 0}


def test_ten_gpus_team_b_takes_its_min_back_and_a_fourth_pod_waits(kube, quota):
    quota.apply((EXAMPLES / "quota-gpu-reclaim.yaml").read_text())
    kube.create_nodes(5, cpu=8, memory="64Gi", gpu=2, prefix="gpu-node-")
    for ns in ("team-a", "team-b"):
        kube.create_namespace(ns)
    with Departures(kube, ["team-a", "team-b"]) as gone:
        kube.create_deployment("team-a", "train", replicas=3, cpu=1, gpu=2)
        kube.wait_for_pods("team-a", bound=3)
        kube.create_deployment("team-b", "train", replicas=3, cpu=1, gpu=2)
        kube.wait_for_pods("team-b", bound=3, timeout=90)
        kube.wait_for_pods("team-a", bound=2, pending=1)  # 4 GPUs = its min
        assert gone.counts() == {"team-a": 1, "team-b": 0}
        kube.create_deployment("team-b", "extra", replicas=1, cpu=1, gpu=2)
        kube.wait_for_pods("team-b", bound=3, pending=1)
        idle_with_scheduler_retries(kube, "gpu-node-1", seconds=10)
        assert gone.counts() == {"team-a": 1, "team-b": 0}, "beyond its min, B evicts nobody"
        kube.wait_for_pods("team-a", bound=2, pending=1, timeout=5)


def test_a_victim_protected_by_a_disruption_budget_is_skipped_for_another(cluster, kube, quota):
    scenario1_namespaces(kube, quota)
    kube.policy.create_namespaced_pod_disruption_budget("namespace2", {
        "apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
        "metadata": {"name": "web"},
        "spec": {"maxUnavailable": 0, "selector": {"matchLabels": {"app": "web"}}},
    }, _preload_content=False)
    refused = cluster.metric("quotient_reclaim_evictions_total", result="disruption_budget")
    with Departures(kube, ["namespace1", "namespace2"]) as gone:
        kube.create_deployment("namespace1", "web", replicas=5, cpu=5)
        kube.wait_for_pods("namespace1", bound=4, pending=1)
        kube.create_deployment("namespace2", "web", replicas=5, cpu=5)
        kube.wait_for_pods("namespace2", bound=4, pending=1)
        kube.create_deployment("namespace3", "web", replicas=2, cpu=5)
        kube.wait_for_pods("namespace3", bound=2, timeout=120)
        kube.wait_for_pods("namespace2", bound=4, pending=1)
        assert gone.counts() == {"namespace1": 2, "namespace2": 0}
    assert cluster.metric("quotient_reclaim_evictions_total",
                          result="disruption_budget") > refused


def test_a_pod_that_never_preempts_does_not_reclaim(kube, quota):
    scenario1_namespaces(kube, quota)
    kube.create_priority_class("e2e-never-preempt", value=0, preemption_policy="Never")
    with Departures(kube, ["namespace1", "namespace2"]) as gone:
        kube.create_deployment("namespace1", "web", replicas=4, cpu=5)
        kube.create_deployment("namespace2", "web", replicas=4, cpu=5)
        kube.wait_for_pods("namespace1", bound=4)
        kube.wait_for_pods("namespace2", bound=4)
        kube.create_deployment("namespace3", "web", replicas=1, cpu=5,
                               priority_class="e2e-never-preempt")
        kube.wait_for_pods("namespace3", bound=0, pending=1)
        idle_with_scheduler_retries(kube, "s1-node-1", seconds=10)
        assert gone.counts() == {"namespace1": 0, "namespace2": 0}
        kube.wait_for_pods("namespace3", bound=0, pending=1, timeout=5)


def test_a_reclaiming_pod_deleted_mid_reclaim_frees_its_reservation(cluster, kube, quota):
    scenario1_namespaces(kube, quota)
    # The borrowers' pods stay Terminating until the test lets them go: the reclaim stays
    # in flight while its victim leaves.
    hold = "e2e.quotient.io/hold"
    borrowers = ("namespace1", "namespace2")
    aborted = cluster.metric("quotient_reclaims_total", event="aborted", reason="pod_gone")
    try:
        for ns in borrowers:
            kube.create_deployment(ns, "web", replicas=4, cpu=5, finalizers=[hold])
        for ns in borrowers:
            kube.wait_for_pods(ns, bound=4)
        kube.create_deployment("namespace3", "web", replicas=1, cpu=5)
        victim = wait_until(
            lambda: next((p for ns in borrowers for p in kube.pods(ns)
                          if p["metadata"].get("deletionTimestamp")), None),
            timeout=60, what="a borrower's pod to be evicted")
        assert cluster.metric("quotient_quota_reserved", quota="root.b.1", resource="cpu") == 5
        kube.apps.delete_namespaced_deployment("web", "namespace3", _preload_content=False)
        wait_until(lambda: cluster.metric("quotient_reclaims_total", event="aborted",
                                          reason="pod_gone") > aborted,
                   timeout=30, what="Quotient to abort the reclaim of the deleted pod")
        assert cluster.metric("quotient_quota_reserved", quota="root.b.1", resource="cpu") == 0
    finally:
        for ns in borrowers:
            kube.remove_finalizers(ns, hold)
    # The room the reclaim would have taken goes back to the borrowers: the victim's
    # replacement (its quota admits it again) runs.
    victim_ns = victim["metadata"]["namespace"]
    kube.wait_for_pods(victim_ns, bound=4, timeout=90)
    for ns in borrowers:
        kube.remove_finalizers(ns, hold)  # the replacement's too, for the namespace deletion
    assert victim["metadata"]["uid"] not in {p["metadata"]["uid"] for p in kube.pods(victim_ns)}


def test_priority_preemption_beyond_min_takes_only_from_its_own_quota(cluster, kube, quota):
    """kube-scheduler's own preemption, through Quotient's preempt verb: a high-priority pod
    of namespace1 (beyond its min) may preempt only namespace1's pods. The scheduler's dry run
    proposes the newer pod on each node (namespace2's); Quotient drops those and swaps in the
    namespace1 pod on the same node."""
    scenario1_namespaces(kube, quota)
    kube.create_priority_class("e2e-high", value=1000)
    with Departures(kube, ["namespace1", "namespace2"]) as gone:
        kube.create_deployment("namespace1", "web", replicas=4, cpu=5)
        kube.wait_for_pods("namespace1", bound=4)
        kube.create_deployment("namespace2", "web", replicas=4, cpu=5)
        kube.wait_for_pods("namespace2", bound=4)
        kube.create_deployment("namespace1", "urgent", replicas=1, cpu=5,
                               priority_class="e2e-high")
        wait_until(lambda: all(p["spec"].get("nodeName")
                               for p in kube.pods("namespace1", label_selector="app=urgent")),
                   timeout=90, what="the high-priority pod to be bound")
        kube.wait_for_pods("namespace1", bound=4, pending=1)  # 3 web + urgent; 1 web waits
        kube.wait_for_pods("namespace2", bound=4)
        counts = gone.counts()
        # On a failure, the story of each preemption from both sides (a second set of
        # victims failed CI once and did not reproduce here: docs/quota.md rule 7).
        assert counts == {"namespace1": 1, "namespace2": 0}, "\n".join(
            [f"departures {counts}", "quotient:"]
            + cluster.log_lines("quotient", "preempt")
            + ["kube-scheduler:"]
            + cluster.log_lines("kube-scheduler", "target node for the preemption",
                                "preempted victim", "Async Preemption", "ominat"))
    assert cluster.metric("quotient_decisions_total", verb="preempt",
                          reason="preempt_quota_filtered") >= 1
