"""The soak's invariant checker. It reads the API server (never Quotient's word) and records
every violation with the time and the soak's phase:

  * max: at every sample, no quota's usage (soak_model.Tree.usage: bound, non-terminated
    pods' requests in its namespaces, summed up the tree) exceeds its limit. The limit follows
    the tree in force: a raised max counts from the moment the edit is written; a lowered one
    once usage has been seen under it (Quotient evicts nothing when a max is lowered), at
    least SETTLE_S after the edit took effect;
  * view: at a quiet moment after each restart (Quotient or the API server) and reload
    (soak_faults), Quotient's /debug/quota `used` equals the API's usage, read before and
    after Quotient's answer (check_view);
  * the end state and reclaim victims (end_state, evictions), called once at the end.

Also samples Quotient's process (procstat.Sampler). Thread-safe: one background thread
samples; the soak's other threads call set_limits/check_view/violation under a lock."""

import json
import threading
import time
import urllib.request
from fractions import Fraction

from harness import raw, unexplained_pending
import soak_model as model

SAMPLE_INTERVAL_S = 0.5
SETTLE_S = 5  # a reservation admitted under the old tree binds within this


def fmt(v):
    return str(v) if v.denominator == 1 else f"{float(v):g}"


def latest_bound(pods, namespaces, n=3):
    """The `n` pods of `namespaces` bound last (PodScheduled's transition time), for a
    violation's message: the over-commit is usually the last one in."""
    def scheduled_at(p):
        for c in p.get("status", {}).get("conditions") or []:
            if c.get("type") == "PodScheduled" and c.get("status") == "True":
                return c.get("lastTransitionTime") or ""
        return ""
    held = sorted((p for p in pods
                   if model.is_bound(p) and p["metadata"]["namespace"] in namespaces),
                  key=scheduled_at, reverse=True)[:n]
    return ", ".join(f"{p['metadata']['namespace']}/{p['metadata']['name']} "
                     f"({model.pod_requests(p).get(model.CPU, 0)} cpu, at {scheduled_at(p) or '?'})"
                     for p in held)


class Checker:
    def __init__(self, cluster, namespaces, tree, log):
        self.cluster, self.namespaces, self.log = cluster, set(namespaces), log
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="soak-checker", daemon=True)
        self.tree = tree  # the tree in force (namespaces and usage); guarded by _lock
        self.limits = {q: dict(m) for q, m in tree.max.items()}  # guarded by _lock
        self._lowering = []  # (quota, resource, new max, not before monotonic time)
        self.phase = "start"
        self.samples = 0  # pod lists evaluated
        self.max_checks = 0  # (sample, quota, resource) comparisons
        self.view_checks = 0
        self.violations = []
        self.seen, self.gone = set(), set()  # pod UIDs of the soak namespaces
        self.peak = {}  # quota -> {resource: highest usage seen}

    # ---- lifecycle ----

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=30)

    def _run(self):
        while not self._stop.is_set():
            try:
                self.sample()
            except Exception as e:  # the API server may be restarting: no sample
                if "Connection" not in str(e) and "Max retries" not in str(e):
                    self.log(f"checker: sample failed: {type(e).__name__}: {str(e)[:200]}")
            self._stop.wait(SAMPLE_INTERVAL_S)

    def violation(self, what):
        line = f"{time.strftime('%T')} [{self.phase}] {what}"
        with self._lock:
            self.violations.append(line)
        self.log(f"VIOLATION {line}")

    # ---- the tree in force ----

    def before_edit(self, new_tree):
        """Called before a valid edit is written: every limit becomes the larger of the old
        and the new max (Quotient may apply the edit before we hear it did)."""
        with self._lock:
            for q, m in new_tree.max.items():
                old = self.limits.get(q, {})
                self.limits[q] = {r: max(v, old[r]) if r in old else v for r, v in m.items()}
            self._lowering = []

    def after_edit(self, new_tree):
        """Called once Quotient applied the edit: raised limits stay; lowered ones take
        effect once usage was seen within them, SETTLE_S from now at the earliest."""
        not_before = time.monotonic() + SETTLE_S
        with self._lock:
            self.tree = new_tree
            for q, m in new_tree.max.items():
                for r, v in m.items():
                    if self.limits.get(q, {}).get(r, v) > v:
                        self._lowering.append((q, r, v, not_before))
            # a quota or resource the new tree drops is unlimited now
            self.limits = {q: {r: v for r, v in self.limits.get(q, {}).items()
                               if r in new_tree.max.get(q, {})} for q in new_tree.max}

    # ---- sampling ----

    def list_pods(self):
        return raw(self.cluster.core.list_pod_for_all_namespaces)["items"]

    def sample(self):
        self.evaluate([p for p in self.list_pods()
                       if p["metadata"]["namespace"] in self.namespaces])

    def evaluate(self, pods, now=None):
        """One sample: the usage of `pods` (the soak namespaces' pods as the API lists them)
        against the limits in force; a lowered max takes effect here once usage is under it."""
        now = time.monotonic() if now is None else now
        with self._lock:
            tree, phase = self.tree, self.phase
            usage = tree.usage(pods)
            still = []
            for q, r, v, not_before in self._lowering:
                if now >= not_before and usage.get(q, {}).get(r, 0) <= v:
                    self.limits[q][r] = v
                else:
                    still.append((q, r, v, not_before))
            self._lowering = still
            limits = {q: dict(m) for q, m in self.limits.items()}
            self.samples += 1
            uids = {p["metadata"]["uid"] for p in pods}
            self.gone |= self.seen - uids
            self.seen |= uids
            bad = []
            for q, m in limits.items():
                for r, limit in m.items():
                    used = usage.get(q, {}).get(r, Fraction(0))
                    peak = self.peak.setdefault(q, {})
                    peak[r] = max(peak.get(r, Fraction(0)), used)
                    self.max_checks += 1
                    if used > limit:
                        bad.append((q, f"quota {q}: {r} bound {fmt(used)} > max {fmt(limit)}"))
        for quota, b in bad:
            self.violation(f"{b}; latest bound: {latest_bound(pods, tree.namespaces[quota])}")

    # ---- Quotient's view ----

    def debug_quota(self):
        with urllib.request.urlopen(f"{self.cluster.metrics_url}/debug/quota", timeout=5) as r:
            return json.loads(r.read())

    def check_view(self, why, timeout=60):
        """At a quiet moment (the caller paused the churn): the API's usage read twice, equal,
        with no terminating pod, and Quotient's `used` read between the two equal to it.
        Retries until `timeout`; a mismatch that outlasts it is a violation. Returns True
        if the views matched."""
        self.view_checks += 1
        deadline = time.monotonic() + timeout
        last = "no answer"
        while time.monotonic() < deadline:
            try:
                tree = self.tree
                before = self._quiet_usage(tree)
                view = model.quotient_view(self.debug_quota())
                after = self._quiet_usage(tree)
                if before is not None and before == after:
                    diff = [f"{q} {r}: quotient {fmt(view.get(q, {}).get(r, Fraction(0)))} "
                            f"api {fmt(v)}"
                            for q, m in before.items() for r, v in m.items()
                            if view.get(q, {}).get(r, Fraction(0)) != v]
                    if not diff:
                        return True
                    last = "; ".join(diff)
                else:
                    last = "the API's pods were still changing"
            except Exception as e:  # API server or Quotient restarting
                last = f"{type(e).__name__}: {str(e)[:200]}"
            time.sleep(1)
        self.violation(f"after {why}: Quotient's used != the API's for {timeout} s: {last}")
        return False

    def _quiet_usage(self, tree):
        pods = [p for p in self.list_pods() if p["metadata"]["namespace"] in self.namespaces]
        if any(p["metadata"].get("deletionTimestamp") for p in pods):
            return None
        return tree.usage(pods)

    # ---- at the end ----

    def end_state(self, timeout=90):
        """Every pod of the soak's namespaces is bound, or pending with the scheduler's
        PodScheduled=False condition (its FailedScheduling reason). Waits for the scheduler
        to have tried each; returns the pods that never said why they wait."""
        deadline = time.monotonic() + timeout
        while True:
            pods = [p for p in self.list_pods() if p["metadata"]["namespace"] in self.namespaces]
            silent = unexplained_pending(pods)
            terminating = [p for p in pods if p["metadata"].get("deletionTimestamp")]
            if (not silent and not terminating) or time.monotonic() >= deadline:
                break
            time.sleep(1)
        for name in silent:
            self.violation(f"end: pod {name} is pending without a PodScheduled reason")
        for p in terminating:
            self.violation(f"end: pod {p['metadata']['namespace']}/{p['metadata']['name']} "
                           "is still terminating")
        bound = sum(1 for p in pods if p["spec"].get("nodeName"))
        return {"pods": len(pods), "bound": bound, "pending": len(pods) - bound}

    def evictions(self):
        """Reclaim victims from the API: QuotaReclaim Events per victim UID (Quotient posts
        one per successful eviction). A victim evicted twice is a violation. Returns
        (victims, reclaims started: QuotaReclaiming Events)."""
        victims, started = {}, 0
        for ns in self.namespaces:
            for e in raw(self.cluster.core.list_namespaced_event, ns)["items"]:
                if e.get("reason") == "QuotaReclaim":
                    uid = e["involvedObject"].get("uid") or e["involvedObject"]["name"]
                    victims[uid] = victims.get(uid, 0) + (e.get("count") or 1)
                elif e.get("reason") == "QuotaReclaiming":
                    started += e.get("count") or 1
        for uid, n in victims.items():
            if n > 1:
                self.violation(f"reclaim victim {uid} was evicted {n} times")
        return len(victims), started
