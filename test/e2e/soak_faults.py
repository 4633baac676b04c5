"""The soak's faults, one method per scheduled action, run one after another by soak.Soak:
quota edits (valid and invalid) through the quota file or the ElasticQuotaTree object,
Quotient restarts (graceful, and SIGKILL then start), an API server restart, fake nodes
added and removed, and hostile pods the API server accepts. After each fault that makes
Quotient rebuild or reload, Quotient's view is compared with the API's (Checker.check_view)
with the churn paused. Thread-compatible: only the soak's fault thread calls these."""

import time
from pathlib import Path

from kubernetes import client
from kubernetes.client.rest import ApiException

from harness import wait_until
from quota_support import readyz
import soak_model as model

RELOAD_TIMEOUT_S = 30
SYNC_TIMEOUT_S = 120
INVALID_HOLD_S = 10  # an invalid edit stays on disk (or in the API) this long
EQT = ("scheduling.sigs.k8s.io", "v1beta1", "kube-system", "elasticquotatrees")
A100_DYNAMIC_MIG = {
    "nvidia.com/gpu.product": "NVIDIA-A100-SXM4-40GB",
    "nvidia.com/gpu.count": "1",
    "nvidia.com/mig.strategy": "mixed",
    "cdmo.clear.ml/gpu-partitioning": "mig",
}
MIG_NODE = "soak-mig-1"
HOSTILE_RESOURCE = "nvidia.com/mig-1g.5gb"
HOSTILE_QUANTITY = "2P"  # issue 18, item 1: a valid quantity; FitMig reserve()s that count


class Faults:
    def __init__(self, soak):
        self.soak = soak
        self.cluster, self.kube, self.checker = soak.cluster, soak.kube, soak.checker
        self.log = soak.log
        self.custom = client.CustomObjectsApi(self.cluster.api_client)
        self.source = "file"
        self.quota_path = Path(self.cluster.state_dir) / "soak-quota.yaml"
        self.valid_edits = 0
        self.good_spec = model.valid_variant(0)
        self.counts = {"quotient_restart": 0, "quotient_kill": 0, "apiserver_restart": 0,
                       "edit_valid_file": 0, "edit_invalid_file": 0,
                       "edit_valid_kubernetes": 0, "edit_invalid_kubernetes": 0,
                       "node_added": 0, "node_removed": 0, "hostile_pods": 0}
        self._extra_nodes = []
        self._next_node = 1
        self.hostile = {}
        self.quotient_env = {}

    # ---- helpers ----

    def _metric_source(self):
        return "quota_file" if self.source == "file" else "elasticquotatree"

    def _reloads(self, result):
        return self.cluster.metric("quotient_config_reloads_total",
                                   source=self._metric_source(), result=result)

    def _write(self, spec_or_text):
        if self.source == "file":
            tmp = self.quota_path.with_suffix(".tmp")
            tmp.write_text(model.manifest_text(spec_or_text))
            tmp.replace(self.quota_path)  # atomic, as kubelet swaps a ConfigMap's files
            return
        body = model.manifest(spec_or_text)
        try:
            current = self.custom.get_namespaced_custom_object(*EQT, model.TREE_NAME)
            body["metadata"]["resourceVersion"] = current["metadata"]["resourceVersion"]
            self.custom.replace_namespaced_custom_object(*EQT, model.TREE_NAME, body)
        except ApiException as e:
            if e.status != 404:
                raise
            self.custom.create_namespaced_custom_object(*EQT, body)

    def wait_synced(self, timeout=SYNC_TIMEOUT_S):
        wait_until(lambda: readyz(self.cluster).startswith("ok: synced"), timeout,
                   what="Quotient's /readyz to say synced", interval=0.5)

    def view_check(self, why):
        self.soak.churner.pause()
        try:
            self.checker.check_view(why)
        finally:
            self.soak.churner.resume()

    def _max_in_force(self, quota="root.a.1", resource=model.CPU):
        return model.quotient_max(self.checker.debug_quota(), quota, resource)

    # ---- quota ----

    def start_on_file(self):
        """Quotient restarted on the soak's quota file (the first tree)."""
        self.quota_path.write_text(model.manifest_text(self.good_spec))
        self.quotient_env = {"QUOTIENT_QUOTA_FILE": str(self.quota_path), "QUOTIENT_ARGS": ""}
        with self.soak.planned_restart():
            self.cluster.restart_quotient(**self.quotient_env)
            self.wait_synced()

    def edit_valid(self):
        self.valid_edits += 1
        spec = model.valid_variant(self.valid_edits)
        tree = model.Tree(spec)
        before = self._reloads("success")
        self.checker.before_edit(tree)
        self._write(spec)
        wait_until(lambda: self._reloads("success") > before, RELOAD_TIMEOUT_S,
                   what=f"Quotient to reload the valid edit ({self.source})", interval=0.5)
        self.checker.after_edit(tree)
        self.good_spec = spec
        self.counts[f"edit_valid_{self.source}"] += 1
        want = tree.max["root.a.1"][model.CPU]
        got = self._max_in_force()
        if got != want:
            self.checker.violation(f"valid edit ({self.source}): /debug/quota says root.a.1 "
                                   f"max cpu {got}, the edit says {want}")
        self.view_check(f"a valid quota edit ({self.source})")

    def edit_invalid(self, kind):
        """Writes an invalid, more permissive tree: the failure counter must rise, the max in
        force stay, and while it is on disk root.a.1 asks for 28 cores (over its max of 20
        or 24 in force, under the invalid tree's 40). Then puts the last good tree back."""
        before_fail, before_ok = self._reloads("failure"), self._reloads("success")
        old_max = self._max_in_force()
        self._write(model.invalid_variant(kind))
        try:
            wait_until(lambda: self._reloads("failure") > before_fail, RELOAD_TIMEOUT_S,
                       what=f"the failed-reload counter to rise ({self.source}, {kind})",
                       interval=0.5)
        except AssertionError as e:
            self.checker.violation(f"invalid edit {kind} ({self.source}): {e}")
        self.counts[f"edit_invalid_{self.source}"] += 1
        self.kube.scale(model.NAMESPACES["a1"], "web", 14)
        deadline = time.monotonic() + INVALID_HOLD_S
        while time.monotonic() < deadline:
            got = self._max_in_force()
            if got != old_max:
                self.checker.violation(f"invalid edit {kind} ({self.source}) changed root.a.1's "
                                       f"max in force from {old_max} to {got}")
                break
            if self._reloads("success") != before_ok:
                self.checker.violation(f"invalid edit {kind} ({self.source}) counted as a "
                                       "successful reload")
                break
            time.sleep(1)
        ok = self._reloads("success")
        self._write(self.good_spec)
        wait_until(lambda: self._reloads("success") > ok, RELOAD_TIMEOUT_S,
                   what=f"Quotient to reload the good tree put back ({self.source})",
                   interval=0.5)

    def switch_to_kubernetes(self):
        """The ElasticQuotaTree object gets the tree in force; Quotient restarts on it."""
        self.source = "kubernetes"
        self._write(self.good_spec)
        self.quotient_env = {"QUOTIENT_QUOTA_FILE": "",
                             "QUOTIENT_ARGS": "--quota-source kubernetes"}
        with self.soak.planned_restart():
            self.cluster.restart_quotient(**self.quotient_env)
            self.wait_synced()
        wait_until(lambda: self._max_in_force() is not None, RELOAD_TIMEOUT_S,
                   what="Quotient to publish the ElasticQuotaTree object", interval=0.5)
        self.counts["quotient_restart"] += 1
        self.view_check("the switch to the ElasticQuotaTree source")

    def delete_tree_object(self):
        try:
            self.custom.delete_namespaced_custom_object(*EQT, model.TREE_NAME)
        except ApiException as e:
            if e.status != 404:
                raise

    # ---- restarts ----

    def restart_quotient(self):
        with self.soak.planned_restart():
            # the settings again: cluster.sh re-reads them whenever QUOTIENT_BIN is exported
            self.cluster.restart_quotient(**self.quotient_env)
            self.wait_synced()
        self.counts["quotient_restart"] += 1
        self.view_check("a Quotient restart")

    def kill_quotient(self):
        with self.soak.planned_restart():
            self.cluster.sh("kill", "quotient")
            self.cluster.sh("start", "quotient")
            self.wait_synced()
        self.counts["quotient_kill"] += 1
        self.view_check("Quotient killed (SIGKILL) and started")

    def restart_apiserver(self):
        self.cluster.restart_apiserver()
        self.wait_synced()
        self.counts["apiserver_restart"] += 1
        self.view_check("an API server restart")

    # ---- nodes ----

    def add_node(self):
        name, = self.kube.create_nodes(1, cpu=10, memory="64Gi", prefix="soak-extra-",
                                       first=self._next_node)
        self._next_node += 1
        self._extra_nodes.append(name)
        self.counts["node_added"] += 1

    def remove_node(self):
        """Deletes the oldest extra node, then its pods, as the pod garbage collector does
        for pods of a node that is gone."""
        if not self._extra_nodes:
            return
        name = self._extra_nodes.pop(0)
        self.kube.core.delete_node(name, _preload_content=False)
        for ns in model.NAMESPACES.values():
            for p in self.kube.pods(ns):
                if p["spec"].get("nodeName") == name:
                    try:
                        self.kube.core.delete_namespaced_pod(
                            p["metadata"]["name"], ns, grace_period_seconds=0,
                            _preload_content=False)
                    except ApiException as e:
                        if e.status != 404:
                            raise
        self.counts["node_removed"] += 1

    # ---- hostile objects ----

    def hostile_pods(self):
        """Issue 18 item 1: a pod asking for 2P MIG devices bound (spec.nodeName) to the
        dynamic-MIG node, and one in the scheduler's queue. Quotient must keep serving."""
        ns = self.kube.create_namespace(model.HOSTILE_NAMESPACE)
        res = {"cpu": "100m", HOSTILE_RESOURCE: HOSTILE_QUANTITY}

        def pod(name, node=None):
            spec = {"containers": [{"name": "main", "image": "registry.k8s.io/pause:3.10",
                                    "resources": {"requests": res, "limits": res}}],
                    "terminationGracePeriodSeconds": 0}
            if node:
                spec["nodeName"] = node
            return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": spec}

        failures = self.cluster.metric("quotient_watch_failures_total", resource="pods")
        skipped = self.cluster.metric("quotient_watch_skipped_objects_total", resource="pods")
        log = Path(self.cluster.state_dir) / "logs" / "quotient.log"
        self.hostile = {"log_offset": log.stat().st_size if log.exists() else 0,
                        "watch_failures_before": failures, "skipped_before": skipped,
                        "at": time.strftime("%T"),
                        "created": time.monotonic()}
        self.kube.core.create_namespaced_pod(ns, pod("hostile-bound", MIG_NODE),
                                             _preload_content=False)
        self.kube.core.create_namespaced_pod(ns, pod("hostile-queued"), _preload_content=False)
        self.counts["hostile_pods"] += 2
        self.log(f"hostile: created {ns}/hostile-bound (on {MIG_NODE}) and {ns}/hostile-queued "
                 f"asking for {HOSTILE_QUANTITY} {HOSTILE_RESOURCE}")

    def hostile_cleanup(self, window_s="10"):
        """After the hostile pods lived `window_s`, deletes them (waits until they are gone)
        and records what Quotient did meanwhile."""
        ns = model.HOSTILE_NAMESPACE
        if not self.hostile:
            return
        delay = self.hostile.pop("created") + float(window_s) - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        names = ("hostile-bound", "hostile-queued")
        for name in names:
            try:
                self.kube.core.delete_namespaced_pod(name, ns, grace_period_seconds=0,
                                                     _preload_content=False)
            except ApiException as e:
                if e.status != 404:
                    raise
        wait_until(lambda: not any(p["metadata"]["name"] in names for p in self.kube.pods(ns)),
                   what="the hostile pods to be deleted")
        self.hostile["alive_after"] = self.soak.quotient_pid() is not None and \
            Path(f"/proc/{self.soak.quotient_pid()}").exists()
        try:
            self.hostile["watch_failures_delta"] = self.cluster.metric(
                "quotient_watch_failures_total", resource="pods") - \
                self.hostile["watch_failures_before"]
            self.hostile["skipped_objects_delta"] = self.cluster.metric(
                "quotient_watch_skipped_objects_total", resource="pods") - \
                self.hostile.pop("skipped_before")
        except OSError as e:
            self.hostile["watch_failures_delta"] = f"metrics unreadable: {e}"
        log = Path(self.cluster.state_dir) / "logs" / "quotient.log"
        lines = []
        if log.exists():
            with open(log, errors="replace") as f:
                f.seek(self.hostile["log_offset"])
                lines = [ln.rstrip() for ln in f
                         if len(ln.split()) > 1 and ln.split()[1] in ("warning", "error",
                                                                       "critical")]
        self.hostile["log_lines"] = len(lines)
        self.hostile["log_excerpt"] = lines[:5]
        self.view_check("the hostile pods")
