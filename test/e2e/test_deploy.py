"""deploy/ against a real API server: every manifest is accepted, and the ClusterRole grants
exactly the API calls Quotient makes (docs/operations.md, "Install").

The test cluster's API server allows everything, so these tests start a second
kube-apiserver on the same etcd (its own key prefix) with RBAC authorization and no
controllers: objects created there stay inert. On it:
  * every object of deploy/, deploy/second-scheduler and deploy/tls is created (kustomize is
    not installed: the kustomizations are rendered here: resources, configMapGenerator,
    JSON patches, images);
  * Quotient runs with a token of its ServiceAccount, deploy/config/quotient.yaml and
    deploy/config/quota.yaml, syncs, admits a pod and binds it;
  * SubjectAccessReviews check every verb Quotient needs, and some it must not have;
  * the API paths in extender/ are matched against the same table, so a new API call
    without its grant fails here.
The scheduler configurations are checked by the real kube-scheduler: the second scheduler
(quotient-scheduler) runs on the test cluster and schedules a pod through Quotient.
"""

import datetime
import itertools
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest
import yaml
from kubernetes import client, config

from harness import ROOT, QuotientProcess, free_port, start_scheduler, wait_until

DEPLOY = ROOT / "deploy"
SA_USER = "system:serviceaccount:quotient-system:quotient"
SA_GROUPS = ["system:serviceaccounts", "system:serviceaccounts:quotient-system",
             "system:authenticated"]
SIDECAR_USER = "quotient-sidecar"  # deploy/sidecar/rbac.yaml

# What Quotient calls, as (verb, apiGroup, resource, subresource, namespace or None).
# Each comes from the API paths in extender/ (QUOTIENT_API_PATHS below) or, for reclaim,
# from the Eviction and Event APIs it is about to call.
NEEDED = [
    ("list", "", "pods", "", None), ("watch", "", "pods", "", None),
    ("list", "", "pods", "", "quotient-system"),
    ("get", "", "pods", "", "team-a"), ("patch", "", "pods", "", "team-a"),
    ("create", "", "pods", "binding", "team-a"),
    ("create", "", "pods", "eviction", "team-a"),
    ("list", "", "nodes", "", None), ("watch", "", "nodes", "", None),
    ("list", "scheduling.sigs.k8s.io", "elasticquotatrees", "", "kube-system"),
    ("watch", "scheduling.sigs.k8s.io", "elasticquotatrees", "", "kube-system"),
    ("create", "", "events", "", "team-a"), ("patch", "", "events", "", "team-a"),
    ("create", "events.k8s.io", "events", "", "team-a"),
    ("patch", "events.k8s.io", "events", "", "team-a"),
    ("create", "coordination.k8s.io", "leases", "", "quotient-system"),
    ("list", "resource.k8s.io", "resourceclaims", "", None),
    ("watch", "resource.k8s.io", "resourceclaims", "", None),
    ("list", "resource.k8s.io", "resourceslices", "", None),
    ("watch", "resource.k8s.io", "resourceslices", "", None),
]
# Grants on one object only: (verb, group, resource, subresource, namespace, name).
NEEDED_BY_NAME = [
    ("get", "coordination.k8s.io", "leases", "", "quotient-system", "quotient"),
    ("update", "coordination.k8s.io", "leases", "", "quotient-system", "quotient"),
]
DENIED_BY_NAME = [
    ("update", "coordination.k8s.io", "leases", "", "quotient-system", "another-lease"),
    ("update", "coordination.k8s.io", "leases", "", "kube-system", "kube-scheduler"),
]
DENIED = [
    ("create", "", "pods", "", "team-a"), ("update", "", "pods", "", "team-a"),
    ("delete", "", "pods", "", "team-a"), ("update", "", "pods", "status", "team-a"),
    ("get", "", "secrets", "", "team-a"), ("list", "", "secrets", "", None),
    ("get", "", "configmaps", "", "kube-system"), ("patch", "", "nodes", "", None),
    ("delete", "", "nodes", "", None),
    ("list", "scheduling.sigs.k8s.io", "elasticquotatrees", "", "team-a"),
    ("update", "scheduling.sigs.k8s.io", "elasticquotatrees", "", "kube-system"),
    ("create", "rbac.authorization.k8s.io", "clusterrolebindings", "", None),
    ("delete", "coordination.k8s.io", "leases", "", "quotient-system"),
    ("update", "resource.k8s.io", "resourceclaims", "status", "team-a"),
    ("create", "resource.k8s.io", "resourceslices", "", None),
]
# API path templates in extender/ (string literals) -> the grants they need.
QUOTIENT_API_PATHS = {
    "/api/v1/pods": {("list", "", "pods", ""), ("watch", "", "pods", "")},
    "/api/v1/nodes": {("list", "", "nodes", ""), ("watch", "", "nodes", "")},
    "/api/v1/namespaces/{}/pods": {("list", "", "pods", "")},  # the leader label's owners
    "/api/v1/namespaces/{}/pods/{}": {("get", "", "pods", ""), ("patch", "", "pods", "")},
    "/api/v1/namespaces/{}/pods/{}/binding": {("create", "", "pods", "binding")},
    "/api/v1/namespaces/{}/pods/{}/eviction": {("create", "", "pods", "eviction")},
    "/api/v1/namespaces/{}/events": {("create", "", "events", "")},
    "/apis/scheduling.sigs.k8s.io/v1beta1/namespaces/kube-system/elasticquotatrees":
        {("list", "scheduling.sigs.k8s.io", "elasticquotatrees", ""),
         ("watch", "scheduling.sigs.k8s.io", "elasticquotatrees", "")},
    "/apis/resource.k8s.io/v1/resourceclaims":
        {("list", "resource.k8s.io", "resourceclaims", ""),
         ("watch", "resource.k8s.io", "resourceclaims", "")},
    "/apis/resource.k8s.io/v1/resourceslices":
        {("list", "resource.k8s.io", "resourceslices", ""),
         ("watch", "resource.k8s.io", "resourceslices", "")},
    "/apis/coordination.k8s.io/v1/namespaces/{}/leases":
        {("get", "coordination.k8s.io", "leases", ""),
         ("create", "coordination.k8s.io", "leases", ""),
         ("update", "coordination.k8s.io", "leases", "")},
}


# ---- rendering deploy/ like `kubectl apply -k` -------------------------------------------

def json_patch(doc, ops):
    """The JSON patch operations kustomizations here use: add (with `/-`) and replace."""
    for op in ops:
        *parents, last = [p.replace("~1", "/").replace("~0", "~")
                          for p in op["path"].lstrip("/").split("/")]
        target = doc
        for p in parents:
            target = target[int(p)] if isinstance(target, list) else target.setdefault(p, {})
        if op["op"] not in ("add", "replace"):
            raise ValueError(f"unsupported patch op {op['op']}")
        if isinstance(target, list):
            if last == "-":
                target.append(op["value"])
            elif op["op"] == "add":
                target.insert(int(last), op["value"])
            else:
                target[int(last)] = op["value"]
        else:
            target[last] = op["value"]


def render_kustomization(directory):
    """The objects `kubectl kustomize DIRECTORY` produces, for the features used in deploy/."""
    directory = Path(directory)
    k = yaml.safe_load((directory / "kustomization.yaml").read_text())
    objects = []
    for res in k.get("resources", []):
        path = directory / res
        if path.is_dir():
            objects += render_kustomization(path)
        else:
            objects += [d for d in yaml.safe_load_all(path.read_text()) if d]
    for gen in k.get("configMapGenerator", []):
        assert gen.get("options", {}).get("disableNameSuffixHash"), \
            f"{directory}: ConfigMap {gen['name']} would get a hash suffix"
        cm = {"apiVersion": "v1", "kind": "ConfigMap",
              "metadata": {"name": gen["name"], "namespace": gen["namespace"],
                           "labels": gen.get("options", {}).get("labels", {})},
              "data": {Path(f).name: (directory / f).read_text() for f in gen["files"]}}
        objects.append(cm)
    for patch in k.get("patches", []):
        ops = yaml.safe_load((directory / patch["path"]).read_text())
        t = patch["target"]
        matched = [o for o in objects if o["kind"] == t["kind"] and
                   o["metadata"]["name"] == t["name"]]
        assert matched, f"{directory}: patch {patch['path']} matches nothing"
        for o in matched:
            json_patch(o, ops)
    for image in k.get("images", []):
        for o in objects:
            for c in o.get("spec", {}).get("template", {}).get("spec", {}).get("containers", []):
                name, _, _ = c["image"].partition(":")
                if name == image["name"]:
                    c["image"] = f"{image.get('newName', name)}:{image['newTag']}"
    return objects


def referenced_files(directory):
    directory = Path(directory)
    k = yaml.safe_load((directory / "kustomization.yaml").read_text())
    files = {directory / "kustomization.yaml"}
    for res in k.get("resources", []):
        path = (directory / res).resolve()
        files |= referenced_files(path) if path.is_dir() else {path}
    for gen in k.get("configMapGenerator", []):
        files |= {(directory / f).resolve() for f in gen["files"]}
    files |= {(directory / p["path"]).resolve() for p in k.get("patches", [])}
    return files


# ---- a kube-apiserver with RBAC on the test cluster's etcd ---------------------------------

def kubeconfig_text(port, ca, token):
    return yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config",
        "clusters": [{"name": "rbac", "cluster": {"server": f"https://127.0.0.1:{port}",
                                                  "certificate-authority": str(ca)}}],
        "users": [{"name": "u", "user": {"token": token}}],
        "contexts": [{"name": "rbac", "context": {"cluster": "rbac", "user": "u"}}],
        "current-context": "rbac"})


class RbacApiServer:
    def __init__(self, cluster):
        env = dict(re.findall(r"(\w+)=(\S+)", (cluster.state_dir / "cluster.env").read_text()))
        apiserver_bin = (cluster.state_dir / "cmd" / "kube-apiserver").read_text().split("\n")[0]
        self.dir = (cluster.state_dir / "rbac-apiserver").resolve()
        shutil.rmtree(self.dir, ignore_errors=True)
        (self.dir / "certs").mkdir(parents=True)
        subprocess.run(["openssl", "genrsa", "-out", self.dir / "sa.key", "2048"], check=True,
                       capture_output=True)
        subprocess.run(["openssl", "rsa", "-in", self.dir / "sa.key", "-pubout", "-out",
                        self.dir / "sa.pub"], check=True, capture_output=True)
        admin, quotient, sidecar = uuid.uuid4().hex, uuid.uuid4().hex, uuid.uuid4().hex
        (self.dir / "tokens.csv").write_text(
            f'{admin},admin,admin,"system:masters"\n'
            f'{quotient},{SA_USER},quotient-sa,"{",".join(SA_GROUPS[:2])}"\n'
            f'{sidecar},{SIDECAR_USER},quotient-sidecar\n')
        self.port = free_port()
        self.log = open(self.dir / "kube-apiserver.log", "w")
        self.proc = subprocess.Popen([
            apiserver_bin, f"--etcd-servers=http://127.0.0.1:{env['ETCD_PORT']}",
            f"--etcd-prefix=/rbac-{uuid.uuid4().hex[:8]}",
            "--bind-address=127.0.0.1", "--advertise-address=127.0.0.1",
            f"--secure-port={self.port}", f"--cert-dir={self.dir / 'certs'}",
            "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
            f"--service-account-key-file={self.dir / 'sa.pub'}",
            f"--service-account-signing-key-file={self.dir / 'sa.key'}",
            "--service-cluster-ip-range=10.0.0.0/24", "--authorization-mode=RBAC",
            "--anonymous-auth=false", f"--token-auth-file={self.dir / 'tokens.csv'}",
            "--disable-admission-plugins=ServiceAccount", "--endpoint-reconciler-type=none",
            "--enable-priority-and-fairness=false", "--profiling=false"],
            stdout=self.log, stderr=subprocess.STDOUT)
        ca = self.dir / "certs" / "apiserver.crt"
        self.admin_kubeconfig = self.dir / "admin.kubeconfig"
        self.quotient_kubeconfig = self.dir / "quotient.kubeconfig"
        self.sidecar_kubeconfig = self.dir / "sidecar.kubeconfig"
        self.admin_kubeconfig.write_text(kubeconfig_text(self.port, ca, admin))
        self.quotient_kubeconfig.write_text(kubeconfig_text(self.port, ca, quotient))
        self.sidecar_kubeconfig.write_text(kubeconfig_text(self.port, ca, sidecar))

        def ready():
            assert self.proc.poll() is None, f"kube-apiserver exited; see {self.log.name}"
            if not ca.exists():
                return False
            ctx = ssl.create_default_context(cafile=str(ca))
            req = urllib.request.Request(f"https://127.0.0.1:{self.port}/readyz",
                                         headers={"Authorization": f"Bearer {admin}"})
            with urllib.request.urlopen(req, context=ctx, timeout=2) as r:
                return r.status == 200
        wait_until(ready, timeout=90, what="the RBAC kube-apiserver to be ready")
        self.api = config.new_client_from_config(config_file=str(self.admin_kubeconfig))

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


@pytest.fixture(scope="module")
def rbac_api(cluster):
    server = RbacApiServer(cluster)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def installed(rbac_api):
    """deploy/ and its variants applied to the RBAC API server, in order."""
    import kube as kube_cli  # test/cluster/kube.py
    applied = []
    for directory in (DEPLOY, DEPLOY / "second-scheduler", DEPLOY / "tls"):
        applied += kube_cli.apply_documents(rbac_api.api, render_kustomization(directory))
    return applied


def access(rbac_api, verb, group, resource, subresource, namespace, user=SA_USER,
           groups=SA_GROUPS, name=""):
    review = {"apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview",
              "spec": {"user": user, "groups": groups,
                       "resourceAttributes": {"verb": verb, "group": group,
                                              "resource": resource,
                                              "subresource": subresource,
                                              "namespace": namespace or "", "name": name}}}
    auth = client.AuthorizationV1Api(rbac_api.api)
    resp = auth.create_subject_access_review(review, _preload_content=False)
    return json.loads(resp.data)["status"].get("allowed", False)


# ---- the tests -----------------------------------------------------------------------------

def test_every_manifest_of_deploy_is_created_by_a_real_api_server(installed):
    kinds = [a.split()[0] for a in installed]
    for kind in ("Namespace", "CustomResourceDefinition", "ServiceAccount", "ClusterRole",
                 "ClusterRoleBinding", "Role", "RoleBinding", "Service", "Deployment",
                 "ConfigMap", "PodDisruptionBudget"):
        assert kind in kinds, f"no {kind} in deploy/: {installed}"
    # Every YAML file under deploy/ is used: by a kustomization, or as a scheduler
    # configuration (checked below), or as monitoring (test/monitoring), or by the sidecar
    # layout (test_the_sidecar_layout_...).
    used = set()
    for directory in (DEPLOY, DEPLOY / "second-scheduler", DEPLOY / "tls"):
        used |= referenced_files(directory)
    for path in DEPLOY.rglob("*.yaml"):
        if path.resolve() in used or path.parent.name in ("scheduler", "monitoring", "sidecar"):
            continue
        docs = [d for d in yaml.safe_load_all(path.read_text()) if d]
        if path == DEPLOY / "config" / "simulate-quota.yaml":
            continue  # a `quotient simulate` scenario, played below
        assert all(d.get("kind") == "KubeSchedulerConfiguration" for d in docs), \
            f"{path.relative_to(ROOT)} is used by no kustomization"


def test_the_shipped_quota_file_passes_check_and_its_scenario_holds(cluster):
    """docs/operations.md: `quotient check` and `quotient simulate` on deploy/config."""
    binary = quotient_binary(cluster)
    check = subprocess.run([binary, "check", str(DEPLOY / "config" / "quota.yaml")],
                           capture_output=True, text=True)
    assert check.returncode == 0 and ": ok (3 quota nodes" in check.stdout, check.stderr
    sim = subprocess.run([binary, "simulate", str(DEPLOY / "config" / "simulate-quota.yaml")],
                         capture_output=True, text=True)
    assert sim.returncode == 0, sim.stdout + sim.stderr
    assert "reclaimed by team-b" in sim.stdout and "all 2 expectations hold" in sim.stdout


def test_the_tls_variant_serves_https_with_client_certificates(installed, rbac_api):
    apps = client.AppsV1Api(rbac_api.api)
    dep = json.loads(apps.read_namespaced_deployment("quotient", "quotient-system",
                                                     _preload_content=False).data)
    spec = dep["spec"]["template"]["spec"]
    args = spec["containers"][0]["args"]
    assert "--tls-client-ca=/etc/quotient-tls/ca.crt" in args, args
    assert {"name": "tls", "secret": {"secretName": "quotient-tls", "defaultMode": 0o440}} in \
        spec["volumes"]
    assert spec["securityContext"]["fsGroup"] == 65532


def test_the_roles_grant_every_call_quotient_makes_and_nothing_more(installed, rbac_api):
    missing = [n for n in NEEDED if not access(rbac_api, *n)]
    missing += [n for n in NEEDED_BY_NAME if not access(rbac_api, *n[:5], name=n[5])]
    assert not missing, f"the ServiceAccount may not: {missing}"
    extra = [d for d in DENIED if access(rbac_api, *d)]
    extra += [d for d in DENIED_BY_NAME if access(rbac_api, *d[:5], name=d[5])]
    assert not extra, f"the ServiceAccount may, and should not: {extra}"
    # The API paths in the code are all in the table of needed grants.
    needed = {n[:4] for n in NEEDED + NEEDED_BY_NAME}
    sources = [p for p in (ROOT / "extender").rglob("*.cc") if not p.name.endswith("_test.cc")
               and "fake" not in p.name]
    seen = set()
    for path in sources:
        for literal in re.findall(r'"(/apis?/[^"]*)"', path.read_text()):
            seen.add(literal)
            assert literal in QUOTIENT_API_PATHS, \
                f"{path.relative_to(ROOT)} calls {literal}: add its grant to deploy/rbac.yaml " \
                f"and to QUOTIENT_API_PATHS"
            assert QUOTIENT_API_PATHS[literal] <= needed, literal
    for core_path in ("/api/v1/pods", "/api/v1/nodes", "/api/v1/namespaces/{}/pods/{}/binding"):
        assert core_path in seen, f"the scan no longer finds {core_path} in extender/"


def quotient_binary(cluster):
    return (cluster.state_dir / "cmd" / "quotient").read_text().split("\n")[0]


def http(url, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return r.status, r.read().decode()


LEADER_LABEL = "quotient.io/leader"


class Replica(QuotientProcess):
    """`quotient serve` as deploy/ runs it: the shipped quotient.yaml (two replicas, leader
    election, the leader label), the ServiceAccount's token, POD_NAME/POD_NAMESPACE as the
    downward API sets them."""

    def __init__(self, rbac_api, cluster, pod_name):
        self.pod_name = pod_name
        super().__init__(
            cluster, rbac_api.dir, f"quotient-{pod_name}",
            ["--config", str(DEPLOY / "config" / "quotient.yaml"),
             "--quota-file", str(DEPLOY / "config" / "quota.yaml")],
            env=dict(os.environ, POD_NAME=pod_name, POD_NAMESPACE="quotient-system"),
            kubeconfig=rbac_api.quotient_kubeconfig)

    def post(self, verb, body):
        try:
            return http(f"{self.url}/{verb}", body)
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()


def test_two_replicas_with_only_their_service_account_route_to_the_leader(installed, rbac_api,
                                                                         cluster):
    """Standalone HA as shipped: the leader alone carries the label the Service selects, a
    follower refuses decisions, and a leader that stops hands both the Lease and the label
    over (the new leader clears the old one's label): all with only the ServiceAccount's
    grants."""
    core = client.CoreV1Api(rbac_api.api)
    core.create_namespace({"metadata": {"name": "team-a"}}, _preload_content=False)
    core.create_node({"metadata": {"name": "rbac-node-1"},
                      "status": {"capacity": {"cpu": "8", "memory": "32Gi", "pods": "110"},
                                 "allocatable": {"cpu": "8", "memory": "32Gi", "pods": "110"}}},
                     _preload_content=False)
    # The replicas' own pods (never run here: no kubelet), from the Deployment's template,
    # which passes the namespace's PodSecurity "restricted" level.
    apps = client.AppsV1Api(rbac_api.api)
    template = json.loads(apps.read_namespaced_deployment(
        "quotient", "quotient-system", _preload_content=False).data)["spec"]["template"]
    for name in ("quotient-0", "quotient-1"):
        core.create_namespaced_pod("quotient-system", {
            "metadata": {"name": name, "labels": template["metadata"]["labels"]},
            "spec": template["spec"]}, _preload_content=False)
    service = json.loads(core.read_namespaced_service("quotient", "quotient-system",
                                                      _preload_content=False).data)
    selector = service["spec"]["selector"]
    assert selector.get(LEADER_LABEL) == "true", selector

    def routed():  # the pods the Service selects
        pods = json.loads(core.list_namespaced_pod("quotient-system",
                                                   _preload_content=False).data)["items"]
        return sorted(p["metadata"]["name"] for p in pods
                      if all(p["metadata"].get("labels", {}).get(k) == v
                             for k, v in selector.items()))

    def pod(name, cpu):
        return json.loads(core.create_namespaced_pod("team-a", {
            "metadata": {"name": name},
            "spec": {"containers": [{"name": "c", "image": "busybox",
                                     "resources": {"requests": {"cpu": cpu}}}]}},
            _preload_content=False).data)

    first = Replica(rbac_api, cluster, "quotient-0")
    second = None
    try:
        wait_until(first.synced, what="Quotient to sync with its ServiceAccount's token")
        wait_until(lambda: routed() == ["quotient-0"], what="the leader to label its pod")
        train = pod("train", "2")
        status, body = first.post("filter", {"Pod": train, "NodeNames": ["rbac-node-1"]})
        assert status == 200 and json.loads(body)["NodeNames"] == ["rbac-node-1"], body
        status, body = first.post("bind", {
            "PodName": "train", "PodNamespace": "team-a",
            "PodUID": train["metadata"]["uid"], "Node": "rbac-node-1"})
        assert status == 200 and json.loads(body).get("Error", "") == "", body
        bound = json.loads(core.read_namespaced_pod("train", "team-a",
                                                    _preload_content=False).data)
        assert bound["spec"]["nodeName"] == "rbac-node-1"

        second = Replica(rbac_api, cluster, "quotient-1")
        wait_until(second.synced, what="the second replica to sync")
        infer = pod("infer", "1")
        status, body = second.post("filter", {"Pod": infer, "NodeNames": ["rbac-node-1"]})
        assert "not the leader" in body, (status, body)
        assert routed() == ["quotient-0"]

        first.stop()  # SIGTERM: drains, releases the Lease
        wait_until(lambda: routed() == ["quotient-1"],
                   what="the new leader to take the label over", timeout=30)
        status, body = second.post("filter", {"Pod": infer, "NodeNames": ["rbac-node-1"]})
        assert status == 200 and json.loads(body)["NodeNames"] == ["rbac-node-1"], body
        for replica in (first, second):
            log_text = replica.log_path.read_text()
            assert "forbidden" not in log_text.lower(), log_text[-2000:]
    finally:
        first.stop()
        if second:
            second.stop()


# ---- the scheduler configurations ----------------------------------------------------------

def render_scheduler_config(src, kubeconfig, quotient_url, scheduler_name=None):
    cfg = yaml.safe_load(Path(src).read_text())
    cfg["clientConnection"] = {"kubeconfig": str(kubeconfig)}
    cfg["leaderElection"] = {"leaderElect": False}
    if scheduler_name:
        cfg["profiles"] = [{"schedulerName": scheduler_name}]
    (ext,) = [e for e in cfg["extenders"] if e.get("filterVerb") == "filter"]
    for entry in cfg["extenders"]:  # the GPU entry (prioritize, bind) points to Quotient too
        if entry["urlPrefix"] == ext["urlPrefix"] and entry is not ext:
            entry["urlPrefix"] = quotient_url
    ext["urlPrefix"] = quotient_url
    return cfg


def test_the_second_scheduler_schedules_its_pods_through_quotient(cluster, kube, tmp_path):
    src = DEPLOY / "second-scheduler" / "quotient-scheduler-config.yaml"
    cfg = render_scheduler_config(src, cluster.kubeconfig, cluster.quotient_url)
    assert cfg["profiles"] == [{"schedulerName": "quotient-scheduler"}]
    scheduler = start_scheduler(cluster, tmp_path, "kube-scheduler", cfg)
    try:
        filters_before = cluster.metric("quotient_http_requests_total", route="filter",
                                        code="200")
        kube.create_nodes(1, cpu=4, memory="16Gi", prefix="second-node-")
        ns = kube.create_namespace("second")
        kube.core.create_namespaced_pod(ns, {
            "metadata": {"name": "opted-in"},
            "spec": {"schedulerName": "quotient-scheduler",
                     "containers": [{"name": "c", "image": "busybox",
                                     "resources": {"requests": {"cpu": "1"}}}]}},
            _preload_content=False)

        def bound():
            assert scheduler.alive(), f"kube-scheduler exited: {scheduler.log_tail()}"
            pod = json.loads(kube.core.read_namespaced_pod("opted-in", ns,
                                                           _preload_content=False).data)
            return pod["spec"].get("nodeName")
        assert wait_until(bound, what="quotient-scheduler to bind the pod").startswith("second-node-")
        # Filtered by Quotient; bound by quotient-scheduler itself (the pod asks for no GPU).
        assert cluster.metric("quotient_http_requests_total", route="filter",
                              code="200") >= filters_before + 1
    finally:
        scheduler.stop()


def test_the_tls_scheduler_configuration_is_valid_for_kube_scheduler(cluster, tmp_path):
    """kube-scheduler reads the TLS variant, with its files present, and starts."""
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=quotient-test", "-keyout", tmp_path / "client.key",
                    "-out", tmp_path / "client.crt"], check=True, capture_output=True)
    shutil.copy(tmp_path / "client.crt", tmp_path / "ca.crt")
    cfg = render_scheduler_config(DEPLOY / "scheduler" / "kube-scheduler-config-tls.yaml",
                                  cluster.kubeconfig, "https://127.0.0.1:1",
                                  scheduler_name="quotient-tls-check")
    called = [e for e in cfg["extenders"] if e.get("filterVerb") or e.get("bindVerb")]
    assert len(called) == 2, "the filter entry and the GPU entry"
    for ext in called:
        assert ext["enableHTTPS"] and set(ext["tlsConfig"]) == {"caFile", "certFile", "keyFile"}
        for key, name in (("caFile", "ca.crt"), ("certFile", "client.crt"),
                          ("keyFile", "client.key")):
            ext["tlsConfig"][key] = str(tmp_path / name)
    scheduler = start_scheduler(cluster, tmp_path, "kube-scheduler", cfg)
    try:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE

        def healthy():
            assert scheduler.alive(), \
                f"kube-scheduler refused the TLS configuration: {scheduler.log_tail()}"
            with urllib.request.urlopen(f"https://127.0.0.1:{scheduler.port}/healthz", context=ctx,
                                        timeout=2) as r:
                return r.status == 200
        wait_until(healthy, what="kube-scheduler with the TLS configuration to be healthy")
    finally:
        scheduler.stop()


def test_the_sidecar_layout_follows_the_schedulers_lease_with_only_its_grants(installed, rbac_api,
                                                                          cluster, tmp_path):
    """deploy/sidecar/: the API server accepts its RBAC and its static pod (as the kubelet's
    mirror pod); its grants read the scheduler's Lease and never write it; and Quotient with
    its quotient.yaml and only those grants syncs and leads once a scheduler of its hostname
    renews kube-system/kube-scheduler."""
    import kube as kube_cli  # test/cluster/kube.py
    sidecar = DEPLOY / "sidecar"
    kube_cli.apply_documents(rbac_api.api, [d for d in yaml.safe_load_all(
        (sidecar / "rbac.yaml").read_text()) if d])
    core = client.CoreV1Api(rbac_api.api)
    core.create_namespaced_pod("kube-system", yaml.safe_load(
        (sidecar / "kube-scheduler.yaml").read_text()), _preload_content=False)
    lease = ("get", "coordination.k8s.io", "leases", "", "kube-system")
    as_sidecar = {"user": SIDECAR_USER, "groups": ["system:authenticated"]}
    assert access(rbac_api, *lease, name="kube-scheduler", **as_sidecar)
    for verb in ("update", "create", "delete"):
        assert not access(rbac_api, verb, *lease[1:], name="kube-scheduler", **as_sidecar), verb
    for grant in [n for n in NEEDED if n[2] != "leases"]:
        assert access(rbac_api, *grant, **as_sidecar), grant

    quotient = QuotientProcess(cluster, tmp_path, "quotient-sidecar",
                               ["--config", str(sidecar / "quotient.yaml"),
                                "--quota-file", str(DEPLOY / "config" / "quota.yaml")],
                               kubeconfig=rbac_api.sidecar_kubeconfig)
    try:
        wait_until(quotient.synced, 60, "the sidecar Quotient to sync with its grants")
        leases = client.CoordinationV1Api(rbac_api.api)
        holder = f"{socket.gethostname()}_0f3a"  # kube-scheduler's name on this host

        def renew(body_time):
            spec = {"holderIdentity": holder, "leaseDurationSeconds": 15,
                    "renewTime": body_time.strftime("%Y-%m-%dT%H:%M:%S.%fZ")}
            try:
                old = json.loads(leases.read_namespaced_lease(
                    "kube-scheduler", "kube-system", _preload_content=False).data)
                old["spec"].update(spec)
                leases.replace_namespaced_lease("kube-scheduler", "kube-system", old,
                                                _preload_content=False)
            except client.exceptions.ApiException as e:
                assert e.status == 404, e
                leases.create_namespaced_lease("kube-system", {
                    "metadata": {"name": "kube-scheduler"}, "spec": spec},
                    _preload_content=False)

        renews = itertools.count()
        start = datetime.datetime.now(datetime.timezone.utc)

        def renewed_and_leading():  # a renew (one second later each time) every poll
            renew(start + datetime.timedelta(seconds=next(renews)))
            return quotient.metric("quotient_leader") == 1
        wait_until(renewed_and_leading, 15,
                   "the sidecar Quotient to lead beside the scheduler of its hostname")
    finally:
        quotient.stop()
