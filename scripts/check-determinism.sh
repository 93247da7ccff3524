#!/usr/bin/env bash
# Deterministic mode, shown end to end: the same fusion training steps with OpenBLAS forced to different kernel sets
# (OPENBLAS_CORETYPE, read when the library loads) and with 1 and 2 threads must give the same weights SHA-256.
# For contrast the same runs in --mode fast (OpenBLAS's kernels) print their digests, which may differ.
# Usage: scripts/check-determinism.sh [CORETYPE...]   (default: Haswell Sandybridge; BIN=path/to/pairdx skips the build)
# Exit 0 when every deterministic digest is equal, 1 otherwise.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cores=("$@")
[ ${#cores[@]} -gt 0 ] || cores=(Haswell Sandybridge)
if [ -z "${BIN:-}" ]; then
    swift build -c release --package-path "$root" --product pairdx >&2
    BIN="$root/.build/release/pairdx"
fi
args=(bench train --model fusion --res 64 --batch 8 --steps 2 --width 0.5 --digest --log-level warning)
status=0
for mode in deterministic fast; do
    digests=()
    for core in "${cores[@]}"; do
        for threads in 1 2; do
            line=$(OPENBLAS_CORETYPE="$core" "$BIN" "${args[@]}" --mode "$mode" --threads "$threads")
            echo "OPENBLAS_CORETYPE=$core: $line"
            case "$line" in *"OpenBLAS core $core"*) ;; *) echo "OpenBLAS did not switch to $core (see its core name above)" >&2; status=1 ;; esac
            digests+=("$(echo "$line" | awk '{print $3}')")
        done
    done
    distinct=$(printf '%s\n' "${digests[@]}" | sort -u | wc -l)
    if [ "$mode" = deterministic ]; then
        if [ "$distinct" -eq 1 ]; then echo "deterministic: one digest over ${#digests[@]} runs (${cores[*]} × 1, 2 threads)"
        else echo "deterministic: $distinct different digests over ${#digests[@]} runs" >&2; status=1; fi
    else
        echo "fast: $distinct different digest(s) over ${#digests[@]} runs"
    fi
done
exit $status
