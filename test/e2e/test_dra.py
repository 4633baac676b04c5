"""GPUs requested through ResourceClaims are charged to the quota (docs/dra.md), on the real
control plane: kube-scheduler's DynamicResources plugin allocates devices a ResourceSlice
publishes for a fake node, Quotient's filter charges each pod's claim against its
namespace's `nvidia.com/gpu` max, and a quota below its min takes DRA GPUs back from a
borrower (kube-scheduler cannot preempt for them). No GPU, driver or kubelet plugin exists:
the slice and the DeviceClass are what NVIDIA's DRA driver and its chart would publish; the
resourceclaim controller of kube-controller-manager deallocates the claims of pods that are
gone."""

import json
import re
import time

from harness import Background, raw, wait_until
from quota_support import Departures, wait_for_synced

DRIVER = "gpu.nvidia.com"
NS = "dra-team"
GPUS_LABEL = "e2e.quotient.io/gpus"  # how many GPUs a test pod's claim asks

# The ElasticQuotaTree both tests load, up to the root's own fields.
TREE_HEAD = """
apiVersion: scheduling.sigs.k8s.io/v1beta1
kind: ElasticQuotaTree
metadata: {name: elasticquotatree, namespace: kube-system}
spec:
  root:
    name: root
"""

QUOTA = TREE_HEAD + f"""\
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


def create_claim(api, name, ns=NS, count=1):
    api.create_namespaced_custom_object("resource.k8s.io", "v1", ns, "resourceclaims", {
        "apiVersion": "resource.k8s.io/v1", "kind": "ResourceClaim",
        "metadata": {"name": name},
        "spec": {"devices": {"requests": [
            {"name": "gpu", "exactly": {"deviceClassName": DRIVER, "count": count}}]}},
    }, _preload_content=False)


def create_pod(kube, name, claim, ns=NS, gpus=1):
    kube.core.create_namespaced_pod(ns, {
        "metadata": {"name": name, "labels": {GPUS_LABEL: str(gpus)}},
        "spec": {
            "resourceClaims": [{"name": "gpu", "resourceClaimName": claim}],
            "containers": [{"name": "main", "image": "registry.k8s.io/pause:3.10",
                            "resources": {"requests": {"cpu": "100m"},
                                          "claims": [{"name": "gpu"}]}}],
        }}, _preload_content=False)


def node_of(kube, name, ns=NS):
    pod = json.loads(kube.core.read_namespaced_pod(name, ns, _preload_content=False).data)
    return pod["spec"].get("nodeName")


def with_dra_quotient(kube, cluster, tmp_path, quota_text, body):
    """Runs body() with Quotient restarted on `quota_text` and the GPU class mapping, then
    removes the cluster-scoped DRA objects and restarts Quotient on its default flags."""
    quota = tmp_path / "quota.yaml"
    quota.write_text(quota_text)
    settings = tmp_path / "settings.yaml"
    settings.write_text(SETTINGS)
    cluster.restart_quotient(QUOTIENT_QUOTA_FILE=str(quota), QUOTIENT_ARGS=f"--config {settings}")
    wait_for_synced(cluster)
    slices = []
    try:
        body(slices)
    finally:
        api = resource_api(kube)
        for plural, name in [("resourceslices", s) for s in slices] + [("deviceclasses", DRIVER)]:
            try:
                api.delete_cluster_custom_object("resource.k8s.io", "v1", plural, name)
            except Exception:  # noqa: BLE001  (not created: the test failed before)
                pass
        # The next test's QuotaFile restarts Quotient on its own flags; drop the DRA mapping.
        cluster.restart_quotient(QUOTIENT_QUOTA_FILE="", QUOTIENT_ARGS="")
        wait_for_synced(cluster)


def publish_gpus(kube, prefix, count, extended_resource=None):
    """A fake node (no nvidia.com/gpu in its allocatable: no device plugin) and the
    DeviceClass and ResourceSlice of its `count` GPUs; returns the node's and the slice's
    names. `extended_resource`: the class's spec.extendedResourceName (KEP-5004)."""
    api = resource_api(kube)
    (node,) = kube.create_nodes(1, cpu=16, memory="64Gi", prefix=prefix)
    spec = {"selectors": [{"cel": {"expression": f'device.driver == "{DRIVER}"'}}]}
    if extended_resource:
        spec["extendedResourceName"] = extended_resource
    raw(api.create_cluster_custom_object, "resource.k8s.io", "v1", "deviceclasses", {
        "apiVersion": "resource.k8s.io/v1", "kind": "DeviceClass",
        "metadata": {"name": DRIVER}, "spec": spec,
    })
    raw(api.create_cluster_custom_object, "resource.k8s.io", "v1", "resourceslices", {
        "apiVersion": "resource.k8s.io/v1", "kind": "ResourceSlice",
        "metadata": {"name": f"{node}-{DRIVER}"},
        "spec": {"driver": DRIVER, "nodeName": node,
                 "pool": {"name": node, "generation": 1, "resourceSliceCount": 1},
                 "devices": [{"name": f"gpu-{i}"} for i in range(count)]},
    })
    return node, f"{node}-{DRIVER}"


def test_a_claim_for_a_gpu_is_charged_and_the_second_past_max_is_refused(kube, cluster,
                                                                          tmp_path):
    with_dra_quotient(kube, cluster, tmp_path, QUOTA, lambda slices: run(kube, cluster, slices))


def run(kube, cluster, slices):
    api = resource_api(kube)
    node, slice_name = publish_gpus(kube, "dra-node-", 4)
    slices.append(slice_name)
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
    # The quota, the numbers, the claim and its device class (docs/dra.md).
    assert re.search(r"quota dra: nvidia\.com/gpu used 1 .*> max 1 "
                     rf"\(DRA: claim claim-b \(device class {re.escape(DRIVER)}", message), message
    assert node_of(kube, "pod-b") is None
    assert cluster.metric("quotient_decisions_total", verb="filter",
                          reason="quota_max_claim") > refused_before

    # pod-a leaves: its charge goes with it, and pod-b gets the GPU.
    kube.core.delete_namespaced_pod("pod-a", NS, grace_period_seconds=0,
                                    _preload_content=False)
    assert wait_until(lambda: node_of(kube, "pod-b"), timeout=90,
                      what="pod-b to be bound once pod-a is gone") == node


EXT_NS = "dra-ext"
EXT_QUOTA = TREE_HEAD + f"""\
    max: {{pods: 100, nvidia.com/gpu: 8}}
    children:
    - name: ext
      namespaces: [{EXT_NS}]
      max: {{pods: 10, nvidia.com/gpu: 1}}
"""


def create_gpu_pod(kube, name, ns, gpus=1):
    """A pod asking `gpus` nvidia.com/gpu in its container, as for a device plugin."""
    kube.core.create_namespaced_pod(ns, {
        "metadata": {"name": name},
        "spec": {"containers": [{
            "name": "cuda", "image": "registry.k8s.io/pause:3.10",
            "resources": {"requests": {"cpu": "100m", "nvidia.com/gpu": str(gpus)},
                          "limits": {"nvidia.com/gpu": str(gpus)}}}]},
    }, _preload_content=False)


def test_a_pod_asking_nvidia_gpu_on_a_dra_node_is_bound_and_charged(kube, cluster, tmp_path):
    """KEP-5004: a DeviceClass names nvidia.com/gpu, the node has no device plugin (no
    nvidia.com/gpu in its allocatable), and a pod asks `nvidia.com/gpu: 1` in its container.
    kube-scheduler's DynamicResources plugin allocates a device of the slice through a claim
    it writes for the pod; Quotient lets the node through, binds the pod without a device
    placement of its own, and charges the container's request: the second pod past the
    quota's max is refused by the quota, not by the GPU check."""
    with_dra_quotient(kube, cluster, tmp_path, EXT_QUOTA,
                      lambda slices: run_extended(kube, cluster, slices))


def run_extended(kube, cluster, slices):
    node, slice_name = publish_gpus(kube, "dra-ext-node-", 4, extended_resource="nvidia.com/gpu")
    slices.append(slice_name)
    kube.create_namespace(EXT_NS)

    create_gpu_pod(kube, "pod-a", EXT_NS)
    assert wait_until(lambda: node_of(kube, "pod-a", EXT_NS), timeout=60,
                      what="pod-a to be bound") == node
    pod = raw(kube.core.read_namespaced_pod, "pod-a", EXT_NS)
    claim_name = pod["status"]["extendedResourceClaimStatus"]["resourceClaimName"]
    claim = raw(resource_api(kube).get_namespaced_custom_object, "resource.k8s.io", "v1",
                EXT_NS, "resourceclaims", claim_name)
    assert claim["status"]["allocation"]["devices"]["results"][0]["driver"] == DRIVER
    # Quotient wrote no placement of its own on the pod.
    assert not any(k.startswith("quotient.io/")
                   for k in pod["metadata"].get("annotations", {})), pod["metadata"]

    # Three more GPUs on the node, none left in the quota: the quota refuses.
    create_gpu_pod(kube, "pod-b", EXT_NS)

    def refusal():
        return [m for m in kube.failed_scheduling_events(EXT_NS, "pod-b") if "quota" in m]
    message = wait_until(refusal, timeout=60, what="pod-b's FailedScheduling event")[0]
    assert re.search(r"quota ext: nvidia\.com/gpu used 1 .*> max 1", message), message
    assert "gpu: the node" not in message, message
    assert node_of(kube, "pod-b", EXT_NS) is None


TEAM_A, TEAM_B = "dra-team-a", "dra-team-b"
RECLAIM_QUOTA = TREE_HEAD + f"""\
    min: {{nvidia.com/gpu: 4}}
    max: {{pods: 100, nvidia.com/gpu: 4}}
    children:
    - name: team-a
      namespaces: [{TEAM_A}]
      min: {{nvidia.com/gpu: 2}}
      max: {{pods: 10, nvidia.com/gpu: 4}}
    - name: team-b
      namespaces: [{TEAM_B}]
      max: {{pods: 10, nvidia.com/gpu: 4}}
"""


class GpuInvariant(Background):
    """Records, from the API server, every moment when the bound, not-terminating pods of a
    namespace (or of all of them: the root) hold more GPUs than their quota's max; a pod's
    GPUs are its GPUS_LABEL."""

    def __init__(self, kube, limits, root, interval=0.1):
        super().__init__(interval)
        self.kube, self.limits, self.root = kube, limits, root
        self.violations, self.samples = [], 0

    def step(self):
        self.check_once()

    def check_once(self):
        total = 0
        for ns, limit in self.limits.items():
            try:
                pods = raw(self.kube.core.list_namespaced_pod, ns)["items"]
            except Exception:  # noqa: BLE001  (no sample)
                return
            used = sum(int(p["metadata"].get("labels", {}).get(GPUS_LABEL, "0")) for p in pods
                       if p["spec"].get("nodeName") and not p["metadata"].get("deletionTimestamp")
                       and p["status"].get("phase") not in ("Succeeded", "Failed"))
            total += used
            if used > limit:
                self.violations.append(f"{time.strftime('%T')} {ns}: {used} GPUs > {limit}")
        self.samples += 1
        if total > self.root:
            self.violations.append(f"{time.strftime('%T')} root: {total} GPUs > {self.root}")

    def assert_held(self):
        self.check_once()
        assert self.samples > 0, "the invariant was never sampled"
        assert not self.violations, "over max, seen from the API: " + "; ".join(self.violations)


def test_a_quota_below_its_min_takes_dra_gpus_back_from_a_borrower(kube, cluster, tmp_path):
    with_dra_quotient(kube, cluster, tmp_path, RECLAIM_QUOTA,
                      lambda slices: run_reclaim(kube, cluster, slices))


def run_reclaim(kube, cluster, slices):
    api = resource_api(kube)
    node, slice_name = publish_gpus(kube, "dra-reclaim-node-", 4)
    slices.append(slice_name)
    for ns in (TEAM_A, TEAM_B):
        kube.create_namespace(ns)
    evicted = cluster.metric("quotient_reclaim_evictions_total", quota="team-b", result="evicted")
    started = cluster.metric("quotient_reclaims_total", event="started")
    with GpuInvariant(kube, {TEAM_A: 4, TEAM_B: 4}, root=4) as inv, \
            Departures(kube, [TEAM_A, TEAM_B]) as gone:
        # team-b borrows every GPU of the node (its min is 0).
        for i in range(4):
            create_claim(api, f"b-{i}", ns=TEAM_B)
            create_pod(kube, f"b-{i}", f"b-{i}", ns=TEAM_B)
        kube.wait_for_pods(TEAM_B, bound=4, timeout=60)

        # team-a is guaranteed 2: kube-scheduler's DRA plugin finds no free device and cannot
        # preempt; Quotient evicts two of team-b's pods, and team-a's pod binds once their
        # claims are deallocated.
        create_claim(api, "a-0", ns=TEAM_A, count=2)
        create_pod(kube, "a-0", "a-0", ns=TEAM_A, gpus=2)
        assert wait_until(lambda: node_of(kube, "a-0", TEAM_A), timeout=60,
                          what="a-0 to be bound on the GPUs taken back") == node
        claim = json.loads(api.get_namespaced_custom_object(
            "resource.k8s.io", "v1", TEAM_A, "resourceclaims", "a-0",
            _preload_content=False).data)
        assert len(claim["status"]["allocation"]["devices"]["results"]) == 2
        kube.wait_for_pods(TEAM_B, bound=2, timeout=10)

        # Exactly two victims, each evicted once, and nothing more a few reclaim passes later.
        time.sleep(3)
        assert gone.counts() == {TEAM_A: 0, TEAM_B: 2}
        inv.assert_held()
    assert cluster.metric("quotient_reclaim_evictions_total", quota="team-b",
                          result="evicted") - evicted == 2
    assert cluster.metric("quotient_reclaims_total", event="started") - started == 1


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
