#!/usr/bin/env bash
# A pairdx that runs without the Swift toolchain: builds the release binary with the Swift runtime and Foundation
# linked in (--static-swift-stdlib) and packs it for download.
#
#   scripts/package.sh [--out DIR] [--smoke]
#
# Writes DIR/pairdx-<version>-linux-<arch>.tar.gz (DIR defaults to dist) holding one folder of the same name with
# the binary `pairdx`, README.md, LICENSES/ (the licences of the code linked into the binary) and SHA256SUMS of
# those files, and DIR/pairdx-<version>-linux-<arch>.tar.gz.sha256 (`sha256sum -c` format). The tarball itself is
# written with sorted names, mtime 0 and owner 0.
#
# Checks, each failing the script (exit 1): every library `ldd` lists resolves to a file a Debian package owns
# (`dpkg -S`), none lies under the toolchain, and the binary's RPATH/RUNPATH names nothing but its own directory. With --smoke the tarball is
# unpacked in a new directory outside the repository and the unpacked binary runs `pairdx verify` on the committed
# split there, with PATH and LD_LIBRARY_PATH reduced to the system's and the toolchain's directory hidden under
# an empty tmpfs in a private mount namespace (unshare; when the machine does not allow it the script says so and
# relies on the ldd check).
set -euo pipefail
cd "$(dirname "$0")/.."
out=dist
smoke=no
while [ $# -gt 0 ]; do
  case $1 in
    --out) out=${2:?--out needs a directory}; shift 2 ;;
    --smoke) smoke=yes; shift ;;
    *) echo "usage: $0 [--out DIR] [--smoke]" >&2; exit 64 ;;
  esac
done

scripts/install-deps.sh
swift build -c release --product pairdx --static-swift-stdlib --quiet >&2
bin=$(swift build -c release --product pairdx --static-swift-stdlib --show-bin-path)/pairdx
[ -x "$bin" ] || { echo "package: no binary at $bin" >&2; exit 74; }

version=$("$bin" --version)
arch=$(uname -m)
name=pairdx-$version-linux-$arch
toolchain=$(dirname "$(dirname "$(readlink -f "$(command -v swift)")")")   # …/usr of the toolchain

fail=0
# 1. Dynamic libraries: only Debian's.
while read -r lib path; do
  if [ -z "$path" ] || [ "$path" = "not" ]; then echo "package: $lib is not found" >&2; fail=1; continue; fi
  real=$(readlink -f "$path")
  case $real in
    "$toolchain"/*) echo "package: $lib resolves into the toolchain ($real)" >&2; fail=1; continue ;;
  esac
  if owner=$(dpkg -S "$path" 2>/dev/null || dpkg -S "$real" 2>/dev/null); then
    echo "  $lib → $real (${owner%%:*})" >&2
  else
    echo "package: $lib ($real) belongs to no Debian package" >&2; fail=1
  fi
done < <(ldd "$bin" | awk '$2 == "=>" { print $1, $3 } $1 ~ /^\// { print $1, $1 }')
# A search path may only name the binary's own directory ($ORIGIN, which SwiftPM adds), never the toolchain.
for entry in $(readelf -d "$bin" | sed -n 's/.*R\(UN\)\{0,1\}PATH.*\[\(.*\)\]/\2/p' | tr ':' ' '); do
  [ "$entry" = '$ORIGIN' ] || { echo "package: the binary searches libraries in $entry" >&2; fail=1; }
done
[ $fail = 0 ] || { echo "package: CHECK FAILED: the binary needs libraries other than Debian's" >&2; exit 1; }

# 2. The tarball.
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/$name/LICENSES"
cp "$bin" "$stage/$name/pairdx"
strip "$stage/$name/pairdx" 2>/dev/null || true
cp README.md "$stage/$name/README.md"
[ -f LICENSE ] && cp LICENSE "$stage/$name/LICENSE"
cp "$toolchain/share/swift/LICENSE.txt" "$stage/$name/LICENSES/swift-runtime.txt"
for dep in swift-argument-parser FlyingFox; do
  lic=$(find ".build/checkouts/$dep" -maxdepth 1 -iname 'LICENSE*' -print -quit)
  [ -n "$lic" ] && cp "$lic" "$stage/$name/LICENSES/$dep.txt"
done
(cd "$stage/$name" && find . -type f ! -name SHA256SUMS -printf '%P\n' | LC_ALL=C sort | xargs sha256sum > SHA256SUMS)
mkdir -p "$out"
tarball=$out/$name.tar.gz
tar -C "$stage" --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner --mode=go-w -cf - "$name" | gzip -n -9 > "$tarball.tmp"
mv "$tarball.tmp" "$tarball"
(cd "$out" && sha256sum "$name.tar.gz" > "$name.tar.gz.sha256")
echo "package: $tarball ($(du -h "$tarball" | cut -f1)), sha256 $(cut -d' ' -f1 "$tarball.sha256")" >&2
echo "$tarball"

[ $smoke = yes ] || exit 0

# 3. Smoke test: the unpacked binary, away from the build and the toolchain.
repo=$(pwd)
place=$(mktemp -d /tmp/pairdx-smoke.XXXXXX)
trap 'rm -rf "$stage" "$place"' EXIT
cp "$tarball" "$tarball.sha256" "$place/"
(cd "$place" && sha256sum -c "$name.tar.gz.sha256") >&2
tar -C "$place" -xzf "$place/$name.tar.gz"
(cd "$place/$name" && sha256sum -c SHA256SUMS) >&2
cp -r "$repo/Splits" "$place/Splits"
run=(env -i PATH=/usr/bin:/bin HOME="$place" "$place/$name/pairdx" verify "$place/Splits/pairdx-synth-v1")
if unshare --mount --propagation private true 2>/dev/null; then
  echo "package: running the packaged binary with $toolchain hidden" >&2
  (cd "$place" && unshare --mount --propagation private sh -c 'mount -t tmpfs none "$0" && [ -z "$(ls -A "$0")" ] && exec "$@"' "$toolchain" "${run[@]}")
else
  echo "package: unshare is not allowed here; the toolchain stays visible, the ldd check above stands for it" >&2
  (cd "$place" && "${run[@]}")
fi
echo "package: the packaged binary verified Splits/pairdx-synth-v1 from $place" >&2
