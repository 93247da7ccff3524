#!/usr/bin/env bash
# The test suite. Installs the system libraries if missing, prepares .venv with the Python reference
# tools some tests check against (bagit, mlcroissant), then runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/python-env.sh >&2
export PAIRDX_PYTHON="$PWD/.venv/bin/python"
swift test "$@"
