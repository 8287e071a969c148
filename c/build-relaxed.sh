#!/bin/sh
# Usage: c/build-relaxed.sh OUT.wasm EXPORTS_JSON SOURCE.c...
# A relaxed-SIMD build of the given sources: the same bare module as
# build.sh's Emscripten builds (no imports, the same memory limits), with
# FMA in the exp (c/exp.h).  Emscripten 3.1.6's binaryen (108) cannot read
# the final relaxed-SIMD opcodes, so this compiles with Debian's clang-19
# against Emscripten's own sysroot (its libm) and links with wasm-ld-19.
# Bulk memory turns memcpy/memset into instructions: every engine with
# relaxed SIMD has it.
set -eu
out=$1 exports=$2
shift 2
sysroot="${EM_SYSROOT:-/usr/share/emscripten/cache/sysroot}"
tmp=$(mktemp -d)
trap 'rm -r "$tmp"' EXIT
objs=
for src in "$@"; do
    obj="$tmp/$(basename "$src" .c).o"
    clang-19 --target=wasm32-unknown-emscripten --sysroot="$sysroot" -O3 -ffp-contract=off \
        -msimd128 -mrelaxed-simd -mbulk-memory -I"$(dirname "$0")" -c "$src" -o "$obj"
    objs="$objs $obj"
done
# EXPORTS_JSON is Emscripten's list (["_f", ...]); wasm-ld takes --export=f.
flags=$(echo "$exports" | tr -d '[]" ' | tr ',' '\n' | sed 's/^_/--export=/')
# shellcheck disable=SC2086
wasm-ld-19 $objs -o "$out" --no-entry -L"$sysroot/lib/wasm32-emscripten" -lc -lcompiler_rt $flags --strip-all \
    --initial-memory=262144 --max-memory=4294967296 -z stack-size=65536 --stack-first
