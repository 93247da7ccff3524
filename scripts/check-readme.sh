#!/usr/bin/env bash
# Doc tests: runs every README command block marked runnable, in a scratch copy of the repository, after the demo's
# rebuild, and fails on a non-zero exit or on output that differs from what the README shows.
#
# Markers (HTML comments, invisible on the rendered page), each on the line before an indented code block:
#   <!-- runnable -->            the block's lines run as one bash script (set -euo pipefail) from the scratch root;
#                                `pairdx` on PATH is the binary under test
#   <!-- output -->              the block is the exact stdout of the runnable block before it
#   <!-- output-of: COMMAND -->  the block is the exact stdout of COMMAND (run the same way)
#
# PAIRDX_BIN: an already built pairdx (else .build/release/pairdx when present, else a debug build is made).
# The demo step is `pairdx rebuild` on the embedded corpus (the demo without --validate, which adds only training).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
bin=${PAIRDX_BIN:-}
if [ -z "$bin" ]; then
  if [ -x .build/release/pairdx ]; then bin=.build/release/pairdx
  else swift build --product pairdx --quiet >&2; bin=.build/debug/pairdx; fi
fi
case "$bin" in /*) ;; *) bin="$repo/$bin" ;; esac
[ -x "$bin" ] || { echo "check-readme: $bin is not an executable" >&2; exit 74; }

scratch=$(mktemp -d "${TMPDIR:-/tmp}/pairdx-readme.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$scratch/repo" "$scratch/bin"
# The committed files only (no build products, work directory or reports).
git ls-files -z | (cd "$repo" && xargs -0 cp --parents -t "$scratch/repo")
ln -s "$bin" "$scratch/bin/pairdx"
export PATH="$scratch/bin:$PATH"
cd "$scratch/repo"

echo "check-readme: demo rebuild in $scratch/repo" >&2
pairdx rebuild --log-level warning >/dev/null

# README → one file per item: kind (run | expect | expect-of), command, block text.
"${PAIRDX_PYTHON:-python3}" - "$repo/README.md" "$scratch/items" <<'PY'
import os, re, sys
lines = open(sys.argv[1], encoding="utf-8").read().split("\n")
out = sys.argv[2]; os.makedirs(out)
n = 0
i = 0
while i < len(lines):
    m = re.fullmatch(r"\s*<!--\s*(runnable|output|output-of:\s*(.+?))\s*-->\s*", lines[i])
    if not m:
        i += 1; continue
    kind = "run" if m.group(1) == "runnable" else ("expect" if m.group(1) == "output" else "expect-of")
    j = i + 1
    while j < len(lines) and lines[j].strip() == "": j += 1
    block = []
    while j < len(lines) and (lines[j].startswith("    ") or (lines[j].strip() == "" and j + 1 < len(lines) and lines[j + 1].startswith("    "))):
        block.append(lines[j][4:]); j += 1
    if not block:
        sys.exit(f"README.md:{i + 1}: marker {lines[i].strip()} is not followed by an indented code block")
    n += 1
    with open(f"{out}/{n:03d}", "w", encoding="utf-8") as f:
        f.write(f"{kind}\n{i + 1}\n{m.group(2) or ''}\n" + "\n".join(block) + "\n")
    i = j
if n == 0: sys.exit("README.md has no <!-- runnable --> block")
PY

failed=0; ran=0; last_out=""
for item in "$scratch"/items/*; do
  kind=$(sed -n 1p "$item"); line=$(sed -n 2p "$item"); cmd=$(sed -n 3p "$item")
  sed -n '4,$p' "$item" > "$scratch/block"
  case "$kind" in
    run)
      ran=$((ran + 1))
      echo "check-readme: README.md:$line: running" >&2
      if bash -euo pipefail "$scratch/block" > "$scratch/out" 2> "$scratch/err"; then
        last_out="$scratch/out.$line"; cp "$scratch/out" "$last_out"
      else
        status=$?
        echo "check-readme: README.md:$line: exit $status from:" >&2; sed 's/^/    /' "$scratch/block" >&2
        sed 's/^/    stderr: /' "$scratch/err" | tail -20 >&2
        failed=$((failed + 1)); last_out=""
      fi ;;
    expect|expect-of)
      if [ "$kind" = expect-of ]; then
        ran=$((ran + 1))
        if ! bash -euo pipefail -c "$cmd" > "$scratch/got" 2> "$scratch/err"; then
          echo "check-readme: README.md:$line: '$cmd' failed" >&2; sed 's/^/    stderr: /' "$scratch/err" | tail -20 >&2
          failed=$((failed + 1)); continue
        fi
      elif [ -n "$last_out" ]; then cp "$last_out" "$scratch/got"
      else echo "check-readme: README.md:$line: an output block with no successful runnable block before it" >&2; failed=$((failed + 1)); continue
      fi
      if ! diff -u "$scratch/block" "$scratch/got" > "$scratch/diff"; then
        echo "check-readme: README.md:$line: the output differs from what the README shows (- README, + actual):" >&2
        sed 's/^/    /' "$scratch/diff" >&2
        failed=$((failed + 1))
      fi ;;
  esac
done
if [ "$failed" -gt 0 ]; then echo "check-readme: $failed of $ran README checks failed" >&2; exit 1; fi
echo "check-readme: $ran README checks passed" >&2
