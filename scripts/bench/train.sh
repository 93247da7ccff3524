#!/usr/bin/env bash
# Training throughput: `pairdx bench train` against PyTorch CPU (../shared/bench/peer_torch_fusion.py) at the same
# shapes, side by side, as ratios of images/s. Batch 32, 2 threads, at 64², 112² and 224² by default.
# Usage: scripts/bench/train.sh [STEPS] [RESOLUTIONS...]   (python from $PAIRDX_PYTHON, default python3;
#        MODEL=fusion|image selects our model, default fusion; BATCH and THREADS override 32 and 2)
# The peer always times its fusion model (ResNet-18 + embeddings + cross-attention + MLP); with MODEL=image we
# time ResNet-18 → linear alone, which does slightly less work than the peer.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
shared="${SHARED:-$root/../shared}"
python="${PAIRDX_PYTHON:-python3}"
peer="$shared/bench/peer_torch_fusion.py"
model="${MODEL:-fusion}"
batch="${BATCH:-32}"
threads="${THREADS:-2}"
steps="${1:-3}"
shift || true
resolutions=("$@")
[ ${#resolutions[@]} -gt 0 ] || resolutions=(64 112 224)
[ -f "$peer" ] || { echo "peer script $peer is absent" >&2; exit 64; }
swift build -c release --scratch-path "$root/.build-bench" --product pairdx >&2
bin="$root/.build-bench/release/pairdx"
for res in "${resolutions[@]}"; do
    ours=$("$bin" bench train --model "$model" --res "$res" --batch "$batch" --threads "$threads" --steps "$steps")
    theirs=$("$python" "$peer" --res "$res" --batch "$batch" --threads "$threads" --steps "$steps")
    echo "$ours"
    echo "$theirs"
    a=$(echo "$ours" | sed -E 's/.*: ([0-9.]+) images\/s.*/\1/')
    b=$(echo "$theirs" | sed -E 's/.*: ([0-9.]+) images\/s.*/\1/')
    awk -v a="$a" -v b="$b" -v r="$res" -v m="$model" 'BEGIN { printf "ratio pairdx(%s)/torch(fusion) at %d²: %.2fx images/s (target >= 1.0x at 112²)\n", m, r, a / b }'
done
