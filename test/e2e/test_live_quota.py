"""Quota decisions from the live cluster, through the real kube-scheduler (issue: live
cluster state): scenarios 2 and 1 (steps 1 and 2), unquoted namespaces, live quota
edits from the file and from the ElasticQuotaTree object, and Quotient and the API server
restarted mid-run. Every test checks from the API that no namespace ever had more bound
than its quota allows."""

from pathlib import Path

import pytest
from kubernetes import client

from harness import wait_until
from quota_support import (EXAMPLES, CpuInvariant, QuotaFile, readyz, readyz_answer,
                           scenario1_quota, tree_only, wait_for_synced)

CORES = 1000  # millis
EQT = ("scheduling.sigs.k8s.io", "v1beta1", "kube-system", "elasticquotatrees")


@pytest.fixture
def quota(cluster):
    q = QuotaFile(cluster)
    yield q


def scenario1_cluster(kube, quota, leaf_max_cpu=20):
    quota.apply(scenario1_quota(leaf_max_cpu))
    kube.create_nodes(4, cpu=10, memory="64Gi", prefix="s1-node-")
    for ns in ("namespace1", "namespace2"):
        kube.create_namespace(ns)


def test_scenario2_a_gpu_quota_keeps_bobs_second_job_pending_with_a_readable_reason(kube, quota):
    quota.apply((EXAMPLES / "quota-scenario2.yaml").read_text())
    kube.create_nodes(3, cpu=4, memory="30Gi", gpu=1, prefix="gpu-node-")
    dev1, dev2 = kube.create_namespace("dev1"), kube.create_namespace("dev2")

    kube.create_deployment(dev1, "bob-train", replicas=1, cpu=1, memory="4Gi", gpu=1)
    kube.wait_for_pods(dev1, bound=1)
    kube.scale(dev1, "bob-train", 2)
    kube.wait_for_pods(dev1, bound=1, pending=1)
    pending = next(p for p in kube.pods(dev1) if not p["spec"].get("nodeName"))
    messages = wait_until(
        lambda: kube.failed_scheduling_events(dev1, pending["metadata"]["name"]),
        what="bob's FailedScheduling event")
    assert "quota dev1: nvidia.com/gpu used 1 + reserved 0 + request 1 > max 1" in messages[-1]

    kube.create_deployment(dev2, "tom-train", replicas=2, cpu=2, memory="10Gi", gpu=1)
    kube.wait_for_pods(dev2, bound=2)
    # Free GPUs existed all along: bob's pod waits for his quota, not for room.
    assert kube.pod_counts(dev1).pending == 1


def test_scenario1_borrowing_up_to_max_runs_four_then_four_and_four(kube, quota):
    scenario1_cluster(kube, quota)
    with CpuInvariant(kube, {"namespace1": 20 * CORES, "namespace2": 20 * CORES}) as inv:
        kube.create_deployment("namespace1", "web", replicas=5, cpu=5)
        kube.wait_for_pods("namespace1", bound=4, pending=1)
        kube.create_deployment("namespace2", "web", replicas=5, cpu=5)
        kube.wait_for_pods("namespace2", bound=4, pending=1)
        inv.assert_held()


def test_pods_of_namespaces_without_a_quota_schedule_freely(kube, quota):
    scenario1_cluster(kube, quota)
    free = kube.create_namespace()
    kube.create_deployment(free, "batch", replicas=6, cpu=5)
    kube.wait_for_pods(free, bound=6)


def test_a_live_edit_of_the_quota_file_changes_the_next_decisions(cluster, kube, quota):
    scenario1_cluster(kube, quota)
    with CpuInvariant(kube, {"namespace1": 25 * CORES}) as inv:
        kube.create_deployment("namespace1", "web", replicas=6, cpu=5)
        kube.wait_for_pods("namespace1", bound=4, pending=2)
        quota.apply(scenario1_quota(leaf_max_cpu=25))
        kube.wait_for_pods("namespace1", bound=5, pending=1)
        inv.assert_held()
    # No event kube-scheduler sees says the quota grew: Quotient asked it to retry.
    assert cluster.metric("quotient_requeue_nudges_total",
                          trigger="quota_reload", result="patched") >= 1


def test_a_live_edit_of_the_elasticquotatree_object_changes_the_next_decisions(
        cluster, kube, quota):
    custom = client.CustomObjectsApi(cluster.api_client)
    delete_tree_objects(custom)
    quota.use_kubernetes_source()
    try:
        kube.create_nodes(4, cpu=10, prefix="eqt-node-")
        kube.create_namespace("namespace1")
        # No ElasticQuotaTree yet: Quotient is not ready and admits nothing (it used to run
        # with no quota at all, binding all six pods past root.a.1's max).
        wait_until(lambda: readyz_answer(cluster) == (
            503, "not ready: waiting for a usable ElasticQuotaTree: "
                 "no ElasticQuotaTree in kube-system\n"),
            what="Quotient to wait for the ElasticQuotaTree object")
        assert cluster.metric("quotient_quota_tree_missing") == 1
        with CpuInvariant(kube, {"namespace1": 25 * CORES}) as inv:
            kube.create_deployment("namespace1", "web", replicas=6, cpu=5)
            wait_until(lambda: any("no usable ElasticQuotaTree" in message
                                   for pod in kube.core.list_namespaced_pod("namespace1").items
                                   for message in kube.failed_scheduling_events(
                                       "namespace1", pod.metadata.name)),
                       what="a FailedScheduling event naming the missing ElasticQuotaTree")
            assert kube.pod_counts("namespace1").bound == 0
            manifest = Path(cluster.state_dir) / "e2e-eqt.yaml"
            manifest.write_text(tree_only(scenario1_quota()))
            cluster.sh("apply", str(manifest))
            wait_for_synced(cluster)
            assert cluster.metric("quotient_quota_max", quota="root.a.1", resource="cpu") == 20
            assert cluster.metric("quotient_quota_tree_missing") == 0
            kube.wait_for_pods("namespace1", bound=4, pending=2)
            manifest.write_text(tree_only(scenario1_quota(leaf_max_cpu=25)))
            cluster.sh("apply", str(manifest))
            kube.wait_for_pods("namespace1", bound=5, pending=1)
            inv.assert_held()
    finally:
        quota.serving = False  # the next test's apply() restarts Quotient on the file
        delete_tree_objects(custom)


def delete_tree_objects(custom):
    """Deletes every ElasticQuotaTree of kube-system (an earlier run's included)."""
    trees = custom.list_namespaced_custom_object(*EQT)
    for item in trees.get("items", []):
        custom.delete_namespaced_custom_object(*EQT, item["metadata"]["name"])


def test_quotient_killed_and_restarted_mid_run_loses_nothing_and_overcommits_nothing(
        cluster, kube, quota):
    scenario1_cluster(kube, quota)
    with CpuInvariant(kube, {"namespace1": 20 * CORES}) as inv:
        kube.create_deployment("namespace1", "web", replicas=3, cpu=5)
        kube.wait_for_pods("namespace1", bound=3)
        cluster.sh("kill", "quotient")
        kube.scale("namespace1", "web", 8)
        cluster.sh("start", "quotient")
        wait_for_synced(cluster)
        kube.wait_for_pods("namespace1", bound=4, pending=4)
        inv.assert_held()


def test_the_api_server_restarted_mid_run_is_survived_and_resynced(cluster, kube, quota):
    scenario1_cluster(kube, quota)
    with CpuInvariant(kube, {"namespace1": 20 * CORES}) as inv:
        kube.create_deployment("namespace1", "web", replicas=2, cpu=5)
        kube.wait_for_pods("namespace1", bound=2)
        cluster.sh("stop", "kube-apiserver")
        wait_until(lambda: cluster.metric("quotient_watch_connected") == 0, timeout=30,
                   what="Quotient to notice the API server is gone")
        # /readyz stays 200 (Quotient keeps deciding) and says why it is degraded.
        wait_until(lambda: readyz(cluster).startswith("ok: degraded: API server unreachable"),
                   timeout=10, what="/readyz to report the degraded state")
        cluster.sh("start", "kube-apiserver")
        wait_for_synced(cluster, timeout=60)
        kube.scale("namespace1", "web", 6)
        kube.wait_for_pods("namespace1", bound=4, pending=2, timeout=90)
        inv.assert_held()
