#!/usr/bin/env python3
"""How hard is the embedded corpus? Trains, on the same split of a generated mirror, an image-only CNN
(a small ResNet at 64x64), a text-only model (bag of words over the first 24 caption words) and their late
fusion (product of the two models' probabilities), and prints their test accuracy against the true class.

Only figures whose caption names a class (kinds clear, late, misleading) are used, as after labelling.
Usage: python3 synth_difficulty.py MIRROR TRUTH [--train 300] [--size 64] [--epochs 20] [--seed 0]
Needs torch, numpy and Pillow.
"""
import argparse, json, os, re, sys, xml.etree.ElementTree as ET
import numpy as np
import torch, torch.nn as nn, torch.nn.functional as F
from PIL import Image

CLASSES = ["ct", "mri", "xray", "ultrasound", "histopathology", "endoscopy"]


def captions(folder):
    name = os.path.basename(folder)
    text = open(os.path.join(folder, name + ".xml"), encoding="utf-8").read()
    text = re.sub(r"<!DOCTYPE[^\[>]*(\[[^\]]*\])?>", "", text).replace("&x;", "")
    root = ET.fromstring(text)
    out = {}
    for fig in root.iter("fig"):
        cap = fig.find("caption")
        out[fig.get("id")] = " ".join("".join(cap.itertext()).split()) if cap is not None else ""
    return out


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.c1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False); self.b1 = nn.BatchNorm2d(cout)
        self.c2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False); self.b2 = nn.BatchNorm2d(cout)
        self.skip = None if stride == 1 and cin == cout else nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = F.relu(self.b1(self.c1(x)))
        y = self.b2(self.c2(y))
        return F.relu(y + (x if self.skip is None else self.skip(x)))


class SmallResNet(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 32, 3, 2, 1, bias=False), nn.BatchNorm2d(32), nn.ReLU())
        self.layers = nn.Sequential(Block(32, 32, 1), Block(32, 64, 2), Block(64, 128, 2), Block(128, 256, 2))
        self.fc = nn.Linear(256, n)

    def forward(self, x):
        return self.fc(self.layers(self.stem(x)).mean((2, 3)))


def fit(model, x, y, epochs, lr, augment=False):
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-3)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, epochs)
    for _ in range(epochs):
        model.train()
        perm = torch.randperm(len(x))
        for i in range(0, len(x), 32):
            idx = perm[i:i + 32]
            xb = x[idx]
            if augment:
                xb = torch.where(torch.rand(len(xb), 1, 1, 1) < 0.5, xb.flip(3), xb)
            loss = F.cross_entropy(model(xb), y[idx])
            opt.zero_grad(); loss.backward(); opt.step()
        sched.step()
    model.eval()
    return model


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mirror"); ap.add_argument("truth")
    ap.add_argument("--train", type=int, default=300); ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--epochs", type=int, default=20); ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    torch.manual_seed(a.seed); rng = np.random.default_rng(a.seed)
    truth = json.load(open(a.truth))
    h = truth["hazards"]
    bad = set(h["corruptImages"] + h["truncatedImages"] + h["nonImageMedia"] + h["missingMedia"] + h["unsupportedFormat"]
              + [f["id"] for f in truth["figures"] if f["id"].split("/")[0] in set(h["retracted"] + h["notOpenAccess"])])
    folders = {}
    for d in os.listdir(a.mirror):
        p, v = d.split(".")
        folders[p] = max(folders.get(p, ("", 0)), (d, int(v)), key=lambda t: t[1])
    caps = {}
    items = []
    for f in truth["figures"]:
        if f["id"] in bad or f["captionKind"] not in ("clear", "late", "misleading"):
            continue
        pmcid, fig = f["id"].split("/")[:2]
        folder = os.path.join(a.mirror, folders[pmcid][0])
        if folder not in caps:
            caps[folder] = captions(folder)
        img = Image.open(os.path.join(folder, f["media"])).convert("RGB").resize((a.size, a.size), Image.BILINEAR)
        items.append((np.asarray(img, dtype=np.float32) / 255.0, caps[folder].get(fig, ""), CLASSES.index(f["class"]), f))
    order = rng.permutation(len(items))
    tr, te = order[:a.train], order[a.train:]
    X = torch.tensor(np.stack([i[0] for i in items])).permute(0, 3, 1, 2)
    X = (X - X.mean()) / X.std()
    Y = torch.tensor([i[2] for i in items])
    # Text: bag of words over the first 24 words.
    toks = [[w.lower().strip(".,;:()") for w in i[1].split()[:24]] for i in items]
    vocab = {w: k for k, w in enumerate(sorted({w for j in tr for w in toks[j]}))}
    T = torch.zeros(len(items), len(vocab))
    for n, ws in enumerate(toks):
        for w in ws:
            if w in vocab: T[n, vocab[w]] = 1.0
    image = fit(SmallResNet(len(CLASSES)), X[tr], Y[tr], a.epochs, 2e-3, augment=True)
    text = fit(nn.Linear(len(vocab), len(CLASSES)), T[tr], Y[tr], 200, 5e-2)
    with torch.no_grad():
        pi = F.softmax(image(X[te]), 1); pt = F.softmax(text(T[te]), 1)
    yt = Y[te]
    acc = lambda p: (p.argmax(1) == yt).float().mean().item() * 100
    kinds = np.array([items[j][3]["captionKind"] for j in te]); hard = np.array([items[j][3]["hard"] for j in te])
    print(f"items: {len(items)} labelled-like, train {len(tr)}, test {len(te)}, {a.size}x{a.size}")
    print(f"image-only accuracy: {acc(pi):.1f}%  (hard: {(pi.argmax(1) == yt)[torch.tensor(hard)].float().mean().item()*100:.1f}%)")
    print(f"text-only accuracy:  {acc(pt):.1f}%  (late captions: {(pt.argmax(1) == yt)[torch.tensor(kinds == 'late')].float().mean().item()*100:.1f}%)")
    print(f"late fusion accuracy: {acc(pi * pt):.1f}%")


if __name__ == "__main__":
    sys.exit(main())
