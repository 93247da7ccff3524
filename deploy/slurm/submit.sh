#!/usr/bin/env bash
# Submits a sharded rebuild to Slurm: an array of N item-stage tasks, then the merge and global stages as a
# dependent job. Work directory, blob store and outputs must be on storage every node sees.
#
#   deploy/slurm/submit.sh --source URL|DIR --work DIR --out DIR --shards N [--recipe FILE] [--pairdx BIN] [--wait]
#
# Prints the two job ids. With --wait, blocks until the final job ends and exits with its status.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
shards=4 wait=0 pairdx=$(command -v pairdx || echo "$here/../../.build/release/pairdx") recipe=pairdx-synth-v1
while [ $# -gt 0 ]; do
  case $1 in
    --source) source=$2; shift 2 ;; --work) work=$2; shift 2 ;; --out) out=$2; shift 2 ;;
    --shards) shards=$2; shift 2 ;; --recipe) recipe=$2; shift 2 ;; --pairdx) pairdx=$2; shift 2 ;;
    --wait) wait=1; shift ;; *) echo "unknown option $1" >&2; exit 64 ;;
  esac
done
: "${source:?--source is required}" "${work:?--work is required}" "${out:?--out is required}"
abs() { (mkdir -p "$1" && cd "$1" && pwd); }
work=$(abs "$work"); out=$(abs "$out"); mkdir -p "$work/logs"
case $source in http://*|https://*|file://*) ;; *) source=$(cd "$source" && pwd) ;; esac
recipe_file=$recipe
[ -f "$recipe_file" ] || recipe_file="$here/../../Manifests/$recipe/recipe.json"
recipe_file=$(cd "$(dirname "$recipe_file")" && pwd)/$(basename "$recipe_file")
mkdir -p "$out/Manifests/$(basename "$(dirname "$recipe_file")")"
cp "$recipe_file" "$out/Manifests/$(basename "$(dirname "$recipe_file")")/recipe.json"
export WORK=$work SOURCE=$source SHARDS=$shards PAIRDX=$pairdx RECIPE=$(basename "$(dirname "$recipe_file")") RECIPE_FILE=$recipe_file OUT=$out
"$pairdx" discover --source "$source" --work "$work" --log-level warning
array=$(sbatch --parsable --export=ALL --array=0-$((shards - 1)) --output="$work/logs/shard-%a.log" "$here/shard.sbatch")
final=$(sbatch --parsable --export=ALL --dependency=afterok:"$array" --kill-on-invalid-dep=yes --output="$work/logs/finish.log" "$here/finish.sbatch")
echo "array job $array ($shards tasks), final job $final"
if [ "$wait" = 1 ]; then
  while squeue -h -j "$array,$final" 2>/dev/null | grep -q .; do sleep 2; done
  state=$(sacct -n -X -j "$final" -o State 2>/dev/null | head -1 | tr -d ' ' || true)
  if [ -z "$state" ]; then state=$(scontrol show job "$final" 2>/dev/null | grep -o 'JobState=[A-Z]*' | cut -d= -f2 || true); fi
  echo "final job: ${state:-unknown}"
  [ "${state:-}" = COMPLETED ] || { cat "$work/logs/"*.log >&2; exit 1; }
fi
