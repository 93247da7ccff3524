#!/usr/bin/env bash
# Parallel download from a loopback mirror: `pairdx fetch` at concurrency 8 against
# `curl --parallel --parallel-max 8` on the same URL list (every URL pairdx requested), as a ratio
# of the best of ROUNDS (default 3) alternating runs: the machine is shared and noisy.
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
rounds="${ROUNDS:-3}"
now() { date +%s.%N; }
best_ours=""; best_curl=""
for r in $(seq "$rounds"); do
  rm -rf "$tmp/w" "$tmp/c"; mkdir -p "$tmp/c"
  "$bin" discover --source "$base" --work "$tmp/w" --log-level warning >/dev/null
  t0=$(now); "$bin" fetch --source "$base" --work "$tmp/w" --concurrency 8 --log-level warning >/dev/null; t1=$(now)
  # The same URLs pairdx requested, fetched by curl into files.
  if [ "$r" = 1 ]; then
    sed -E 's/.*"url":"([^"]*)".*/\1/' "$tmp/w/fetch-journal.jsonl" > "$tmp/urls"
    n=0; : > "$tmp/curl.cfg"
    while read -r u; do n=$((n + 1)); printf 'url = "%s"\noutput = "%s/c/%d"\n' "$u" "$tmp" "$n" >> "$tmp/curl.cfg"; done < "$tmp/urls"
  fi
  t2=$(now); curl --silent --no-progress-meter --parallel --parallel-max 8 -K "$tmp/curl.cfg"; t3=$(now)
  ours=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }'); theirs=$(awk -v a="$t2" -v b="$t3" 'BEGIN { print b - a }')
  echo "round $r: pairdx $ours s, curl $theirs s" >&2
  best_ours=$(awk -v x="$ours" -v y="${best_ours:-1e9}" 'BEGIN { print (x < y ? x : y) }')
  best_curl=$(awk -v x="$theirs" -v y="${best_curl:-1e9}" 'BEGIN { print (x < y ? x : y) }')
done
bytes=$(cat "$tmp/c"/* | wc -c)
awk -v ours="$best_ours" -v theirs="$best_curl" -v n="$n" -v bytes="$bytes" -v r="$rounds" 'BEGIN {
  printf "pairdx fetch: %d requests in %.2f s (%.1f req/s), best of %d\n", n, ours, n / ours, r
  printf "curl --parallel-max 8: %d requests, %d bytes in %.2f s (%.1f req/s), best of %d\n", n, bytes, theirs, n / theirs, r
  printf "ratio pairdx/curl throughput: %.2fx (target >= 0.9x)\n", theirs / ours }'
