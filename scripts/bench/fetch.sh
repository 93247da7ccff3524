#!/usr/bin/env bash
# Parallel download from a loopback mirror: `pairdx fetch` at concurrency 8 against
# `curl --parallel --parallel-max 8` on the same URL list (every URL pairdx requested), as a ratio.
# Usage: scripts/bench/fetch.sh [MIRROR_DIR]   (default: a fresh `pairdx synth --seed 1` demo mirror)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
swift build -c release --scratch-path "$root/.build-bench" --product pairdx >&2
bin="$root/.build-bench/release/pairdx"
tmp="$(mktemp -d)"
server=""
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
mirror="${1:-}"
if [ -z "$mirror" ]; then mirror="$tmp/mirror"; "$bin" synth --seed 1 --out "$mirror" --log-level warning >&2; fi
"$bin" serve-mirror "$mirror" --port 0 --log-level warning > "$tmp/url" &
server=$!
for _ in $(seq 50); do [ -s "$tmp/url" ] && break; sleep 0.1; done
base="$(head -1 "$tmp/url")"
"$bin" discover --source "$base" --work "$tmp/w" --log-level warning >/dev/null
t0=$(date +%s.%N)
"$bin" fetch --source "$base" --work "$tmp/w" --concurrency 8 --log-level warning >/dev/null
t1=$(date +%s.%N)
# The same URLs, fetched by curl into files.
sed -E 's/.*"url":"([^"]*)".*/\1/' "$tmp/w/fetch-journal.jsonl" > "$tmp/urls"
mkdir -p "$tmp/c"
n=0; : > "$tmp/curl.cfg"
while read -r u; do n=$((n + 1)); printf 'url = "%s"\noutput = "%s/c/%d"\n' "$u" "$tmp" "$n" >> "$tmp/curl.cfg"; done < "$tmp/urls"
t2=$(date +%s.%N)
curl --silent --no-progress-meter --parallel --parallel-max 8 -K "$tmp/curl.cfg"
t3=$(date +%s.%N)
bytes=$(cat "$tmp/c"/* | wc -c)
awk -v a="$t0" -v b="$t1" -v c="$t2" -v d="$t3" -v n="$n" -v bytes="$bytes" 'BEGIN {
  ours = b - a; theirs = d - c
  printf "pairdx fetch: %d requests in %.2f s (%.1f req/s)\n", n, ours, n / ours
  printf "curl --parallel-max 8: %d requests, %d bytes in %.2f s (%.1f req/s)\n", n, bytes, theirs, n / theirs
  printf "ratio pairdx/curl throughput: %.2fx (target >= 0.9x)\n", theirs / ours }'
