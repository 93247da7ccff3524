#!/usr/bin/env bash
# Curation stages on the paper-sized synthetic corpus (22,665 figures by default) from a filled blob store:
# hash, dedupe, label, balance, split and manifest, timed per stage and in total (target: 2 minutes on 2 cores).
#   scripts/bench/curation.sh [FIGURES] [SCRATCH_DIR]
set -euo pipefail
cd "$(dirname "$0")/../.."
figures=${1:-22665}
dir=${2:-${TMPDIR:-/tmp}/pairdx-bench-curation-$figures}
swift build -c release --product pairdx >/dev/null
bin=$PWD/.build/release/pairdx
mkdir -p "$dir"
work=$dir/work
if [ ! -s "$work/figures.jsonl" ]; then
  echo "preparing: synth $figures figures and fetch them into the blob store (not timed)" >&2
  "$bin" synth --seed 1 --out "$dir/mirror" --figures "$figures" --log-level warning
  "$bin" discover --source "$dir/mirror" --work "$work" --log-level warning >/dev/null
  "$bin" fetch --source "$dir/mirror" --work "$work" --log-level warning >/dev/null
fi
mkdir -p "$dir/Manifests/pairdx-synth-v1"
cp Manifests/pairdx-synth-v1/recipe.json "$dir/Manifests/pairdx-synth-v1/recipe.json"
roots=(--recipe pairdx-synth-v1 --splits-root "$dir/Splits" --manifests-root "$dir/Manifests")
threads=$(nproc)
total=0
row() { printf '%-10s %8.2f s   %s\n' "$1" "$2" "$3"; }
stage() {
  local name=$1; shift
  local t0 t1 dt
  t0=$(date +%s.%N)
  "$bin" "$@" --work "$work" --log-level warning >/dev/null
  t1=$(date +%s.%N)
  dt=$(echo "$t1 - $t0" | bc -l)
  total=$(echo "$total + $dt" | bc -l)
  row "$name" "$dt" "$(echo "$figures / $dt" | bc -l | xargs printf '%.0f figures/s')"
}
echo "curation stages on $figures synthetic figures, $threads threads ($(nproc) cores)"
stage hash hash --threads "$threads"
stage dedupe dedupe --recipe "$dir/Manifests/pairdx-synth-v1/recipe.json" --threads "$threads"
stage label label "${roots[@]}"
stage balance balance "${roots[@]}"
stage split split "${roots[@]}"
stage manifest manifest "${roots[@]}"
row total "$total" "$(echo "$total <= 120" | bc -l | sed 's/1/within the 2-minute target/;s/0/OVER the 2-minute target/')"
