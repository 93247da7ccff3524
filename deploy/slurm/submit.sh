#!/usr/bin/env bash
# Submits a sharded rebuild to Slurm, each job starting when the one before succeeded (afterok).
# All-media order (--order all-media, the default; the embedded demo corpus's order), four jobs:
#   shard   array of N tasks, sharded: fetch + hash of shard I (shard.sbatch)
#   dedupe  once: merge the shards, then dedupe over all images (dedupe.sbatch)
#   label   array of N tasks, sharded: the per-item labels of shard I (label.sbatch)
#   finish  once: merge the labels, then balance, split, manifest, verify and audit (finish.sbatch)
# Caption-first order (--order caption-first, for a real source), a plan on this host and two jobs:
#   plan    here, before submitting: pairdx plan (discover, sample the seeded order, estimate) writes WORK/plan.json
#           and the candidate list the tasks share (WORK/scan-candidates.jsonl)
#   scan    array of N tasks, sharded: the caption phase of shard I among the first K articles of the seeded order
#           (metadata and JATS, no media) (scan.sbatch);
#           K = --scan-articles, else the upper end of the plan's estimate (bounded by --max-articles)
#   finish  once, after the barrier: merge the captions, select media per class (the media cap), fetch and hash
#           them, the shortest prefix meeting the target, dedupe, label, balance, split, manifest, verify and audit
#           (scan-finish.sbatch); a merged result short of the target fails it unless --allow-short
#   Budgets: --max-articles bounds K (the same articles whatever N); --max-requests and --max-download are totals,
#   and each scan task gets the total divided by N, rounded up (they bound the caption phase).
# Work directory, blob store, outputs and this directory must be on storage every node sees.
#
#   deploy/slurm/submit.sh --source URL|DIR --work DIR --out DIR --shards N [--recipe NAME|FILE] [--pairdx BIN] [--order all-media|caption-first] [--allow-short] [--scan-articles K] [--max-articles M] [--max-requests R] [--max-download BYTES] [--plan-sample S] [--wait]
#   deploy/slurm/submit.sh --status --work DIR [--wait]
#
# Prints the job ids on stdout. Every job records its start and exit status in WORK/jobs/ (see job-state.sh);
# the submission itself is recorded in WORK/jobs/submission. --wait follows the jobs until they leave the queue,
# then checks every job and every array task: exit 0 when all succeeded, else 1, naming each failed task with the
# last lines of its log (WORK/logs/). --status checks the last submission in WORK without submitting anything
# (add --wait to follow it again). Where a job left no exit record (killed outright), its state comes from
# slurmctld while it still remembers the job, then from sacct when accounting is on, then from the job completion
# log when JobCompType=jobcomp/filetxt.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
shards=4 wait=0 status_only=0 recipe=pairdx-synth-v1 source= work= out= order=all-media allow_short=0
scan_articles= max_articles= max_requests= max_download= plan_sample=
pairdx=$(command -v pairdx || echo "$here/../../.build/release/pairdx")
say() { echo "submit.sh: $*" >&2; }
usage() { say "$1"; sed -n '20,21p' "$0" | sed 's/^# \{0,1\}/usage: /' >&2; exit 64; }
# tail_log FILE: the last lines of a log, indented.
tail_log() {
  if [ -s "$1" ]; then say "last lines of $1:"; tail -n 20 "$1" | sed 's/^/  | /' >&2; else say "(no log at $1)"; fi
}
while [ $# -gt 0 ]; do
  case $1 in
    --source) source=${2:-}; shift 2 ;; --work) work=${2:-}; shift 2 ;; --out) out=${2:-}; shift 2 ;;
    --shards) shards=${2:-}; shift 2 ;; --recipe) recipe=${2:-}; shift 2 ;; --pairdx) pairdx=${2:-}; shift 2 ;;
    --wait) wait=1; shift ;; --status) status_only=1; shift ;;
    --order) order=${2:-}; shift 2 ;; --allow-short) allow_short=1; shift ;;
    --scan-articles) scan_articles=${2:-}; shift 2 ;; --max-articles) max_articles=${2:-}; shift 2 ;;
    --max-requests) max_requests=${2:-}; shift 2 ;; --max-download) max_download=${2:-}; shift 2 ;;
    --plan-sample) plan_sample=${2:-}; shift 2 ;;
    -h|--help) sed -n '2,29p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) usage "unknown option $1" ;;
  esac
done
[ -n "$work" ] || usage "--work is required"
command -v sbatch >/dev/null || { say "sbatch not found: is this a Slurm submit host?"; exit 64; }

terminal='COMPLETED|FAILED|CANCELLED|TIMEOUT|OUT_OF_MEMORY|NODE_FAIL|PREEMPTED|BOOT_FAIL|DEADLINE'

# follow IDS: polls squeue until every job of IDS (comma-separated) is in a final state or forgotten.
follow() {
  local ids=$1 out misses=0 last= now
  say "following jobs $ids (Ctrl-C stops following, not the jobs; resume with: $0 --status --work $work --wait)"
  while :; do
    if out=$(squeue -h -t all -j "$ids" -o '%i %T' 2>&1); then
      misses=0
      [ -z "$out" ] && return 0
      grep -qvE " ($terminal)\$" <<<"$out" || return 0
      now=$(awk '{print $2}' <<<"$out" | sort | uniq -c | awk '{printf "%s%s %s", (NR>1?", ":""), $1, $2}')
      [ "$now" = "$last" ] || say "queue: $now"
      last=$now
    elif grep -q 'Invalid job id' <<<"$out"; then
      return 0
    else
      misses=$((misses + 1))
      if [ "$misses" -ge 30 ]; then
        say "FAILED: lost contact with slurmctld for a minute; squeue said: $out"
        say "the jobs may still be running: check later with $0 --status --work $work"
        exit 1
      fi
    fi
    sleep 2
  done
}

# slurm_state ID: "STATE[ reason]" for one job or array task (12 or 12_3), from the first source that knows it.
slurm_state() {
  local id=$1 s loc
  s=$(awk -v id="$id" -v array="${id%_*}_[" '$1 == id || (id ~ /_/ && index($1, array) == 1) {print $2, $3; exit}' <<<"$queue")
  if [ -z "$s" ]; then
    s=$(sacct -n -P -X -j "$id" -o State 2>/dev/null | head -1 | awk '/^[A-Z_]+/ {print $1}') || s=
  fi
  if [ -z "$s" ] && [ "$jobcomp_type" = jobcomp/filetxt ] && [ -r "$jobcomp_loc" ]; then
    case $id in
      *_*) s=$(grep -E "ArrayJobId=${id%_*} ArrayTaskId=${id#*_} " "$jobcomp_loc" | tail -1) || s= ;;
      *) s=$(grep -E "^JobId=$id " "$jobcomp_loc" | grep -v ArrayJobId= | tail -1) || s= ;;
    esac
    s=$(grep -oE 'JobState=[A-Z_]+' <<<"$s" | cut -d= -f2) || s=
  fi
  echo "$s"
}

# check: reads WORK/jobs/submission and judges every job and array task; exit 0 when all succeeded.
check() {
  local sub=$work/jobs/submission stage jid tasks log id t rec rc st failed=() pending=() notrun=() ok=0 total=0
  [ -s "$sub" ] || { say "no submission recorded in $work/jobs/submission"; exit 64; }
  local ids
  ids=$(awk '{printf "%s%s", (NR>1?",":""), $2}' "$sub")
  queue=$(squeue -h -t all -j "$ids" -o '%i %T %r' 2>/dev/null) || queue=
  jobcomp_type=$(scontrol show config 2>/dev/null | awk -F' *= *' '$1 == "JobCompType" {print $2}') || jobcomp_type=
  jobcomp_loc=$(scontrol show config 2>/dev/null | awk -F' *= *' '$1 == "JobCompLoc" {print $2}') || jobcomp_loc=
  while read -r stage jid tasks log; do
    if [ "$tasks" = - ]; then set -- ""; else set -- $(seq 0 $((tasks - 1))); fi
    for t in "$@"; do
      id=$jid${t:+_$t}
      name=$stage${t:+ task $t}
      total=$((total + 1))
      rec=$work/jobs/$id.state
      rc=
      [ -f "$rec" ] && rc=$(sed -n 's/^exit=\([0-9]*\).*/\1/p' "$rec" | tail -1)
      st=$(slurm_state "$id")
      if [ "$rc" = 0 ] && { [ -z "$st" ] || [ "${st%% *}" = COMPLETED ]; }; then ok=$((ok + 1)); continue; fi
      case ${st%% *} in
        PENDING|RUNNING|CONFIGURING|COMPLETING|SUSPENDED|REQUEUED|RESIZING)
          [ -z "$rc" ] && { pending+=("$name (${st%% *})"); continue; } ;;
      esac
      if [ -z "$rc" ] && [ ! -e "$rec" ] && { [ -z "$st" ] || [ "${st%% *}" = CANCELLED ]; }; then
        notrun+=("$name${st:+ ($st)}"); continue
      fi
      failed+=("$name")
      local what
      if [ -n "$rc" ]; then what="exit $rc"; elif [ -e "$rec" ]; then what="started but recorded no exit (killed: time limit, memory, node failure or scancel?)"; else what="no record"; fi
      say "FAILED: $name (Slurm job $id): $what${st:+; Slurm: $st}"
      tail_log "$work/logs/${log//%a/$t}"
    done
  done < "$sub"
  if [ ${#notrun[@]} -gt 0 ]; then say "not run, because a job before them failed: $(IFS=,; echo "${notrun[*]}" | sed 's/,/, /g')"; fi
  if [ ${#failed[@]} -gt 0 ]; then say "FAILED: $(IFS=,; echo "${failed[*]}" | sed 's/,/, /g') ($ok of $total jobs and tasks succeeded)"; exit 1; fi
  if [ ${#notrun[@]} -gt 0 ]; then say "FAILED: ${#notrun[@]} jobs never ran and none recorded a failure"; exit 1; fi
  if [ ${#pending[@]} -gt 0 ]; then say "not finished yet: $(IFS=,; echo "${pending[*]}" | sed 's/,/, /g')"; exit 1; fi
  say "all $total jobs and array tasks succeeded (records in $work/jobs/, logs in $work/logs/)"
}

if [ "$status_only" = 1 ]; then
  work=$(cd "$work" 2>/dev/null && pwd) || { say "no work directory $work"; exit 64; }
  if [ "$wait" = 1 ]; then follow "$(awk '{printf "%s%s", (NR>1?",":""), $2}' "$work/jobs/submission")"; fi
  check
  exit 0
fi

[ -n "$source" ] || usage "--source is required"
[ -n "$out" ] || usage "--out is required"
case $shards in ''|*[!0-9]*|0) usage "--shards must be a whole number of at least 1 (got '$shards')" ;; esac
case $order in all-media|caption-first) ;; *) usage "--order takes all-media or caption-first (got '$order')" ;; esac
for opt in scan_articles max_articles max_requests max_download plan_sample; do
  v=${!opt}
  case $v in '') ;; *[!0-9]*|0) usage "--${opt//_/-} must be a whole number of at least 1 (got '$v')" ;; esac
  if [ -n "$v" ] && [ "$order" != caption-first ]; then usage "--${opt//_/-} is for --order caption-first"; fi
done
if [ "$allow_short" = 1 ] && [ "$order" != caption-first ]; then usage "--allow-short is for --order caption-first"; fi
[ -x "$pairdx" ] || { say "no pairdx executable at $pairdx (give --pairdx, or build: swift build -c release --product pairdx)"; exit 64; }
pairdx=$(cd "$(dirname "$pairdx")" && pwd)/$(basename "$pairdx")
abs() { (mkdir -p "$1" && cd "$1" && pwd); }
work=$(abs "$work"); out=$(abs "$out")
mkdir -p "$work/logs" "$work/jobs"
# Records of an earlier submission into this work directory must not speak for this one (job ids restart when a
# cluster is rebuilt).
rm -f "$work/jobs/"*.state "$work/jobs/submission"
case $source in
  http://*|https://*|file://*) ;;
  *) [ -d "$source" ] || { say "--source $source: no such directory"; exit 64; }; source=$(cd "$source" && pwd) ;;
esac
recipe_file=$recipe
[ -f "$recipe_file" ] || recipe_file="$here/../../Manifests/$recipe/recipe.json"
[ -f "$recipe_file" ] || { say "--recipe $recipe: neither a file nor a recipe under Manifests/"; exit 64; }
recipe_file=$(cd "$(dirname "$recipe_file")" && pwd)/$(basename "$recipe_file")
recipe_name=$(basename "$(dirname "$recipe_file")")
mkdir -p "$out/Manifests/$recipe_name"
cp "$recipe_file" "$out/Manifests/$recipe_name/recipe.json"
export WORK=$work SOURCE=$source SHARDS=$shards PAIRDX=$pairdx RECIPE=$recipe_name RECIPE_FILE=$recipe_file OUT=$out PAIRDX_SLURM=$here

if [ "$order" = caption-first ]; then
  plan_args=()
  [ -n "$plan_sample" ] && plan_args+=(--plan-sample "$plan_sample")
  say "planning: pairdx plan --source $source (log: $work/logs/plan.log)"
  "$pairdx" plan --source "$source" --recipe "$recipe_file" --work "$work" "${plan_args[@]}" --log-level info >"$work/logs/plan.log" 2>&1 \
    || { rc=$?; say "FAILED: pairdx plan --source $source (exit $rc)"; tail_log "$work/logs/plan.log"; exit "$rc"; }
  sed 's/^/  /' "$work/logs/plan.log" | grep -v '^\s*\[' >&2 || true
  # Each scan task's share of the budgets; --scan-articles and --max-articles name a prefix of the order, the same for all.
  scan_args=
  [ -n "$scan_articles" ] && scan_args+=" --scan-articles $scan_articles"
  [ -n "$max_articles" ] && scan_args+=" --max-articles $max_articles"
  [ -n "$max_requests" ] && scan_args+=" --max-requests $(( (max_requests + shards - 1) / shards ))"
  [ -n "$max_download" ] && scan_args+=" --max-download $(( (max_download + shards - 1) / shards ))"
  finish_args=
  [ "$allow_short" = 1 ] && finish_args=--allow-short
  export SCAN_ARGS=$scan_args FINISH_ARGS=$finish_args
else
  "$pairdx" discover --source "$source" --work "$work" --log-level info >"$work/logs/discover.log" 2>&1 \
    || { rc=$?; say "FAILED: pairdx discover --source $source (exit $rc)"; tail_log "$work/logs/discover.log"; exit "$rc"; }
fi

submitted=()
# submit VAR NAME LOG SBATCH-ARGS...: sbatch --parsable, job id into VAR; on failure cancels what was submitted.
submit() {
  local var=$1 name=$2 log=$3 id; shift 3
  if ! id=$(sbatch --parsable --export=ALL --output="$work/logs/$log" "$@" 2>"$work/logs/sbatch.err"); then
    say "FAILED: sbatch of the $name job: $(cat "$work/logs/sbatch.err")"
    if [ ${#submitted[@]} -gt 0 ]; then scancel "${submitted[@]}" 2>/dev/null || true; say "cancelled jobs ${submitted[*]}"; fi
    exit 1
  fi
  id=${id%%;*}
  submitted+=("$id")
  printf -v "$var" '%s' "$id"
}
after=(--kill-on-invalid-dep=yes --dependency=afterok:)
if [ "$order" = caption-first ]; then
  submit scan scan 'scan-%a.log' --array=0-$((shards - 1)) "$here/scan.sbatch"
  submit finish finish finish.log "${after[0]}" "${after[1]}$scan" "$here/scan-finish.sbatch"
  printf '%s %s %s %s\n' scan "$scan" "$shards" 'scan-%a.log' finish "$finish" - finish.log > "$work/jobs/submission"
  echo "scan $scan ($shards tasks), finish $finish"
  jobs="$scan,$finish"
else
  submit shard shard 'shard-%a.log' --array=0-$((shards - 1)) "$here/shard.sbatch"
  submit dedupe dedupe dedupe.log "${after[0]}" "${after[1]}$shard" "$here/dedupe.sbatch"
  submit label label 'label-%a.log' --array=0-$((shards - 1)) "${after[0]}" "${after[1]}$dedupe" "$here/label.sbatch"
  submit finish finish finish.log "${after[0]}" "${after[1]}$label" "$here/finish.sbatch"
  printf '%s %s %s %s\n' shard "$shard" "$shards" 'shard-%a.log' dedupe "$dedupe" - dedupe.log \
    label "$label" "$shards" 'label-%a.log' finish "$finish" - finish.log > "$work/jobs/submission"
  echo "shard $shard ($shards tasks), dedupe $dedupe, label $label ($shards tasks), finish $finish"
  jobs="$shard,$dedupe,$label,$finish"
fi
if [ "$wait" = 1 ]; then
  follow "$jobs"
  check
fi
