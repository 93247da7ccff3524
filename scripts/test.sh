#!/usr/bin/env bash
# The test suite. Installs the system libraries if missing, prepares .venv with the reference tools some tests
# check against (bagit, mlcroissant, datasets, Pillow, CLIP's BPE merges file), then runs every test. Extra arguments
# go to `swift test`. Without arguments (the whole suite, as CI runs it) it then packages the release binary and runs
# the packaged binary away from the toolchain (scripts/package.sh --smoke); PAIRDX_SKIP_PACKAGE=1 leaves that out.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/python-env.sh >&2
export PAIRDX_PYTHON="$PWD/.venv/bin/python"
bpe=$(find .venv -name 'bpe_simple_vocab_16e6.txt.gz' -print -quit 2>/dev/null || true)
[ -n "$bpe" ] && export PAIRDX_CLIP_BPE="$PWD/$bpe"
# One test at a time: several tests time real servers, timeouts and rate limits, and on 2 cores the CPU-heavy
# tests (corpus generation, training) would otherwise starve them.
swift test --no-parallel "$@"
if [ $# -eq 0 ] && [ "${PAIRDX_SKIP_PACKAGE:-0}" != 1 ]; then
  scripts/package.sh --smoke >/dev/null
fi
