#!/usr/bin/env bash
# Builds one libFuzzer target and runs it for SECONDS on its committed seed corpus (Fuzz/corpus/TARGET).
#   scripts/fuzz.sh TARGET [SECONDS] [-- extra libFuzzer flags]
#   TARGET: jats | png | jpeg | split-csv | recipe | s3-listing | esearch
# The library modules are built by SwiftPM with coverage instrumentation and AddressSanitizer
# (-sanitize=fuzzer,address) into .build/fuzz; the target (Fuzz/TARGET.swift, an @_cdecl
# LLVMFuzzerTestOneInput function) is compiled and linked with libFuzzer by swiftc here, because SwiftPM
# renames an executable's entry point and libFuzzer brings its own main. New inputs go to
# .build/fuzz/corpus/TARGET (the committed seeds stay small); a crash is written to
# .build/fuzz/crashes/TARGET-* and the script exits 1. Prints executions per second and in total.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
target="${1:-}"
seconds="${2:-60}"
shift $(( $# < 2 ? $# : 2 ))
[ "${1:-}" = "--" ] && shift
case "$target" in
    jats | s3-listing | esearch) modules=(PairDxCore Ingest); build=(Ingest) ;;
    png | jpeg) modules=(PairDxCore CPNG CJPEG Imaging); build=(Imaging) ;;
    split-csv) modules=(PairDxCore CPNG CJPEG Imaging Curation); build=(Curation) ;;
    recipe) modules=(PairDxCore); build=(PairDxCore) ;;
    *) echo "usage: scripts/fuzz.sh jats|png|jpeg|split-csv|recipe|s3-listing|esearch [SECONDS]" >&2; exit 64 ;;
esac
[[ "$seconds" =~ ^[0-9]+$ ]] || { echo "SECONDS must be a whole number (got '$seconds')" >&2; exit 64; }
scratch="$root/.build/fuzz"
flags=(-Xswiftc -sanitize=fuzzer,address -Xswiftc -O -Xcc -fsanitize=fuzzer-no-link,address)
for t in "${build[@]}"; do
    swift build --scratch-path "$scratch" --target "$t" "${flags[@]}" >&2
done
out="$scratch/debug"
objects=()
for m in "${modules[@]}"; do objects+=("$out/$m.build"/*.o); done
bin="$scratch/fuzz-$target"
swiftc -swift-version 6 -parse-as-library -O -sanitize=fuzzer,address -module-name "Fuzz_${target//-/_}" \
    -I "$out/Modules" \
    -Xcc -fmodule-map-file="$out/CPNG.build/module.modulemap" -Xcc -I"$root/Sources/CPNG/include" \
    -Xcc -fmodule-map-file="$out/CJPEG.build/module.modulemap" -Xcc -I"$root/Sources/CJPEG/include" \
    -I "$root/Sources/CCrypto" -I "$root/Sources/CXML2" -I "$root/Sources/CCurl" \
    -Xcc -I/usr/include/libxml2 \
    "Fuzz/$target.swift" "${objects[@]}" \
    -lpng16 -ldeflate -lz -lturbojpeg -ljpeg -lcrypto -lxml2 -lcurl -o "$bin" >&2
corpus="$scratch/corpus/$target"
mkdir -p "$corpus" "$scratch/crashes"
echo "cpu: $(scripts/machine.sh --load)" >&2
log="$scratch/fuzz-$target.log"
status=0
SWIFT_BACKTRACE=enable=no "$bin" -max_total_time="$seconds" -print_final_stats=1 -rss_limit_mb=2048 -timeout=10 \
    -artifact_prefix="$scratch/crashes/$target-" "$@" "$corpus" "Fuzz/corpus/$target" 2>"$log" || status=$?
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
tail -n 30 "$log" >&2
echo "fuzz $target: ${seconds} s, ${execs:-?} executions, ${rate:-?} exec/s, corpus $(ls "$corpus" | wc -l) inputs, exit $status"
[ "$status" -eq 0 ] || { echo "a crash or timeout is in $scratch/crashes/$target-*" >&2; exit 1; }
