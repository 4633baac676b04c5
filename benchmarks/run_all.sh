#!/bin/bash
# Runs the wire, body-read and HTTP benchmarks the way docs/benchmarks.md reports them.
#
#   benchmarks/run_all.sh BUILD_DIR OUT_DIR
#
# BUILD_DIR is a Release build with the targets bench_wire, bench_body_read, http_load and
# quotient built. Before each step the script waits (up to 30 minutes) until the machine
# is idle: under 0.15 busy cores over 10 s, read from /proc/stat. The shared 2-core build
# machines are rarely idle, and a compiler on the other core halves every number.
set -euo pipefail
build=${1:?usage: run_all.sh BUILD_DIR OUT_DIR}
out=${2:?usage: run_all.sh BUILD_DIR OUT_DIR}
mkdir -p "$out"

busy_cores() {  # busy cores over $1 seconds
  local u n s i w q sq st b0 b1
  read -r _ u n s i w q sq st _ < /proc/stat; b0=$((u + n + s + q + sq + st))
  sleep "$1"
  read -r _ u n s i w q sq st _ < /proc/stat; b1=$((u + n + s + q + sq + st))
  awk -v d=$((b1 - b0)) -v t="$1" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f", d / hz / t }'
}

wait_idle() {
  local busy
  for _ in $(seq 1 180); do
    busy=$(busy_cores 10)
    if awk -v b="$busy" 'BEGIN { exit !(b < 0.15) }'; then
      echo "$(date +%T) idle ($busy busy cores): $1" | tee -a "$out/log"
      return
    fi
  done
  echo "$(date +%T) machine never idle; running anyway: $1" | tee -a "$out/log"
}

{ nproc; lscpu | grep 'Model name'; uname -r; c++ --version | head -1; } > "$out/machine.txt"

wait_idle bench_wire
"$build/benchmarks/bench_wire" --benchmark_min_time=1 --benchmark_repetitions=5 \
  --benchmark_report_aggregates_only=true | tee "$out/bench_wire.txt"
wait_idle bench_body_read
"$build/benchmarks/bench_body_read" --benchmark_min_time=1 --benchmark_repetitions=3 \
  --benchmark_report_aggregates_only=true | tee "$out/bench_body_read.txt"
wait_idle http_load
"$build/benchmarks/http_load" | tee "$out/http_load.txt"
wait_idle "http_load --pin"
"$build/benchmarks/http_load" --pin | tee "$out/http_load_pin.txt"
wait_idle "http_load full nodes"
"$build/benchmarks/http_load" --names '' --full-nodes 500,5000 --conns 1 \
  | tee "$out/http_load_full.txt"
