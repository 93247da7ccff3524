#!/usr/bin/env bash
# Installs the system libraries pairdx links against (Debian/Ubuntu), only those missing.
set -euo pipefail
pkgs=(libcurl4-openssl-dev libxml2-dev libpng-dev libjpeg-dev libturbojpeg0-dev libopenblas-dev libssl-dev zlib1g-dev openssl pkg-config)
missing=()
for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}" >&2
  sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -q >&2
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -q "${missing[@]}" >&2
fi
