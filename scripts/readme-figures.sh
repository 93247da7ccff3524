#!/usr/bin/env bash
# README figures: regenerates the README regions whose figures come from a run, instead of editing them by hand.
#
# A region is delimited by two HTML comments (invisible on the rendered page), each on a line of its own:
#   <!-- figures: NAME -->
#   …generated Markdown…
#   <!-- /figures: NAME -->
#
# Usage: scripts/readme-figures.sh [--check] [--list] [NAME...]
#   NAME...         rewrite those regions from their inputs (below); no NAME: every region whose input exists,
#                   except bench-validate, which runs only when named (it times training steps)
#   --check [NAME]  exit 1 when a region differs from what its input gives (README unchanged); no NAME: every
#                   deterministic region
#   --list          print each NAME, its kind and its input
#
# Regions and their inputs (paths relative to the repository root; override with the variables named):
#   demo-accuracy   deterministic  report/validation.json + Splits/pairdx-synth-v1/splits.json (REPORT_DIR, SPLIT_DIR),
#                                  after scripts/demo.sh. Accuracy, macro-F1 and weight digests of the deterministic
#                                  mode do not depend on the machine (any x86-64 with AVX2 and FMA, any thread count),
#                                  so scripts/check-readme.sh checks this region against a fresh run.
#   demo-timing     machine        the same report: training and test times, with the CPU that produced them.
#   tests           machine        .build/test-summary.json (TEST_SUMMARY), written by scripts/test.sh.
#   ci              machine        .build/ci-run.json (CI_SUMMARY), written by .ci/run.
#   bench-validate  machine        runs `pairdx bench validate --recipe pairdx-v1 --pairs 22662` (PAIRDX_BIN, else
#                                  .build/release/pairdx, else .build/debug/pairdx) on this machine, now.
# Machine-dependent regions name the CPU (model, vector extensions, cores) and the load average they ran under: refresh
# them on the machine that produced their input.
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PAIRDX_PYTHON:-python3}

check=0; list=0; names=()
for arg in "$@"; do
  case "$arg" in
    --check) check=1 ;;
    --list) list=1 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) echo "readme-figures: unknown option $arg (see --help)" >&2; exit 64 ;;
    *) names+=("$arg") ;;
  esac
done

# The machine, as every machine-dependent figure names it.
export FIG_CPU=$(scripts/machine.sh)
export FIG_LOAD=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo "?")

# bench-validate runs the binary here; its output goes to the generator as a file.
bench_out=""
wants_bench=0
for n in "${names[@]}"; do [ "$n" = bench-validate ] && wants_bench=1; done
if [ "$wants_bench" = 1 ] && [ "$list" = 0 ]; then
  bin=${PAIRDX_BIN:-}
  if [ -z "$bin" ]; then
    if [ -x .build/release/pairdx ]; then bin=.build/release/pairdx; else bin=.build/debug/pairdx; fi
  fi
  if [ -x "$bin" ]; then
    bench_out=$(mktemp "${TMPDIR:-/tmp}/pairdx-bench-validate.XXXXXX")
    trap 'rm -f "$bench_out"' EXIT
    echo "readme-figures: running $bin bench validate --recipe pairdx-v1 --pairs 22662" >&2
    "$bin" bench validate --recipe pairdx-v1 --pairs 22662 > "$bench_out"
    export FIG_LOAD=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo "?")
  elif [ ${#names[@]} -gt 0 ]; then
    echo "readme-figures: bench-validate needs a built pairdx ($bin is not executable; set PAIRDX_BIN)" >&2; exit 74
  fi
fi

exec "$python" - "$check" "$list" "$bench_out" "${names[@]}" <<'PY'
import json, os, re, sys, textwrap

check, listing, bench_out = sys.argv[1] == "1", sys.argv[2] == "1", sys.argv[3]
names = sys.argv[4:]
readme_path = "README.md"
report_dir = os.environ.get("REPORT_DIR", "report")
split_dir = os.environ.get("SPLIT_DIR", "Splits/pairdx-synth-v1")
test_summary = os.environ.get("TEST_SUMMARY", ".build/test-summary.json")
ci_summary = os.environ.get("CI_SUMMARY", ".build/ci-run.json")
cpu, load = os.environ["FIG_CPU"], os.environ["FIG_LOAD"]

class Missing(Exception):
    """The region's input does not exist (yet): say which file and what makes it."""

def read_json(path, made_by):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except FileNotFoundError:
        raise Missing(f"{path} does not exist: run {made_by} first")
    except json.JSONDecodeError as e:
        sys.exit(f"readme-figures: {path}: not valid JSON ({e})")

def pct(x): return f"{100 * x:.2f}%"

def prose(text):
    """A paragraph, wrapped as the README's prose is (118 columns)."""
    return textwrap.wrap(text, width=118, break_long_words=False, break_on_hyphens=False)

def seconds_text(s):
    s = float(s)
    if s < 90: return f"{s:.1f} s"
    m, r = divmod(round(s), 60)
    if m < 90: return f"{m} min {r} s" if r else f"{m} min"
    h, m = divmod(m, 60)
    return f"{h} h {m} min"

def validation():
    return read_json(os.path.join(report_dir, "validation.json"), "scripts/demo.sh")

def model_description(name, hp):
    """What the table calls each model: its architecture and the recipe's hyper-parameters that shape it."""
    hp = json.loads(hp) if isinstance(hp, str) else hp
    res = hp.get("resolution")
    epochs = hp.get("epochs")
    width = hp.get("widthMultiplier")
    if name == "image":
        return f"image (ResNet-18 ×{width:g}, {res}², {epochs} epochs)"
    if name == "text":
        return (f"text (learned embeddings, attention pooling, first {hp.get('maxTokens')} tokens, "
                f"{epochs} epochs)")
    if name == "fusion":
        start = " from the image baseline" if hp.get("initialiseFrom") == "image" else ""
        return (f"fusion (ResNet-18 ×{width:g} + caption tokens, cross-attention, {res}², {epochs} epochs{start})")
    return name

def demo_accuracy():
    v = validation()
    s = read_json(os.path.join(split_dir, "splits.json"), "scripts/demo.sh")
    counts = {k: s["splits"][k]["count"] for k in ("train", "val", "test")}
    total = sum(counts.values())
    modes = sorted({m.get("computeMode", "?") for m in v["models"]})
    kernels = sorted({m.get("kernel", "?") for m in v["models"]})
    lines = prose(
        f"On the embedded corpus (seed {s['seed']}, {total:,} balanced pairs: {counts['train']} train, "
        f"{counts['val']} val, {counts['test']} test) `scripts/demo.sh` prints, in {', '.join(modes)} mode (kernel "
        f"`{', '.join(kernels)}`; the same figures and weight digests on any x86-64 with AVX2 and FMA, at any thread "
        f"count, so CI checks this table against its own run):") + [
        "",
        "| model | test accuracy | macro-F1 | weights (SHA-256, first 16 hex) |",
        "|---|---|---|---|",
    ]
    for m in v["models"]:
        metrics = m["metrics"]
        lines.append(f"| {model_description(m['model'], m['hyperparameters'])} | {pct(metrics['accuracy'])} | "
                     f"{metrics['macroF1']:.3f} | `{m['weightsSHA256'][:16]}` |")
    verdicts = {}
    for r in v.get("rows", []):
        verdicts.setdefault(r["verdict"], []).append(f"`{r['id']}`")
    if verdicts:
        lines += [""] + prose("Published rows by verdict: " + "; ".join(
            f"{k} {len(rows)} ({', '.join(rows)})" for k, rows in sorted(verdicts.items())) + ".")
    gate = v.get("gate", {})
    if gate:
        lines += [""] + prose(f"The gate {'passed' if gate['passed'] else 'FAILED'}: {gate['claim']} "
                              f"({gate.get('detail', '')}).")
    return lines

def demo_timing():
    v = validation()
    parts = [f"{m['model']} {seconds_text(m['trainSeconds'])}" for m in v["models"]]
    tests = [f"{m['model']} {1000 * m['testSecondsPerImage']:.2f} ms" for m in v["models"]]
    return prose(
        f"Times of that run (they depend on the machine): training {', '.join(parts)}; test time per image: "
        f"{', '.join(tests)}; {v.get('threads', '?')} threads on \"{v.get('hardware', '?')}\" (the report's words), "
        f"refreshed on a {cpu}, load average {load}.")

def tests():
    t = read_json(test_summary, "scripts/test.sh")
    skipped = "; ".join(t.get("skippedReasons", [])) or "none"
    minutes = seconds_text(t["seconds"]) if t.get("seconds") is not None else "?"
    return prose(
        f"Last full run of `scripts/test.sh`: {t['total']} tests ({t['passed']} passed, {t['failed']} failed, "
        f"{t['skipped']} skipped: {skipped}); the tests took {minutes} on a {t.get('cpu', cpu)}, load average "
        f"{t.get('load', '?')}.")

def ci():
    c = read_json(ci_summary, ".ci/run")
    return prose(
        f"The last `.ci/run` took {seconds_text(c['seconds'])} on a {c.get('cpu', cpu)}, load average "
        f"{c.get('load', '?')} at its start (format check, build, .venv, tests, release package, doc tests and the "
        f"Slurm rehearsals).")

def bench_validate():
    if not bench_out:
        raise Missing("bench-validate needs a built pairdx (set PAIRDX_BIN)")
    with open(bench_out, encoding="utf-8") as f:
        out = [l.rstrip() for l in f if l.strip()]
    return [f"On a {cpu}, load average {load}, it printed:", ""] + ["    " + l for l in out]

producers = {
    "demo-accuracy": ("deterministic", "report/validation.json, Splits/pairdx-synth-v1/splits.json", demo_accuracy),
    "demo-timing": ("machine", "report/validation.json", demo_timing),
    "tests": ("machine", ".build/test-summary.json", tests),
    "ci": ("machine", ".build/ci-run.json", ci),
    "bench-validate": ("machine", "pairdx bench validate (runs now)", bench_validate),
}

if listing:
    for n, (kind, source, _) in producers.items(): print(f"{n}\t{kind}\t{source}")
    sys.exit(0)

with open(readme_path, encoding="utf-8") as f:
    lines = f.read().split("\n")

# Regions: name → (first content line, end marker line), 0-based; markers must pair up.
regions = {}
opening = None
for i, l in enumerate(lines):
    m = re.fullmatch(r"\s*<!--\s*(/?)figures:\s*([a-z0-9-]+)\s*-->\s*", l)
    if not m: continue
    closing, name = m.group(1) == "/", m.group(2)
    if name not in producers:
        sys.exit(f"readme-figures: README.md:{i + 1}: unknown region '{name}' (known: {', '.join(producers)})")
    if not closing:
        if opening: sys.exit(f"readme-figures: README.md:{i + 1}: region '{name}' opens inside '{opening[0]}'")
        if name in regions: sys.exit(f"readme-figures: README.md:{i + 1}: region '{name}' appears twice")
        opening = (name, i)
    else:
        if not opening or opening[0] != name:
            sys.exit(f"readme-figures: README.md:{i + 1}: '/figures: {name}' closes no open '{name}' region")
        regions[name] = (opening[1] + 1, i)
        opening = None
if opening: sys.exit(f"readme-figures: README.md:{opening[1] + 1}: region '{opening[0]}' is never closed")

wanted = names or [n for n in producers if n in regions and n != "bench-validate"
                    and (not check or producers[n][0] == "deterministic")]
for n in wanted:
    if n not in producers: sys.exit(f"readme-figures: unknown region '{n}' (known: {', '.join(producers)})")
    if n not in regions: sys.exit(f"readme-figures: README.md has no region '{n}' (<!-- figures: {n} -->)")

failed = 0
# Replace from the bottom up so earlier line numbers stay valid.
for n in sorted(wanted, key=lambda n: -regions[n][0]):
    kind, _, produce = producers[n]
    start, end = regions[n]
    try:
        new = produce()
    except Missing as e:
        if names:
            print(f"readme-figures: {n}: {e}", file=sys.stderr); failed += 1
        else:
            print(f"readme-figures: {n}: left as it is ({e})", file=sys.stderr)
        continue
    old = lines[start:end]
    if check:
        if old != new:
            failed += 1
            print(f"readme-figures: README.md:{start}: region '{n}' differs from its input (- README, + input):",
                  file=sys.stderr)
            import difflib
            for d in difflib.unified_diff(old, new, lineterm="", n=0):
                print("    " + d, file=sys.stderr)
        else:
            print(f"readme-figures: {n}: README matches its input", file=sys.stderr)
    else:
        lines[start:end] = new
        print(f"readme-figures: {n}: {'unchanged' if old == new else 'refreshed'} ({kind})", file=sys.stderr)

if not check:
    with open(readme_path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines))
sys.exit(1 if failed else 0)
PY
