#!/usr/bin/env python3
"""The kubelet's answers for the fake nodes of the local test cluster.

The cluster started by test/cluster/cluster.sh has Node objects but no kubelet. Two of a
kubelet's answers matter to the scheduler and to anyone watching:

  * a pod bound to a node starts: its status becomes phase Running with Ready conditions and
    running container statuses, so `kubectl get pods` reads as on a real cluster;
  * a pod marked for deletion (deletionTimestamp set: preemption, eviction, scale-down,
    namespace deletion) is finalised by deleting it with gracePeriodSeconds=0, which is what a
    kubelet does once the containers have stopped. Without this, victims of preemption
    would stay Terminating for their whole grace period.

Every node of that cluster is fake, so every bound pod is handled. The process lists and
then watches pods with spec.nodeName set, and starts over after any error (the e2e tests
restart the API server under it).

    fake_kubelet.py --kubeconfig FILE [--ready-file FILE]
"""

import argparse
import datetime
import json
import os
import signal
import time

from kubernetes import client, config
from kubernetes.client.rest import ApiException
from kubernetes.watch.watch import iter_resp_lines

BOUND = "spec.nodeName!="
WATCH_TIMEOUT_S = 120
RETRY_DELAY_S = 0.5


def log(msg):
    now = datetime.datetime.now().strftime("%H:%M:%S.%f")[:-3]
    print(f"{now} fake-kubelet: {msg}", flush=True)


def now_rfc3339():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def running_status(pod):
    """The status a kubelet reports once every container of `pod` runs."""
    now = now_rfc3339()
    spec = pod["spec"]

    def ready(kind):
        return {"type": kind, "status": "True", "lastProbeTime": None,
                "lastTransitionTime": now}

    containers = []
    for c in spec.get("containers", []):
        containers.append({
            "name": c["name"], "image": c.get("image", ""), "imageID": "",
            "containerID": f"fake://{pod['metadata']['uid']}/{c['name']}",
            "ready": True, "started": True, "restartCount": 0,
            "state": {"running": {"startedAt": now}},
        })
    init = []
    for c in spec.get("initContainers", []):
        sidecar = c.get("restartPolicy") == "Always"
        state = ({"running": {"startedAt": now}} if sidecar else
                 {"terminated": {"exitCode": 0, "reason": "Completed",
                                 "startedAt": now, "finishedAt": now}})
        init.append({
            "name": c["name"], "image": c.get("image", ""), "imageID": "",
            "containerID": f"fake://{pod['metadata']['uid']}/{c['name']}",
            "ready": sidecar, "started": sidecar, "restartCount": 0, "state": state,
        })
    status = {
        "phase": "Running",
        "startTime": now,
        "conditions": [ready("PodReadyToStartContainers"), ready("Initialized"),
                       ready("Ready"), ready("ContainersReady"), ready("PodScheduled")],
        "containerStatuses": containers,
    }
    if init:
        status["initContainerStatuses"] = init
    return status


class Kubelet:
    def __init__(self, api):
        self.api = api

    def handle(self, pod):
        meta = pod["metadata"]
        ns, name = meta["namespace"], meta["name"]
        try:
            if meta.get("deletionTimestamp"):
                self.api.delete_namespaced_pod(
                    name, ns, grace_period_seconds=0,
                    body={"gracePeriodSeconds": 0, "preconditions": {"uid": meta["uid"]}},
                    _preload_content=False)
                log(f"deleted {ns}/{name} (was terminating on {pod['spec']['nodeName']})")
            elif pod.get("status", {}).get("phase") == "Pending":
                self.api.patch_namespaced_pod_status(
                    name, ns, {"status": running_status(pod)},
                    _content_type="application/merge-patch+json", _preload_content=False)
                log(f"started {ns}/{name} on {pod['spec']['nodeName']}")
        except ApiException as e:
            if e.status not in (404, 409):  # gone already, or changed under us
                log(f"{ns}/{name}: {e.status} {e.reason}")

    def run_once(self, ready_file):
        """Lists, then watches until the watch ends or fails."""
        resp = self.api.list_pod_for_all_namespaces(field_selector=BOUND, _preload_content=False)
        pods = json.loads(resp.data)
        for pod in pods["items"]:
            self.handle(pod)
        if ready_file:
            open(ready_file, "w").close()
            ready_file = None
        rv = pods["metadata"]["resourceVersion"]
        while True:
            resp = self.api.list_pod_for_all_namespaces(
                field_selector=BOUND, watch=True, resource_version=rv,
                allow_watch_bookmarks=True, timeout_seconds=WATCH_TIMEOUT_S,
                _preload_content=False, _request_timeout=WATCH_TIMEOUT_S + 30)
            try:
                for line in iter_resp_lines(resp):
                    event = json.loads(line)
                    kind, obj = event["type"], event["object"]
                    if kind == "ERROR":  # 410 Gone and the like: list again
                        log(f"watch error: {obj.get('code')} {obj.get('message')}")
                        return
                    rv = obj["metadata"]["resourceVersion"]
                    if kind in ("ADDED", "MODIFIED"):
                        self.handle(obj)
            finally:
                resp.release_conn()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--kubeconfig", required=True)
    parser.add_argument("--ready-file", help="created after the first successful list")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))  # nothing to flush or finish

    api = client.CoreV1Api(config.new_client_from_config(config_file=args.kubeconfig))
    kubelet = Kubelet(api)
    log("started")
    ready_file = args.ready_file
    while True:
        try:
            kubelet.run_once(ready_file)
            ready_file = None
        except Exception as e:  # the API server restarts under us in the e2e tests
            log(f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}; retrying")
            time.sleep(RETRY_DELAY_S)


if __name__ == "__main__":
    main()
