#!/usr/bin/env bash
# The test suite: system libraries, the Python peers some tests check against, then `swift test`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
swift test 2>&1
