#!/usr/bin/env bash
# A real Kubernetes control plane on 127.0.0.1 with Quotient as kube-scheduler's extender:
# etcd, kube-apiserver, kube-controller-manager (Deployments, ReplicaSets, Jobs, garbage
# collection, namespaces; no node lifecycle), kube-scheduler configured with
# deploy/scheduler/kube-scheduler-config.yaml, Quotient, and a fake kubelet. Nodes are fake
# (nodes.py): Node objects with capacity, and no kubelet.
#
#   cluster.sh up                 start everything (binaries from build-k8s.sh and ./dev.sh build)
#   cluster.sh down               stop everything; safe to repeat
#   cluster.sh env                print `export KUBECONFIG=... QUOTIENT_URL=...` for eval
#   cluster.sh status             each component: pid, address, health
#   cluster.sh logs [NAME]        the last lines of every log, or all of NAME's
#   cluster.sh restart NAME       stop and start one component (restart-quotient,
#                                 restart-apiserver are shorthands); stop NAME, start NAME;
#                                 kill NAME (SIGKILL, as a crash)
#   cluster.sh add-nodes ARGS     fake nodes: nodes.py add ARGS (e.g. --count 4 --cpu 10)
#   cluster.sh apply FILE...      server-side apply manifests (kube.py apply)
#   cluster.sh pods|nodes|events  what runs where, and why pods wait (kube.py)
#
# Components: etcd kube-apiserver kube-controller-manager quotient kube-scheduler fake-kubelet.
# State, logs (logs/NAME.log) and pids live in $QUOTIENT_CLUSTER_DIR (default .cache/cluster).
# Settings read at `up` (and by `restart quotient`):
#   QUOTIENT_BIN               Quotient binary (default build/extender/quotient)
#   QUOTIENT_QUOTA_FILE        passed as --quota-file
#   QUOTIENT_ARGS              more `quotient serve` flags
#   QUOTIENT_SCHEDULER_CONFIG  template (default deploy/scheduler/kube-scheduler-config.yaml)
#   QUOTIENT_EXTENDER_BIND=0   drop bindVerb: the scheduler binds, not Quotient
#   QUOTIENT_SCHEDULER_ARGS    more kube-scheduler flags
#   QUOTIENT_K8S_BIN           etcd and kube-* binaries (default $QUOTIENT_K8S_DIR/bin, and
#                              that .cache/k8s, or .cache/k8s-$QUOTIENT_K8S_VERSION when
#                              set: where build-k8s.sh puts them)
#   QUOTIENT_PYTHON            Python with the `kubernetes` package (default .cache/venv/bin/python)
#   QUOTIENT_CLUSTER_TIMEOUT   seconds to wait for each component (default 60)
#   QUOTIENT_AUDIT=1           kube-apiserver writes an audit log (logs/audit.log, JSON lines):
#                              every write (create, update, patch, delete) at Metadata level,
#                              with its user agent, verb, object and response code; no reads
#   QUOTIENT_FEATURE_GATES     more --feature-gates of kube-apiserver, kube-controller-manager
#                              and kube-scheduler (NAME=true,...; they override FEATURE_GATES)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
STATE=$(realpath -m "${QUOTIENT_CLUSTER_DIR:-$ROOT/.cache/cluster}")
K8S_BIN=${QUOTIENT_K8S_BIN:-${QUOTIENT_K8S_DIR:-$ROOT/.cache/k8s${QUOTIENT_K8S_VERSION:+-$QUOTIENT_K8S_VERSION}}/bin}
PY=${QUOTIENT_PYTHON:-$ROOT/.cache/venv/bin/python}
TIMEOUT_S=${QUOTIENT_CLUSTER_TIMEOUT:-60}
# Feature gates, the same for kube-apiserver, kube-controller-manager and kube-scheduler.
# DRA itself (resource.k8s.io/v1, DynamicResourceAllocation) is GA and locked on in 1.36 and
# 1.37, and test_dra.py needs nothing more. The beta gates whose fields Quotient's DRA
# charging reads (docs/dra.md) are pinned on, because a gate turned off makes the API server
# drop its fields without an error:
#   DRAPartitionableDevices  beta, on by default since 1.36: sharedCounters, consumesCounters
#                            (dra.deviceClasses mode `counter`, NVIDIA's DynamicMIG)
#   DRAConsumableCapacity    beta, on by default since 1.36: allowMultipleAllocations,
#                            capacity requests, consumedCapacity (mode `capacity`)
# Not set: DRAExtendedResource (KEP-5004, DeviceClass extendedResourceName) is GA and locked
# on in 1.37 (beta, on in 1.36); setting a locked gate only logs a warning, and will fail
# once the gate is removed (1.40). DRAWorkloadResourceClaims (beta) stays off, as upstream.
FEATURE_GATES=DRAPartitionableDevices=true,DRAConsumableCapacity=true
FEATURE_GATES+=${QUOTIENT_FEATURE_GATES:+,$QUOTIENT_FEATURE_GATES}
COMPONENTS=(etcd kube-apiserver kube-controller-manager quotient kube-scheduler fake-kubelet)
CRD=$ROOT/deploy/crds/elasticquotatree.yaml

say() { echo "cluster.sh: $*" >&2; }
die() { say "$*"; exit 1; }

# ---- processes ----------------------------------------------------------------------------

# running PID: the process exists and is not a zombie (an exited process whose parent, not
# this script when another invocation started it, has not reaped it yet).
running() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [ "${stat%% *}" != Z ]
}

pid_of() { cat "$STATE/pids/$1" 2>/dev/null || true; }

# alive NAME: the recorded pid still runs the command we started (not a recycled pid).
alive() {
  local pid
  pid=$(pid_of "$1")
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] &&
    [ "$(head -z -n1 "/proc/$pid/cmdline" | tr -d '\0')" = "$(head -n1 "$STATE/cmd/$1")" ]
}

# start NAME: runs the argv saved by save_cmd in its own session, in the background, logging
# to logs/NAME.log. It outlives this script; `down` stops it.
start() {
  local name=$1 argv=()
  mapfile -t argv <"$STATE/cmd/$name"
  echo "---- $(date '+%F %T') start" >>"$STATE/logs/$name.log"
  setsid "${argv[@]}" </dev/null >>"$STATE/logs/$name.log" 2>&1 &
  local pid=$! i
  echo $pid >"$STATE/pids/$name"
  # Until the forked shell has exec'd the command, its cmdline is this script's.
  for ((i = 0; i < 100; i++)); do
    alive "$name" || ! running $pid && break
    sleep 0.02
  done
}

save_cmd() { local name=$1; shift; printf '%s\n' "$@" >"$STATE/cmd/$name"; }

# stop NAME...: SIGTERM; a second SIGTERM after 2 s (a Kubernetes component exits at once on
# the second signal: kube-apiserver can take more than 15 s to stop gracefully); SIGKILL
# after 10 s.
stop() {
  local name pids=() pid i
  for name in "$@"; do
    if alive "$name"; then
      pid=$(pid_of "$name")
      kill -TERM "$pid" 2>/dev/null || true
      pids+=("$pid")
    fi
    rm -f "$STATE/pids/$name"
  done
  for ((i = 1; i <= 100; i++)); do
    local left=()
    for pid in "${pids[@]}"; do running "$pid" && left+=("$pid"); done
    [ ${#left[@]} -eq 0 ] && return 0
    pids=("${left[@]}")
    [ $i -ne 20 ] || kill -TERM "${pids[@]}" 2>/dev/null || true
    sleep 0.1
  done
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  wait_gone "${pids[@]}"
}

# kill NAME: SIGKILL, as a crash.
kill_now() {
  local pid
  if alive "$1"; then
    pid=$(pid_of "$1")
    kill -KILL "$pid" 2>/dev/null || true
    wait_gone "$pid"
  fi
  rm -f "$STATE/pids/$1"
}

wait_gone() { # PID...: until they have exited (their ports are free), at most 2 s
  local pid i
  for pid in "$@"; do
    for ((i = 0; i < 100; i++)); do running "$pid" || break; sleep 0.02; done
  done
}

fail_start() {
  local name=$1 why=$2
  say "$name $why. Last lines of $STATE/logs/$name.log:"
  tail -n 30 "$STATE/logs/$name.log" | sed 's/^/    /' >&2
  say "stopping the cluster"
  stop_all
  exit 1
}

# wait_ready NAME CHECK...: polls CHECK (a command) until it succeeds, NAME exits, or the
# timeout passes.
wait_ready() {
  local name=$1; shift
  local deadline=$((SECONDS + TIMEOUT_S))
  until "$@" >/dev/null 2>&1; do
    alive "$name" || fail_start "$name" "exited during start-up"
    [ $SECONDS -lt $deadline ] || fail_start "$name" "was not ready after $TIMEOUT_S s"
    sleep 0.2
  done
}

# ---- health checks ------------------------------------------------------------------------

http_ok() { curl -sf --max-time 2 -o /dev/null "$1"; }
https_ok() { curl -sfk --max-time 2 -o /dev/null "$1"; }
apiserver_ok() {
  curl -sf --max-time 2 -o /dev/null --cacert "$STATE/certs/apiserver.crt" \
    -H "Authorization: Bearer $(cat "$STATE/token")" "https://127.0.0.1:$API_PORT/readyz"
}
etcd_ok() { curl -sf --max-time 2 "http://127.0.0.1:$ETCD_PORT/health" | grep -q '"health":"true"'; }
kcm_ok() { https_ok "https://127.0.0.1:$KCM_PORT/healthz"; }
scheduler_ok() { https_ok "https://127.0.0.1:$SCHED_PORT/readyz"; }
# Ready, or synced but waiting for its ElasticQuotaTree object (quota.source: kubernetes
# before one is created: Quotient admits nothing until then, and the caller creates it).
quotient_ok() {
  local body
  body=$(curl -s --max-time 2 "http://127.0.0.1:$QUOTIENT_METRICS_PORT/readyz") || return 1
  case $body in
    ok*|"not ready: waiting for a usable ElasticQuotaTree"*) return 0 ;;
    *) return 1 ;;
  esac
}
kubelet_ok() { [ -e "$STATE/fake-kubelet.ready" ]; }

health() {
  case $1 in
    etcd) etcd_ok ;;
    kube-apiserver) apiserver_ok ;;
    kube-controller-manager) kcm_ok ;;
    kube-scheduler) scheduler_ok ;;
    quotient) quotient_ok ;;
    fake-kubelet) kubelet_ok ;;
  esac
}

# ---- configuration ------------------------------------------------------------------------

free_ports() { # N free loopback ports, chosen together so that they differ
  python3 - "$1" <<'EOF'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
EOF
}

load_env() {
  [ -f "$STATE/cluster.env" ] || die "no cluster in $STATE (run: $0 up)"
  # shellcheck source=/dev/null
  . "$STATE/cluster.env"
}

write_kubeconfig() {
  cat >"$STATE/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: quotient-test
  cluster:
    server: https://127.0.0.1:$API_PORT
    certificate-authority: $STATE/certs/apiserver.crt
users:
- name: admin
  user:
    token: $(cat "$STATE/token")
contexts:
- name: quotient-test
  context: {cluster: quotient-test, user: admin}
current-context: quotient-test
EOF
}

# The operator's scheduler configuration with this cluster's kubeconfig, Quotient's port and
# no leader election.
render_scheduler_config() {
  "$PY" - "$SCHEDULER_TEMPLATE" "$STATE/kube-scheduler-config.yaml" "$STATE/kubeconfig" \
    "$QUOTIENT_PORT" "${QUOTIENT_EXTENDER_BIND:-1}" <<'EOF'
import sys, urllib.parse, yaml
src, dst, kubeconfig, port, bind = sys.argv[1:]
with open(src) as f:
    cfg = yaml.safe_load(f)
cfg.setdefault("clientConnection", {})["kubeconfig"] = kubeconfig
cfg.setdefault("leaderElection", {})["leaderElect"] = False
quotient = [e for e in cfg.get("extenders", []) if e.get("filterVerb") == "filter"]
if len(quotient) != 1:
    sys.exit(f"{src}: expected one extender with filterVerb: filter (Quotient)")
# Every entry that points where the filter entry points is Quotient (the prioritize/bind
# entry for GPU pods, the entry of resources kube-scheduler must ignore).
prefix = quotient[0]["urlPrefix"]
for entry in cfg["extenders"]:
    if entry.get("urlPrefix") == prefix:
        url = urllib.parse.urlsplit(prefix)
        entry["urlPrefix"] = url._replace(netloc=f"127.0.0.1:{port}").geturl()
        if bind == "0":
            entry.pop("bindVerb", None)
with open(dst, "w") as f:
    f.write(f"# Rendered by test/cluster/cluster.sh from {src}\n")
    yaml.safe_dump(cfg, f, sort_keys=False)
EOF
}

save_quotient_cmd() {
  local bin=${QUOTIENT_BIN:-$ROOT/build/extender/quotient} args=()
  [ -x "$bin" ] || die "no Quotient binary at $bin (build it: ./dev.sh build)"
  args=("$bin" serve --listen "127.0.0.1:$QUOTIENT_PORT"
    --metrics-listen "127.0.0.1:$QUOTIENT_METRICS_PORT")
  if "$bin" serve --help 2>&1 | grep -q -- '--kubeconfig'; then
    args+=(--kubeconfig "$STATE/kubeconfig")
  else
    say "note: $bin has no --kubeconfig flag yet; Quotient runs without the API"
  fi
  [ -z "${QUOTIENT_QUOTA_FILE:-}" ] || args+=(--quota-file "$(realpath "$QUOTIENT_QUOTA_FILE")")
  # shellcheck disable=SC2206 # word splitting of the extra flags is intended
  [ -z "${QUOTIENT_ARGS:-}" ] || args+=($QUOTIENT_ARGS)
  save_cmd quotient "${args[@]}"
}

# The audit policy of QUOTIENT_AUDIT=1: writes only, without bodies.
write_audit_policy() {
  cat >"$STATE/audit-policy.yaml" <<'EOF'
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
- level: Metadata
  verbs: [create, update, patch, delete, deletecollection]
- level: None
EOF
}

save_commands() {
  local audit_args=()
  if [ "${QUOTIENT_AUDIT:-0}" = 1 ]; then
    write_audit_policy
    audit_args=(--audit-policy-file="$STATE/audit-policy.yaml"
      --audit-log-path="$STATE/logs/audit.log" --audit-log-format=json --audit-log-mode=blocking)
  fi
  save_cmd etcd "$K8S_BIN/etcd" --name=quotient-test --data-dir="$STATE/etcd" \
    --listen-client-urls="http://127.0.0.1:$ETCD_PORT" \
    --advertise-client-urls="http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-advertise-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster="quotient-test=http://127.0.0.1:$ETCD_PEER_PORT" \
    --unsafe-no-fsync --log-level=warn

  save_cmd kube-apiserver "$K8S_BIN/kube-apiserver" \
    --etcd-servers="http://127.0.0.1:$ETCD_PORT" \
    --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$API_PORT" \
    --cert-dir="$STATE/certs" \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-account-key-file="$STATE/sa.pub" \
    --service-account-signing-key-file="$STATE/sa.key" \
    --service-cluster-ip-range=10.0.0.0/24 \
    --authorization-mode=AlwaysAllow --anonymous-auth=false \
    --token-auth-file="$STATE/tokens.csv" \
    --disable-admission-plugins=ServiceAccount,TaintNodesByCondition \
    --endpoint-reconciler-type=none \
    --enable-priority-and-fairness=false \
    --max-requests-inflight=0 --max-mutating-requests-inflight=0 \
    --feature-gates="$FEATURE_GATES" --profiling=false "${audit_args[@]}"

  save_cmd kube-controller-manager "$K8S_BIN/kube-controller-manager" \
    --kubeconfig="$STATE/kubeconfig" \
    --controllers=deployment-controller,replicaset-controller,job-controller,garbage-collector-controller,namespace-controller,disruption-controller,resourceclaim-controller \
    --leader-elect=false --use-service-account-credentials=false \
    --bind-address=127.0.0.1 --secure-port="$KCM_PORT" --cert-dir="$STATE/certs/kcm" \
    --kube-api-qps=200 --kube-api-burst=400 --feature-gates="$FEATURE_GATES" --profiling=false

  local scheduler_args=()
  # shellcheck disable=SC2206 # word splitting of the extra flags is intended
  [ -z "${QUOTIENT_SCHEDULER_ARGS:-}" ] || scheduler_args=($QUOTIENT_SCHEDULER_ARGS)
  save_cmd kube-scheduler "$K8S_BIN/kube-scheduler" \
    --config="$STATE/kube-scheduler-config.yaml" \
    --bind-address=127.0.0.1 --secure-port="$SCHED_PORT" --cert-dir="$STATE/certs/scheduler" \
    --feature-gates="$FEATURE_GATES" --profiling=false --v=2 "${scheduler_args[@]}"

  save_quotient_cmd

  save_cmd fake-kubelet "$PY" "$HERE/fake_kubelet.py" --kubeconfig="$STATE/kubeconfig" \
    --ready-file="$STATE/fake-kubelet.ready"
}

# ---- commands -----------------------------------------------------------------------------

stop_all() {
  local reversed=() i
  for ((i = ${#COMPONENTS[@]} - 1; i >= 0; i--)); do reversed+=("${COMPONENTS[i]}"); done
  stop "${reversed[@]}"
}

start_checked() { # start NAME and wait until it is healthy
  [ "$1" != fake-kubelet ] || rm -f "$STATE/fake-kubelet.ready"
  start "$1"
  wait_ready "$1" health "$1"
}

cmd_up() {
  local name running=0
  if [ -d "$STATE/pids" ]; then
    for name in "${COMPONENTS[@]}"; do alive "$name" && running=$((running + 1)); done
    if [ $running -eq ${#COMPONENTS[@]} ]; then
      say "already up in $STATE"
      cmd_env
      return 0
    fi
    [ $running -eq 0 ] || { say "partly up ($running of ${#COMPONENTS[@]} running): restarting"; stop_all; }
  fi

  for name in etcd kube-apiserver kube-controller-manager kube-scheduler; do
    [ -x "$K8S_BIN/$name" ] || die "no $K8S_BIN/$name (build it: test/cluster/build-k8s.sh)"
  done
  "$PY" -c 'import kubernetes, yaml' 2>/dev/null ||
    die "$PY lacks the kubernetes package (run: ./dev.sh setup)"
  command -v curl >/dev/null || die "curl is missing (run: ./dev.sh setup)"
  command -v openssl >/dev/null || die "openssl is missing (run: ./dev.sh setup)"
  local quotient_bin=${QUOTIENT_BIN:-$ROOT/build/extender/quotient}
  [ -x "$quotient_bin" ] || die "no Quotient binary at $quotient_bin (build it: ./dev.sh build)"
  SCHEDULER_TEMPLATE=$(realpath "${QUOTIENT_SCHEDULER_CONFIG:-$ROOT/deploy/scheduler/kube-scheduler-config.yaml}")

  local t0=$SECONDS
  rm -rf "$STATE"
  mkdir -p "$STATE"/{logs,pids,cmd,certs/kcm,certs/scheduler}
  read -r ETCD_PORT ETCD_PEER_PORT API_PORT KCM_PORT SCHED_PORT QUOTIENT_PORT \
    QUOTIENT_METRICS_PORT < <(free_ports 7)
  cat >"$STATE/cluster.env" <<EOF
ETCD_PORT=$ETCD_PORT
ETCD_PEER_PORT=$ETCD_PEER_PORT
API_PORT=$API_PORT
KCM_PORT=$KCM_PORT
SCHED_PORT=$SCHED_PORT
QUOTIENT_PORT=$QUOTIENT_PORT
QUOTIENT_METRICS_PORT=$QUOTIENT_METRICS_PORT
EOF
  openssl genrsa -out "$STATE/sa.key" 2048 2>/dev/null
  openssl rsa -in "$STATE/sa.key" -pubout -out "$STATE/sa.pub" 2>/dev/null
  head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$STATE/token"
  echo "$(cat "$STATE/token"),admin,admin,system:masters" >"$STATE/tokens.csv"
  write_kubeconfig
  render_scheduler_config
  save_commands

  say "starting etcd and kube-apiserver on 127.0.0.1:$API_PORT ($STATE)"
  start_checked etcd
  start_checked kube-apiserver
  "$PY" "$HERE/kube.py" --kubeconfig "$STATE/kubeconfig" apply "$CRD" >/dev/null ||
    fail_start kube-apiserver "refused the ElasticQuotaTree CRD ($CRD)"

  say "starting kube-controller-manager, Quotient, kube-scheduler and the fake kubelet"
  rm -f "$STATE/fake-kubelet.ready"
  for name in kube-controller-manager quotient kube-scheduler fake-kubelet; do start "$name"; done
  for name in kube-controller-manager quotient kube-scheduler fake-kubelet; do
    wait_ready "$name" health "$name"
  done
  say "up in $((SECONDS - t0)) s; to use it: eval \"\$($0 env)\""
}

cmd_env() {
  load_env
  alive kube-apiserver || say "warning: the cluster in $STATE is not running (start it: $0 up)"
  echo "export KUBECONFIG=$STATE/kubeconfig"
  echo "export QUOTIENT_URL=http://127.0.0.1:$QUOTIENT_PORT" \
    "QUOTIENT_METRICS_URL=http://127.0.0.1:$QUOTIENT_METRICS_PORT"
}

cmd_status() {
  load_env
  local name addr state up=0
  for name in "${COMPONENTS[@]}"; do
    case $name in
      etcd) addr=127.0.0.1:$ETCD_PORT ;;
      kube-apiserver) addr=127.0.0.1:$API_PORT ;;
      kube-controller-manager) addr=127.0.0.1:$KCM_PORT ;;
      kube-scheduler) addr=127.0.0.1:$SCHED_PORT ;;
      quotient) addr="127.0.0.1:$QUOTIENT_PORT metrics 127.0.0.1:$QUOTIENT_METRICS_PORT" ;;
      *) addr=- ;;
    esac
    if ! alive "$name"; then
      state=stopped
    elif health "$name" >/dev/null 2>&1; then
      state="running (pid $(pid_of "$name"))" up=$((up + 1))
    else
      state="unhealthy (pid $(pid_of "$name"))"
    fi
    printf '%-24s %-26s %s\n' "$name" "$state" "$addr"
  done
  [ $up -eq ${#COMPONENTS[@]} ]
}

cmd_logs() {
  [ -d "$STATE/logs" ] || die "no logs in $STATE"
  if [ $# -gt 0 ]; then
    cat "$STATE/logs/$1.log"
  else
    local f
    for f in "$STATE"/logs/*.log; do
      echo "==> $f <=="
      tail -n 15 "$f"
    done
  fi
}

known_component() {
  local name
  for name in "${COMPONENTS[@]}"; do [ "$name" = "$1" ] && return 0; done
  die "unknown component '$1' (one of: ${COMPONENTS[*]})"
}

# The cluster runs (something other than NAME does): restarting one piece of a cluster that
# is down would only start that piece.
require_up() {
  local name
  load_env
  for name in "${COMPONENTS[@]}"; do [ "$name" != "$1" ] && alive "$name" && return 0; done
  die "the cluster in $STATE is not running (start it: $0 up)"
}

cmd_restart() {
  known_component "$1"
  require_up "$1"
  stop "$1"
  if [ "$1" = quotient ] && [ -n "${QUOTIENT_ARGS+x}${QUOTIENT_QUOTA_FILE+x}${QUOTIENT_BIN+x}" ]; then
    save_quotient_cmd # new settings from the environment
  fi
  start_checked "$1"
  say "$1 restarted (pid $(pid_of "$1"))"
}

case "${1:-help}" in
  up) cmd_up ;;
  down)
    if [ -d "$STATE/pids" ]; then stop_all; say "stopped ($STATE)"; else say "not running"; fi
    ;;
  env) cmd_env ;;
  status) cmd_status ;;
  logs) shift; cmd_logs "$@" ;;
  restart) [ $# -eq 2 ] || die "usage: $0 restart NAME"; cmd_restart "$2" ;;
  restart-quotient) cmd_restart quotient ;;
  restart-apiserver) cmd_restart kube-apiserver ;;
  stop) [ $# -eq 2 ] || die "usage: $0 stop NAME"; known_component "$2"; load_env; stop "$2" ;;
  kill) [ $# -eq 2 ] || die "usage: $0 kill NAME"; known_component "$2"; load_env; kill_now "$2" ;;
  start)
    [ $# -eq 2 ] || die "usage: $0 start NAME"
    known_component "$2"; require_up "$2"
    alive "$2" && die "$2 is already running"
    start_checked "$2"
    ;;
  add-nodes) shift; load_env; exec "$PY" "$HERE/nodes.py" --kubeconfig "$STATE/kubeconfig" add "$@" ;;
  apply) shift; load_env; exec "$PY" "$HERE/kube.py" --kubeconfig "$STATE/kubeconfig" apply "$@" ;;
  pods | nodes | events) load_env; exec "$PY" "$HERE/kube.py" --kubeconfig "$STATE/kubeconfig" "$@" ;;
  *) awk 'NR > 1 && !/^#/ { exit } NR > 1' "$0"; exit 2 ;;
esac
