#!/usr/bin/env bash
# .venv with the reference tools tests check against: bagit-python (RFC 8493), mlcroissant (Croissant 1.0),
# safetensors (Python reads our checkpoints), Hugging Face datasets and Pillow (load the image-folder export,
# decode images, count the validation page's chart pixels), moto[server] + boto3 (an independent S3 server for the
# bucket tests), and
# the open_clip wheel without its dependencies (only for CLIP's BPE merges file). Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
py=.venv/bin/python
if [ -x "$py" ] && "$py" -c "import bagit, mlcroissant, safetensors, numpy, datasets, PIL, moto.server, boto3" 2>/dev/null && [ -n "$(find .venv -name 'bpe_simple_vocab_16e6.txt.gz' -print -quit)" ]; then exit 0; fi
command -v python3 >/dev/null || { echo "python3 is required for the reference validators" >&2; exit 1; }
if [ ! -x "$py" ]; then
  python3 -m venv .venv 2>/dev/null || { DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-venv >/dev/null; python3 -m venv .venv; }
fi
.venv/bin/pip install -q --disable-pip-version-check bagit mlcroissant safetensors numpy datasets pillow "moto[server]" boto3
.venv/bin/pip install -q --disable-pip-version-check --no-deps open_clip_torch || echo "open_clip_torch unavailable: the CLIP tokeniser test will skip" >&2
