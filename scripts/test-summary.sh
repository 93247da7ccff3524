#!/usr/bin/env bash
# Summarises a `swift test` log (Swift Testing's console output): tests ran, passed, failed, skipped, and every
# skipped test with its reason. Usage: scripts/test-summary.sh LOG [SWIFT_TEST_STATUS]; exits with that status
# (default 0), or 1 when the log shows a failure or no test at all. The same figures, with the run's duration and the
# machine, go to .build/test-summary.json (SUMMARY_JSON), the input of `scripts/readme-figures.sh tests`.
set -euo pipefail
log=$1
status=${2:-0}
# Swift Testing prints one line per finished test case:
#   "Test name() passed after …", "Test name() failed after …", "Test name() skipped: \"reason\"" (a leading symbol first);
# parameterised tests print "Test name() with N test cases passed …" once.
passed=$(grep -vE 'Test run with' "$log" | grep -cE '^.{0,8}Test [^ ].* passed after ' || true)
failed=$(grep -vE 'Test run with' "$log" | grep -cE '^.{0,8}Test [^ ].* failed after ' || true)
skipped=$(grep -cE '^.{0,8}Test [^ ].* skipped' "$log" || true)
ran=$((passed + failed))
echo
echo "tests: $((ran + skipped)) in all — $ran ran, $passed passed, $failed failed, $skipped skipped"
if [ "$skipped" -gt 0 ]; then
  echo "skipped, with the reason:"
  grep -E '^.{0,8}Test [^ ].* skipped' "$log" | sed -E 's/^.{0,8}Test /  /'
fi
# Swift Testing's last line: "Test run with N tests in M suites passed after S seconds."
seconds=$(grep -E 'Test run with [0-9]+ test' "$log" | tail -1 | sed -nE 's/.* after ([0-9.]+) seconds.*/\1/p')
json=${SUMMARY_JSON:-.build/test-summary.json}
if mkdir -p "$(dirname "$json")" 2>/dev/null; then
  grep -E '^.{0,8}Test [^ ].* skipped' "$log" | sed -E 's/^.{0,8}Test //' \
    | "${PAIRDX_PYTHON:-python3}" -c '
import json, sys
a = sys.argv[1:]
reasons = [l.strip() for l in sys.stdin if l.strip()]
seconds = float(a[4]) if a[4] else None
json.dump({"total": int(a[0]) + int(a[3]), "ran": int(a[0]), "passed": int(a[1]), "failed": int(a[2]),
           "skipped": int(a[3]), "skippedReasons": reasons, "seconds": seconds, "cpu": a[5], "load": a[6]},
          open(a[7], "w"), indent=1, sort_keys=True)
' "$ran" "$passed" "$failed" "$skipped" "$seconds" "$("$(dirname "$0")/machine.sh")" \
      "$(cut -d' ' -f1 /proc/loadavg)" "$json" || echo "test-summary: could not write $json" >&2
fi
if [ "$status" -eq 0 ] && { [ "$failed" -gt 0 ] || [ "$ran" -eq 0 ]; }; then status=1; fi
exit "$status"
