"""GPUs requested through ResourceClaims are charged to the quota (docs/dra.md), on the real
control plane: kube-scheduler's DynamicResources plugin allocates devices a ResourceSlice
publishes for a fake node, Quotient's filter charges each pod's claim against its
namespace's `nvidia.com/gpu` max. No GPU, driver or kubelet plugin exists: the slice and the
DeviceClass are what NVIDIA's DRA driver and its chart would publish."""

import json

from harness import raw, wait_until
from quota_support import wait_for_synced

DRIVER = "gpu.nvidia.com"
NS = "dra-team"

QUOTA = f"""
apiVersion: scheduling.sigs.k8s.io/v1beta1
kind: ElasticQuotaTree
metadata: {{name: elasticquotatree, namespace: kube-system}}
spec:
  root:
    name: root
    max: {{pods: 100, nvidia.com/gpu: 8}}
    children:
    - name: dra
      namespaces: [{NS}]
      max: {{pods: 10, nvidia.com/gpu: 1}}
"""

SETTINGS = f"""
dra:
  deviceClasses:
  - {{deviceClass: {DRIVER}, resource: nvidia.com/gpu}}
"""


def resource_api(kube):
    from kubernetes import client
    return client.CustomObjectsApi(kube.core.api_client)


def create_claim(api, name):
    api.create_namespaced_custom_object("resource.k8s.io", "v1", NS, "resourceclaims", {
        "apiVersion": "resource.k8s.io/v1", "kind": "ResourceClaim",
        "metadata": {"name": name},
        "spec": {"devices": {"requests": [
            {"name": "gpu", "exactly": {"deviceClassName": DRIVER, "count": 1}}]}},
    }, _preload_content=False)


def create_pod(kube, name, claim):
    kube.core.create_namespaced_pod(NS, {
        "metadata": {"name": name},
        "spec": {
            "resourceClaims": [{"name": "gpu", "resourceClaimName": claim}],
            "containers": [{"name": "main", "image": "registry.k8s.io/pause:3.10",
                            "resources": {"requests": {"cpu": "100m"},
                                          "claims": [{"name": "gpu"}]}}],
        }}, _preload_content=False)


def node_of(kube, name):
    pod = json.loads(kube.core.read_namespaced_pod(name, NS, _preload_content=False).data)
    return pod["spec"].get("nodeName")


def test_a_claim_for_a_gpu_is_charged_and_the_second_past_max_is_refused(kube, cluster,
                                                                          tmp_path):
    quota = tmp_path / "quota.yaml"
    quota.write_text(QUOTA)
    settings = tmp_path / "settings.yaml"
    settings.write_text(SETTINGS)
    cluster.restart_quotient(QUOTIENT_QUOTA_FILE=str(quota), QUOTIENT_ARGS=f"--config {settings}")
    wait_for_synced(cluster)
    try:
        run(kube, cluster)
    finally:
        api = resource_api(kube)
        for plural, name in (("resourceslices", f"dra-node-1-{DRIVER}"),
                             ("deviceclasses", DRIVER)):
            try:
                api.delete_cluster_custom_object("resource.k8s.io", "v1", plural, name)
            except Exception:  # noqa: BLE001  (not created: the test failed before)
                pass
        # The next test's QuotaFile restarts Quotient on its own flags; drop the DRA mapping.
        cluster.restart_quotient(QUOTIENT_QUOTA_FILE="", QUOTIENT_ARGS="")
        wait_for_synced(cluster)


def run(kube, cluster):
    api = resource_api(kube)
    (node,) = kube.create_nodes(1, cpu=16, memory="64Gi", prefix="dra-node-")
    raw(api.create_cluster_custom_object, "resource.k8s.io", "v1", "deviceclasses", {
        "apiVersion": "resource.k8s.io/v1", "kind": "DeviceClass",
        "metadata": {"name": DRIVER},
        "spec": {"selectors": [{"cel": {"expression": f'device.driver == "{DRIVER}"'}}]},
    })
    raw(api.create_cluster_custom_object, "resource.k8s.io", "v1", "resourceslices", {
        "apiVersion": "resource.k8s.io/v1", "kind": "ResourceSlice",
        "metadata": {"name": f"{node}-{DRIVER}"},
        "spec": {"driver": DRIVER, "nodeName": node,
                 "pool": {"name": node, "generation": 1, "resourceSliceCount": 1},
                 "devices": [{"name": f"gpu-{i}"} for i in range(4)]},
    })
    kube.create_namespace(NS)
    refused_before = cluster.metric("quotient_decisions_total", verb="filter",
                                    reason="quota_max_claim")

    create_claim(api, "claim-a")
    create_pod(kube, "pod-a", "claim-a")
    assert wait_until(lambda: node_of(kube, "pod-a"), timeout=60,
                      what="pod-a to be bound") == node
    claim = json.loads(api.get_namespaced_custom_object(
        "resource.k8s.io", "v1", NS, "resourceclaims", "claim-a", _preload_content=False).data)
    assert claim["status"]["allocation"]["devices"]["results"][0]["driver"] == DRIVER

    # The node has three more GPUs, the quota none: Quotient refuses, naming the claim.
    create_claim(api, "claim-b")
    create_pod(kube, "pod-b", "claim-b")

    def refusal():
        return [m for m in kube.failed_scheduling_events(NS, "pod-b") if "DRA" in m]
    message = wait_until(refusal, timeout=60, what="pod-b's FailedScheduling event")[0]
    assert "nvidia.com/gpu" in message and "claim-b" in message, message
    assert node_of(kube, "pod-b") is None
    assert cluster.metric("quotient_decisions_total", verb="filter",
                          reason="quota_max_claim") > refused_before

    # pod-a leaves: its charge goes with it, and pod-b gets the GPU.
    kube.core.delete_namespaced_pod("pod-a", NS, grace_period_seconds=0,
                                    _preload_content=False)
    assert wait_until(lambda: node_of(kube, "pod-b"), timeout=90,
                      what="pod-b to be bound once pod-a is gone") == node


def test_the_plane_keeps_the_counter_and_capacity_fields_quotient_charges(kube):
    """`dra.deviceClasses` modes `counter` and `capacity` read fields of the beta gates
    DRAPartitionableDevices and DRAConsumableCapacity, which cluster.sh pins on: with a gate
    off, kube-apiserver would drop them from a slice without an error. DynamicMIG's layout
    (docs/dra.md): one slice with the counter set, one with devices consuming it."""
    api = resource_api(kube)
    (node,) = kube.create_nodes(1, cpu=4, memory="16Gi", prefix="dra-gates-")
    pool = {"name": node, "generation": 1, "resourceSliceCount": 2}
    counters = {"name": "gpu-0-counter-set",
                "counters": {"memory-slice-0": {"value": "1"}, "memory-slice-1": {"value": "1"}}}
    mig = {"name": "gpu-0-mig-1g10gb-19-0", "consumesCounters": [
        {"counterSet": "gpu-0-counter-set", "counters": {"memory-slice-0": {"value": "1"}}}]}
    shared = {"name": "gpu-1", "allowMultipleAllocations": True,
              "capacity": {"memory": {"value": "80Gi"}}}
    names = [f"{node}-counters", f"{node}-devices"]
    try:
        for name, spec in zip(names, ({"sharedCounters": [counters]},
                                      {"devices": [mig, shared]})):
            raw(api.create_cluster_custom_object, "resource.k8s.io", "v1", "resourceslices", {
                "apiVersion": "resource.k8s.io/v1", "kind": "ResourceSlice",
                "metadata": {"name": name},
                "spec": {"driver": DRIVER, "nodeName": node, "pool": pool, **spec}})
        got = [raw(api.get_cluster_custom_object, "resource.k8s.io", "v1", "resourceslices",
                   name)["spec"] for name in names]
        assert got[0].get("sharedCounters") == [counters], got[0]
        devices = {d["name"]: d for d in got[1]["devices"]}
        assert devices[mig["name"]].get("consumesCounters") == mig["consumesCounters"], devices
        assert devices["gpu-1"].get("allowMultipleAllocations") is True, devices
        assert devices["gpu-1"]["capacity"]["memory"]["value"] == "80Gi", devices
    finally:
        for name in names:
            try:
                api.delete_cluster_custom_object("resource.k8s.io", "v1", "resourceslices", name)
            except Exception:  # noqa: BLE001  (not created: the test failed before)
                pass
