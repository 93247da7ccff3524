#!/usr/bin/env bash
# How dedupe's time grows with the corpus, on a shared machine whose speed drifts by 10% within minutes: the crop-search
# dedupe (`pairdx dedupe --crops on --truth … --json`) of two synthetic corpora of scripts/bench/dedupe.sh, run in
# turn ROUNDS times (small, large, small, large, …), each after reading its blobs and records once so that neither
# is timed against a cold page cache. Prints every run's wall, user and system time and peak memory under
# /usr/bin/time -v, then the ratio large/small of the median wall times and of the median CPU times (user + system),
# beside the ratio of figures. Each run's per-phase wall times (`--log-level debug`) are kept in DIR/scale-RUN.log.
# Usage: scripts/bench/dedupe-scale.sh [SMALL] [LARGE] [ROUNDS] [THREADS]   (defaults: 25000 100000 3, all cores)
# A corpus missing from ${TMPDIR:-/tmp}/pairdx-bench-dedupe-N is prepared first by scripts/bench/dedupe.sh N.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
small="${1:-25000}"; large="${2:-100000}"; rounds="${3:-3}"; threads="${4:-$(nproc)}"
python="${PAIRDX_PYTHON:-python3}"
scratch="${SCRATCH:-$root/.build-bench}"
swift build -c release --scratch-path "$scratch" --product pairdx >&2
bin="$scratch/release/pairdx"
echo "machine: $("$root/scripts/machine.sh" --load); threads used: $threads"
for n in "$small" "$large"; do
  dir="${TMPDIR:-/tmp}/pairdx-bench-dedupe-$n"
  if [ ! -s "$dir/work/images.jsonl" ] || [ ! -s "$dir/mirror.truth.json" ]; then
    echo "preparing the $n-figure corpus with scripts/bench/dedupe.sh" >&2
    "$root/scripts/bench/dedupe.sh" "$n" "$threads" >&2
  fi
done
results="$(mktemp)"
trap 'rm -f "$results"' EXIT
for round in $(seq 1 "$rounds"); do
  for n in "$small" "$large"; do
    dir="${TMPDIR:-/tmp}/pairdx-bench-dedupe-$n"
    find "$dir/work/blobs" -type f -exec cat {} + >/dev/null
    cat "$dir/work/"*.jsonl >/dev/null
    /usr/bin/time -v "$bin" dedupe --work "$dir/work" --truth "$dir/mirror.truth.json" --threads "$threads" --json \
      --crops on --log-level debug >"$dir/report.json" 2>"$dir/scale-$round.log"
    echo "$n $round $dir/scale-$round.log" >>"$results"
  done
done
"$python" - "$results" "$small" "$large" <<'PY'
import re, statistics, sys
runs = {}
for line in open(sys.argv[1]):
    n, rnd, path = line.split()
    t = open(path).read()
    wall = [float(p) for p in re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", t).group(1).split(":")]
    wall = sum(p * 60 ** (len(wall) - 1 - i) for i, p in enumerate(wall))
    user = float(re.search(r"User time \(seconds\): (\S+)", t).group(1))
    sys_ = float(re.search(r"System time \(seconds\): (\S+)", t).group(1))
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", t).group(1)) / 1024
    runs.setdefault(n, []).append((wall, user + sys_))
    print(f"{n:>7} figures, round {rnd}: wall {wall:7.1f} s, user {user:7.1f} s, system {sys_:5.1f} s, peak {rss:5.0f} MB")
small, large = sys.argv[2], sys.argv[3]
mw = {n: statistics.median(w for w, _ in v) for n, v in runs.items()}
mc = {n: statistics.median(c for _, c in v) for n, v in runs.items()}
print(f"median wall: {mw[small]:.1f} s and {mw[large]:.1f} s; large/small {mw[large] / mw[small]:.2f}x "
      f"for {int(large) / int(small):.2f}x the figures")
print(f"median CPU (user + system): {mc[small]:.1f} s and {mc[large]:.1f} s; large/small {mc[large] / mc[small]:.2f}x")
PY
