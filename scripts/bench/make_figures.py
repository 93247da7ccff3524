"""Writes COUNT PNG and COUNT JPEG (quality 90) figures, 512x512, cut at varying places from the sample
images (grey and RGB), so no two files are alike.
Usage: make_figures.py SAMPLES_DIR OUT_DIR COUNT   (needs Pillow)"""
import os
import sys

from PIL import Image

src, out, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
os.makedirs(out, exist_ok=True)
names = sorted(f for f in os.listdir(src) if f.endswith((".png", ".jpg")))
bases = [Image.open(os.path.join(src, f)) for f in names]
bases = [b.convert("L") if b.mode in ("L", "LA", "I", "I;16") else b.convert("RGB") for b in bases]
for i in range(n):
    b = bases[i % len(bases)]
    w, h = b.size
    s = 0.5 + 0.5 * ((i * 37) % 100) / 100
    cw, ch = max(16, int(w * s)), max(16, int(h * s))
    x, y = (i * 53) % max(1, w - cw + 1), (i * 71) % max(1, h - ch + 1)
    im = b.crop((x, y, x + cw, y + ch)).resize((512, 512), Image.BICUBIC)
    im.save(os.path.join(out, f"fig{i:05d}.png"))
    im.save(os.path.join(out, f"fig{i:05d}.jpg"), quality=90)
