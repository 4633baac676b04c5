# Generates grafana-dashboard.json (importable into Grafana 10+; Prometheus data source chosen
# at import):  python3 deploy/monitoring/make_dashboard.py > deploy/monitoring/grafana-dashboard.json
# test/monitoring checks that every query names a metric Quotient exports (docs/metrics.md).
import json
panels = []
pid = [0]
y = [0]
def nid():
    pid[0] += 1
    return pid[0]
def row(title):
    panels.append({"type": "row", "title": title, "id": nid(), "collapsed": False,
                   "gridPos": {"h": 1, "w": 24, "x": 0, "y": y[0]}, "panels": []})
    y[0] += 1
x = [0]
def panel(kind, title, targets, w=8, h=8, unit=None, desc=None, extra=None):
    if x[0] + w > 24:
        x[0] = 0
        y[0] += h
    p = {"type": kind, "title": title, "id": nid(),
         "datasource": {"type": "prometheus", "uid": "${datasource}"},
         "gridPos": {"h": h, "w": w, "x": x[0], "y": y[0]},
         "targets": [dict(t, refId=chr(65 + i), datasource={"type": "prometheus", "uid": "${datasource}"})
                     for i, t in enumerate(targets)],
         "fieldConfig": {"defaults": {}, "overrides": []}, "options": {}}
    if unit: p["fieldConfig"]["defaults"]["unit"] = unit
    if desc: p["description"] = desc
    if extra: p.update(extra)
    panels.append(p)
    x[0] += w
def newrow(title):
    if x[0] != 0:
        y[0] += 8
        x[0] = 0
    row(title)
def t(expr, legend="", instant=False, fmt=None):
    d = {"expr": expr, "legendFormat": legend}
    if instant: d["instant"] = True; d["range"] = False
    if fmt: d["format"] = fmt
    return d

GPU = 'resource=~"nvidia.com/gpu|nvidia.com/mig-.*"'
newrow("Cluster")
panel("stat", "Nodes in Quotient's cache", [t('sum(quotient_cluster_objects{kind="nodes"})', instant=True)], w=4, h=4)
panel("stat", "Pods bound", [t('sum(quotient_cluster_objects{kind="bound_pods"})', instant=True)], w=4, h=4)
panel("stat", "GPUs allocated (root quota)", [t(f'sum(quotient_quota_used{{quota="root",{GPU}}})', instant=True)], w=4, h=4,
      desc="GPU devices and MIG partitions requested by bound pods, as the root of the quota tree counts them.")
panel("stat", "GPUs in the quota tree (root max)", [t(f'sum(quotient_quota_max{{quota="root",{GPU}}})', instant=True)], w=4, h=4)
panel("gauge", "GPU allocation (root used / max)", [t(f'sum(quotient_quota_used{{quota="root",{GPU}}}) / sum(quotient_quota_max{{quota="root",{GPU}}})', instant=True)], w=4, h=4, unit="percentunit")
panel("stat", "Quotient version", [t('quotient_build_info', legend="{{version}} ({{commit}})", instant=True)], w=4, h=4,
      extra={"options": {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False}, "textMode": "name"}})
x[0] = 0; y[0] += 4
panel("timeseries", "Cluster use by resource (root quota: used + reserved)",
      [t('sum by (resource) (quotient_quota_used{quota="root"}) + sum by (resource) (quotient_quota_reserved{quota="root"})', "{{resource}}")],
      w=12, desc="cpu in cores, memory in bytes, devices in units; reserved = admitted, not yet bound.")
panel("timeseries", "Pods in the cache", [t('quotient_cluster_objects', "{{kind}}")], w=12)

newrow("GPUs: cluster")
panel("stat", "GPU nodes", [t('quotient_gpu_cluster_nodes{state="total"}', instant=True)], w=4, h=4)
panel("stat", "GPU nodes allocated", [t('quotient_gpu_cluster_nodes{state="allocated"}', instant=True)], w=4, h=4)
panel("stat", "GPU nodes unhealthy", [t('quotient_gpu_cluster_nodes{state="unhealthy"}', instant=True)], w=4, h=4,
      desc="Some GPU withdrawn by the device plugin or marked unhealthy.")
panel("stat", "GPUs allocated / total", [t('quotient_gpu_cluster_gpus{state="allocated"}', "allocated", instant=True),
                                         t('quotient_gpu_cluster_gpus{state="total"}', "total", instant=True)], w=4, h=4)
panel("stat", "GPUs unhealthy", [t('quotient_gpu_cluster_gpus{state="unhealthy"}', instant=True)], w=4, h=4)
panel("gauge", "GPU memory allocated", [t('quotient_gpu_cluster_memory_bytes{state="allocated"} / quotient_gpu_cluster_memory_bytes{state="total"}', instant=True)],
      w=4, h=4, unit="percentunit")
x[0] = 0; y[0] += 4
panel("timeseries", "GPUs allocated, total, unhealthy", [t('quotient_gpu_cluster_gpus', "{{state}}")], w=12)
panel("timeseries", "GPU memory allocated and total", [t('quotient_gpu_cluster_memory_bytes', "{{state}}")], w=12, unit="bytes")

newrow("GPUs: nodes")
panel("table", "Per node: mode, GPUs, GPU memory",
      [t('sum by (node, model, mode) (quotient_gpu_node_gpus)', instant=True, fmt="table"),
       t('sum by (node) (quotient_gpu_node_gpus_allocated)', instant=True, fmt="table"),
       t('sum by (node) (quotient_gpu_node_memory_bytes)', instant=True, fmt="table"),
       t('sum by (node) (quotient_gpu_node_memory_allocated_bytes)', instant=True, fmt="table")],
      w=24, h=10, desc="mode: exclusive, shared (gpushare), mig, mig-dynamic, unhealthy.",
      extra={"transformations": [{"id": "merge", "options": {}},
                                 {"id": "organize", "options": {"excludeByName": {"Time": True},
                                  "renameByName": {"Value #A": "GPUs", "Value #B": "GPUs allocated",
                                                   "Value #C": "GPU memory", "Value #D": "GPU memory allocated"}}}]})
panel("timeseries", "GPUs allocated per node", [t('quotient_gpu_node_gpus_allocated', "{{node}}")], w=12)
panel("timeseries", "MIG slices used per node", [t('quotient_gpu_node_mig_slices{state="used"} / on (node) quotient_gpu_node_mig_slices{state="total"}', "{{node}}")],
      w=12, unit="percentunit")

newrow("Quotas")
panel("table", "Quota min, max, used, reserved ($resource)",
      [t('sum by (quota) (quotient_quota_min{resource="$resource"})', "min", instant=True, fmt="table"),
       t('sum by (quota) (quotient_quota_max{resource="$resource"})', "max", instant=True, fmt="table"),
       t('sum by (quota) (quotient_quota_used{resource="$resource"})', "used", instant=True, fmt="table"),
       t('sum by (quota) (quotient_quota_reserved{resource="$resource"})', "reserved", instant=True, fmt="table")],
      w=12, h=10, desc="max is absent when unlimited. Borrowing: used above min. At max: used + reserved = max.",
      extra={"transformations": [{"id": "merge", "options": {}},
                                 {"id": "organize", "options": {"excludeByName": {"Time": True},
                                  "renameByName": {"Value #A": "min", "Value #B": "max", "Value #C": "used", "Value #D": "reserved"}}}]})
panel("table", "Namespaces per quota", [t('quotient_quota_namespace_info', instant=True, fmt="table")], w=12, h=10,
      extra={"transformations": [{"id": "organize", "options": {"excludeByName": {"Time": True, "Value": True, "__name__": True, "instance": True, "job": True}}}]})
panel("timeseries", "$quota: $resource used against min and max",
      [t('quotient_quota_used{quota=~"$quota",resource="$resource"}', "used {{quota}}"),
       t('quotient_quota_reserved{quota=~"$quota",resource="$resource"}', "reserved {{quota}}"),
       t('quotient_quota_min{quota=~"$quota",resource="$resource"}', "min {{quota}}"),
       t('quotient_quota_max{quota=~"$quota",resource="$resource"}', "max {{quota}}")], w=12, h=9)
panel("timeseries", "Quota use against max ($resource)",
      [t('quotient_quota_used{resource="$resource"} / on (quota, resource) quotient_quota_max{resource="$resource"}', "{{quota}}")],
      w=12, h=9, unit="percentunit")
panel("timeseries", "Admissions by quota and outcome",
      [t('sum by (quota, result, reason) (rate(quotient_quota_admissions_total{quota=~"$quota"}[5m]))', "{{quota}} {{result}} {{reason}}")],
      w=12, h=8, unit="ops")
panel("timeseries", "Pods evicted to give a quota its min back",
      [t('sum by (quota) (increase(quotient_quota_evictions_total[10m]))', "{{quota}}")], w=12, h=8)

newrow("Reclaim")
panel("timeseries", "Reclaims by event and reason", [t('sum by (event, reason) (increase(quotient_reclaims_total[10m]))', "{{event}} {{reason}}")], w=8,
      desc="started: victims chosen for a quota below its min; completed: the reclaiming pod bound; aborted: pod gone, deadline, disruption budget, API error.")
panel("timeseries", "Reclaim evictions by victim quota and result", [t('sum by (quota, result) (increase(quotient_reclaim_evictions_total[10m]))', "{{quota}} {{result}}")], w=8)
panel("timeseries", "Reclaims in flight and p90 time to bind",
      [t('quotient_reclaims_in_flight', "in flight"),
       t('histogram_quantile(0.9, sum by (le) (rate(quotient_reclaim_duration_seconds_bucket[30m])))', "p90 seconds to bind")], w=8)

newrow("Decisions")
panel("timeseries", "Decisions by verb and result", [t('sum by (verb, result) (rate(quotient_decisions_total[5m]))', "{{verb}} {{result}}")], w=12, unit="ops")
panel("timeseries", "Refusals and errors by reason",
      [t('sum by (verb, reason) (rate(quotient_decisions_total{result=~"rejected|error"}[5m]))', "{{verb}} {{reason}}")], w=12, unit="ops",
      desc="quota_max: a quota on the pod's path is full; node_fit/node_pool: no candidate node; not_synced: Quotient starting; api_*: binding failed.")
panel("timeseries", "Requests refused before any decision", [t('sum by (reason) (rate(quotient_http_rejected_requests_total[5m]))', "{{reason}}")], w=12, unit="ops")
panel("timeseries", "Refused pods asked to retry", [t('sum by (trigger, result) (increase(quotient_requeue_nudges_total[10m]))', "{{trigger}} {{result}}")], w=12)

newrow("Webhook latency")
for q in ("0.5", "0.99"):
    panel("timeseries", f"p{int(float(q)*100)} server-side latency per webhook",
          [t(f'histogram_quantile({q}, sum by (route, le) (rate(quotient_http_request_duration_seconds_bucket{{route=~"filter|prioritize|preempt|bind"}}[5m])))', "{{route}}")],
          w=8, unit="s")
panel("timeseries", "Requests per second by route and code",
      [t('sum by (route, code) (rate(quotient_http_requests_total[5m]))', "{{route}} {{code}}")], w=8, unit="reqps")
panel("timeseries", "In flight and open connections",
      [t('quotient_http_requests_in_flight', "in flight"), t('quotient_http_open_connections', "connections")], w=12)
panel("timeseries", "Mean latency per webhook",
      [t('sum by (route) (rate(quotient_http_request_duration_seconds_sum{route=~"filter|prioritize|preempt|bind"}[5m])) / sum by (route) (rate(quotient_http_request_duration_seconds_count{route=~"filter|prioritize|preempt|bind"}[5m]))', "{{route}}")],
      w=12, unit="s")

newrow("API connection and configuration")
panel("timeseries", "Watch connected (1) per resource", [t('quotient_watch_connected', "{{resource}}")], w=8)
panel("timeseries", "Seconds since the last watch event", [t('quotient_watch_last_event_age_seconds', "{{resource}}")], w=8, unit="s",
      desc="Bookmarks arrive about every minute on a healthy watch.")
panel("timeseries", "Relists, restarts, failures", [
    t('sum by (resource) (increase(quotient_watch_relists_gone_total[10m]))', "410 relists {{resource}}"),
    t('sum by (resource) (increase(quotient_watch_relists_out_of_memory_total[10m]))', "out-of-memory relists {{resource}}"),
    t('sum by (resource) (increase(quotient_watch_failures_total[10m]))', "failures {{resource}}"),
    t('sum by (resource) (increase(quotient_watch_skipped_objects_total[10m]))', "skipped {{resource}}")], w=8)
panel("stat", "Last quota reload succeeded", [t('quotient_config_last_reload_successful', "{{source}}", instant=True)], w=8, h=4)
panel("stat", "Since the last good quota load", [t('time() - quotient_config_last_reload_success_timestamp_seconds', "{{source}}", instant=True)], w=8, h=4, unit="s")
panel("timeseries", "Quota reloads", [t('sum by (source, result) (increase(quotient_config_reloads_total[10m]))', "{{source}} {{result}}")], w=8, h=4)

dash = {
    "title": "Quotient", "uid": "quotient", "schemaVersion": 39, "version": 1, "editable": True,
    "description": "Quotient, the kube-scheduler extender for shared GPU clusters: cluster and quota use, decisions, latency, health. Metrics: docs/metrics.md.",
    "tags": ["quotient", "kubernetes", "scheduler"], "time": {"from": "now-6h", "to": "now"}, "refresh": "30s",
    "timezone": "", "graphTooltip": 1, "annotations": {"list": []}, "links": [],
    "templating": {"list": [
        {"name": "datasource", "type": "datasource", "query": "prometheus", "label": "Prometheus", "current": {}},
        {"name": "resource", "type": "query", "label": "resource", "datasource": {"type": "prometheus", "uid": "${datasource}"},
         "query": {"query": "label_values(quotient_quota_min, resource)", "refId": "resource"},
         "definition": "label_values(quotient_quota_min, resource)", "refresh": 2, "current": {"text": "cpu", "value": "cpu"}},
        {"name": "quota", "type": "query", "label": "quota", "datasource": {"type": "prometheus", "uid": "${datasource}"},
         "query": {"query": "label_values(quotient_quota_min, quota)", "refId": "quota"},
         "definition": "label_values(quotient_quota_min, quota)", "refresh": 2, "multi": True, "includeAll": True,
         "current": {"text": "All", "value": "$__all"}},
    ]},
    "panels": panels,
}
print(json.dumps(dash, indent=2))
