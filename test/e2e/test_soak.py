"""The short soak (issue 18, item 5): about 80 s of pod churn across quota'd namespaces with
borrowing, reclaims, GPU and dynamic-MIG pods, while every kind of fault happens once: quota
edits valid and invalid through the quota file and the ElasticQuotaTree object, Quotient
killed and restarted, the API server restarted, a node added and removed, and the hostile
pods of issue 18 item 1 (QUOTIENT_SOAK_HOSTILE=0 leaves them out). The invariants are
checked from the API server (soak_checker.py); nothing timed is asserted, only that
Quotient's file descriptors and API connections stay under generous bounds. The long
version is ./dev.sh soak (soak.py)."""

import os

import pytest

from soak import Soak, format_summary, short_schedule


@pytest.fixture
def soak(cluster, kube):
    s = Soak(cluster, kube, seed=int(os.environ.get("QUOTIENT_SOAK_SEED", "1")))
    try:
        yield s
    finally:
        s.churner.stop()
        s.faults.delete_tree_object()


def test_a_short_soak_keeps_every_invariant(soak):
    hostile = os.environ.get("QUOTIENT_SOAK_HOSTILE", "1") != "0"
    soak.setup()
    summary = soak.run(*short_schedule(hostile))
    print(format_summary(summary))
    assert summary["invariant_samples"] > 0 and summary["view_checks"] > 0
    assert summary["pods_deleted"] > 0 and summary["faults"]["quotient_kill"] == 1
    assert not summary["violations"], format_summary(summary)
