#!/usr/bin/env bash
# BiomedCLIP image-tower inference: `pairdx bench infer --model biomedclip` against the image tower open_clip builds
# for microsoft/BiomedCLIP-PubMedBERT_256-vit_base_patch16_224 (`open_clip.timm_model.TimmModel` around timm's
# vit_base_patch16_224, timm_pool "", timm_proj "linear"); both with random weights, the same batch of 224² images and
# thread count; prints both and the images/s ratio. The paper's BiomedCLIP figure is 0.387 s/image (hardware not stated).
# Usage: scripts/bench/biomedclip-infer.sh [THREADS] [BATCH] [ITERATIONS]
#   python from $PYTHON (default python3; needs torch, open-clip-torch and timm), pairdx from $PAIRDX (default: a
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
ours=$("$PAIRDX" bench infer --model biomedclip --threads "$threads" --batch "$batch" --res 224 --iterations "$iterations" --log-level warning)
theirs=$(OMP_NUM_THREADS="$threads" "$python" - "$threads" "$batch" "$iterations" <<'PY'
import sys, time
import torch
import open_clip
from open_clip.timm_model import TimmModel
threads, batch, iterations = (int(a) for a in sys.argv[1:4])
torch.set_num_threads(threads)
torch.manual_seed(1)
model = TimmModel("vit_base_patch16_224", embed_dim=512, image_size=224, pool="", proj="linear", proj_bias=False,
                  pretrained=False).eval()
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
print(f"pytorch {torch.__version__} (open_clip {open_clip.__version__} TimmModel) ViT-B/16 image tower: {batch / median:.2f} "
      f"images/s, {median / batch:.4f} s/image (batch {batch}, 224x224, {threads} threads)")
PY
)
echo "$ours"
echo "$theirs"
a=$(echo "$ours" | sed -E 's/.*: ([0-9.]+) images\/s.*/\1/')
b=$(echo "$theirs" | sed -E 's/.*: ([0-9.]+) images\/s.*/\1/')
awk -v a="$a" -v b="$b" 'BEGIN { printf "ratio pairdx/pytorch: %.2fx images/s\n", a / b }'
