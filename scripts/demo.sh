#!/usr/bin/env bash
# The main job on the embedded corpus: install system libraries if missing, build in release mode, rebuild the
# demo split from scratch (every stage, audit and validation), then say whether Splits/ and Manifests/ came out
# byte-identical to the committed ones. Extra arguments go to `pairdx rebuild`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
swift build -c release --product pairdx --quiet >&2
status=0
.build/release/pairdx rebuild --validate "$@" || status=$?
if command -v git >/dev/null && git rev-parse --git-dir >/dev/null 2>&1; then
  if git diff --quiet -- Splits/pairdx-synth-v1 Manifests/pairdx-synth-v1; then
    echo "Splits/pairdx-synth-v1 and Manifests/pairdx-synth-v1: byte-identical to the committed files" >&2
  else
    echo "Splits/ or Manifests/ differ from the committed files: see git diff" >&2
    status=1
  fi
fi
exit $status
