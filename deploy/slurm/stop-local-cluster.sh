#!/usr/bin/env bash
# Stops a cluster started by deploy/slurm/start-local-cluster.sh --dir DIR: cancels its jobs, waits for them to
# end, then stops slurmd, slurmctld and munged by the PIDs in DIR/pid. Leaves DIR itself in place.
#
#   deploy/slurm/stop-local-cluster.sh DIR
set -euo pipefail
dir=${1:?usage: deploy/slurm/stop-local-cluster.sh DIR}
say() { echo "stop-local-cluster.sh: $*" >&2; }
[ -d "$dir/pid" ] || { say "$dir is not a cluster directory (no pid/)"; exit 64; }
export SLURM_CONF=$dir/slurm.conf
# stop_pid NAME: TERM, wait up to 15 s, then KILL; only if the PID still runs the named program.
stop_pid() {
  local name=$1 file=$dir/pid/$1.pid pid
  [ -s "$file" ] || return 0
  pid=$(cat "$file")
  if [ "$(cat "/proc/$pid/comm" 2>/dev/null)" != "$name" ]; then rm -f "$file"; return 0; fi
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
  if kill -0 "$pid" 2>/dev/null; then say "$name ($pid) ignored SIGTERM for 15 s: SIGKILL"; kill -KILL "$pid" 2>/dev/null || true; fi
  rm -f "$file"
  say "stopped $name ($pid)"
}
# Jobs first, so no slurmstepd outlives its slurmd.
if [ -s "$dir/pid/slurmctld.pid" ] && [ "$(cat "/proc/$(cat "$dir/pid/slurmctld.pid")/comm" 2>/dev/null)" = slurmctld ]; then
  if [ -n "$(squeue -h -o %i 2>/dev/null)" ]; then
    say "cancelling the cluster's jobs"
    scancel --full --user="$(id -un)" 2>/dev/null || true
    for _ in $(seq 1 60); do [ -z "$(squeue -h -o %i 2>/dev/null)" ] && break; sleep 0.5; done
  fi
fi
stop_pid slurmd
stop_pid slurmctld
stop_pid munged
