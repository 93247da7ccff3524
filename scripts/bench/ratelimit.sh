#!/usr/bin/env bash
# Does the per-host token bucket hold 3 requests/s? `pairdx fetch --rate 3` makes 60 requests
# (20 articles × metadata, JATS, one image) to `serve-mirror`, whose access log timestamps each
# arrival; the achieved rate is (60 − 1) / (last − first). Target: within 5 % of 3.
# Usage: scripts/bench/ratelimit.sh [RATE]
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
rate="${1:-3}"
swift build -c release --scratch-path "$root/.build-bench" --product pairdx >&2
bin="$root/.build-bench/release/pairdx"
tmp="$(mktemp -d)"
server=""
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
for n in $(seq 1 20); do
  k="PMC$n.1"; mkdir -p "$tmp/m/$k"
  printf '\x89PNG\r\n\x1a\n-figure-%s' "$n" > "$tmp/m/$k/f$n.png"
  printf '{"pmcid":"PMC%s","version":1,"license_code":"CC BY","is_pmc_openaccess":true,"is_retracted":false,"xml_url":"s3://pmc-oa-opendata/%s/%s.xml","media_urls":["s3://pmc-oa-opendata/%s/f%s.png"],"pmid":null,"doi":null,"title":"t"}' \
    "$n" "$k" "$k" "$k" "$n" > "$tmp/m/$k/$k.json"
  printf '<article xmlns:xlink="http://www.w3.org/1999/xlink"><body><fig id="F1"><caption><p>c</p></caption><graphic xlink:href="f%s"/></fig></body></article>' "$n" > "$tmp/m/$k/$k.xml"
  echo "$k" >> "$tmp/ids"
done
"$bin" serve-mirror "$tmp/m" --port 0 --access-log "$tmp/access.log" --log-level warning > "$tmp/url" &
server=$!
for _ in $(seq 50); do [ -s "$tmp/url" ] && break; sleep 0.1; done
base="$(head -1 "$tmp/url")"
"$bin" discover --ids "$tmp/ids" --work "$tmp/w" --log-level warning >/dev/null
"$bin" fetch --source "$base" --work "$tmp/w" --rate "$rate" --concurrency 8 --log-level warning
sleep 0.2
awk -v want="$rate" '{ t[NR] = $1 } END {
  n = NR; got = (n - 1) / (t[n] - t[1]); dev = (got - want) / want * 100
  printf "requests %d, achieved %.3f req/s for a limit of %s (%+.2f%%; target within 5%%)\n", n, got, want, dev }' "$tmp/access.log"
