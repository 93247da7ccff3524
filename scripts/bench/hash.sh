#!/usr/bin/env bash
# Decode + pHash/dHash/aHash throughput: `pairdx phash` against imagehash (../shared/bench/peer_imagehash.py)
# on the same folder of 512x512 PNG and JPEG figures, printed as ratios; also checks that
# `--compat imagehash` prints the same hashes as the peer.
# Usage: scripts/bench/hash.sh [COUNT_PER_FORMAT] [THREADS]   (python with Pillow+imagehash from $PAIRDX_PYTHON, default python3)
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
swift build -c release --scratch-path "$scratch" --product pairdx >&2
bin="$scratch/release/pairdx"
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT

# The folder: COUNT PNG and COUNT JPEG figures, 512x512, no two alike.
"$python" "$root/scripts/bench/make_figures.py" "$samples" "$dir/figures" "$count"
total=$(( count * 2 ))
echo "folder: $total figures, 512x512 ($count PNG + $count JPEG)"

theirs=$("$python" "$peer" "$dir/figures" --out "$dir/peer.tsv")
v1=$("$bin" phash --threads "$threads" "$dir/figures" 2>&1 >"$dir/v1.tsv" | tail -1)
compat=$("$bin" phash --compat imagehash --threads "$threads" "$dir/figures" 2>&1 >"$dir/compat.tsv" | tail -1)
one=$("$bin" phash --threads 1 "$dir/figures" 2>&1 >/dev/null | tail -1)
echo "$theirs"
echo "$v1"
echo "$compat"
echo "$one"
rate() { echo "$1" | sed -E 's/.* = ([0-9.]+) images\/s.*/\1/'; }
b=$(rate "$theirs")
for line in "$v1" "$compat" "$one"; do
    a=$(rate "$line")
    label=$(echo "$line" | sed -E 's/pairdx phash \(([^)]*)\).*\(([0-9]+) threads\)/\1, \2 threads/')
    awk -v a="$a" -v b="$b" -v l="$label" 'BEGIN { printf "ratio pairdx (%s) / imagehash (1 process): %.1fx images/s (target >= 10x)\n", l, a / b }'
done
# By format: PNGs are decoded at full size (libdeflate inflate, our filters) and resized from there; JPEGs are
# decoded DCT-scaled straight to the hashes' scale.
for ext in png jpg; do
    mkdir -p "$dir/$ext"
    ln -s "$dir"/figures/*."$ext" "$dir/$ext/"
    p=$(rate "$("$python" "$peer" "$dir/$ext" --out /dev/null)")
    a=$(rate "$("$bin" phash --threads "$threads" "$dir/$ext" 2>&1 >/dev/null | tail -1)")
    awk -v a="$a" -v b="$p" -v e="$ext" -v t="$threads" 'BEGIN { printf "%s only: imagehash %.1f images/s (1 process), pairdx %.1f images/s (%d threads): %.1fx\n", e, b, a, t, a / b }'
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
