#!/usr/bin/env bash
# JATS figure/caption extraction: pairdx parse-jats against pubmed_parser on the same files, as a ratio.
# Usage: scripts/bench/jats.sh [DIR] [REPEAT]   (python from $PAIRDX_PYTHON, default python3)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
shared="${SHARED:-$root/../shared}"   # the ../shared folder (override with SHARED=...)
dir="${1:-$shared/data/jats}"
repeat="${2:-200}"
python="${PAIRDX_PYTHON:-python3}"
peer="$shared/bench/peer_pubmed_parser.py"
[ -d "$dir" ] || { echo "no JATS directory at $dir" >&2; exit 64; }
[ -f "$peer" ] || { echo "peer script $peer is absent" >&2; exit 64; }
swift build -c release --scratch-path "$root/.build-bench" --product pairdx >&2
bin="$root/.build-bench/release/pairdx"
files=("$dir"/*.nxml)
threads="${THREADS:-$(nproc)}"
one=$("$bin" parse-jats --threads 1 --repeat-count "$repeat" "${files[@]}" 2>&1 >/dev/null | tail -1)
theirs=$("$python" "$peer" "$dir" --repeat "$(( repeat / 10 > 0 ? repeat / 10 : 1 ))")
all=$("$bin" parse-jats --threads "$threads" --repeat-count "$repeat" "${files[@]}" 2>&1 >/dev/null | tail -1)
echo "$one"
echo "$all"
echo "$theirs"
rate() { echo "$1" | sed -E 's/.*: ([0-9.]+) articles\/s.*/\1/'; }
awk -v a="$(rate "$one")" -v c="$(rate "$all")" -v b="$(rate "$theirs")" -v t="$threads" 'BEGIN {
  printf "ratio pairdx/pubmed_parser, 1 thread: %.2fx articles/s\n", a / b
  printf "ratio pairdx/pubmed_parser, %d threads: %.2fx articles/s (target >= 5x; the peer uses one process)\n", t, c / b }'
