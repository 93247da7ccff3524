#!/usr/bin/env bash
# Throughput of the sharded item stages (fetch + hash) with 1, 2 and 4 shards run as concurrent processes, then
# merge, on a synthetic corpus (default: the paper-sized 22,665 figures).   scripts/bench/shards.sh [FIGURES] [DIR]
set -euo pipefail
cd "$(dirname "$0")/../.."
figures=${1:-22665}
dir=${2:-${TMPDIR:-/tmp}/pairdx-bench-curation-$figures}
swift build -c release --product pairdx >/dev/null
bin=$PWD/.build/release/pairdx
[ -d "$dir/mirror" ] || "$bin" synth --seed 1 --out "$dir/mirror" --figures "$figures" --log-level warning >/dev/null
echo "fetch + hash of $figures figures from a local mirror, $(nproc) cores"
for n in 1 2 4; do
  work=$dir/shards-$n
  rm -rf "$work"
  "$bin" discover --source "$dir/mirror" --work "$work" --log-level warning >/dev/null
  t0=$(date +%s.%N)
  for stage in fetch hash; do
    pids=()
    for ((i = 0; i < n; i++)); do
      args=("$stage" --work "$work" --log-level warning --threads $(( $(nproc) / n > 0 ? $(nproc) / n : 1 )))
      [ "$n" -gt 1 ] && args+=(--shard "$i/$n")
      [ "$stage" = fetch ] && args+=(--source "$dir/mirror")
      "$bin" "${args[@]}" >/dev/null & pids+=($!)
    done
    for p in "${pids[@]}"; do wait "$p"; done
  done
  [ "$n" -gt 1 ] && "$bin" merge --work "$work" --shards "$n" --log-level warning
  t1=$(date +%s.%N)
  dt=$(echo "$t1 - $t0" | bc -l)
  printf '%d shard(s): %7.1f s  %6.0f figures/s  images.jsonl sha256 %s\n' "$n" "$dt" "$(echo "$figures / $dt" | bc -l)" \
    "$(sha256sum "$work/images.jsonl" | cut -c1-16)"
done
