#!/usr/bin/env python3
"""A few kubectl verbs for the local test cluster, which ships no kubectl (any kubectl
within one minor version of 1.37 works too: `eval "$(test/cluster/cluster.sh env)"`).

    kube.py apply FILE...             server-side apply of every document (any kind; waits
                                      until a CRD is established before the next document)
    kube.py pods [-n NAMESPACE]       pods with their phase and node
    kube.py nodes                     nodes with capacity and the requests of their pods
    kube.py events [-n NAMESPACE]     FailedScheduling and Preempted events: why pods wait

The kubeconfig comes from --kubeconfig or $KUBECONFIG.
"""

import argparse
import json
import os
import sys
import time

import urllib3
import yaml
from kubernetes import client, config, dynamic
from kubernetes.client.rest import ApiException
from kubernetes.config.config_exception import ConfigException
from kubernetes.dynamic.exceptions import DynamicApiError

FIELD_MANAGER = "quotient-test-cluster"
CRD_TIMEOUT_S = 30


def load_documents(path):
    with open(path) as f:
        return [d for d in yaml.safe_load_all(f) if d]


def apply_documents(api_client, docs, cache_dir=None):
    """Server-side applies each manifest (create or update), in order, waiting for each
    CustomResourceDefinition to be established. Returns what was applied."""
    cache = os.path.join(cache_dir, "discovery.json") if cache_dir else None
    dyn = dynamic.DynamicClient(api_client, cache_file=cache)
    applied = []
    for doc in docs:
        res = dyn.resources.get(api_version=doc["apiVersion"], kind=doc["kind"])
        meta = doc["metadata"]
        dyn.server_side_apply(res, body=doc, name=meta["name"], namespace=meta.get("namespace"),
                              field_manager=FIELD_MANAGER, force_conflicts=True)
        if doc["kind"] == "CustomResourceDefinition":  # usable by the next documents
            wait_crd_established(api_client, meta["name"], CRD_TIMEOUT_S)
        ns = meta.get("namespace")
        applied.append(f"{doc['kind']} {ns + '/' if ns else ''}{meta['name']}")
    return applied


def wait_crd_established(api_client, name, timeout_s):
    ext = client.ApiextensionsV1Api(api_client)
    deadline = time.monotonic() + timeout_s
    while True:
        crd = json.loads(ext.read_custom_resource_definition(name, _preload_content=False).data)
        conds = {c["type"]: c["status"] for c in crd.get("status", {}).get("conditions", [])}
        if conds.get("Established") == "True":
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"CRD {name} not Established after {timeout_s} s: {conds}")
        time.sleep(0.1)


def raw(call, *args, **kwargs):
    return json.loads(call(*args, _preload_content=False, **kwargs).data)


def print_table(rows):
    if not rows:
        return
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        print("  ".join(str(v).ljust(w) for v, w in zip(r, widths)).rstrip())


def pod_phase(pod):
    if pod["metadata"].get("deletionTimestamp"):
        return "Terminating"
    return pod.get("status", {}).get("phase", "")


def cmd_pods(core, namespace):
    pods = (raw(core.list_namespaced_pod, namespace) if namespace
            else raw(core.list_pod_for_all_namespaces))["items"]
    rows = [("NAMESPACE", "NAME", "PHASE", "NODE")]
    for p in sorted(pods, key=lambda p: (p["metadata"]["namespace"], p["metadata"]["name"])):
        rows.append((p["metadata"]["namespace"], p["metadata"]["name"], pod_phase(p),
                     p["spec"].get("nodeName", "<none>")))
    print_table(rows)


def cmd_nodes(core):
    nodes = raw(core.list_node)["items"]
    pods = raw(core.list_pod_for_all_namespaces, field_selector="spec.nodeName!=")["items"]
    per_node = {}
    for p in pods:
        per_node[p["spec"]["nodeName"]] = per_node.get(p["spec"]["nodeName"], 0) + 1
    rows = [("NAME", "CPU", "MEMORY", "GPU", "PODS")]
    for n in nodes:
        cap = n["status"].get("allocatable", {})
        name = n["metadata"]["name"]
        rows.append((name, cap.get("cpu", ""), cap.get("memory", ""),
                     cap.get("nvidia.com/gpu", "-"), per_node.get(name, 0)))
    print_table(rows)


def cmd_events(core, namespace):
    sel = "involvedObject.kind=Pod"
    events = (raw(core.list_namespaced_event, namespace, field_selector=sel) if namespace
              else raw(core.list_event_for_all_namespaces, field_selector=sel))["items"]
    events = [e for e in events if e.get("reason") in ("FailedScheduling", "Preempted",
                                                       "Scheduled")]
    events.sort(key=lambda e: e.get("lastTimestamp") or e.get("eventTime") or "")
    for e in events:
        obj = e["involvedObject"]
        print(f"{obj['namespace']}/{obj['name']}  {e['reason']}  {e.get('message', '')}")


def run_cli(fn, prog):
    """Runs a command-line main, turning API and connection errors into one line."""
    try:
        fn()
    except ApiException as e:
        try:
            message = json.loads(e.body)["message"]
        except (TypeError, ValueError, KeyError):
            message = e.body
        sys.exit(f"{prog}: {e.status} {e.reason}: {message}")
    except DynamicApiError as e:
        sys.exit(f"{prog}: {e.status} {e.reason}: {e.summary()}")
    except (ConfigException, urllib3.exceptions.HTTPError, OSError) as e:
        sys.exit(f"{prog}: {type(e).__name__}: {e}")


def main():
    run_cli(run, "kube.py")


def run():
    parser = argparse.ArgumentParser(description="kubectl verbs for the local test cluster")
    parser.add_argument("--kubeconfig", default=os.environ.get("KUBECONFIG"))
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("apply")
    p.add_argument("files", nargs="+")
    for name in ("pods", "events"):
        p = sub.add_parser(name)
        p.add_argument("-n", "--namespace")
    sub.add_parser("nodes")
    args = parser.parse_args()
    if not args.kubeconfig:
        sys.exit("kube.py: no kubeconfig: pass --kubeconfig or eval \"$(cluster.sh env)\"")

    api_client = config.new_client_from_config(config_file=args.kubeconfig)
    core = client.CoreV1Api(api_client)
    if args.cmd == "apply":
        for path in args.files:
            cache_dir = os.path.dirname(os.path.abspath(args.kubeconfig))
            for what in apply_documents(api_client, load_documents(path), cache_dir):
                print(f"applied {what}")
    elif args.cmd == "pods":
        cmd_pods(core, args.namespace)
    elif args.cmd == "nodes":
        cmd_nodes(core)
    elif args.cmd == "events":
        cmd_events(core, args.namespace)


if __name__ == "__main__":
    main()
