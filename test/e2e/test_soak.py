"""The short soak (issue 18, item 5): about 80 s of pod churn across quota'd namespaces with
borrowing, reclaims, GPU and dynamic-MIG pods, while every kind of fault happens once: quota
edits valid and invalid through the quota file and the ElasticQuotaTree object, Quotient
killed and restarted, the API server restarted, a node added and removed, and the hostile
pods of issue 18 item 1 (QUOTIENT_SOAK_HOSTILE=0 leaves them out). The invariants are
checked from the API server (soak_checker.py); nothing timed is asserted, only that
Quotient's file descriptors and API connections stay under generous bounds. The long
version is ./dev.sh soak (soak.py)."""

import os
import time
from fractions import Fraction

import pytest

import soak_model as model
from soak import Soak, format_summary, short_schedule
from soak_checker import Checker
from soak_procstat import Sampler, slope_per_minute


@pytest.fixture
def soak(cluster, kube):
    s = Soak(cluster, kube, seed=int(os.environ.get("QUOTIENT_SOAK_SEED", "1")))
    try:
        yield s
    finally:
        s.stop()
        s.faults.delete_tree_object()


def test_a_short_soak_keeps_every_invariant(soak):
    hostile = os.environ.get("QUOTIENT_SOAK_HOSTILE", "1") != "0"
    soak.setup()
    summary = soak.run(*short_schedule(hostile))
    print(format_summary(summary))
    assert summary["invariant_samples"] > 0 and summary["view_checks"] > 0
    assert summary["pods_deleted"] > 0 and summary["faults"]["quotient_kill"] == 1
    assert not summary["violations"], format_summary(summary)


# ---- the checker itself, without a cluster ----

def pod(ns, cpu, node="n1", uid=None, terminating=False):
    meta = {"namespace": ns, "name": uid or f"p{cpu}", "uid": uid or f"{ns}-{cpu}-{node}"}
    if terminating:
        meta["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    return {"metadata": meta, "status": {"phase": "Running" if node else "Pending"},
            "spec": {"nodeName": node, "containers": [
                {"resources": {"requests": {"cpu": cpu}}}]}}


def checker():
    return Checker(None, model.NAMESPACES.values(), model.Tree(model.valid_variant(0)),
                   log=lambda msg: None)


@pytest.mark.parametrize("pods, over", [
    ([pod("soak-a1", "20")], []),
    ([pod("soak-a1", "20"), pod("soak-a1", "500m", uid="x")], ["root.a.1"]),
    ([pod("soak-a1", "20"), pod("soak-a1", "2", uid="x", terminating=True)], []),
    ([pod("soak-a1", "20"), pod("soak-a1", "2", node=None, uid="x")], []),
    ([pod("soak-a1", "20"), pod("soak-a2", "20"), pod("soak-b1", "10")], ["root"]),
], ids=["at its max", "a leaf over its max", "a terminating pod does not count",
        "a pending pod does not count", "leaves within their max, the root over its"])
def test_the_checker_sums_bound_pods_up_the_tree_against_each_max(pods, over):
    c = checker()
    c.evaluate(pods)
    assert [v.split("quota ")[1].split(":")[0] for v in c.violations] == over


def test_a_lowered_max_counts_once_usage_fell_under_it_and_a_raised_one_at_once():
    c = checker()
    raised = model.Tree(model.valid_variant(1))  # root.a.1 max 24
    c.before_edit(raised)
    c.evaluate([pod("soak-a1", "24")])
    c.after_edit(raised)
    assert not c.violations
    lowered = model.Tree(model.valid_variant(2))  # back to 20, with 24 running
    c.before_edit(lowered)
    c.after_edit(lowered)
    c.evaluate([pod("soak-a1", "24")], now=time.monotonic() + 60)
    assert not c.violations, "running pods stay when a max is lowered"
    c.evaluate([pod("soak-a1", "20")], now=time.monotonic() + 60)
    c.evaluate([pod("soak-a1", "22")], now=time.monotonic() + 60)
    assert len(c.violations) == 1 and "bound 22 > max 20" in c.violations[0]


def test_the_resource_slope_is_taken_within_each_run_of_the_process():
    # RSS grows 1 MiB a minute in each run; each restart starts lower again.
    runs = [[(t * 60.0, 10 + t) for t in range(5)], [(t * 60.0, 3 + t) for t in range(5, 10)]]
    assert slope_per_minute(runs) == pytest.approx(1.0)


def test_each_runs_peak_is_reported_in_start_order():
    sampler = Sampler(api_port=0)
    sampler.runs = {
        7: {"start": 130.0, "rss_mib": [(130.0, 12.0), (200.0, 16.0)], "fds": [], "api_conns": []},
        3: {"start": 0.0, "rss_mib": [(0.0, 11.0), (100.0, 17.5), (120.0, 15.0)], "fds": [],
            "api_conns": []},
    }
    stats = sampler.stats("rss_mib")
    assert stats["run_peaks"] == [17.5, 16.0]
    assert stats["max"] == 17.5 and stats["last"] == 16.0


def test_kubernetes_quantities_parse_exactly():
    assert [model.quantity(q) for q in ("500m", "2", "1Gi", "2P", "1e3")] == [
        Fraction(1, 2), 2, 2**30, 2 * 10**15, 1000]
