#!/usr/bin/env bash
# Runs the suites that exercise threads (transfer loop, fetch pipeline, mirror server, journal, progress, parallel
# hashing, the training core's thread pool) under ThreadSanitizer. Any report of a data race fails the run.
# Builds into .build-tsan so the ordinary build is left alone. Extra arguments go to `swift test`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
suites='PairDxCoreTests|IngestTests|MirrorServerTests|ImagingTests.DedupeTests|TrainingTests.ComputeThreadsTests'
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# halt_on_error: the first race ends the run with a failure instead of scrolling past.
export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 ${TSAN_OPTIONS:-}"
status=0
swift test --scratch-path .build-tsan --sanitize=thread --no-parallel --filter "$suites" "$@" 2>&1 | tee "$log" || status=$?
if grep -q "WARNING: ThreadSanitizer" "$log"; then
  echo "tsan: ThreadSanitizer reported a problem (see above)" >&2
  exit 1
fi
[ "$status" -eq 0 ] || { echo "tsan: the tests failed (exit $status)" >&2; exit "$status"; }
echo "tsan: no race reported" >&2
