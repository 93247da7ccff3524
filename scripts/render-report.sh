#!/usr/bin/env bash
# Renders an audit report.html to PNG with headless Chromium, and checks that its charts are drawn.
#
#   scripts/render-report.sh REPORT.html OUT.png [--check]
#
# OUT.png is the page as a reader sees it. With --check the page is rendered a second time with every
# chart mark (bar, target line) hidden, to OUT.marks-hidden.png; the pixels that differ are what the
# charts drew. The check then counts, per chart that has data, the rows where it drew something, and
# fails when a chart drew nothing. The pixel count uses Pillow from $PAIRDX_PYTHON (default python3); without
# Pillow the two PNGs are still written and the Swift test (AuditRenderTests) does the count.
#
# Chromium comes from Debian's `chromium` package; it is installed when missing and apt-get is usable.
# Environment: CHROMIUM (binary), WIDTH (default 1100), HEIGHT (viewport, default 16000), PAIRDX_PYTHON.
# With Pillow the PNGs are cropped to the page's content, and a page longer than HEIGHT is reported.
set -euo pipefail

if [ $# -lt 2 ]; then
  echo "usage: $0 REPORT.html OUT.png [--check]" >&2
  exit 64
fi
report=$1
out=$2
check=${3:-}
[ -f "$report" ] || { echo "render-report: $report: no such file" >&2; exit 74; }

find_chromium() {
  for c in "${CHROMIUM:-}" chromium chromium-browser google-chrome; do
    if [ -n "$c" ] && command -v "$c" >/dev/null 2>&1; then command -v "$c"; return 0; fi
  done
  return 1
}

if ! chrome=$(find_chromium); then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    echo "render-report: installing Debian's chromium package" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium fonts-dejavu-core fonts-noto-color-emoji >&2 \
      || { apt-get update >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium fonts-dejavu-core fonts-noto-color-emoji >&2; }
    chrome=$(find_chromium) || { echo "render-report: chromium still not found after install" >&2; exit 74; }
  else
    echo "render-report: chromium not found; install Debian's 'chromium' package (or set CHROMIUM)" >&2
    exit 74
  fi
fi

width=${WIDTH:-1100}
height=${HEIGHT:-16000}
abs_report=$(cd "$(dirname "$report")" && pwd)/$(basename "$report")
profile=$(mktemp -d)
trap 'rm -rf "$profile" "${hidden_html:-}"' EXIT

shoot() { # html png
  "$chrome" --headless --no-sandbox --disable-gpu --hide-scrollbars --force-device-scale-factor=1 \
    --user-data-dir="$profile" --no-first-run --disable-extensions --disable-background-networking \
    --window-size="$width,$height" --screenshot="$2" "file://$1" >/dev/null 2>&1
  [ -s "$2" ] || { echo "render-report: chromium wrote no image for $1" >&2; exit 74; }
}

py=${PAIRDX_PYTHON:-python3}
have_pillow=no
if "$py" -c 'import PIL' 2>/dev/null; then have_pillow=yes; fi

shoot "$abs_report" "$out"

# Crop the white space below the page (both images to the same height, so they stay comparable).
crop() { # png... : crops to the lowest non-white row of the first image
  [ "$have_pillow" = yes ] || return 0
  "$py" - "$@" <<'PY'
import sys
from PIL import Image, ImageChops
first = Image.open(sys.argv[1]).convert("RGB")
box = ImageChops.invert(first).getbbox()
bottom = min(first.height, (box[3] if box else 0) + 24)
if box and box[3] >= first.height - 1:
    print(f"render-report: the page is longer than the {first.height}-pixel viewport; raise HEIGHT", file=sys.stderr)
for p in sys.argv[1:]:
    im = Image.open(p)
    im.crop((0, 0, im.width, bottom)).save(p)
PY
}

if [ "$check" != "--check" ]; then crop "$out"; echo "$out"; exit 0; fi

hidden_png="${out%.png}.marks-hidden.png"
hidden_html=$(mktemp --suffix=.html)
sed 's#</head>#<style>.chart .mark{visibility:hidden}</style></head>#' "$abs_report" > "$hidden_html"
shoot "$hidden_html" "$hidden_png"
crop "$out" "$hidden_png"
echo "$out"
echo "$hidden_png"

if [ "$have_pillow" = no ]; then
  echo "render-report: $py has no Pillow; skipped the pixel count" >&2
  exit 0
fi
"$py" - "$out" "$hidden_png" "$abs_report" <<'PY'
import sys
from PIL import Image, ImageChops
a = Image.open(sys.argv[1]).convert("RGB")
b = Image.open(sys.argv[2]).convert("RGB")
html = open(sys.argv[3], encoding="utf-8").read()
want = sum(1 for part in html.split('<svg class="chart"')[1:] if 'class="mark"' in part.split("</svg>")[0])
diff = ImageChops.difference(a, b).convert("L").point(lambda v: 255 if v > 16 else 0)
w, h = diff.size
px = diff.load()
rows = [sum(1 for x in range(0, w, 2) if px[x, y]) for y in range(h)]
bands, gap, inband = 0, 0, False
for r in rows:
    if r:
        if not inband:
            bands += 1
        inband, gap = True, 0
    else:
        gap += 1
        if gap > 12:
            inband = False
total = sum(rows)
print(f"chart pixels drawn: {total} (sampled), chart bands: {bands}, charts with data: {want}")
if total == 0 or bands < want:
    print("render-report: CHECK FAILED: a chart with data drew nothing", file=sys.stderr)
    sys.exit(1)
PY
