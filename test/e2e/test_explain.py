"""`quotient explain` and `quotient top` against the running Quotient of the test cluster
(GET /debug/explain and /debug/quota on its metrics listener): a pod Pending over its quota
is explained with the quota that blocks it and that quota's max, a bound pod with its node,
and the live tree shows the quota at its max (scenario 2)."""

import json
import subprocess

import pytest

from harness import wait_until
from quota_support import EXAMPLES, QuotaFile


@pytest.fixture
def quota(cluster):
    yield QuotaFile(cluster)


def quotient(cluster, *args):
    """Runs the cluster's Quotient binary against its metrics listener."""
    binary = (cluster.state_dir / "cmd" / "quotient").read_text().split("\n")[0]
    result = subprocess.run([binary, *args, "--server", cluster.metrics_url], text=True,
                            capture_output=True, timeout=30)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_explain_names_the_quota_and_its_max_for_a_pod_pending_over_quota(cluster, kube, quota):
    quota.apply((EXAMPLES / "quota-scenario2.yaml").read_text())
    kube.create_nodes(3, cpu=4, memory="30Gi", gpu=1, prefix="explain-node-")
    dev1 = kube.create_namespace("dev1")
    kube.create_deployment(dev1, "bob-train", replicas=2, cpu=1, memory="4Gi", gpu=1)
    kube.wait_for_pods(dev1, bound=1, pending=1)
    pods = kube.pods(dev1)
    pending = next(p["metadata"]["name"] for p in pods if not p["spec"].get("nodeName"))
    bound = next(p for p in pods if p["spec"].get("nodeName"))

    text = wait_until(lambda: (t := quotient(cluster, "explain", f"{dev1}/{pending}"))
                      and "waits for quota" in t and t,
                      what=f"quotient explain to say why {pending} waits")
    assert (f"{dev1}/{pending} waits for quota: quota dev1 would go over its max for "
            "nvidia.com/gpu: used 1 + reserved 0 + this pod's 1 > max 1.") in text, text
    assert "Last filter" in text and "quota_max" in text, text

    report = json.loads(quotient(cluster, "explain", f"{dev1}/{pending}", "--output", "json"))
    assert report["quota"]["blocking"] == "dev1"
    leaf = report["quota"]["path"][0]
    assert leaf["quota"] == "dev1" and leaf["fits"] is False
    gpu = next(r for r in leaf["resources"] if r["resource"] == "nvidia.com/gpu")
    assert (gpu["used"], gpu["request"], gpu["max"], gpu["fits"]) == ("1", "1", "1", False)
    assert report["lastFilter"]["reason"] == "quota_max"
    assert report["lastFilter"]["nodes"] >= 1

    bound_name = bound["metadata"]["name"]
    said = quotient(cluster, "explain", f"{dev1}/{bound_name}")
    assert f"{dev1}/{bound_name} was admitted and bound to node {bound['spec']['nodeName']}" \
        in said, said

    tree = json.loads(quotient(cluster, "top", "--output", "json"))
    dev1_quota = next(q for q in tree["quotas"] if q["name"] == "dev1")
    assert dev1_quota["namespaces"] == ["dev1"]
    assert dev1_quota["resources"]["nvidia.com/gpu"]["used"] == "1"
    assert dev1_quota["resources"]["nvidia.com/gpu"]["max"] == "1"
    table = quotient(cluster, "top")
    row = next(line for line in table.splitlines() if line.strip().startswith("dev1 "))
    assert "nvidia.com/gpu" in table and "at max" in table, table
    assert row.split()[0] == "dev1", row
