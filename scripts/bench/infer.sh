#!/usr/bin/env bash
# Image-tower inference at test time: `pairdx bench infer --model MODEL` beside the same tower in PyTorch, both with
# random weights, the same batch of 224² images and thread count; prints both and the images/s ratio.
#   clip        CLIP ViT-B/32 against open_clip's `create_model('ViT-B-32', pretrained=None, force_quick_gelu=True).visual`
#               when open_clip is importable, else the plain-PyTorch module of the same architecture in
#               scripts/fixtures/gen_clip_fixtures.py (target >= 1.0x).
#   biomedclip  BiomedCLIP's ViT-B/16 against `open_clip.timm_model.TimmModel` around timm's vit_base_patch16_224
#               (timm_pool "", timm_proj "linear"), as open_clip builds it for
#               microsoft/BiomedCLIP-PubMedBERT_256-vit_base_patch16_224 (the paper: 0.387 s/image, hardware not stated).
# Usage: scripts/bench/infer.sh clip|biomedclip [THREADS] [BATCH] [ITERATIONS]
#   python from $PAIRDX_PYTHON (default python3; torch, and open-clip-torch + timm for biomedclip), pairdx from $PAIRDX
#   (default: a release build here).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
model="${1:?usage: scripts/bench/infer.sh clip|biomedclip [THREADS] [BATCH] [ITERATIONS]}"
case "$model" in clip|biomedclip) ;; *) echo "unknown model '$model': clip or biomedclip" >&2; exit 64 ;; esac
threads="${2:-2}"
batch="${3:-32}"
iterations="${4:-3}"
python="${PAIRDX_PYTHON:-python3}"
if [ -z "${PAIRDX:-}" ]; then
  swift build -c release --scratch-path "$root/.build-bench" --product pairdx >&2
  PAIRDX="$root/.build-bench/release/pairdx"
fi
ours=$("$PAIRDX" bench infer --model "$model" --threads "$threads" --batch "$batch" --res 224 --iterations "$iterations" --log-level warning)
theirs=$(OMP_NUM_THREADS="$threads" "$python" - "$root/scripts/fixtures" "$model" "$threads" "$batch" "$iterations" <<'PY'
import sys, time, logging
sys.path.insert(0, sys.argv[1])
import torch
model_name = sys.argv[2]
threads, batch, iterations = (int(a) for a in sys.argv[3:6])
torch.set_num_threads(threads)
torch.manual_seed(1)
logging.disable(logging.WARNING)  # "no pretrained weights loaded"
if model_name == "biomedclip":
    import open_clip
    from open_clip.timm_model import TimmModel
    model = TimmModel("vit_base_patch16_224", embed_dim=512, image_size=224, pool="", proj="linear", proj_bias=False,
                      pretrained=False).eval()
    tower, peer = "ViT-B/16", f"open_clip {open_clip.__version__} TimmModel"
else:
    tower = "ViT-B/32"
    try:
        import open_clip
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
print(f"pytorch {torch.__version__} ({peer}) {tower} image tower: {batch / median:.2f} images/s, {median / batch:.4f} s/image "
      f"(batch {batch}, 224x224, {threads} threads)")
PY
)
echo "$ours"
echo "$theirs"
a=$(echo "$ours" | sed -E 's/.*: ([0-9.]+) images\/s.*/\1/')
b=$(echo "$theirs" | sed -E 's/.*: ([0-9.]+) images\/s.*/\1/')
target=$([ "$model" = clip ] && echo " (target >= 1.0x)" || true)
awk -v a="$a" -v b="$b" -v t="$target" 'BEGIN { printf "ratio pairdx/pytorch: %.2fx images/s%s\n", a / b, t }'
