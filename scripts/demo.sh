#!/usr/bin/env bash
# The main job on the embedded corpus: install system libraries if missing, build in release mode,
# then rebuild PairDx's demo split from scratch, verify it against the committed one, audit and validate.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
swift build -c release --product pairdx 2>&1 | grep -E 'error|warning|Compiling pairdx|Build complete' >&2 || true
bin=.build/release/pairdx
"$bin" rebuild --validate "$@"
