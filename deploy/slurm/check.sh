#!/usr/bin/env bash
# Proves a Slurm run on this machine: starts a local single-node cluster (start-local-cluster.sh), rebuilds with
# deploy/slurm/submit.sh --wait as SHARDS-task arrays plus their dependent jobs, and checks the outputs byte for byte.
#
#   deploy/slurm/check.sh [SHARDS] [--binary PATH] [--keep] [--fail-shard I] [--caption-first]
#
#   SHARDS          array size (default 4)
#   --binary PATH   use this pairdx binary instead of building one (swift build -c release)
#   --keep          leave the cluster running and the temporary directory in place (prints how to stop it)
#   --fail-shard I  make array task I fail (its figure list's path is blocked by a directory, so it cannot write it)
#                   and pass only if submit.sh --wait then exits non-zero naming that task ("shard task I", or
#                   "scan task I" with --caption-first)
#   --caption-first the caption-first rehearsal: a PubMed Central-like corpus (pairdx synth --profile pmc) served by
#                   pairdx serve-mirror on 127.0.0.1, a recipe with a per-class target, submit.sh --order
#                   caption-first (plan here; scan array: metadata and JATS per shard; finish job: merge, media
#                   cap, media and hashes, shortest full prefix, dedupe, label, balance, split, manifest, verify,
#                   audit); Splits/ and Manifests/ must equal a one-process `pairdx rebuild` of the same source.
#                   Without it: the embedded demo corpus in all-media order (fetch + hash array, dedupe, label array,
#                   finish), and Splits/ and Manifests/ must equal the committed ones.
#
# Needs root, apt (slurm-wlm and munge are installed when missing) and, without --binary, the Swift toolchain.
# Everything the cluster and the run write goes to one temporary directory; on exit, success or failure, the
# daemons and the mirror server it started are stopped by PID and the directory is removed (unless --keep).
# /etc/slurm and /etc/munge are not written (the slurm-wlm and munge packages create them when apt installs them).
# The build's output goes to .build/slurm-check-build.log; a failing step prints the last lines of its log.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
shards=4 binary= keep=0 fail_shard= caption_first=0
say() { echo "check.sh: $*" >&2; }
usage() { say "$1"; sed -n '5p' "$0" | sed 's/^# \{0,1\}/usage: /' >&2; exit 64; }
while [ $# -gt 0 ]; do
  case $1 in
    --binary) binary=${2:-}; shift 2 ;;
    --keep) keep=1; shift ;;
    --fail-shard) fail_shard=${2:-}; shift 2 ;;
    --caption-first) caption_first=1; shift ;;
    -h|--help) sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) usage "unknown option $1" ;;
    *) shards=$1; shift ;;
  esac
done
case $shards in ''|*[!0-9]*|0) usage "SHARDS must be a whole number of at least 1 (got '$shards')" ;; esac
if [ -n "$fail_shard" ]; then
  case $fail_shard in *[!0-9]*) usage "--fail-shard needs a task number" ;; esac
  [ "$fail_shard" -lt "$shards" ] || usage "--fail-shard $fail_shard: tasks are 0...$((shards - 1))"
fi
[ "$(id -u)" = 0 ] || { say "needs root: it starts munged, slurmctld and slurmd (and may apt-get install them)"; exit 64; }

# step WHAT LOG CMD...: runs CMD with its output in LOG; on failure says what failed and shows the end of LOG.
step() {
  local what=$1 log=$2 rc=0; shift 2
  say "$what"
  # In the background and waited for, so that SIGTERM or SIGINT reach the trap (and cleanup) at once.
  "$@" >"$log" 2>&1 &
  child=$!
  wait "$child" || rc=$?
  child=
  if [ "$rc" != 0 ]; then
    say "FAILED: $what (exit $rc); last lines of $log:"
    tail -n 30 "$log" | sed 's/^/  | /' >&2
    exit "$rc"
  fi
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/pairdx-slurm-check.XXXXXX")
cluster=$tmp/cluster
child= tailer= server=
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  for p in $child $tailer $server; do kill -TERM "$p" 2>/dev/null && wait "$p" 2>/dev/null || true; done
  if [ "$keep" = 1 ]; then
    say "kept: $tmp (cluster: export SLURM_CONF=$cluster/slurm.conf; stop it: deploy/slurm/stop-local-cluster.sh $cluster; then rm -rf $tmp)"
  else
    if [ -d "$cluster/pid" ]; then "$root/deploy/slurm/stop-local-cluster.sh" "$cluster" || rc=1; fi
    rm -rf "$tmp"
    say "removed $tmp"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [ -n "$binary" ]; then
  [ -x "$binary" ] || { say "--binary $binary: not an executable file"; exit 64; }
  bin=$(cd "$(dirname "$binary")" && pwd)/$(basename "$binary")
else
  step "installing system libraries (scripts/install-deps.sh)" "$tmp/install-deps.log" scripts/install-deps.sh
  mkdir -p .build
  step "building pairdx in release mode (log: $root/.build/slurm-check-build.log)" "$root/.build/slurm-check-build.log" \
    swift build -c release --product pairdx
  bin=$root/.build/release/pairdx
fi

step "starting a local Slurm cluster in $cluster" "$tmp/start-cluster.log" deploy/slurm/start-local-cluster.sh --dir "$cluster"
export SLURM_CONF=$cluster/slurm.conf

if [ "$caption_first" = 1 ]; then
  # A PubMed Central-like corpus (the six classes a minority, endoscopy the rarest) and a small per-class target.
  figures=1500 per_class=4 recipe=pairdx-pmc-check
  step "writing a PMC-profile corpus ($figures figures) to $tmp/mirror" "$tmp/synth.log" \
    "$bin" synth --seed 1 --figures "$figures" --profile pmc --out "$tmp/mirror" --log-level warning
  recipe_file=$tmp/recipes/$recipe/recipe.json
  mkdir -p "$(dirname "$recipe_file")"
  python3 - "$recipe_file" "$recipe" "$per_class" <<'PY'
import json, sys
path, name, per = sys.argv[1], sys.argv[2], int(sys.argv[3])
r = json.load(open("Manifests/pairdx-synth-v1/recipe.json"))
r["name"] = name; r["balance"] = {"policy": "target", "perClass": per}
r["description"] = "Slurm rehearsal recipe: the demo taxonomy with a per-class target, over a PMC-profile corpus."
json.dump(r, open(path, "w"), indent=1)
PY
  say "serving $tmp/mirror with pairdx serve-mirror on 127.0.0.1"
  "$bin" serve-mirror "$tmp/mirror" --port 0 --log-level warning >"$tmp/serve-mirror.log" 2>&1 &
  server=$!
  for _ in $(seq 1 600); do grep -q 'http://127\.0\.0\.1:[0-9]' "$tmp/serve-mirror.log" 2>/dev/null && break
    kill -0 "$server" 2>/dev/null || break; sleep 0.1; done
  source_url=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$tmp/serve-mirror.log" | head -1) || source_url=
  if [ -z "$source_url" ]; then
    say "FAILED: pairdx serve-mirror did not print its address; last lines of $tmp/serve-mirror.log:"
    tail -n 30 "$tmp/serve-mirror.log" | sed 's/^/  | /' >&2; exit 1
  fi
  # The reference: the same source and recipe rebuilt caption-first by one process.
  mkdir -p "$tmp/reference/Manifests/$recipe"
  cp "$recipe_file" "$tmp/reference/Manifests/$recipe/recipe.json"
  if [ -z "$fail_shard" ]; then
    step "rebuilding it caption-first in one process (the reference)" "$tmp/reference.log" \
      "$bin" rebuild --recipe "$tmp/reference/Manifests/$recipe/recipe.json" --source "$source_url" --work "$tmp/reference/work" \
        --splits-root "$tmp/reference/Splits" --manifests-root "$tmp/reference/Manifests" --report "$tmp/reference/report" \
        --no-audit --log-level info
  fi
  submit_args=(--source "$source_url" --recipe "$recipe_file" --order caption-first --plan-sample 60)
  expected=$tmp/reference task=scan
else
  recipe=pairdx-synth-v1
  figures=$(python3 -c 'import json;print(json.load(open("Manifests/pairdx-synth-v1/recipe.json"))["sources"][0].get("figures",1500))')
  step "writing the embedded corpus ($figures figures) to $tmp/mirror" "$tmp/synth.log" \
    "$bin" synth --seed 1 --figures "$figures" --out "$tmp/mirror" --log-level warning
  submit_args=(--source "$tmp/mirror" --recipe Manifests/pairdx-synth-v1/recipe.json)
  expected=$root task=shard
fi

if [ -n "$fail_shard" ]; then
  # A directory where shard I's fetch writes its figure list: the rename onto it fails, so the task exits non-zero.
  work_dir="$tmp/work"
  mkdir -p "$work_dir/figures.shard-$fail_shard-of-$shards.jsonl"
fi
say "submitting $shards shards: deploy/slurm/submit.sh ${submit_args[*]} --wait"
rc=0
deploy/slurm/submit.sh "${submit_args[@]}" --work "$tmp/work" --out "$tmp/out" --shards "$shards" \
  --pairdx "$bin" --wait >"$tmp/submit.log" 2>&1 &
child=$!
tail -n +1 -f --pid="$child" "$tmp/submit.log" >&2 &
tailer=$!
wait "$child" || rc=$?
child=
wait "$tailer" || true
tailer=

if [ -n "$fail_shard" ]; then
  if [ "$rc" = 0 ]; then say "FAILED: $task task $fail_shard was made to fail, yet submit.sh --wait exited 0"; exit 1; fi
  if ! grep -q "FAILED: $task task $fail_shard " "$tmp/submit.log"; then
    say "FAILED: submit.sh --wait exited $rc but did not name $task task $fail_shard"; exit 1
  fi
  say "OK: the failing shard made submit.sh --wait exit $rc naming $task task $fail_shard"
  exit 0
fi
[ "$rc" = 0 ] || { say "FAILED: submit.sh --wait exited $rc"; exit "$rc"; }

status=0
what="the committed rebuild"
[ "$caption_first" = 1 ] && what="the one-process caption-first rebuild"
for d in "Splits/$recipe" "Manifests/$recipe"; do
  if diff -r "$expected/$d" "$tmp/out/$d" >/dev/null; then echo "$d: identical to $what"
  else echo "$d: DIFFERS from $what"; diff -r "$expected/$d" "$tmp/out/$d" | head -20; status=1; fi
done
echo "shard outputs: $(cd "$tmp/work" && ls -- *.shard-* | tr '\n' ' ')"
exit $status
