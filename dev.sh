#!/usr/bin/env bash
# Quotient developer entry point. Every sub-command is idempotent and installs
# what it needs on a fresh Debian bookworm machine (run as root, or with sudo).
#
#   ./dev.sh demo     install deps, build Quotient and Kubernetes, start a local control plane
#                     with Quotient as the scheduler's extender (.cache/demo-cluster), play
#                     the elastic quota scenario on it (test/cluster/demo.py) and leave it up
#   ./dev.sh simulate the same scenario through the decision core alone (quotient simulate
#                     [ARGS], default examples/scenario-1-elastic-quota.yaml)
#   ./dev.sh test     install deps, build, run the default test suite, the TSan stress tests
#                     and the end-to-end tests (QUOTIENT_SKIP_E2E=1: without the e2e tests,
#                     which need Go >= 1.26 and the Kubernetes build)
# The end-to-end tests, demo, cluster, soak and bench-e2e run Kubernetes 1.37
# (test/cluster/k8sbins/go.mod); QUOTIENT_K8S_VERSION=1.36 runs them on 1.36 instead
# (k8sbins/go-1.36.mod, built into .cache/k8s-1.36).
#   ./dev.sh setup    install the Debian packages and the Python venv (.cache/venv)
#   ./dev.sh build    Debian packages + Release build into build/
#   ./dev.sh bench    build + run every benchmark (slow; see docs/benchmarks.md)
#   ./dev.sh bench-e2e [--nodes N --pods P --rounds R]
#                     scheduling throughput on the local control plane, kube-scheduler alone
#                     against kube-scheduler with Quotient (benchmarks/bench_e2e.py)
#   ./dev.sh cluster  build Quotient and Kubernetes, start a local cluster with Quotient as
#                     the scheduler's extender (test/cluster/cluster.sh), print its env
#   ./dev.sh e2e      build everything, run the end-to-end tests (pytest test/e2e [ARGS])
#   ./dev.sh soak     build everything, run the soak test on its own cluster
#                     (.cache/soak-cluster) for --minutes N (default 10) and print its summary
#                     (test/e2e/soak.py [ARGS]; docs/operations.md, "Soak test")
#   ./dev.sh serve    build, serve the webhooks on :8888 with the scenario 1 quota, no cluster
#   ./dev.sh fuzz [TARGET] [SECONDS]
#                     install clang, build the libFuzzer targets of test/fuzz with ASan/UBSan
#                     into build-fuzz/ and run TARGET (default: each) for SECONDS (default 60)
#                     each; corpora grow in build-fuzz/corpus/, crashes land in
#                     build-fuzz/artifacts/ (docs/fuzzing.md); QUOTIENT_FUZZ_ARGS adds
#                     libFuzzer flags, QUOTIENT_FUZZ_ASAN_OPTIONS ASan options; an empty
#                     corpus starts from test/fuzz/campaign/TARGET.tar.gz when there is one
#   ./dev.sh fuzz-save TARGET...
#                     build the fuzz targets, minimize build-fuzz/corpus/TARGET with the saved
#                     test/fuzz/campaign/TARGET.tar.gz into that file (to commit: the next
#                     campaign, on any machine, goes on from it)
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$(pwd)
BUILD_DIR=${QUOTIENT_BUILD_DIR:-$ROOT/build}
TSAN_DIR=${QUOTIENT_TSAN_DIR:-$ROOT/build-tsan}
FUZZ_DIR=${QUOTIENT_FUZZ_DIR:-$ROOT/build-fuzz}
ASAN_DIR=${QUOTIENT_ASAN_DIR:-$ROOT/build-asan}
# The unit tests run again under ASan + UBSan by ./dev.sh test: the parsers (pod, node and
# DRA objects, the wire, YAML) and the JSON writer, the domain cores and the cluster state
# (the tests over real sockets and the slow ones are left to the Release run, to keep CI
# time small), and every fuzz target's replay of its checked-in inputs (gcc's sanitizers;
# the fuzz step after them runs the same targets under clang's).
ASAN_TESTS=(text_test json_test objects_test quota_test gpu_test config_test gpu_config_test wire_test
            kube_test state_test devices_test decide_test telemetry_test
            fuzz_quantity_replay fuzz_quota_yaml_replay fuzz_scenario_replay fuzz_server_config_replay
            fuzz_gpu_catalog_replay fuzz_gpu_placement_replay fuzz_wire_replay fuzz_list_page_replay
            fuzz_watch_stream_replay fuzz_dra_replay)
JOBS=${JOBS:-$(nproc)}
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$ROOT}  # relative paths: clones share the cache

# Debian packages the build, the tests and the benchmarks need. Why each one is
# here is in docs/architecture.md ("Dependencies").
PACKAGES=(
  build-essential cmake ninja-build pkg-config
  libboost1.81-dev libssl-dev
  nlohmann-json3-dev libsimdjson-dev libyaml-cpp-dev
  libspdlog-dev libfmt-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  openssl curl clang-format
  clang-format python3 ccache
)
# For the fuzz targets (libFuzzer and its sanitizer runtimes): ./dev.sh fuzz and test only.
# clang 16, not bookworm's default 14: clang 14 cannot compile libstdc++ 12's operator<=> of
# strings (std::string_view < in quota/resource_list.cc fails).
FUZZ_PACKAGES=(clang-16 libclang-rt-16-dev)
# For the local cluster and the end-to-end tests (test/cluster, test/e2e).
PYTHON_PACKAGES=(python3 python3-venv python3-pip)
VENV=$ROOT/.cache/venv

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

install_debian() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "dev.sh: installing ${missing[*]}"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
}

setup() { install_debian "${PACKAGES[@]}"; }

# The Python packages of test/e2e/requirements.txt in $VENV; skipped when up to date.
setup_python() {
  install_debian "${PYTHON_PACKAGES[@]}"
  local key
  key=$(sha256sum "$ROOT/test/e2e/requirements.txt" | cut -c1-16)
  if [ "$(cat "$VENV/.stamp" 2>/dev/null)" != "$key" ]; then
    echo "dev.sh: installing test/e2e/requirements.txt into $VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q --disable-pip-version-check -r "$ROOT/test/e2e/requirements.txt"
    echo "$key" >"$VENV/.stamp"
  fi
}

# kube-apiserver, kube-scheduler, kube-controller-manager and etcd into .cache/k8s/bin
# (.cache/k8s-$QUOTIENT_K8S_VERSION/bin when set).
build_k8s() {
  if ! command -v go >/dev/null && [ -x /usr/local/go/bin/go ]; then
    export PATH=$PATH:/usr/local/go/bin
  fi
  command -v go >/dev/null || {
    echo "dev.sh: no Go toolchain (go) on PATH: building Kubernetes needs Go >= 1.26" >&2
    exit 1
  }
  "$ROOT/test/cluster/build-k8s.sh"
  # cluster.sh reads the binaries from QUOTIENT_K8S_BIN: where build-k8s.sh put them.
  export QUOTIENT_K8S_BIN=${QUOTIENT_K8S_BIN:-${QUOTIENT_K8S_DIR:-$ROOT/.cache/k8s${QUOTIENT_K8S_VERSION:+-$QUOTIENT_K8S_VERSION}}/bin}
}

e2e_tests() {
  setup_python
  build_k8s
  export QUOTIENT_BIN=${QUOTIENT_BIN:-$BUILD_DIR/extender/quotient}
  "$VENV/bin/python" -m pytest "$ROOT/test/e2e" "$@"
}

# ccache makes rebuilds (another checkout, a clean CI clone on the same machine) cheap.
launcher() {
  if command -v ccache >/dev/null; then
    echo "-DCMAKE_CXX_COMPILER_LAUNCHER=ccache"
  fi
}

build() {
  setup
  echo "dev.sh: building Quotient (Release) into $BUILD_DIR (first time a few minutes)..."
  cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release $(launcher) >/dev/null
  cmake --build "$BUILD_DIR" -j "$JOBS"
}

# The fuzz targets: test/fuzz/fuzz_*.cc.
fuzz_targets() { (cd "$ROOT/test/fuzz" && ls fuzz_*.cc | sed 's/\.cc$//'); }

# Builds the libFuzzer binaries (clang, ASan + UBSan) into $FUZZ_DIR.
fuzz_build() {
  setup
  install_debian "${FUZZ_PACKAGES[@]}"
  CXX=clang++-16 cmake -S "$ROOT" -B "$FUZZ_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DQUOTIENT_FUZZ=ON -DQUOTIENT_ASAN=ON -DQUOTIENT_WERROR=OFF \
    -DQUOTIENT_BUILD_BENCHMARKS=OFF $(launcher) >/dev/null
  # shellcheck disable=SC2046
  cmake --build "$FUZZ_DIR" -j "$JOBS" --target $(fuzz_targets)
}

# The last campaign's corpus of each target, minimized (./dev.sh fuzz-save): a fresh
# machine's first run starts from it instead of from the seeds alone.
CAMPAIGN_DIR=$ROOT/test/fuzz/campaign

# fuzz_run TARGET SECONDS: one libFuzzer run over the target's growing corpus and seeds.
fuzz_run() {
  local target=$1 seconds=$2 seeds=() extra=() dir
  mkdir -p "$FUZZ_DIR/corpus/$target" "$FUZZ_DIR/artifacts/$target"
  if [ -f "$CAMPAIGN_DIR/$target.tar.gz" ] && [ -z "$(ls -A "$FUZZ_DIR/corpus/$target")" ]; then
    tar -xzf "$CAMPAIGN_DIR/$target.tar.gz" -C "$FUZZ_DIR/corpus/$target"
  fi
  while read -r dir; do [ -d "$dir" ] && seeds+=("$dir"); done <"$FUZZ_DIR/fuzz-seeds/$target.txt"
  echo "dev.sh: fuzzing $target for ${seconds}s"
  # QUOTIENT_FUZZ_ARGS: extra libFuzzer flags, split at blanks (never globbed), after the
  # defaults so they win (a long campaign's -runs, -max_len, -entropic);
  # QUOTIENT_FUZZ_ASAN_OPTIONS: extra ASan options.
  read -r -a extra <<<"${QUOTIENT_FUZZ_ARGS:-}"
  ASAN_OPTIONS="detect_leaks=1${QUOTIENT_FUZZ_ASAN_OPTIONS:+:$QUOTIENT_FUZZ_ASAN_OPTIONS}" \
    UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    "$FUZZ_DIR/test/fuzz/$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -max_len=65536 -print_final_stats=1 -artifact_prefix="$FUZZ_DIR/artifacts/$target/" \
    "${extra[@]}" "$FUZZ_DIR/corpus/$target" "${seeds[@]}"
}

# fuzz_save TARGET: minimizes the target's corpus together with the saved campaign (libFuzzer
# -merge=1: the inputs that add coverage) into $CAMPAIGN_DIR/TARGET.tar.gz (tar and gzip
# without dates or owners). An input that crashes or trips a sanitizer or an oracle stops it:
# that is a finding, not something to save or to drop in silence.
fuzz_save() {
  local target=$1 work
  work=$(mktemp -d)
  # shellcheck disable=SC2064
  trap "rm -rf '$work'; trap - RETURN" RETURN
  mkdir -p "$work/merged" "$work/saved" "$CAMPAIGN_DIR"
  chmod 755 "$work/merged"  # the mode the unpacked corpus directory gets
  if [ -f "$CAMPAIGN_DIR/$target.tar.gz" ]; then
    tar -xzf "$CAMPAIGN_DIR/$target.tar.gz" -C "$work/saved"
  fi
  ASAN_OPTIONS=detect_leaks=0 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    "$FUZZ_DIR/test/fuzz/$target" -merge=1 -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
    "$work/merged" "$FUZZ_DIR/corpus/$target" "$work/saved" >"$work/log" 2>&1 ||
    { cat "$work/log"; return 1; }
  if grep -qE "ERROR: (AddressSanitizer|libFuzzer)|runtime error:|fuzz oracle failed" "$work/log"; then
    cat "$work/log"
    echo "dev.sh: $target: an input of the corpus fails (above); nothing saved" >&2
    return 1
  fi
  tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$work/merged" -cf - . |
    gzip -n -9 >"$work/$target.tar.gz"
  mv "$work/$target.tar.gz" "$CAMPAIGN_DIR/$target.tar.gz"
  echo "dev.sh: $CAMPAIGN_DIR/$target.tar.gz: $(ls "$work/merged" | wc -l) inputs" \
    "(of $(ls "$FUZZ_DIR/corpus/$target" | wc -l) in the corpus, $(ls "$work/saved" | wc -l) saved before)"
}

case "${1:-help}" in
  setup) setup; setup_python ;;
  build) build ;;
  demo)
    build
    setup_python
    build_k8s
    export QUOTIENT_BIN=${QUOTIENT_BIN:-$BUILD_DIR/extender/quotient}
    # Scenario 1 (the elastic quota demo) on a real kube-scheduler and API server; the cluster stays up.
    exec "$VENV/bin/python" "$ROOT/test/cluster/demo.py" "$ROOT/examples/scenario-1-elastic-quota.yaml"
    ;;
  simulate)
    build
    shift
    [ $# -gt 0 ] || set -- "$ROOT/examples/scenario-1-elastic-quota.yaml"
    exec "$BUILD_DIR/extender/quotient" simulate "$@"
    ;;
  serve)
    build
    echo "dev.sh: serving webhooks on 127.0.0.1:8888, metrics on 127.0.0.1:9090 (Ctrl-C to stop)"
    exec "$BUILD_DIR/extender/quotient" serve --config "$ROOT/examples/quotient.yaml" \
      --quota-file "$ROOT/examples/quota-scenario1.yaml"
    ;;
  test)
    build
    ctest --test-dir "$BUILD_DIR" --output-on-failure -j "$JOBS"
    # The concurrency tests again under ThreadSanitizer (a small separate build).
    cmake -S "$ROOT" -B "$TSAN_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo $(launcher) \
      -DQUOTIENT_TSAN=ON -DQUOTIENT_BUILD_BENCHMARKS=OFF >/dev/null
    cmake --build "$TSAN_DIR" -j "$JOBS" --target quota_stress_test state_stress_test control_stress_test
    TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" \
      ctest --test-dir "$TSAN_DIR" --output-on-failure -L stress
    # The parser, domain and state unit tests again under AddressSanitizer + UBSan.
    cmake -S "$ROOT" -B "$ASAN_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo $(launcher) \
      -DQUOTIENT_ASAN=ON -DQUOTIENT_BUILD_BENCHMARKS=OFF >/dev/null
    cmake --build "$ASAN_DIR" -j "$JOBS" --target "${ASAN_TESTS[@]}"
    for t in "${ASAN_TESTS[@]}"; do
      bin=$(find "$ASAN_DIR" -type f -name "$t" -perm -u+x | head -1)
      echo "dev.sh: $t under ASan/UBSan"
      ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
        "$bin" --gtest_brief=1 >"$ASAN_DIR/$t.log" 2>&1 || { cat "$ASAN_DIR/$t.log"; exit 1; }
    done
    # Each fuzz target briefly under libFuzzer + ASan/UBSan (their checked-in inputs also
    # ran above, in the default suite, as <target>_replay).
    fuzz_build
    for target in $(fuzz_targets); do fuzz_run "$target" "${QUOTIENT_FUZZ_SECONDS:-5}"; done
    # The end-to-end tests: their own cluster in .cache/cluster-e2e, torn down at the end.
    if [ "${QUOTIENT_SKIP_E2E:-0}" = 1 ]; then
      echo "dev.sh: QUOTIENT_SKIP_E2E=1: skipping the end-to-end tests (test/e2e)"
    else
      e2e_tests
    fi
    ;;
  fuzz)
    fuzz_build
    seconds=${3:-60}
    if [ -n "${2:-}" ] && [ "${2:-}" != all ]; then
      fuzz_run "$2" "$seconds"
    else
      for target in $(fuzz_targets); do fuzz_run "$target" "$seconds"; done
    fi
    ;;
  fuzz-save)
    [ -n "${2:-}" ] || { echo "dev.sh: fuzz-save TARGET..." >&2; exit 2; }
    shift
    fuzz_build
    for target in "$@"; do fuzz_save "$target"; done
    ;;
  bench)
    build
    for b in "$BUILD_DIR"/benchmarks/bench_*; do "$b"; done
    ;;
  bench-e2e)
    build
    setup_python
    build_k8s
    shift
    export QUOTIENT_BIN=${QUOTIENT_BIN:-$BUILD_DIR/extender/quotient}
    exec "$VENV/bin/python" "$ROOT/benchmarks/bench_e2e.py" "$@"
    ;;
  cluster)
    build
    setup_python
    build_k8s
    export QUOTIENT_BIN=${QUOTIENT_BIN:-$BUILD_DIR/extender/quotient}
    "$ROOT/test/cluster/cluster.sh" up
    "$ROOT/test/cluster/cluster.sh" env
    echo "# stop it with: test/cluster/cluster.sh down"
    ;;
  e2e)
    build
    shift
    e2e_tests "$@"
    ;;
  soak)
    build
    shift
    setup_python
    build_k8s
    export QUOTIENT_BIN=${QUOTIENT_BIN:-$BUILD_DIR/extender/quotient}
    exec "$VENV/bin/python" "$ROOT/test/e2e/soak.py" "$@"
    ;;
  *) awk 'NR > 1 && !/^#/ { exit } NR > 1' "$0"; exit 2 ;;  # the comment block above
esac
