#!/usr/bin/env bash
# Dedupe at scale and on crops: synthesise N figures (seed 7, never used by the tests), fetch and hash them (not
# timed here), then time `pairdx dedupe --truth` under /usr/bin/time -v and print its wall time, peak memory,
# candidate pairs, precision and recall per kind, and the largest cluster against the largest planted group.
# Then recall per transform (rescale, re-encode, brightness, border crop 5/10/15%, panel cut) and false merges on
# the real images of ../shared/data/images and ../shared/data/medicat-sample, and the hash throughput with and
# without the crop signature.
# Usage: scripts/bench/dedupe.sh [N] [THREADS]   (defaults: 25000, all cores; release build in .build-bench)
# The synthetic dedupe runs twice: crop search off (the default) and on (`--crops on`: anchor keys, then pixel
# alignment), both with the default detail thresholds (DETAIL=off or NEAR,CROP,PANEL to change them).
# The work folder is kept in ${TMPDIR:-/tmp}/pairdx-bench-dedupe-N so a second run skips synth/fetch/hash.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
shared="${SHARED:-$root/../shared}"
n="${1:-25000}"
threads="${2:-$(nproc)}"
python="${PAIRDX_PYTHON:-python3}"
scratch="${SCRATCH:-$root/.build-bench}"
dir="${DEDUPE_BENCH_DIR:-${TMPDIR:-/tmp}/pairdx-bench-dedupe-$n}"
swift build -c release --scratch-path "$scratch" --product pairdx >&2
bin="$scratch/release/pairdx"
lscpu | grep -E 'Model name' | sed 's/  */ /g'
echo "vector extensions: $(grep -o -w -E 'avx512[a-z_]*|avx2|fma|sse4_2' /proc/cpuinfo | sort -u | paste -sd' ' -)"
echo "cores: $(nproc), threads used: $threads; load average: $(cut -d' ' -f1-3 /proc/loadavg) (the machine may be shared)"

work="$dir/work"
mkdir -p "$dir"
# Each preparation step (not timed) runs only when its output is missing; delete work/images.jsonl to re-hash.
if [ ! -s "$dir/mirror.truth.json" ]; then
  echo "preparing: synth $n figures" >&2
  rm -rf "$dir/mirror" "$work"
  "$bin" synth --seed 7 --figures "$n" --threads "$threads" --out "$dir/mirror" --log-level warning >/dev/null
fi
if [ ! -s "$work/figures.jsonl" ]; then
  echo "preparing: discover and fetch" >&2
  "$bin" discover --source "$dir/mirror" --work "$work" --log-level warning >/dev/null
  "$bin" fetch --source "$dir/mirror" --work "$work" --log-level warning >/dev/null
fi
if [ ! -s "$work/images.jsonl" ]; then
  echo "preparing: hash" >&2
  "$bin" hash --work "$work" --threads "$threads" --log-level warning >/dev/null
fi
# The crop search reads every blob; read them once first, so that neither size is timed against a cold disk cache.
find "$work/blobs" -type f -exec cat {} + >/dev/null
for crops in off on; do
echo "--- dedupe --crops $crops"
/usr/bin/time -v "$bin" dedupe --work "$work" --truth "$dir/mirror.truth.json" --threads "$threads" --json \
  --crops "$crops" ${DETAIL:+--detail "$DETAIL"} --log-level warning >"$dir/report.json" 2>"$dir/time.txt"
"$python" - "$dir/report.json" "$dir/time.txt" "$dir/mirror.truth.json" "$n" <<'EOF'
import json, re, sys
report = json.load(open(sys.argv[1]))
timing = open(sys.argv[2]).read()
truth = json.load(open(sys.argv[3]))
wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", timing).group(1)
parts = [float(p) for p in wall.split(":")]
secs = sum(p * 60 ** (len(parts) - 1 - i) for i, p in enumerate(parts))
rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", timing).group(1))
groups = [len(g) for g in truth["exactDuplicateGroups"]] + [len(g["ids"]) for g in truth["nearDuplicateGroups"]]
print(f"synthetic corpus: {sys.argv[4]} figures, {report['figures']['usable']} usable")
print(f"dedupe: {secs:.2f} s wall, peak memory {rss / 1024:.0f} MB")
print(f"near search: {report['candidatePairs']} hash pairs compared"
      + (f" and {report['pixelRoutePairs']} more 64-bit pairs on pixels" if report.get("pixelRoutePairs") is not None else "")
      + f", {report['confirmedPairs']} near pairs; "
      f"crop search: {report['cropCandidatePairs']} anchor pairs compared, {report['cropAlignedPairs']} image pairs "
      f"aligned, {report['cropPairs']} crop/panel pairs"
      + (f", {report['cropSparseImages']} images with fewer than 8 anchors" if report.get("cropSparseImages") is not None else ""))
d = report.get("detail")
print("detail check: " + (f"near {d['near']}, crop {d['crop']}, panel {d['panel']}; turned down {report['detailRejected']}" if d else "off"))
c = report["clusters"]
print(f"clusters: {c['count']} ({c['exact']} exact, {c['near']} near), joined by {c['joinedBy']}; "
      f"largest cluster {c['largest']} (largest planted group {max(groups) if groups else 0})")
t = report["truth"]
for k, v in sorted(t["precision"].items()):
    print(f"  precision {k:<16} {v['hits']}/{v['total']}" + (f" = {100 * v['rate']:.1f}%" if v["rate"] is not None else ""))
for k, v in sorted(t["recall"].items()):
    print(f"  recall    {k:<16} {v['hits']}/{v['total']}" + (f" = {100 * v['rate']:.1f}%" if v["rate"] is not None else ""))
for k, scores in sorted(t.get("detailScores", {}).items()):
    if k.split(":")[0] in ("crop", "panel"):
        s = sorted(float(x) for x in scores)
        print(f"  detail    {k:<16} {sum(scores.values())} edges, scores {s[0]:.2f} to {s[-1]:.2f}")
EOF
echo "clusters.jsonl sha256: $(sha256sum "$work/clusters.jsonl" | cut -c1-16)"
done
real=()
for d in "$shared/data/images" "$shared/data/medicat-sample"; do [ -d "$d" ] && real+=(--benchmark-transforms "$d"); done
if [ ${#real[@]} -gt 0 ]; then
  "$bin" dedupe "${real[@]}" --crops on --threads "$threads" --log-level warning
  "$bin" dedupe "${real[@]/--benchmark-transforms/--benchmark-hash}" --log-level warning
else
  echo "real images under $shared/data are absent: transform recall skipped" >&2
fi
