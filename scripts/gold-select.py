#!/usr/bin/env python3
"""Selects the captions of the label gold set (docs/labelling-guidelines.md, "Selection").

Reads ../shared/data (or the directory given as the first argument) and prints one line per selected
caption: source<TAB>id<TAB>stratum<TAB>caption. The rule is fixed and seeded, so the same data gives the
same selection; it uses keyword filters, never the recipe's labelling rules.

  strata
    nonrad-keyword   every ROCO non-radiology caption (test + validation) matching MODALITY or HARD
    nonrad-random    40 of the remaining non-radiology captions, ordered by sha256("gold-v1:" + id)
    rad-hard         60 ROCO radiology captions (test + validation) matching HARD, same ordering
    rad-random       220 of the remaining radiology captions, same ordering
    train-micro      60 ROCO train/non-radiology captions matching MICRO, same ordering (more microscopy:
                     stained sections and the microscopy that is not)
    jats             every <fig> of every JATS article in jats/ (ids: file stem + "#" + fig id)
"""
import hashlib, os, re, sys

ROOT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data")
MODALITY = re.compile(r"endoscop|colonoscop|gastroscop|bronchoscop|cystoscop|laparoscop|arthroscop|histolog|histopath|"
                      r"H&E|h[a]?ematoxylin|eosin|immunohisto|micrograph|microscop|stain|biopsy|x-?\s?ray|radiograph|"
                      r"\bCXR\b|ultraso|sonograph|doppler|echocardio|\bCT\b|CBCT|computed tomograph|\bMRI?\b|"
                      r"magnetic resonance|weighted|FLAIR", re.I)
HARD = re.compile(r"\bPET\b|SPECT|crystal|diffraction|trocar|stapl|\bports?\b|fluoresc|confocal|electron|cone[- ]beam|"
                  r"\bprevious\b|\bprior\b|compared with|endoscop|histolog|micrograph|photograph|intraoperative", re.I)
MICRO = re.compile(r"stain|H&E|histolog|micrograph|microscop|\bsections?\b|magnification", re.I)
SUBSETS = ["test/non-radiology", "validation/non-radiology", "test/radiology", "validation/radiology"]


def order(i):
    return hashlib.sha256(("gold-v1:" + i).encode()).hexdigest()


def captions(subset):
    path = os.path.join(ROOT, "roco-captions", subset, "captions.txt")
    for line in open(path, encoding="utf-8"):
        parts = line.rstrip("\n").split("\t", 1)
        if len(parts) == 2:
            yield "roco-captions/" + subset, parts[0].strip(), " ".join(parts[1].split())


def main():
    out = []
    nonrad = [c for s in SUBSETS[:2] for c in captions(s)]
    rad = [c for s in SUBSETS[2:] for c in captions(s)]
    kw = [c for c in nonrad if MODALITY.search(c[2]) or HARD.search(c[2])]
    rest = sorted((c for c in nonrad if c not in kw), key=lambda c: order(c[1]))
    out += [(c, "nonrad-keyword") for c in kw] + [(c, "nonrad-random") for c in rest[:40]]
    hard = sorted((c for c in rad if HARD.search(c[2])), key=lambda c: order(c[1]))[:60]
    taken = {c[1] for c in hard}
    rest = sorted((c for c in rad if c[1] not in taken), key=lambda c: order(c[1]))
    out += [(c, "rad-hard") for c in hard] + [(c, "rad-random") for c in rest[:220]]
    micro = sorted((c for c in captions("train/non-radiology") if MICRO.search(c[2])), key=lambda c: order(c[1]))
    out += [(c, "train-micro") for c in micro[:60]]
    jdir = os.path.join(ROOT, "jats")
    for name in sorted(os.listdir(jdir)):
        if not name.endswith(".nxml"):
            continue
        xml = open(os.path.join(jdir, name), encoding="utf-8").read()
        for m in re.finditer(r"<fig\b[^>]*\bid=\"([^\"]+)\"[^>]*>(.*?)</fig>", xml, re.S):
            cap = re.search(r"<caption>(.*?)</caption>", m.group(2), re.S)
            text = " ".join(re.sub(r"<[^>]+>", " ", cap.group(1) if cap else "").split())
            out.append((("jats/" + name, name[:-5] + "#" + m.group(1), text), "jats"))
    for (src, i, text), stratum in out:
        print(f"{src}\t{i}\t{stratum}\t{text}")


if __name__ == "__main__":
    main()
