#!/usr/bin/env bash
# .venv with the reference validators used by tests: bagit-python (RFC 8493) and mlcroissant (Croissant 1.0).
# Idempotent; skipped when .venv already has them.
set -euo pipefail
cd "$(dirname "$0")/.."
py=.venv/bin/python
if [ -x "$py" ] && "$py" -c "import bagit, mlcroissant" 2>/dev/null; then exit 0; fi
command -v python3 >/dev/null || { echo "python3 is required for the reference validators" >&2; exit 1; }
[ -x "$py" ] || python3 -m venv .venv || { apt-get install -y -q python3-venv >/dev/null && python3 -m venv .venv; }
.venv/bin/pip install -q --disable-pip-version-check bagit mlcroissant
