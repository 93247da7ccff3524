#!/usr/bin/env bash
# The test suite. Installs the system libraries if missing, prepares .venv with the reference tools some tests
# check against (bagit, mlcroissant, datasets, Pillow, safetensors, CLIP's BPE merges file), then runs every test and
# ends with a summary: how many tests ran, passed, failed and were skipped, and each skip's reason. Extra arguments go
# to `swift test`. With CI=true (set by .ci/run), a test whose prerequisite .ci/run installs fails instead of skipping.
# Without arguments (the whole suite, as CI runs it) it then packages the release binary and runs the packaged binary
# away from the toolchain (scripts/package.sh --smoke); PAIRDX_SKIP_PACKAGE=1 leaves that out.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/python-env.sh >&2
# The one name for the Python interpreter, in tests and scripts alike.
export PAIRDX_PYTHON="$PWD/.venv/bin/python"
bpe=$(find .venv -name 'bpe_simple_vocab_16e6.txt.gz' -print -quit 2>/dev/null || true)
[ -n "$bpe" ] && export PAIRDX_CLIP_BPE="$PWD/$bpe"
log=$(mktemp "${TMPDIR:-/tmp}/pairdx-test-log.XXXXXX")
trap 'rm -f "$log"' EXIT
# One test at a time: several tests time real servers, timeouts and rate limits, and on 2 cores the CPU-heavy
# tests (corpus generation, training) would otherwise starve them.
set +e
swift test --no-parallel "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
# The whole suite's figures go to .build/test-summary.json (scripts/readme-figures.sh tests); a filtered run's do not.
summary_json=.build/test-summary.json
[ $# -gt 0 ] && summary_json=/dev/null
SUMMARY_JSON=$summary_json scripts/test-summary.sh "$log" "$status"
if [ $# -eq 0 ] && [ "${PAIRDX_SKIP_PACKAGE:-0}" != 1 ]; then
  scripts/package.sh --smoke >/dev/null
fi
