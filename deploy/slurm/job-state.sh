# Sourced by the batch scripts (shard, dedupe, label, finish; scan, scan-finish). Checks the environment submit.sh
# exports, records this job's start and exit status in $WORK/jobs/<job id>.state (the array task's id is
# <array job id>_<task>), where `submit.sh --wait` and `submit.sh --status` read them: the records outlive
# slurmctld's memory of a job (MinJobAge) and need no accounting database. A job killed outright (SIGKILL, node
# failure) leaves only its start.
: "${WORK:?}" "${SHARDS:?}" "${PAIRDX:?}" "${RECIPE:?}" "${RECIPE_FILE:?}" "${OUT:?}"
job_id=${SLURM_ARRAY_JOB_ID:+${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}}
job_id=${job_id:-${SLURM_JOB_ID:?not running under Slurm}}
job_record=$WORK/jobs/$job_id.state
mkdir -p "$WORK/jobs"
echo "start host=$(hostname -s) time=$(date -u +%Y-%m-%dT%H:%M:%SZ)" > "$job_record"
trap 'job_rc=$?; echo "exit=$job_rc time=$(date -u +%Y-%m-%dT%H:%M:%SZ)" >> "$job_record"' EXIT
# scancel and time limits send SIGTERM: record 128+signal, never the status of whatever ran last.
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM
threads=${SLURM_CPUS_PER_TASK:-1}
# step CMD...: prints the command to the job's log, then runs it.
step() { echo "+ $*" >&2; "$@"; }
