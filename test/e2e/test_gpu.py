"""GPU placement through the real kube-scheduler (docs/gpu.md): the fractional MIG
case of scenario 3 (0.5 + 0.5 of one A100-40GB fit, a 0.25 more does not until a
half leaves; each placement written to the pod as quotient.io/mig-placement) and the T4-only
case of scenario 4 (pods asking for T4 land on the T4 node only and say why not elsewhere).

Nodes are fake (no GPU exists): their labels and capacity are what the GPU operator and the
device plugin would show."""

from harness import bind_all_scheduler, wait_until
from quota_support import wait_for_synced  # noqa: F401  (QuotaFile.apply waits for sync)
from quota_support import QuotaFile

A100_LABELS = {
    "nvidia.com/gpu.product": "NVIDIA-A100-SXM4-40GB",
    "nvidia.com/gpu.count": "1",
    "nvidia.com/mig.strategy": "mixed",
    "cdmo.clear.ml/gpu-partitioning": "mig",
}

QUOTA = """
apiVersion: scheduling.sigs.k8s.io/v1beta1
kind: ElasticQuotaTree
metadata: {name: elasticquotatree, namespace: kube-system}
spec:
  root:
    name: root
    max: {pods: 100}
    children:
    - name: research
      namespaces: [gpu-research]
      max: {pods: 10}
    - name: public
      namespaces: [gpu-public]
      max: {nvidia.com/gpu: 16}
"""


def placements(kube, namespace):
    return sorted(p["metadata"].get("annotations", {}).get("quotient.io/mig-placement", "")
                  for p in kube.pods(namespace) if p["spec"].get("nodeName"))


def filter_refusal(kube, namespace, pod_name, what):
    """The message of the pod's first FailedScheduling event from a filter refusal
    ("0/1 nodes are available: 1 gpu: ..."). Pods created together race the scheduler's
    binding cycle: kube-scheduler runs the next pod's filter while the previous pod's bind is
    still in flight, so Quotient (which counts devices at bind) may let two pods through for
    the last slot; the later bind is refused ("gpu: ... on node gpu-mig-1 ..."), which is a
    FailedScheduling event too, and the pod's retry gets the filter's reason. Only the
    filter's reason is asserted on."""
    def refusals():
        return [m for m in kube.failed_scheduling_events(namespace, pod_name)
                if "nodes are available" in m]
    return wait_until(refusals, what=what)[0]


def test_scenario3_fractions_of_one_a100_are_placed_as_mig_partitions(kube, cluster, tmp_path):
    # Pods asking for a fraction by label alone request no GPU resource, so the shipped
    # configuration's GPU entry (managedResources) would not bind them: they go through a
    # scheduler whose Quotient entry binds every pod (docs/gpu.md).
    with bind_all_scheduler(cluster, tmp_path, "quotient-bind-all"):
        fractions_of_one_a100_are_placed_as_mig_partitions(kube, cluster, "quotient-bind-all")


def fractions_of_one_a100_are_placed_as_mig_partitions(kube, cluster, scheduler):
    QuotaFile(cluster).apply(QUOTA)
    kube.create_nodes(1, cpu=16, memory="64Gi", prefix="gpu-a100-", labels=A100_LABELS)
    ns = kube.create_namespace("gpu-research")

    kube.create_deployment(ns, "half", replicas=2, cpu=1, labels={"required-resources": "0.5"},
                           scheduler_name=scheduler)
    kube.wait_for_pods(ns, bound=2)
    assert placements(kube, ns) == ["gpu=0,profile=3g.20gb,start=0,size=4",
                                    "gpu=0,profile=3g.20gb,start=4,size=4"]

    kube.create_deployment(ns, "quarter", replicas=1, cpu=1,
                           labels={"required-resources": "0.25"}, scheduler_name=scheduler)
    kube.wait_for_pods(ns, bound=2, pending=1)
    pending = next(p for p in kube.pods(ns) if not p["spec"].get("nodeName"))
    message = filter_refusal(kube, ns, pending["metadata"]["name"],
                             what="the quarter's FailedScheduling event")
    assert ("1 gpu: no free placement for 2g.10gb (0.25 GPU) (2 memory slices) on any GPU of "
            "the node") in message

    # One half leaves: the quarter takes a 2g.10gb inside the freed slices.
    kube.scale(ns, "half", 1)
    kube.wait_for_pods(ns, bound=2, timeout=90)
    got = placements(kube, ns)
    assert len(got) == 2 and any("profile=2g.10gb" in p for p in got), got


def test_dynamic_mig_devices_no_node_advertises_yet_are_placed_by_quotient(kube, cluster):
    """Pods ask for nvidia.com/mig-3g.20gb, which the mig-dynamic node does not advertise
    (its partitions are carved after bind): the scheduler configuration's second extender
    entry makes kube-scheduler ignore the resource, and Quotient's filter decides."""
    QuotaFile(cluster).apply(QUOTA)
    kube.create_nodes(1, cpu=16, memory="64Gi", prefix="gpu-mig-", labels=A100_LABELS)
    ns = kube.create_namespace("gpu-research")

    kube.create_deployment(ns, "three-g", replicas=3, cpu=1,
                           extra_resources={"nvidia.com/mig-3g.20gb": 1})
    kube.wait_for_pods(ns, bound=2, pending=1)
    assert placements(kube, ns) == ["gpu=0,profile=3g.20gb,start=0,size=4",
                                    "gpu=0,profile=3g.20gb,start=4,size=4"]
    pending = next(p for p in kube.pods(ns) if not p["spec"].get("nodeName"))
    message = filter_refusal(kube, ns, pending["metadata"]["name"],
                             what="the third 3g pod's FailedScheduling event")
    # Quotient's reason, not NodeResourcesFit's "Insufficient nvidia.com/mig-3g.20gb".
    assert "1 gpu: " in message and "3g.20gb" in message, message
    assert "Insufficient" not in message, message


def test_scenario4_pods_asking_for_t4_land_on_t4_nodes_only(kube, cluster):
    QuotaFile(cluster).apply(QUOTA)
    t4 = kube.create_nodes(1, cpu=16, gpu=4, prefix="gpu-t4-", labels={"gpu-type": "T4"})
    kube.create_nodes(1, cpu=16, gpu=4, prefix="gpu-v100-", labels={"gpu-type": "V100"})
    ns = kube.create_namespace("gpu-public")

    kube.create_deployment(ns, "t4-job", replicas=3, cpu=1, gpu=2,
                           labels={"quotient.io/gpu-model": "T4"})
    kube.wait_for_pods(ns, bound=2, pending=1)
    assert {p["spec"]["nodeName"] for p in kube.pods(ns) if p["spec"].get("nodeName")} == set(t4)
    pending = next(p for p in kube.pods(ns) if not p["spec"].get("nodeName"))
    message = filter_refusal(kube, ns, pending["metadata"]["name"],
                             what="the third T4 job's FailedScheduling event")
    assert "gpu: the node has V100-16GB GPUs, the pod asks for T4" in message, message
