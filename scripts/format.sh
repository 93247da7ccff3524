#!/usr/bin/env bash
# Source formatting: the toolchain's `swift format` with the repository's .swift-format (4 spaces, 120 columns).
# Usage: scripts/format.sh            rewrite Sources, Tests, Fuzz and Package.swift in place
#        scripts/format.sh --check    lint only: exit 1 naming every file and line that is not formatted (CI runs this)
set -euo pipefail
cd "$(dirname "$0")/.."
paths=(Package.swift Sources Tests)
[ -d Fuzz ] && paths+=(Fuzz)
if [ "${1:-}" = --check ]; then
  out=$(swift format lint --strict --recursive --parallel "${paths[@]}" 2>&1) && status=0 || status=$?
  if [ "$status" -ne 0 ] || [ -n "$out" ]; then
    echo "$out" >&2
    echo "format: $(printf '%s\n' "$out" | grep -c 'warning\|error') place(s) not formatted; run scripts/format.sh" >&2
    exit 1
  fi
  echo "format: every Swift file is formatted (.swift-format)" >&2
else
  swift format format --in-place --recursive --parallel "${paths[@]}"
fi
