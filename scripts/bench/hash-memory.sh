#!/usr/bin/env bash
# Peak memory of hashing huge images: `pairdx phash` over COUNT figures of SIDE x SIDE pixels (default eight
# 9000 x 9000 = 81 MP) on THREADS threads, one folder per kind (sequential PNG, interlaced PNG, baseline JPEG,
# progressive JPEG), each run's peak RSS printed beside the bound README "Reliability" states:
#   runtime base + --decode-memory-mb + THREADS x (largest file + 8 MiB of rows and decoder state).
# Usage: scripts/bench/hash-memory.sh [COUNT] [SIDE] [THREADS] [DECODE_MEMORY_MB]
#        (python with Pillow and numpy from $PAIRDX_PYTHON, default python3; PAIRDX_BIN=path skips the release build)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
count="${1:-8}"
side="${2:-9000}"
threads="${3:-8}"
budget="${4:-512}"
python="${PAIRDX_PYTHON:-python3}"
scratch="${SCRATCH:-$root/.build-bench}"
if [ -n "${PAIRDX_BIN:-}" ]; then
    bin="$PAIRDX_BIN"   # an already built pairdx (memory does not depend on the build configuration)
else
    swift build -c release --scratch-path "$scratch" --product pairdx >&2
    bin="$scratch/release/pairdx"
fi
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT

echo "cpu: $("$root/scripts/machine.sh" --load)"
"$python" - "$dir" "$count" "$side" <<'PY'
import os, sys
from PIL import Image, ImageChops
out, n, side = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
grad = Image.linear_gradient("L").resize((side, side))
for i in range(n):
    # A different RGB picture each time (gradients turned and shifted), so no two files are alike.
    r = ImageChops.offset(grad, i * 97, 0)
    im = Image.merge("RGB", (r, grad.rotate(90), ImageChops.offset(grad.rotate(180), 0, i * 53)))
    for kind, name, args in [("png", f"f{i}.png", {}), ("interlaced", f"f{i}.png", {"interlace": 1}),
                             ("jpeg", f"f{i}.jpg", {"quality": 90}),
                             ("progressive", f"f{i}.jpg", {"quality": 90, "progressive": True})]:
        os.makedirs(os.path.join(out, kind), exist_ok=True)
        if kind == "interlaced":
            # Pillow writes no Adam7; the sequential file is re-encoded by pairdx below.
            continue
        im.save(os.path.join(out, kind, name), **args)
PY
# Adam7 copies of the PNGs (Pillow writes no interlaced PNG): the seven passes' rows, filter 0, through zlib.
"$python" - "$dir/png" "$dir/interlaced" <<'PY'
import os, struct, sys, zlib
import numpy as np
from PIL import Image
src, out = sys.argv[1], sys.argv[2]
def chunk(t, b):
    return struct.pack(">I", len(b)) + t + b + struct.pack(">I", zlib.crc32(t + b) & 0xFFFFFFFF)
passes = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
for name in sorted(os.listdir(src)):
    a = np.asarray(Image.open(os.path.join(src, name)).convert("RGB"))
    h, w, _ = a.shape
    z = zlib.compressobj(6)
    body = []
    for x0, y0, dx, dy in passes:
        sub = a[y0::dy, x0::dx, :]
        if sub.size == 0:
            continue
        rows = sub.reshape(sub.shape[0], -1)
        body.append(z.compress(np.hstack([np.zeros((rows.shape[0], 1), np.uint8), rows]).tobytes()))
    body.append(z.flush())
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 1))
    data += chunk(b"IDAT", b"".join(body)) + chunk(b"IEND", b"")
    open(os.path.join(out, name), "wb").write(data)
PY
peak_of() {
    "$python" - "$bin" "$@" <<'PY'
import resource, subprocess, sys
subprocess.run([sys.argv[1], "phash"] + sys.argv[2:], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024)
PY
}
# The runtime base: the same command on one small file.
mkdir -p "$dir/small"
"$python" -c "from PIL import Image; Image.linear_gradient('L').save('$dir/small/s.png')"
base=$(peak_of --threads "$threads" "$dir/small")
echo "base: $base MiB (one 256x256 PNG)"
for kind in png interlaced jpeg progressive; do
    largest=$(ls -l "$dir/$kind" | awk 'NR > 1 && $5 > m { m = $5 } END { print m + 0 }')
    peak=$(peak_of --threads "$threads" --decode-memory-mb "$budget" "$dir/$kind")
    bound=$(( base + budget + threads * (largest / 1048576 + 1 + 8) ))
    printf '%-12s %d x %dx%d, %s threads, decode memory %d MiB: peak RSS %4d MiB (bound %d MiB; largest file %d MiB)\n' \
        "$kind" "$count" "$side" "$side" "$threads" "$budget" "$peak" "$bound" $(( largest / 1048576 ))
done
