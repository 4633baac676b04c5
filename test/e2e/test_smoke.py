"""A Deployment on a real control plane is scheduled through Quotient: kube-scheduler calls
its filter webhook and, as the pods ask for no GPU, binds them itself."""

from harness import wait_until


def test_a_deployment_of_three_replicas_is_filtered_by_quotient(cluster, kube):
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
    # Pods without GPUs: kube-scheduler binds them itself (Quotient's bind entry lists the
    # GPU resources under managedResources), holding their quota from filter to the watch.
    # (Another test's GPU pod may still bind meanwhile: not three.)
    assert cluster.metric("quotient_http_requests_total", route="bind",
                          code="200") < binds_before + 3
    # The fake kubelet starts bound pods, as a kubelet would.
    wait_until(lambda: all(p["status"].get("phase") == "Running" for p in kube.pods(ns)),
               what="the pods to be Running")
