#!/usr/bin/env bash
# Fails when a tracked C++ file is not formatted as .clang-format says, naming each file.
#   test/style/check_format.sh ROOT
# Exit 77 (a skip for ctest) when clang-format or git is missing. Fix a file with
# `clang-format -i FILE`; the version checked is Debian bookworm's clang-format 14.
set -u
root=${1:?usage: check_format.sh ROOT}
command -v clang-format >/dev/null 2>&1 || { echo "format: no clang-format: skipped"; exit 77; }
command -v git >/dev/null 2>&1 || { echo "format: no git: skipped"; exit 77; }
cd "$root" || exit 2
# The layering fixture's files are inputs of a test (their line numbers are asserted).
files=$(git ls-files '*.h' '*.cc' ':!:test/layering/fixture/*' 2>/dev/null) || { echo "format: not a git checkout: skipped"; exit 77; }
bad=0
for f in $files; do
  [ -f "$f" ] || continue
  if ! clang-format --dry-run -Werror "$f" >/dev/null 2>&1; then
    echo "format: $f is not formatted (clang-format -i $f)"
    bad=$((bad + 1))
  fi
done
echo "format: $bad file(s) not formatted"
[ "$bad" -eq 0 ]
