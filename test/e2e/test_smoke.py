"""A Deployment on a real control plane is scheduled through Quotient: kube-scheduler calls
its filter and prioritize webhooks and Quotient binds the pods."""

import yaml

from harness import wait_until


def test_a_deployment_of_three_replicas_is_bound_through_quotient(cluster, kube):
    binds_before = cluster.metric("quotient_http_requests_total", route="bind", code="200")
    filters_before = cluster.metric("quotient_http_requests_total", route="filter", code="200")
    kube.create_nodes(4, cpu=4, memory="16Gi", prefix="smoke-node-")
    ns = kube.create_namespace("smoke")

    kube.create_deployment(ns, "web", replicas=3, cpu=1, memory="1Gi")

    kube.wait_for_pods(ns, bound=3, pending=0)
    pods = kube.pods(ns)
    assert all(p["spec"]["nodeName"].startswith("smoke-node-") for p in pods)
    assert cluster.metric("quotient_http_requests_total", route="filter",
                          code="200") >= filters_before + 3
    extender = yaml.safe_load(cluster.scheduler_config())["extenders"][0]
    if "bindVerb" in extender:  # QUOTIENT_EXTENDER_BIND=0 leaves binding to the scheduler
        assert cluster.metric("quotient_http_requests_total", route="bind",
                              code="200") >= binds_before + 3
    # The fake kubelet starts bound pods, as a kubelet would.
    wait_until(lambda: all(p["status"].get("phase") == "Running" for p in kube.pods(ns)),
               what="the pods to be Running")
