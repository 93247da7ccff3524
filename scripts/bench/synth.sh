#!/usr/bin/env bash
# Embedded corpus generation: time `pairdx synth` at the default size (target < 20 s, release build), and check
# that the same seed twice gives identical checksums of every file.
# Usage: scripts/bench/synth.sh [FIGURES] [THREADS]   (defaults: 600, all cores)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
figures="${1:-600}"
threads="${2:-$(nproc)}"
swift build -c release --scratch-path "$root/.build-bench" --product pairdx >&2
bin="$root/.build-bench/release/pairdx"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
run() {
  "$bin" synth --seed 1 --figures "$figures" --threads "$threads" --out "$tmp/$1" --json --log-level warning
}
sums() { (cd "$tmp/$1" && find . -type f -print0 | sort -z | xargs -0 sha256sum; sha256sum < "$tmp/$1.truth.json") | sha256sum | cut -c1-64; }
first=$(run a)
second=$(run b)
secs=$(echo "$first" | sed -nE 's/.*"seconds" : ([0-9.]+).*/\1/p')
echo "$first" | grep -E '"(articles|figures|mediaFiles|bytes|seconds)"' | tr -d ' ,' | paste -sd' ' -
awk -v s="$secs" -v n="$figures" -v t="$threads" 'BEGIN { printf "synth: %d figures in %.2f s on %d threads = %.0f figures/s (target: 600 in < 20 s)\n", n, s, t, n / s }'
if [ "$(sums a)" = "$(sums b)" ]; then echo "same seed twice: identical checksums ($(sums a | cut -c1-16))"
else echo "same seed twice: checksums DIFFER" >&2; exit 1; fi
