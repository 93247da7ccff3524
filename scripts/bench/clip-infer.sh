#!/usr/bin/env bash
# CLIP ViT-B/32 image-tower inference: `pairdx bench infer --model clip` against open_clip's ViT-B-32 image tower
# (`open_clip.create_model('ViT-B-32', pretrained=None, force_quick_gelu=True).visual`) when open_clip is importable,
# else the plain-PyTorch module of the same architecture in scripts/fixtures/gen_clip_fixtures.py; both with random
# weights, same batch, resolution and thread count; prints both and the images/s ratio (target >= 1.0x).
# Usage: scripts/bench/clip-infer.sh [THREADS] [BATCH] [ITERATIONS]
#   python from $PYTHON (default python3; needs torch, optionally open-clip-torch), pairdx from $PAIRDX (default: a
#   release build here).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
threads="${1:-2}"
batch="${2:-32}"
iterations="${3:-3}"
python="${PYTHON:-python3}"
if [ -z "${PAIRDX:-}" ]; then
  swift build -c release --scratch-path "$root/.build-bench" --product pairdx >&2
  PAIRDX="$root/.build-bench/release/pairdx"
fi
ours=$("$PAIRDX" bench infer --model clip --threads "$threads" --batch "$batch" --res 224 --iterations "$iterations" --log-level warning)
theirs=$(OMP_NUM_THREADS="$threads" "$python" - "$root/scripts/fixtures" "$threads" "$batch" "$iterations" <<'PY'
import sys, time
sys.path.insert(0, sys.argv[1])
import torch
threads, batch, iterations = (int(a) for a in sys.argv[2:5])
torch.set_num_threads(threads)
torch.manual_seed(1)
try:
    import logging, open_clip
    logging.disable(logging.WARNING)  # "no pretrained weights loaded"
    model = open_clip.create_model("ViT-B-32", pretrained=None, force_quick_gelu=True).visual.eval()
    peer = f"open_clip {open_clip.__version__}"
except ImportError:
    from gen_clip_fixtures import VisionTransformer
    model = VisionTransformer(image_size=224, patch_size=32, width=768, layers=12, heads=12, output_dim=512).eval()
    peer = "plain-PyTorch mirror of open_clip"
images = torch.randn(batch, 3, 224, 224)
times = []
with torch.inference_mode():
    model(images)
    for _ in range(iterations):
        start = time.perf_counter()
        model(images)
        times.append(time.perf_counter() - start)
times.sort()
median = times[len(times) // 2] if len(times) % 2 else 0.5 * (times[len(times) // 2 - 1] + times[len(times) // 2])
print(f"pytorch {torch.__version__} ({peer}) ViT-B/32 image tower: {batch / median:.2f} images/s, {median / batch:.4f} s/image "
      f"(batch {batch}, 224x224, {threads} threads)")
PY
)
echo "$ours"
echo "$theirs"
a=$(echo "$ours" | sed -E 's/.*: ([0-9.]+) images\/s.*/\1/')
b=$(echo "$theirs" | sed -E 's/.*: ([0-9.]+) images\/s.*/\1/')
awk -v a="$a" -v b="$b" 'BEGIN { printf "ratio pairdx/pytorch: %.2fx images/s (target >= 1.0x)\n", a / b }'
