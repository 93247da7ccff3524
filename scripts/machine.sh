#!/usr/bin/env bash
# The machine a figure came from, in one line: "<cores>-core <CPU model> (<vector extensions>)", e.g.
# "2-core AMD EPYC (avx2 fma)". Every benchmark and README figure names its machine with this line.
# --load appends ", load average <1-minute load>" (machines here are shared; a figure means little without it).
set -euo pipefail
model=$(lscpu 2>/dev/null | sed -n 's/^Model name:[[:space:]]*//p' | head -1)
ext=$(grep -o -w -E 'avx512[a-z_0-9]*|avx2|fma' /proc/cpuinfo 2>/dev/null | sort -u | tr '\n' ' ' | sed 's/ $//')
line="$(nproc 2>/dev/null || echo '?')-core ${model:-unknown CPU} (${ext:-no AVX2, FMA or AVX-512})"
[ "${1:-}" = --load ] && line="$line, load average $(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo '?')"
echo "$line"
