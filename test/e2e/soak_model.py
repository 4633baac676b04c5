"""The soak's quota model, computed from the API server's objects only (never from Quotient's
numbers): Kubernetes quantities, the quota trees the soak writes (valid and invalid), and a
tree's usage from a pod list (sum of the requests of bound, non-terminated pods in the
namespaces under each quota, summed up the tree).

Pure functions and plain data; thread-compatible."""

import copy
import re
from fractions import Fraction

import yaml

CPU = "cpu"
GPU = "nvidia.com/gpu"

# Namespaces the soak owns, by the leaf that holds them.
NAMESPACES = {"a1": "soak-a1", "a2": "soak-a2", "b1": "soak-b1", "b2": "soak-b2",
              "gpu": "soak-gpu"}
# Pods here are on no leaf: unquoted (Quotient's default `unquotedNamespaces: allow`).
HOSTILE_NAMESPACE = "soak-hostile"
TREE_NAME = "elasticquotatree"

_SUFFIX = {"": 1, "m": Fraction(1, 1000), "k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12,
           "P": 10**15, "E": 10**18, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40,
           "Pi": 2**50, "Ei": 2**60}
_QUANTITY = re.compile(r"^([+-]?[0-9.]+)(?:([eE][+-]?[0-9]+)|(Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E)?)$")


def quantity(text):
    """A Kubernetes quantity ("500m", "2", "64Gi", "1e3") as an exact Fraction."""
    m = _QUANTITY.match(str(text).strip())
    if not m:
        raise ValueError(f"not a quantity: {text!r}")
    number = Fraction(m.group(1))
    if m.group(2):
        return number * Fraction(10) ** int(m.group(2)[1:])
    return number * _SUFFIX[m.group(3) or ""]


def pod_requests(pod):
    """resource -> Fraction: the sum of the pod's containers' requests (the soak's pods have
    no init containers and no overhead)."""
    total = {}
    for c in pod["spec"].get("containers", []):
        for name, q in ((c.get("resources") or {}).get("requests") or {}).items():
            total[name] = total.get(name, 0) + quantity(q)
    return total


def is_bound(pod):
    """Bound to a node and holding it: not terminating, not finished."""
    return (bool(pod["spec"].get("nodeName")) and not pod["metadata"].get("deletionTimestamp")
            and pod.get("status", {}).get("phase") not in ("Succeeded", "Failed"))


# ---- trees --------------------------------------------------------------------------------

def base_spec():
    """The soak's tree (spec.root). Scenario 1's shape over 2-core pods plus a GPU leaf:
    root.a and root.b may each borrow up to the whole of root's 48 cores, and a leaf below
    its min of 10 takes cores back from the other side (reclaim)."""
    def leaf(name, ns, mn, mx):
        return {"name": name, "namespaces": [ns], "min": mn, "max": mx}
    return {"name": "root", "min": {CPU: "48"}, "max": {CPU: "48"}, "children": [
        {"name": "root.a", "min": {CPU: "20"}, "max": {CPU: "40"}, "children": [
            leaf("root.a.1", NAMESPACES["a1"], {CPU: "10"}, {CPU: "20"}),
            leaf("root.a.2", NAMESPACES["a2"], {CPU: "10"}, {CPU: "20"})]},
        {"name": "root.b", "min": {CPU: "20"}, "max": {CPU: "40"}, "children": [
            leaf("root.b.1", NAMESPACES["b1"], {CPU: "10"}, {CPU: "20"}),
            leaf("root.b.2", NAMESPACES["b2"], {CPU: "10"}, {CPU: "20"})]},
        leaf("root.gpu", NAMESPACES["gpu"], {CPU: "0"}, {CPU: "6", GPU: "3"}),
    ]}


def _find(spec, name):
    if spec["name"] == name:
        return spec
    for child in spec.get("children", []):
        found = _find(child, name)
        if found:
            return found
    return None


def valid_variant(n):
    """The n-th valid edit: odd edits raise root.a.1 to 24 cores and root.gpu to 4 GPUs, even
    ones put them back (a max lowered under what runs: nothing is evicted, nothing new is
    admitted until usage drops under it)."""
    spec = base_spec()
    if n % 2 == 1:
        _find(spec, "root.a.1")["max"][CPU] = "24"
        _find(spec, "root.gpu")["max"][GPU] = "4"
    return spec


INVALID_KINDS = ("min_over_max", "namespace_twice", "yaml_syntax")


def invalid_variant(kind):
    """An edit Quotient must refuse, keeping the last good tree. Each is more permissive than
    every valid tree (root.a.1 and root.a may take 40 cores, root.gpu 8 GPUs), so a refused
    edit that was applied anyway shows up as an over-commit against the tree in force.
    Returns a spec dict, or for "yaml_syntax" the broken text of a whole file."""
    spec = base_spec()
    _find(spec, "root.a.1")["max"][CPU] = "40"
    _find(spec, "root.gpu")["max"][GPU] = "8"
    if kind == "min_over_max":
        _find(spec, "root.b.2")["min"][CPU] = "30"  # min 30 > max 20, and over root.b's min
    elif kind == "namespace_twice":
        _find(spec, "root.b.2")["namespaces"].append(NAMESPACES["a1"])
    elif kind == "yaml_syntax":
        return manifest_text(spec).replace("spec:", "spec: {root: [", 1)
    else:
        raise ValueError(kind)
    return spec


def manifest(spec):
    """The ElasticQuotaTree object of `spec` (also what the quota file holds)."""
    return {"apiVersion": "scheduling.sigs.k8s.io/v1beta1", "kind": "ElasticQuotaTree",
            "metadata": {"name": TREE_NAME, "namespace": "kube-system"},
            "spec": {"root": copy.deepcopy(spec)}}


def manifest_text(spec_or_text):
    if isinstance(spec_or_text, str):
        return spec_or_text
    return yaml.safe_dump(manifest(spec_or_text), sort_keys=False)


class Tree:
    """A compiled view of a (valid) spec: per quota its namespaces (its subtree's) and max."""

    def __init__(self, spec):
        self.max = {}  # quota -> {resource: Fraction}
        self.namespaces = {}  # quota -> set of namespaces under it
        self.resources = set()
        self._walk(spec)

    def _walk(self, node):
        name = node["name"]
        self.max[name] = {r: quantity(q) for r, q in (node.get("max") or {}).items()}
        self.resources |= set(self.max[name]) | set(node.get("min") or {})
        namespaces = set(node.get("namespaces") or [])
        for child in node.get("children", []):
            namespaces |= self._walk(child)
        self.namespaces[name] = namespaces
        return namespaces

    def usage(self, pods):
        """quota -> {resource: Fraction}: the requests of the bound pods under each quota,
        for the resources the tree names."""
        by_ns = {}
        for p in pods:
            if not is_bound(p):
                continue
            acc = by_ns.setdefault(p["metadata"]["namespace"], {})
            for r, q in pod_requests(p).items():
                if r in self.resources:
                    acc[r] = acc.get(r, 0) + q
        out = {}
        for quota, namespaces in self.namespaces.items():
            total = {r: Fraction(0) for r in self.resources}
            for ns in namespaces:
                for r, q in by_ns.get(ns, {}).items():
                    total[r] += q
            out[quota] = total
        return out


def quotient_view(debug_quota):
    """quota -> {resource: Fraction} of `used`, from the body of Quotient's /debug/quota."""
    return {q["name"]: {r: quantity(v["used"]) for r, v in q["resources"].items()}
            for q in debug_quota["quotas"]}


def quotient_max(debug_quota, quota, resource):
    for q in debug_quota["quotas"]:
        if q["name"] == quota:
            v = q["resources"].get(resource, {}).get("max")
            return None if v is None else quantity(v)
    return None
