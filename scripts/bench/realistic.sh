#!/usr/bin/env bash
# A balanced rebuild (6 classes × PER_CLASS) from a FIGURES-figure synthetic mirror (PROFILE: pmc, the PubMed Central-like
# figure mix, by default; demo for the embedded corpus's) served over HTTP by serve-mirror
# with a per-request delay, caption-first (with its plan first) against the same rebuild in all-media order.
# Prints articles scanned, requests, media bytes downloaded per kept pair, wall time, the plan's estimate against the
# actual run, the targets (media bytes <= 1.5 x the kept pairs' image bytes; requests <= 2 x articles + 1.3 x pairs; plan
# within +-20% of the actual articles and requests), and how many kept pairs truly show their class (from the truth file).
# Requests are the downloads in the fetch journal (each URL once: version listings, metadata, JATS, media; the plan's
# sample included), broken down by kind, with what the caption-first scan's own client sent (attempts by kind, retries included and
# named; the plan's sample, already journalled, costs it nothing) and how many labelled figures the media cap held back.
#   scripts/bench/realistic.sh [FIGURES] [PER_CLASS] [DELAY_SECONDS] [DIR] [PROFILE]   (PAIRDX_BIN=path skips the release build)
set -euo pipefail
cd "$(dirname "$0")/../.."
figures=${1:-100000}
per=${2:-500}
delay=${3:-0.02}
profile=${5:-pmc}
dir=${4:-${TMPDIR:-/tmp}/pairdx-bench-realistic-$profile-$figures}
# PAIRDX_BIN: an already built pairdx (skips the release build).
if [ -n "${PAIRDX_BIN:-}" ]; then bin=$PAIRDX_BIN; else swift build -c release --product pairdx >/dev/null; bin=$PWD/.build/release/pairdx; fi
mkdir -p "$dir"
[ -d "$dir/mirror" ] || "$bin" synth --seed 1 --out "$dir/mirror" --figures "$figures" --profile "$profile" --log-level warning >/dev/null
python3 - "$dir" "$per" <<'PY'
import json, sys
d, per = sys.argv[1], int(sys.argv[2])
r = json.load(open("Manifests/pairdx-synth-v1/recipe.json"))
r["name"] = "realistic"; r["balance"] = {"policy": "target", "perClass": per}
r["description"] = "Benchmark recipe: the demo taxonomy with a per-class target."
json.dump(r, open(f"{d}/recipe.json", "w"), indent=1)
PY
echo "{\"faults\": [{\"path\": \"/*\", \"kind\": \"stall\", \"seconds\": $delay}]}" > "$dir/delay.json"
"$bin" serve-mirror "$dir/mirror" --port 0 --faults "$dir/delay.json" --log-level warning > "$dir/port" &
server=$!
trap 'kill $server 2>/dev/null' EXIT
for _ in $(seq 1200); do [ -s "$dir/port" ] && break; sleep 0.1; done   # indexing a large mirror takes a while
[ -s "$dir/port" ] || { echo "serve-mirror did not start" >&2; exit 74; }
url=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$dir/port" | head -1)
echo "CPU: $(scripts/machine.sh --load)"
echo "corpus: $figures figures (pairdx synth --profile $profile), target $per per class, ${delay}s per request, served at $url"
run() {  # order workdir extra-args...
  local order=$1 work=$2; shift 2
  local t0 t1
  t0=$(date +%s.%N)
  "$bin" rebuild --recipe "$dir/recipe.json" --source "$url" --order "$order" --work "$work" --no-audit --allow-short \
    --splits-root "$work/Splits" --manifests-root "$work/Manifests" --log-level warning --concurrency 8 "$@" >/dev/null
  t1=$(date +%s.%N)
  echo "$t1 - $t0" | bc -l > "$work/seconds"
}
rm -rf "$dir/caption-first" "$dir/all-media"
"$bin" plan --recipe "$dir/recipe.json" --source "$url" --work "$dir/caption-first" --plan-rate 3 --log-level warning
run caption-first "$dir/caption-first"
run all-media "$dir/all-media"
python3 - "$dir" <<'PY'
import collections, csv, json, sys
d = sys.argv[1]
def measure(name):
    w = f"{d}/{name}"
    docs = media = mbytes = 0
    kinds = collections.Counter()
    for line in open(f"{w}/fetch-journal.jsonl"):
        e = json.loads(line)
        if "list-type=" in e["url"]:  # a version listing (candidates that name no version)
            docs += 1; kinds["listing"] += 1
        elif e["url"].endswith((".json", ".xml")):
            docs += 1; kinds["metadata" if e["url"].endswith(".json") else "jats"] += 1
        else: media += 1; mbytes += e["bytes"]; kinds["media"] += 1
    figs = {}
    for line in open(f"{w}/figures.jsonl"):
        f = json.loads(line); figs[f["id"]] = f
    items = list(csv.DictReader(open(f"{w}/Manifests/realistic/items.csv")))
    kept = sum(figs[i["id"]]["bytes"] or 0 for i in items)
    arts = sum(1 for _ in open(f"{w}/articles.jsonl"))
    state = json.load(open(f"{w}/scan-state.json")) if name == "caption-first" else None
    scanned = state["scanned"] if state else arts
    requests = docs + media
    held = collections.Counter(f["status"] for f in figs.values() if f["status"].startswith("not-fetched"))
    return dict(scanned=scanned, requests=requests, media=media, mbytes=mbytes, pairs=len(items), kept=kept,
                seconds=float(open(f"{w}/seconds").read()), state=state, kinds=kinds, held=held)
a, b = measure("caption-first"), measure("all-media")
for name, m in (("caption-first", a), ("all-media", b)):
    print(f"{name:14s} articles scanned {m['scanned']:7d}  requests {m['requests']:8d}  media files {m['media']:7d}  "
          f"media MB {m['mbytes']/1e6:9.1f}  pairs {m['pairs']:6d}  media bytes / kept-pair bytes {m['mbytes']/max(m['kept'],1):6.2f}  "
          f"wall {m['seconds']:7.1f} s")
for name, m in (("caption-first", a), ("all-media", b)):
    k = m["kinds"]
    line = (f"{name} requests by kind (journal): listing {k['listing']}, metadata {k['metadata']}, jats {k['jats']}, "
            f"media {k['media']}")
    if m["state"]:
        s = m["state"]; sk = s.get("requestsByKind") or {}
        line += (f"; the scan's client: {s['requests']} attempts (" + ", ".join(f"{x} {sk[x]}" for x in sorted(sk))
                 + f"; retries {s.get('retries', 0)})")
    if m["held"]:
        line += "; not fetched: " + ", ".join(f"{n} {r.split(': ', 1)[-1]}" for r, n in sorted(m["held"].items()))
    print(line)
if a["state"] and a["state"].get("mediaAllowance"):
    print("caption-first media allowance per class: " + ", ".join(f"{c} {n}" for c, n in sorted(a["state"]["mediaAllowance"].items())))
print(f"ratio all-media / caption-first: requests {b['requests']/a['requests']:.2f}x, media bytes {b['mbytes']/max(a['mbytes'],1):.2f}x, wall {b['seconds']/a['seconds']:.2f}x")
ok1 = a["mbytes"] <= 1.5 * a["kept"]
ok2 = a["requests"] <= 2 * a["scanned"] + 1.3 * a["pairs"]
print(f"target media bytes <= 1.5 x kept pairs' bytes: {'met' if ok1 else 'MISSED'} ({a['mbytes']/max(a['kept'],1):.2f}x)")
print(f"target requests <= 2 x articles + 1.3 x pairs: {'met' if ok2 else 'MISSED'} ({a['requests']} vs {2*a['scanned'] + 1.3*a['pairs']:.0f})")
p = json.load(open(f"{d}/caption-first/plan.json"))
if p.get("labelled"):
    lab = p["labelled"]; lim = p.get("limitingClass")
    print(f"plan sample: {p['sample']} articles (stopped by {p.get('sampleStop')}: every class to {p.get('minimumCount')} "
          f"caption-labelled figures, at most {p.get('maxSample')} articles); labelled "
          + ", ".join(f"{c} {lab[c]}" for c in sorted(lab)) + f"; limiting class {lim}")
if p.get("estimate"):
    e = p["estimate"]; kept = a["state"]["kept"]
    da = (e['articles']['mid'] - kept) / kept * 100
    dr = (e['requests']['mid'] - a['requests']) / a['requests'] * 100
    print(f"plan vs actual: articles {e['articles']['mid']:.0f} ({e['articles']['low']:.0f}-{e['articles']['high']:.0f}) vs {kept} kept / {a['scanned']} scanned "
          f"({da:+.0f}%); requests {e['requests']['mid']:.0f} vs {a['requests']} ({dr:+.0f}%)")
    print(f"target plan within +-20% of actual articles and requests: {'met' if abs(da) <= 20 and abs(dr) <= 20 else 'MISSED'}")
truth = {f["id"]: f for f in json.load(open(f"{d}/mirror.truth.json"))["figures"]}
for name in ("caption-first", "all-media"):
    items = list(csv.DictReader(open(f"{d}/{name}/Manifests/realistic/items.csv")))
    right = sum(1 for i in items if truth.get(i["id"], {}).get("kind", truth.get(i["id"], {}).get("class")) == i["class"])
    wrong = collections.Counter(truth.get(i["id"], {}).get("kind", "?") for i in items
                                if truth.get(i["id"], {}).get("kind", truth.get(i["id"], {}).get("class")) != i["class"])
    print(f"{name}: kept pairs whose image truly shows their class {right}/{len(items)} ({right/max(len(items),1)*100:.1f}%); "
          f"the others are {dict(wrong.most_common(4))}")
PY
