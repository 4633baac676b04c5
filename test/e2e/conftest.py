"""Fixtures of the end-to-end tests: a real kube-apiserver, kube-scheduler and
kube-controller-manager calling Quotient as their extender (test/cluster/cluster.sh).

    pytest test/e2e                       brings a cluster up in .cache/cluster-e2e, tears it down
    QUOTIENT_E2E_CLUSTER_DIR=.cache/cluster pytest test/e2e
                                          uses a cluster already up there, leaves it running
    QUOTIENT_E2E_KEEP=1 pytest test/e2e   leaves the cluster it started running (to look at it)

The binaries come from ./dev.sh build and test/cluster/build-k8s.sh (./dev.sh e2e does both).
"""

import os

import pytest

from harness import ROOT, Cluster, Kube


@pytest.fixture(scope="session")
def cluster():
    """The running cluster, for the whole session."""
    reuse = os.environ.get("QUOTIENT_E2E_CLUSTER_DIR")
    if reuse:
        yield Cluster(reuse)
        return
    state_dir = ROOT / ".cache" / "cluster-e2e"
    try:
        # The audit log (every write, with its user agent) is test_failover's proof of what
        # a paused Quotient did not write.
        Cluster.sh_in(state_dir, "up", env={"QUOTIENT_AUDIT": "1"})
    except RuntimeError as e:
        pytest.fail(f"the test cluster did not start: {e}", pytrace=False)
    try:
        yield Cluster(state_dir)
    finally:
        if not os.environ.get("QUOTIENT_E2E_KEEP"):
            Cluster.sh_in(state_dir, "down")


@pytest.fixture
def kube(cluster):
    """Per test: creates namespaces, nodes and workloads, deletes them afterwards."""
    k = Kube(cluster)
    try:
        yield k
    finally:
        cluster.heal()
        k.cleanup()
