"""The end-to-end throughput benchmark (benchmarks/bench_e2e.py, `./dev.sh bench-e2e`) runs
small, so that it cannot rot: its own cluster (not the session's), 50 nodes, 100 pods, one
round of each mode. Every pod must be bound and every number reported; no timing is
asserted (the machine is shared)."""

import json
import os
import subprocess
import sys

from harness import ROOT

BENCH = ROOT / "benchmarks" / "bench_e2e.py"
COMPONENTS = ("quotient", "kube-scheduler", "kube-apiserver", "etcd")


def test_the_throughput_benchmark_binds_every_pod_and_reports_every_number(tmp_path):
    out = tmp_path / "bench.json"
    result = subprocess.run(
        [sys.executable, str(BENCH), "--nodes", "50", "--pods", "100", "--rounds", "1",
         "--cluster-dir", str(ROOT / ".cache" / "bench-cluster-e2e"), "--json", str(out),
         "--round-timeout", "60"],
        env=os.environ, text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        timeout=240)
    print(result.stdout)
    assert result.returncode == 0, result.stdout[-3000:]

    runs = {r["mode"]: r for r in json.loads(out.read_text())["results"]}
    assert set(runs) == {"plain", "quotient"}
    for mode, r in runs.items():
        assert r["bound"] == 100, mode
        assert r["binds_logged"] == 100, mode
        assert r["pods_per_s"] > 0, mode
        assert set(r["cpu_us_per_pod"]) == set(COMPONENTS), mode
        assert 1.0 <= r["api_requests_per_pod"].get("POST pods binding", 0) < 1.1, mode
        assert r["scheduler"]["attempt_mean_ms"] > 0, mode
    webhooks = runs["quotient"]["quotient_webhook"]
    assert webhooks["filter"]["calls_per_pod"] >= 1.0
    # The pods ask for no GPU: kube-scheduler binds them, Quotient's bind entry is not called.
    assert webhooks.get("bind", {}).get("calls_per_pod", 0) == 0
    assert runs["quotient"]["peak_api_connections"] >= 1
    assert "ratio quotient/plain" in result.stdout
