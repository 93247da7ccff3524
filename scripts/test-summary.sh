#!/usr/bin/env bash
# Summarises a `swift test` log (Swift Testing's console output): tests ran, passed, failed, skipped, and every
# skipped test with its reason. Usage: scripts/test-summary.sh LOG [SWIFT_TEST_STATUS]; exits with that status
# (default 0), or 1 when the log shows a failure or no test at all.
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
if [ "$status" -eq 0 ] && { [ "$failed" -gt 0 ] || [ "$ran" -eq 0 ]; }; then status=1; fi
exit "$status"
