#!/usr/bin/env bash
# Training throughput: `pairdx bench train` against PyTorch CPU (../shared/bench/peer_torch_fusion.py) at the same
# shapes, side by side, as ratios of images/s. Batch 32, 2 threads, at 64², 112² and 224² by default.
# Two ISA rows per resolution, both measured on this machine:
#   native: OpenBLAS's kernels for this CPU, PyTorch as it is;
#   avx2:   OPENBLAS_CORETYPE=Haswell for OpenBLAS, ATEN_CPU_CAPABILITY=avx2 ONEDNN_MAX_CPU_ISA=AVX2
#           MKL_ENABLE_INSTRUCTIONS=AVX2 for PyTorch (an AVX2-only CPU, on an AVX-512 machine).
# In each row pairdx runs in --mode fast (OpenBLAS) and --mode deterministic (the default of train and validate:
# its own kernel, identical bits on every CPU), so the cost of determinism is printed too (deterministic/fast, and
# both in training steps/s).
# Every line names the CPU, its vector extensions and OpenBLAS's core name. Fast mode runs the 3×3 stride-1
# convolutions by Winograd F(2×2, 3×3); PAIRDX_WINOGRAD=off (passed through to pairdx) times its im2col path instead.
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
cpu=$(grep -m1 '^model name' /proc/cpuinfo | sed 's/.*: //')
isa=$(grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' | grep -xE 'avx|avx2|fma|avx512f|avx512bw|avx512vl|avx512_vnni|avx512_bf16' | tr '\n' ' ')
rate() { echo "$1" | sed -E 's/.*: ([0-9.]+) images\/s.*/\1/'; }
for res in "${resolutions[@]}"; do
    for row in native avx2; do
        if [ "$row" = avx2 ]; then
            blas_env=(OPENBLAS_CORETYPE=Haswell)
            torch_env=(ATEN_CPU_CAPABILITY=avx2 ONEDNN_MAX_CPU_ISA=AVX2 MKL_ENABLE_INSTRUCTIONS=AVX2)
        else
            blas_env=()
            torch_env=()
        fi
        fast=$(env "${blas_env[@]}" "$bin" bench train --model "$model" --res "$res" --batch "$batch" --threads "$threads" --steps "$steps" --mode fast)
        det=$(env "${blas_env[@]}" "$bin" bench train --model "$model" --res "$res" --batch "$batch" --threads "$threads" --steps "$steps" --mode deterministic)
        theirs=$(env "${torch_env[@]}" "$python" "$peer" --res "$res" --batch "$batch" --threads "$threads" --steps "$steps")
        core=$(echo "$fast" | sed -E 's/.*OpenBLAS core ([A-Za-z0-9_]+).*/\1/')
        echo "[$row] $fast"
        echo "[$row] $det"
        echo "[$row] $theirs ${torch_env[*]:-(native ISA)}; CPU $cpu ($isa)"
        awk -v f="$(rate "$fast")" -v d="$(rate "$det")" -v t="$(rate "$theirs")" -v r="$res" -v m="$model" -v row="$row" -v cpu="$cpu" -v isa="$isa" -v b="$batch" -v core="$core" 'BEGIN {
            printf "[%s] ratio at %d²: pairdx(%s, fast)/torch %.2fx, pairdx(%s, deterministic)/torch %.2fx, deterministic/fast %.2fx (%.3f vs %.3f steps/s); CPU %s (%s), OpenBLAS core %s\n",
                   row, r, m, f / t, m, d / t, d / f, d / b, f / b, cpu, isa, core }'
    done
done
