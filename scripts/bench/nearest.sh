#!/usr/bin/env bash
# Radius search over 1,000,000 random 64-bit hashes with planted near pairs: the multi-index self-join
# of `pairdx dedupe` timed, its peak memory read, and its result compared with brute force on a
# 50,000-hash subset. Targets: <= 10 s and <= 2 GB on 2 cores.
# Usage: scripts/bench/nearest.sh [COUNT] [RADIUS] [VERIFY] [THREADS]
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
count="${1:-1000000}"
radius="${2:-8}"
verify="${3:-50000}"
threads="${4:-$(nproc)}"
scratch="${SCRATCH:-$root/.build-bench}"
swift build -c release --scratch-path "$scratch" --product pairdx >&2
bin="$scratch/release/pairdx"
"$bin" dedupe --benchmark-search "$count" --radius "$radius" --benchmark-verify "$verify" --threads "$threads"
echo "(targets: total <= 10 s, peak RSS <= 2048 MB, equal to brute force)"
