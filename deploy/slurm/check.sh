#!/usr/bin/env bash
# Proves a Slurm run: starts a local single-node cluster, rebuilds the embedded corpus as a 4-task array
# (fetch + hash per shard) plus a dependent merge-and-curate job, and checks that Splits/ and Manifests/ equal the
# committed single-process rebuild byte for byte.   deploy/slurm/check.sh [SHARDS]
set -euo pipefail
cd "$(dirname "$0")/../.."
shards=${1:-4}
deploy/slurm/start-local-cluster.sh >/dev/null
scripts/install-deps.sh
swift build -c release --product pairdx >/dev/null
bin=$PWD/.build/release/pairdx
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pairdx-slurm.XXXXXX")
figures=$(python3 -c 'import json;print(json.load(open("Manifests/pairdx-synth-v1/recipe.json"))["sources"][0].get("figures",1500))')
"$bin" synth --seed 1 --figures "$figures" --out "$tmp/mirror" --log-level warning >/dev/null
deploy/slurm/submit.sh --source "$tmp/mirror" --work "$tmp/work" --out "$tmp/out" --shards "$shards" \
  --recipe Manifests/pairdx-synth-v1/recipe.json --pairdx "$bin" --wait
status=0
for d in Splits/pairdx-synth-v1 Manifests/pairdx-synth-v1; do
  if diff -r "$d" "$tmp/out/$d" >/dev/null; then echo "$d: identical to the committed rebuild"; else echo "$d: DIFFERS"; diff -r "$d" "$tmp/out/$d" | head -20; status=1; fi
done
ls "$tmp/work"/*.shard-* | sed "s#$tmp/work/##" | tr '\n' ' '; echo
exit $status
