#!/usr/bin/env python3
"""Fake nodes for the local test cluster: Node objects created through the API, with their
capacity in status, a Ready condition, no taints and no kubelet (fake_kubelet.py answers for
their pods). kube-scheduler schedules onto them like onto real nodes.

    nodes.py add --count 4 --cpu 10 --memory 64Gi [--gpu 1] [--pods 110]
                 [--prefix node-] [--first 1] [--label KEY=VALUE ...]
    nodes.py delete NAME... | --all
    nodes.py list

The kubeconfig comes from --kubeconfig or $KUBECONFIG (see `cluster.sh env`). The e2e tests
import node_manifest() and create_nodes() from here.
"""

import argparse
import json
import os
import sys

from kubernetes import client, config
from kubernetes.client.rest import ApiException

FAKE_LABEL = "quotient.test/fake-node"
GPU = "nvidia.com/gpu"


def node_manifest(name, cpu, memory, pods=110, gpu=0, labels=None, extra_resources=None):
    """A Node that kube-scheduler considers schedulable: capacity (= allocatable) in status,
    Ready, no taints. `extra_resources` adds capacity entries such as MIG devices."""
    capacity = {"cpu": str(cpu), "memory": str(memory), "pods": str(pods)}
    if gpu:
        capacity[GPU] = str(gpu)
    capacity.update({k: str(v) for k, v in (extra_resources or {}).items()})
    all_labels = {
        "kubernetes.io/hostname": name,
        "kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        FAKE_LABEL: "true",
    }
    all_labels.update(labels or {})
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "labels": all_labels},
        "spec": {},
        "status": {
            "capacity": capacity,
            "allocatable": dict(capacity),
            "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady",
                            "message": "fake node of the Quotient test cluster"}],
            "addresses": [{"type": "Hostname", "address": name}],
            "nodeInfo": {"kubeletVersion": "v1.37.2-fake", "operatingSystem": "linux",
                         "architecture": "amd64", "containerRuntimeVersion": "fake://1",
                         "kernelVersion": "", "osImage": "fake", "machineID": "",
                         "systemUUID": "", "bootID": "", "kubeProxyVersion": ""},
        },
    }


def create_nodes(core, names, cpu, memory, pods=110, gpu=0, labels=None, extra_resources=None):
    """Creates one fake node per name (replacing a fake node of the same name)."""
    for name in names:
        body = node_manifest(name, cpu, memory, pods, gpu, labels, extra_resources)
        try:
            core.create_node(body, _preload_content=False)
        except ApiException as e:
            if e.status != 409:
                raise
            core.delete_node(name, _preload_content=False)
            core.create_node(body, _preload_content=False)
    return list(names)


def fake_node_names(core):
    resp = core.list_node(label_selector=f"{FAKE_LABEL}=true", _preload_content=False)
    return [n["metadata"]["name"] for n in json.loads(resp.data)["items"]]


def delete_nodes(core, names):
    for name in names:
        try:
            core.delete_node(name, _preload_content=False)
        except ApiException as e:
            if e.status != 404:
                raise


def main():
    from kube import run_cli  # test/cluster/kube.py, beside this file
    run_cli(run, "nodes.py")


def run():
    parser = argparse.ArgumentParser(description="Fake nodes of the local test cluster.")
    parser.add_argument("--kubeconfig", default=os.environ.get("KUBECONFIG"))
    sub = parser.add_subparsers(dest="cmd", required=True)
    add = sub.add_parser("add", help="create fake nodes")
    add.add_argument("--count", type=int, default=1)
    add.add_argument("--cpu", default="4", help="cores (a quantity: 4, 3500m)")
    add.add_argument("--memory", default="16Gi")
    add.add_argument("--pods", type=int, default=110)
    add.add_argument("--gpu", type=int, default=0, help=f"{GPU} devices")
    add.add_argument("--prefix", default="node-")
    add.add_argument("--first", type=int, default=1, help="number of the first node")
    add.add_argument("--label", action="append", default=[], metavar="KEY=VALUE")
    add.add_argument("--resource", action="append", default=[], metavar="NAME=QUANTITY",
                     help="extra capacity, e.g. nvidia.com/mig-3g.20gb=2")
    delete = sub.add_parser("delete", help="delete fake nodes")
    delete.add_argument("names", nargs="*")
    delete.add_argument("--all", action="store_true", help="every node labelled as fake")
    sub.add_parser("list", help="list the fake nodes")
    args = parser.parse_args()
    if not args.kubeconfig:
        sys.exit("nodes.py: no kubeconfig: pass --kubeconfig or eval \"$(cluster.sh env)\"")

    core = client.CoreV1Api(config.new_client_from_config(config_file=args.kubeconfig))
    if args.cmd == "add":
        labels = dict(kv.split("=", 1) for kv in args.label)
        extra = dict(kv.split("=", 1) for kv in args.resource)
        names = [f"{args.prefix}{i}" for i in range(args.first, args.first + args.count)]
        create_nodes(core, names, args.cpu, args.memory, args.pods, args.gpu, labels, extra)
        print(f"created {len(names)} node(s): {', '.join(names)}")
    elif args.cmd == "delete":
        names = fake_node_names(core) if args.all else args.names
        delete_nodes(core, names)
        print(f"deleted {len(names)} node(s)")
    else:
        for name in fake_node_names(core):
            print(name)


if __name__ == "__main__":
    main()
