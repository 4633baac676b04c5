#!/usr/bin/env bash
# Moves the wrapper module to another Kubernetes release: pins k8s.io/kubernetes at VERSION,
# rewrites the replace block from that release's own go.mod (every staging module, replaced
# by its published v0.<minor>.<patch> tag) and tidies go.mod and go.sum.
#
#   test/cluster/k8sbins/regen-replaces.sh v1.37.2           update go.mod and go.sum
#   test/cluster/k8sbins/regen-replaces.sh v1.37.2 --print   only print the replace block
#
# Then rebuild with test/cluster/build-k8s.sh (the stamp changes with go.mod).
set -euo pipefail
cd "$(dirname "$0")"
VERSION=${1:?usage: $0 v1.MINOR.PATCH [--print]}
[[ $VERSION =~ ^v1\.([0-9]+)\.([0-9]+)$ ]] || { echo "$0: not a release: $VERSION" >&2; exit 2; }
STAGING_VERSION=v0.${BASH_REMATCH[1]}.${BASH_REMATCH[2]}
export GOFLAGS="-mod=mod -buildvcs=false" GOTOOLCHAIN=${GOTOOLCHAIN:-local}

upstream=$(go mod download -json "k8s.io/kubernetes@$VERSION" |
  sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",*$/\1/p')
[ -f "$upstream" ] || { echo "$0: no go.mod for k8s.io/kubernetes@$VERSION" >&2; exit 1; }
block=$(
  echo "replace ("
  grep -o 'k8s.io/[a-z0-9-]* => ./staging' "$upstream" | awk -v v="$STAGING_VERSION" \
    '{ printf "\t%s => %s %s\n", $1, $1, v }' | sort
  echo ")"
)
if [ "${2:-}" = --print ]; then
  echo "$block"
  exit 0
fi

# Replace the existing block (from "replace (" to its ")") with the new one.
python3 - "$block" <<'EOF'
import re, sys
block = sys.argv[1]
text = open("go.mod").read()
text, n = re.subn(r"^replace \($.*?^\)$", lambda _: block, text, flags=re.M | re.S)
if n != 1:
    text = text.rstrip("\n") + "\n\n" + block + "\n"
open("go.mod", "w").write(text)
EOF
# etcd follows: MVS raises go.etcd.io/etcd/server/v3 to what this release requires.
go get "k8s.io/kubernetes@$VERSION"
go mod tidy
echo "k8sbins: go.mod now pins k8s.io/kubernetes $VERSION (staging modules $STAGING_VERSION)"
