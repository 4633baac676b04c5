#!/usr/bin/env bash
# Builds the real control plane for the local test cluster (test/cluster/cluster.sh) from the
# Go module proxy: etcd, kube-apiserver, kube-controller-manager and kube-scheduler, at the
# versions pinned in test/cluster/k8sbins/go.mod (Kubernetes 1.37), or in
# k8sbins/go-$QUOTIENT_K8S_VERSION.mod when QUOTIENT_K8S_VERSION names another minor release
# (go-1.36.mod: Kubernetes 1.36, kept working while it costs nothing).
#
#   test/cluster/build-k8s.sh                          build if needed (QUOTIENT_K8S_DIR: where to)
#   QUOTIENT_K8S_VERSION=1.36 test/cluster/build-k8s.sh  the same for 1.36
#
# Output: $QUOTIENT_K8S_DIR/bin (default .cache/k8s/bin; .cache/k8s-$QUOTIENT_K8S_VERSION/bin
# when QUOTIENT_K8S_VERSION is set, so that both versions stay built), stamped with a hash of
# the go.mod, its go.sum, this script and the Go version. When the stamp matches, nothing is
# run (well under a second). Otherwise the binaries are rebuilt; the Go build cache (GOCACHE, default
# ~/.cache/go-build) and module cache make a rebuild fast (about 20 s, mostly linking). The
# first build on 2 cores takes 7 to 10 minutes with the modules downloaded; downloading them
# (about 850 MB from the proxy) comes on top on a fresh machine.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
MOD_DIR=$HERE/k8sbins
K8S_MINOR=${QUOTIENT_K8S_VERSION:-}
OUT_DIR=${QUOTIENT_K8S_DIR:-$ROOT/.cache/k8s${K8S_MINOR:+-$K8S_MINOR}}/bin
STAMP=$OUT_DIR/.stamp
# Observed on 2 cores with an empty Go build cache: 6 min 21 s idle, 10 min beside a C++ build.
COLD_MINUTES=7-10

# name of the binary : Go package
TARGETS=(
  "etcd:go.etcd.io/etcd/server/v3"
  "kube-apiserver:k8s.io/kubernetes/cmd/kube-apiserver"
  "kube-controller-manager:k8s.io/kubernetes/cmd/kube-controller-manager"
  "kube-scheduler:k8s.io/kubernetes/cmd/kube-scheduler"
)

die() { echo "build-k8s: $*" >&2; exit 1; }

# The module file: go.mod, or go-<minor>.mod with its go-<minor>.sum (go build -modfile).
MOD_FILE=go.mod
if [ -n "$K8S_MINOR" ]; then
  [[ $K8S_MINOR =~ ^1\.[0-9]+$ ]] ||
    die "QUOTIENT_K8S_VERSION=$K8S_MINOR: expected a minor release such as 1.36"
  if [ -f "$MOD_DIR/go-$K8S_MINOR.mod" ]; then
    MOD_FILE=go-$K8S_MINOR.mod
  elif ! grep -q "^[[:space:]]*k8s.io/kubernetes v$K8S_MINOR\." "$MOD_DIR/go.mod"; then
    die "QUOTIENT_K8S_VERSION=$K8S_MINOR: no $MOD_DIR/go-$K8S_MINOR.mod, and go.mod pins another release"
  fi
fi
SUM_FILE=${MOD_FILE%.mod}.sum
K8S_VERSION=$(awk '$1 == "k8s.io/kubernetes" { print $2; exit }' "$MOD_DIR/$MOD_FILE")
[[ $K8S_VERSION =~ ^v1\.([0-9]+)\. ]] || die "cannot read the k8s.io/kubernetes version from $MOD_FILE"
# The go directive, which follows k8s.io/kubernetes' own: 1.26.0 for 1.36 and 1.37. Found
# older, the build stops here rather than have GOTOOLCHAIN=local fail in the middle.
GO_NEEDED=$(awk '$1 == "go" { print $2; exit }' "$MOD_DIR/$MOD_FILE")

command -v go >/dev/null 2>&1 || die "no Go toolchain on PATH: Kubernetes $K8S_VERSION needs \
Go >= $GO_NEEDED (https://go.dev/doc/install; /usr/local/go/bin must be on PATH)"
GO_VERSION=$(go env GOVERSION)
[ "$(printf '%s\n' "$GO_NEEDED" "${GO_VERSION#go}" | sort -V | head -n1)" = "$GO_NEEDED" ] ||
  die "found $GO_VERSION, but Kubernetes $K8S_VERSION needs Go >= $GO_NEEDED"

key=$( (cat "$MOD_DIR/$MOD_FILE" "$MOD_DIR/$SUM_FILE" "$0"; echo "$GO_VERSION") | sha256sum | cut -c1-16)
up_to_date() {
  [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$key" ] || return 1
  local t
  for t in "${TARGETS[@]}"; do [ -x "$OUT_DIR/${t%%:*}" ] || return 1; done
}
if up_to_date; then
  echo "build-k8s: Kubernetes $K8S_VERSION up to date in $OUT_DIR"
  exit 0
fi

mkdir -p "$OUT_DIR"
rm -f "$STAMP"
cd "$MOD_DIR"
# -mod=readonly: go.mod and go.sum are complete and checked in; a build never edits them.
# -buildvcs=false: the wrapper module sits inside Quotient's git tree, whose state is not
# the binaries' version.
export GOFLAGS="${GOFLAGS:-} -mod=readonly -buildvcs=false -modfile=$MOD_FILE"
export GOTOOLCHAIN=${GOTOOLCHAIN:-local}
# Stamp the release into the binaries, as Kubernetes' own build does (hack/lib/version.sh):
# a module build otherwise reports v0.0.0-master, which clients warn about.
[[ $K8S_VERSION =~ ^v1\.([0-9]+)\. ]]
LDFLAGS="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  LDFLAGS+=" -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=1"
  LDFLAGS+=" -X $pkg.gitMinor=${BASH_REMATCH[1]} -X $pkg.gitTreeState=clean"
done
start=$SECONDS
names=() pkgs=()
for t in "${TARGETS[@]}"; do names+=("${t%%:*}") pkgs+=("${t#*:}"); done
echo "build-k8s: building ${names[*]} of Kubernetes $K8S_VERSION ($MOD_FILE)..." \
  "(the first build takes ~$COLD_MINUTES min on 2 cores;" \
  "later ones reuse the Go build cache and take seconds)"
# One `go build` for all four: it compiles their shared packages once and keeps both cores
# busy (one build per binary took twice as long cold). It names etcd's binary after its
# package directory, `server`.
tmp=$OUT_DIR/.tmp
rm -rf "$tmp"
mkdir -p "$tmp"
go build -trimpath -ldflags="$LDFLAGS" -o "$tmp/" "${pkgs[@]}" || die "the build failed (see above)"
mv -f "$tmp/server" "$tmp/etcd"
for name in "${names[@]}"; do mv -f "$tmp/$name" "$OUT_DIR/$name"; done
rm -rf "$tmp"
echo "$key" >"$STAMP"
echo "build-k8s: built in $((SECONDS - start)) s into $OUT_DIR"
