"""The soak's pod churn: one thread that, about every CHURN_INTERVAL_S, scales a Deployment,
deletes a running pod (its ReplicaSet replaces it), or creates or deletes a bare pod, across
the quota'd namespaces of soak_model.NAMESPACES; GPU and dynamic-MIG pods in soak-gpu. Every
RECLAIM_WAVE_S it plays a reclaim wave: root.a fills up to its max (borrowing root.b's idle
share), then root.b's leaves come back below their min and take cores back.

Seeded (random.Random(seed)): the same seed makes the same choices, though the cluster's
timing differs. pause()/resume() hold it for Quotient's view checks. Thread-compatible
apart from those two calls and the counters read at the end."""

import random
import threading
import time
import uuid

from kubernetes.client.rest import ApiException

from harness import raw
import soak_model as model

CHURN_INTERVAL_S = 1.0
RECLAIM_WAVE_S = 25
POD_CPU = 2
MIG_RESOURCE = "nvidia.com/mig-3g.20gb"
CPU_LEAVES = ("a1", "a2", "b1", "b2")


class Churner:
    def __init__(self, kube, seed, log):
        self.kube, self.log = kube, log
        self.rng = random.Random(seed)
        self._stop = threading.Event()
        self._running = threading.Event()  # cleared while paused
        self._running.set()
        self._idle = threading.Event()  # set while the thread waits between actions
        self._thread = threading.Thread(target=self._run, name="soak-churn", daemon=True)
        self.actions = {}  # kind -> count
        self.bare_created = 0
        self.errors = 0
        self._bare = []  # (namespace, name, delete after monotonic time)
        self._next_wave = time.monotonic() + 5
        self._wave_step = 0

    # ---- set-up ----

    def create_workloads(self):
        """A Deployment of 2-core pods per cpu leaf, GPU and MIG Deployments in soak-gpu."""
        for leaf in CPU_LEAVES:
            self.kube.create_deployment(model.NAMESPACES[leaf], "web", replicas=2, cpu=POD_CPU)
        gpu_ns = model.NAMESPACES["gpu"]
        self.kube.create_deployment(gpu_ns, "train", replicas=2, cpu=1, gpu=1)
        self.kube.create_deployment(gpu_ns, "mig", replicas=1, cpu=1,
                                    extra_resources={MIG_RESOURCE: 1})

    # ---- control ----

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        self._running.set()
        if self._thread.is_alive():
            self._thread.join(timeout=60)

    def pause(self, timeout=30):
        """Holds the churn after its current action (waits for it at most `timeout`)."""
        self._running.clear()
        self._idle.wait(timeout)

    def resume(self):
        self._running.set()

    # ---- the loop ----

    def _run(self):
        while not self._stop.is_set():
            self._idle.set()
            self._running.wait()
            if self._stop.wait(CHURN_INTERVAL_S * self.rng.uniform(0.5, 1.5)):
                break
            if not self._running.is_set():
                continue
            self._idle.clear()
            try:
                self.step()
            except Exception as e:  # the API server restarts under us (urllib3 errors too)
                self.errors += 1
                if self.errors % 20 == 1:
                    self.log(f"churn: {type(e).__name__}: {str(e)[:120]}")
        self._idle.set()

    def _count(self, kind):
        self.actions[kind] = self.actions.get(kind, 0) + 1

    def step(self):
        now = time.monotonic()
        if now >= self._next_wave:
            self._reclaim_wave()
            return
        self._expire_bare(now)
        r = self.rng.random()
        if r < 0.35:
            leaf = self.rng.choice(CPU_LEAVES)
            self.kube.scale(model.NAMESPACES[leaf], "web", self.rng.randint(0, 11))
            self._count("scale")
        elif r < 0.5:
            which = self.rng.random()
            name, top = ("train", 5) if which < 0.7 else ("mig", 3)
            self.kube.scale(model.NAMESPACES["gpu"], name, self.rng.randint(0, top))
            self._count("scale_gpu")
        elif r < 0.75:
            self._delete_running_pod()
        else:
            self._create_bare_pod(now)

    def _reclaim_wave(self):
        """Step 0: root.a to 10 + 10 pods (40 cores: its max, all of root.b's idle share),
        root.b to none. Step 1 (RECLAIM_WAVE_S / 3 later): root.b.1 and root.b.2 want 4 pods
        each, below their min of 10 cores: root's 48 are full, so they reclaim from root.a."""
        if self._wave_step == 0:
            for leaf, n in (("b1", 0), ("b2", 0), ("a1", 10), ("a2", 10)):
                self.kube.scale(model.NAMESPACES[leaf], "web", n)
            self._wave_step, self._next_wave = 1, time.monotonic() + RECLAIM_WAVE_S / 3
        else:
            for leaf in ("b1", "b2"):
                self.kube.scale(model.NAMESPACES[leaf], "web", 4)
            self._wave_step, self._next_wave = 0, time.monotonic() + RECLAIM_WAVE_S
            self._count("reclaim_wave")

    def _delete_running_pod(self):
        ns = model.NAMESPACES[self.rng.choice(CPU_LEAVES + ("gpu",))]
        pods = [p for p in raw(self.kube.core.list_namespaced_pod, ns)["items"]
                if model.is_bound(p)]
        if not pods:
            return
        p = self.rng.choice(pods)
        try:
            self.kube.core.delete_namespaced_pod(p["metadata"]["name"], ns,
                                                 _preload_content=False)
            self._count("delete_pod")
        except ApiException as e:
            if e.status != 404:
                raise

    def _create_bare_pod(self, now):
        ns = model.NAMESPACES[self.rng.choice(CPU_LEAVES)]
        name = f"bare-{uuid.uuid4().hex[:8]}"
        res = {"cpu": str(self.rng.choice((1, 2, 3)))}
        body = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
                "spec": {"containers": [{"name": "main", "image": "registry.k8s.io/pause:3.10",
                                         "resources": {"requests": res, "limits": res}}],
                         "terminationGracePeriodSeconds": 0}}
        self.kube.core.create_namespaced_pod(ns, body, _preload_content=False)
        self.bare_created += 1
        self._count("create_bare_pod")
        self._bare.append((ns, name, now + self.rng.uniform(5, 30)))

    def _expire_bare(self, now):
        keep = []
        for ns, name, at in self._bare:
            if at > now:
                keep.append((ns, name, at))
                continue
            try:
                self.kube.core.delete_namespaced_pod(name, ns, _preload_content=False)
                self._count("delete_bare_pod")
            except ApiException as e:
                if e.status != 404:
                    keep.append((ns, name, at))  # tried again next time
        self._bare = keep
