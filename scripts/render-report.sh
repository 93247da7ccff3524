#!/usr/bin/env bash
# Renders a report page (the audit's report.html, the validation page) to PNG with headless Chromium, and with
# --check proves that every chart is drawn and that the page needs no horizontal scrolling.
#
#   scripts/render-report.sh REPORT.html OUT.png [--check]
#
# OUT.png is the page as a reader sees it in a WIDTH-pixel window (default 1280). With --check the page is laid
# out at WIDTH inside a wider window, three times: as is, with every chart mark (bar, line, cell, target line)
# hidden (OUT.marks-hidden.png), and with each chart's background painted in a colour of its own
# (OUT.frames.png), which locates every chart. The check fails (exit 1) when a chart with data drew no pixel
# inside its own frame, when a chart is missing from the page, or when anything is drawn right of WIDTH (the
# reader would have to scroll sideways). The check needs Pillow in $PAIRDX_PYTHON (default python3): without it the
# check cannot run, and the script says so and exits 1 rather than pass a check it did not make.
#
# Chromium comes from Debian's `chromium` package; it is installed when missing and apt-get is usable.
# Environment: CHROMIUM (binary), WIDTH (default 1280), HEIGHT (viewport, default 16000), PAIRDX_PYTHON.
set -euo pipefail

if [ $# -lt 2 ]; then
  echo "usage: $0 REPORT.html OUT.png [--check]" >&2
  exit 64
fi
report=$1
out=$2
check=${3:-}
[ -f "$report" ] || { echo "render-report: $report: no such file" >&2; exit 74; }

py=${PAIRDX_PYTHON:-python3}
have_pillow=no
if "$py" -c 'import PIL' 2>/dev/null; then have_pillow=yes; fi
if [ "$check" = "--check" ] && [ "$have_pillow" = no ]; then
  echo "render-report: CHECK NOT MADE: $py has no Pillow (PIL), which the pixel check needs; set PAIRDX_PYTHON to a Python with Pillow (scripts/python-env.sh installs one in .venv)" >&2
  exit 1
fi

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

width=${WIDTH:-1280}
height=${HEIGHT:-16000}
margin=320   # extra window width in which overflowing content shows up
abs_report=$(cd "$(dirname "$report")" && pwd)/$(basename "$report")
profile=$(mktemp -d)
work=$(mktemp -d)
trap 'rm -rf "$profile" "$work"' EXIT

shoot() { # html png window-width
  "$chrome" --headless --no-sandbox --disable-gpu --hide-scrollbars --force-device-scale-factor=1 \
    --user-data-dir="$profile" --no-first-run --disable-extensions --disable-background-networking \
    --window-size="$3,$height" --screenshot="$2" "file://$1" >/dev/null 2>&1
  [ -s "$2" ] || { echo "render-report: chromium wrote no image for $1" >&2; exit 74; }
}

if [ "$check" != "--check" ]; then
  shoot "$abs_report" "$out" "$width"
  if [ "$have_pillow" = yes ]; then
    "$py" - "$out" <<'PY'
import sys
from PIL import Image, ImageChops
im = Image.open(sys.argv[1]).convert("RGB")
box = ImageChops.invert(im).getbbox()
bottom = min(im.height, (box[3] if box else 0) + 24)
if box and box[3] >= im.height - 1:
    print(f"render-report: the page is longer than the {im.height}-pixel viewport; raise HEIGHT", file=sys.stderr)
im.crop((0, 0, im.width, bottom)).save(sys.argv[1])
PY
  fi
  echo "$out"
  exit 0
fi

# The three variants, each laid out at $width (html width fixed) in a window $margin pixels wider.
"$py" - "$abs_report" "$work" "$width" <<'PY'
import re, sys
src, work, width = sys.argv[1], sys.argv[2], int(sys.argv[3])
html = open(src, encoding="utf-8").read()
fixed = f"<style>html{{width:{width}px}}</style>"
def inject(page, css):
    return page.replace("</head>", fixed + css + "</head>", 1)
open(f"{work}/shown.html", "w", encoding="utf-8").write(inject(html, ""))
hide = "<style>.chart .mark{visibility:hidden}</style>"
open(f"{work}/hidden.html", "w", encoding="utf-8").write(inject(html, hide))
# Frames: the first rect of chart i (its background) painted rgb(255, i // 256, i % 256 + 1 …) via an inline style.
parts = html.split('<svg class="chart"')
for i in range(1, len(parts)):
    n = i - 1
    parts[i] = re.sub(r"<rect ", f'<rect style="fill:rgb(255,{n // 200},{n % 200 + 40})" ', parts[i], count=1)
open(f"{work}/frames.html", "w", encoding="utf-8").write(inject('<svg class="chart"'.join(parts), hide))
PY
window=$((width + margin))
shoot "$work/shown.html" "$work/shown.png" "$window"
shoot "$work/hidden.html" "$work/hidden.png" "$window"
shoot "$work/frames.html" "$work/frames.png" "$window"

"$py" - "$work" "$abs_report" "$out" "$width" <<'PY'
import re, sys
from PIL import Image, ImageChops
work, report, out, width = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
shown = Image.open(f"{work}/shown.png").convert("RGB")
hidden = Image.open(f"{work}/hidden.png").convert("RGB")
frames = Image.open(f"{work}/frames.png").convert("RGB")
html = open(report, encoding="utf-8").read()
charts = []
for part in html.split('<svg class="chart"')[1:]:
    body = part.split("</svg>")[0]
    t = re.search(r"<title>(.*?)</title>", body)
    charts.append((t.group(1) if t else "untitled", 'class="mark"' in body))
failures = []

# Sideways scrolling: anything drawn right of the layout width.
right = shown.crop((width, 0, shown.width, shown.height))
spill = ImageChops.invert(right).getbbox()
if spill:
    failures.append(f"the page is wider than {width} px: content drawn up to x={width + spill[2]} (rows {spill[1]}–{spill[3]}); a reader scrolls sideways")

diff = ImageChops.difference(shown, hidden).convert("L").point(lambda v: 255 if v > 16 else 0)
r, g, b = frames.split()
drawn_total = 0
for i, (title, has_marks) in enumerate(charts):
    want = (255, i // 200, i % 200 + 40)
    mask = ImageChops.multiply(ImageChops.multiply(r.point(lambda v, w=want[0]: 255 if v == w else 0),
                                                   g.point(lambda v, w=want[1]: 255 if v == w else 0)),
                               b.point(lambda v, w=want[2]: 255 if v == w else 0))
    box = mask.getbbox()
    if box is None:
        failures.append(f"chart {i + 1} ({title}): not on the page")
        continue
    if not has_marks:
        print(f"chart {i + 1} ({title}): no data, nothing to draw")
        continue
    inside = diff.crop(box)
    drawn = sum(inside.histogram()[1:])
    drawn_total += drawn
    print(f"chart {i + 1} ({title}): {drawn} pixels drawn in its {box[2] - box[0]}×{box[3] - box[1]} frame at ({box[0]}, {box[1]})")
    if drawn == 0:
        failures.append(f"chart {i + 1} ({title}): has data but drew nothing")
if not charts:
    print("render-report: the page has no charts")

# The reader's view: the page at the layout width, cropped below the content.
view = shown.crop((0, 0, width, shown.height))
box = ImageChops.invert(view).getbbox()
bottom = min(view.height, (box[3] if box else 0) + 24)
if box and box[3] >= view.height - 1:
    failures.append(f"the page is longer than the {view.height}-pixel viewport; raise HEIGHT so every chart is checked")
view.crop((0, 0, width, bottom)).save(out)
base = out[:-4] if out.endswith(".png") else out
hidden.crop((0, 0, width, bottom)).save(base + ".marks-hidden.png")
frames.crop((0, 0, width, bottom)).save(base + ".frames.png")
print(out)
print(f"{len(charts)} charts, {sum(1 for c in charts if c[1])} with data, {drawn_total} chart pixels drawn; layout width {width} px")
if failures:
    for f in failures:
        print("render-report: CHECK FAILED: " + f, file=sys.stderr)
    sys.exit(1)
PY
