#!/usr/bin/env bash
# The test suite. Installs the system libraries if missing, prepares .venv with the reference tools some tests
# check against (bagit, mlcroissant, CLIP's BPE merges file), then runs every test. Extra arguments go to `swift test`.
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
