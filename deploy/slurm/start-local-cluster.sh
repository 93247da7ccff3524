#!/usr/bin/env bash
# Starts a real single-node Slurm cluster on this machine (munged, slurmctld and slurmd on 127.0.0.1) for
# rehearsing and testing array jobs. Debian/Ubuntu; run as root. Installs slurm-wlm and munge with apt if missing.
#
#   deploy/slurm/start-local-cluster.sh [--dir DIR]
#
# Everything the cluster writes lives in DIR (default: a new directory under $TMPDIR or /tmp): slurm.conf, its
# munge key and socket, spool and state directories, daemon logs, PID files and the job completion log
# (jobcomp.txt). /etc/slurm and /etc/munge are neither read nor written by this script. Refuses to start while a
# slurmctld or slurmd is already running (it would hold the ports and not be this cluster's).
# Prints `export SLURM_CONF=DIR/slurm.conf` on stdout: Slurm's commands (sbatch, squeue, ...) find the cluster
# through that variable. Stop it with deploy/slurm/stop-local-cluster.sh DIR.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dir=
while [ $# -gt 0 ]; do
  case $1 in
    --dir) dir=${2:?--dir needs a directory}; shift 2 ;;
    -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "start-local-cluster.sh: unknown option $1" >&2; exit 64 ;;
  esac
done
say() { echo "start-local-cluster.sh: $*" >&2; }
# fail WHAT [LOG]: says what failed and shows the end of its log, stops what was started so far, exits 1.
fail() {
  say "FAILED: $1"
  if [ -n "${2:-}" ] && [ -s "$2" ]; then say "last lines of $2:"; tail -n 25 "$2" | sed 's/^/  | /' >&2; fi
  if [ -n "$dir" ] && [ -d "$dir/pid" ]; then "$here/stop-local-cluster.sh" "$dir" >&2 || true; fi
  exit 1
}
[ "$(id -u)" = 0 ] || { say "needs root (it starts munged, slurmctld and slurmd, and may apt-get install)"; exit 64; }

if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v munged >/dev/null; then
  apt_log=$(mktemp "${TMPDIR:-/tmp}/pairdx-slurm-apt.XXXXXX.log")
  say "installing slurm-wlm and munge with apt (log: $apt_log)"
  { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o DPkg::Lock::Timeout=600 slurm-wlm munge; } \
    >"$apt_log" 2>&1 || fail "apt-get install slurm-wlm munge" "$apt_log"
  rm -f "$apt_log"
fi

for d in slurmctld slurmd; do
  if running=$(pgrep -a -x "$d"); then
    say "a $d is already running (${running}); this script starts a cluster of its own and will not share one."
    say "stop it first, or submit to that cluster directly with deploy/slurm/submit.sh"
    exit 1
  fi
done

if [ -z "$dir" ]; then dir=$(mktemp -d "${TMPDIR:-/tmp}/pairdx-slurm-cluster.XXXXXX"); fi
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
chmod 700 "$dir"
mkdir -p "$dir/munge" "$dir/spool/slurmctld" "$dir/spool/slurmd" "$dir/log" "$dir/pid"
conf=$dir/slurm.conf
host=$(hostname -s)
cpus=$(nproc)
mem=$(awk '/MemTotal/ {print int($2/1024) - 512}' /proc/meminfo)

# munge: a fresh key and a daemon on a private socket (the system's munged, if any, is left alone).
dd if=/dev/urandom bs=1 count=1024 of="$dir/munge/munge.key" status=none
chmod 400 "$dir/munge/munge.key"
socket=$dir/munge/munge.socket
/usr/sbin/munged --force --key-file="$dir/munge/munge.key" --socket="$socket" --pid-file="$dir/pid/munged.pid" \
  --log-file="$dir/log/munged.log" --seed-file="$dir/munge/munged.seed" >>"$dir/log/munged.log" 2>&1 \
  || fail "munged did not start" "$dir/log/munged.log"
for _ in $(seq 1 20); do [ -S "$socket" ] && break; sleep 0.25; done
munge -n --socket="$socket" 2>>"$dir/log/munged.log" | unmunge --socket="$socket" >/dev/null 2>>"$dir/log/munged.log" \
  || fail "munge round trip (munge -n | unmunge) on $socket" "$dir/log/munged.log"

# slurm.conf: one node, one default partition, no cgroups; job completions go to a text file that outlives
# slurmctld's memory of a job (MinJobAge). Accounting storage is left off: Slurm 22.05 has only slurmdbd for it.
cat > "$conf" <<CONF
ClusterName=pairdx
SlurmctldHost=${host}(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=${socket}
CredType=cred/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
ReturnToService=2
StateSaveLocation=${dir}/spool/slurmctld
SlurmdSpoolDir=${dir}/spool/slurmd
SlurmctldLogFile=${dir}/log/slurmctld.log
SlurmdLogFile=${dir}/log/slurmd.log
SlurmctldPidFile=${dir}/pid/slurmctld.pid
SlurmdPidFile=${dir}/pid/slurmd.pid
PlugStackConfig=${dir}/plugstack.conf
JobCompType=jobcomp/filetxt
JobCompLoc=${dir}/jobcomp.txt
AccountingStorageType=accounting_storage/none
MpiDefault=none
NodeName=${host} NodeAddr=127.0.0.1 CPUs=${cpus} RealMemory=${mem} State=UNKNOWN
PartitionName=main Nodes=${host} Default=YES MaxTime=INFINITE State=UP
CONF
: > "$dir/plugstack.conf"
export SLURM_CONF=$conf

slurmctld -f "$conf" >>"$dir/log/slurmctld.log" 2>&1 || fail "slurmctld did not start" "$dir/log/slurmctld.log"
slurmd -f "$conf" >>"$dir/log/slurmd.log" 2>&1 || fail "slurmd did not start" "$dir/log/slurmd.log"
up=0
for _ in $(seq 1 30); do
  if sinfo -h -o '%T' 2>/dev/null | grep -qE 'idle|mix|alloc'; then up=1; break; fi
  scontrol update nodename="$host" state=resume >/dev/null 2>&1 || true
  sleep 1
done
if [ "$up" != 1 ]; then
  sinfo >>"$dir/log/slurmd.log" 2>&1 || true
  fail "node $host did not become idle within 30 s (slurmctld log: $dir/log/slurmctld.log)" "$dir/log/slurmd.log"
fi
sinfo >&2
say "cluster up in $dir (munged $(cat "$dir/pid/munged.pid"), slurmctld $(cat "$dir/pid/slurmctld.pid"), slurmd $(cat "$dir/pid/slurmd.pid"))"
echo "export SLURM_CONF=$conf"
