#!/usr/bin/env bash
# Decode + pHash/dHash/aHash throughput: `pairdx phash` against imagehash (../shared/bench/peer_imagehash.py)
# on the same folder of 512x512 PNG and JPEG figures, printed as ratios; also checks that
# `--compat imagehash` prints the same hashes as the peer.
# Usage: scripts/bench/hash.sh [COUNT_PER_FORMAT] [THREADS]   (python with Pillow+imagehash from $PAIRDX_PYTHON, default python3)
# REPEAT=N (default 3): every rate, ours and the peer's, is the best of N runs (machines here are shared).
# PAIRDX_BIN=path: measure that binary instead of building this checkout's release binary (e.g. an older build).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
shared="${SHARED:-$root/../shared}"
count="${1:-100}"
threads="${2:-$(nproc)}"
python="${PAIRDX_PYTHON:-python3}"
peer="$shared/bench/peer_imagehash.py"
samples="$shared/data/images"
scratch="${SCRATCH:-$root/.build-bench}"
[ -f "$peer" ] || { echo "peer script $peer is absent" >&2; exit 64; }
[ -d "$samples" ] || { echo "sample images $samples are absent" >&2; exit 64; }
repeat="${REPEAT:-3}"
if [ -n "${PAIRDX_BIN:-}" ]; then
    bin="$PAIRDX_BIN"
else
    swift build -c release --scratch-path "$scratch" --product pairdx >&2
    bin="$scratch/release/pairdx"
fi
echo "cpu: $(lscpu | sed -n 's/^Model name: *//p'), $(grep -o -w -E 'sse4_2|avx2|fma|avx512f|avx512bw|avx512vl' /proc/cpuinfo | sort -u | tr '\n' ' ')($(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg))"
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT

# The folder: COUNT PNG and COUNT JPEG figures, 512x512, no two alike.
"$python" "$root/scripts/bench/make_figures.py" "$samples" "$dir/figures" "$count"
total=$(( count * 2 ))
echo "folder: $total figures, 512x512 ($count PNG + $count JPEG); every rate the best of $repeat runs"

rate() { echo "$1" | sed -E 's/.* = ([0-9.]+) images\/s.*/\1/'; }
# best "COMMAND…": runs the command REPEAT times (its summary line on stdout) and prints the fastest line.
best() {
    local top="" line
    for _ in $(seq "$repeat"); do
        line=$("$@")
        if [ -z "$top" ] || awk -v a="$(rate "$line")" -v b="$(rate "$top")" 'BEGIN { exit !(a > b) }'; then top="$line"; fi
    done
    echo "$top"
}
ours() { local out="$1"; shift; "$bin" phash "$@" 2>&1 >"$out" | tail -1; }
theirs=$(best "$python" "$peer" "$dir/figures" --out "$dir/peer.tsv")
v1=$(best ours "$dir/v1.tsv" --threads "$threads" "$dir/figures")
compat=$(best ours "$dir/compat.tsv" --compat imagehash --threads "$threads" "$dir/figures")
one=$(best ours /dev/null --threads 1 "$dir/figures")
echo "$theirs"
echo "$v1"
echo "$compat"
echo "$one"
b=$(rate "$theirs")
for line in "$v1" "$compat" "$one"; do
    a=$(rate "$line")
    label=$(echo "$line" | sed -E 's/pairdx phash \(([^)]*)\).*\(([0-9]+) threads\)/\1, \2 threads/')
    awk -v a="$a" -v b="$b" -v l="$label" 'BEGIN { printf "ratio pairdx (%s) / imagehash (1 process): %.1fx images/s (target >= 7x)\n", l, a / b }'
done
# By format: PNGs are decoded at full size (libdeflate inflate, our filters) and resized from there; JPEGs are
# decoded DCT-scaled straight to the hashes' scale.
for ext in png jpg; do
    mkdir -p "$dir/$ext"
    ln -s "$dir"/figures/*."$ext" "$dir/$ext/"
    p=$(rate "$(best "$python" "$peer" "$dir/$ext" --out /dev/null)")
    a=$(rate "$(best ours /dev/null --threads "$threads" "$dir/$ext")")
    target=$([ "$ext" = png ] && echo 5 || echo 20)
    awk -v a="$a" -v b="$p" -v e="$ext" -v t="$threads" -v g="$target" 'BEGIN { printf "%s only: imagehash %.1f images/s (1 process), pairdx %.1f images/s (%d threads): %.1fx (target >= %dx)\n", e, b, a, t, a / b, g }'
done
# Agreement of the compat mode with the peer, hash by hash.
"$python" - "$dir/peer.tsv" "$dir/compat.tsv" "$dir/v1.tsv" <<'PY'
import sys
def load(p):
    return {r[0]: r[1:] for r in (l.rstrip("\n").split("\t") for l in open(p)) if len(r) == 4}
peer = load(sys.argv[1])
for name, path in (("--compat imagehash", sys.argv[2]), ("pairdx-phash-v1", sys.argv[3])):
    ours = load(path)
    exact = worst = n = 0
    for f, hs in peer.items():
        if f not in ours: continue
        for a, b in zip(hs, ours[f]):
            d = bin(int(a, 16) ^ int(b, 16)).count("1")
            n += 1; exact += d == 0; worst = max(worst, d)
    print(f"{name}: {exact} of {n} hashes equal to imagehash's, largest difference {worst} bits ({len(ours)} of {len(peer)} files hashed)")
PY
