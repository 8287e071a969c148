#!/bin/sh
# Builds tests/bench/limits.wasm and limits-relaxed.wasm: the benchmark's
# floor and exp-sum-only kernels (kernels/limits.h), SIMD and relaxed-SIMD
# builds, made as the published builds are (../../build.sh).  Not part of the package.
# Rebuild after changing c/: the exp-sum pass is the library's own.
# CDIR and OUT build a private copy: CDIR=/tmp/tune/c OUT=/tmp/tune/limits (.wasm, -relaxed.wasm)
set -eu
cd "$(dirname "$0")"
CDIR="${CDIR:-../../c}"
OUT="${OUT:-limits}"
export NODE_PATH="${NODE_PATH:-/usr/share/nodejs}"
EMCC="${EMCC:-emcc}"
# The benchmark's own kernels, and the module exports that are not kernels
# (lsm_heap_base, ...), as c/exports.h lists them.
bench="bench_floor_f32 bench_expsum_f32 bench_expsum_lean_f32 bench_floor_f64 bench_expsum_f64"
support=$("$CDIR/exports.sh" support)
EXPORTS="[$(printf '"_%s",' $support $bench | sed 's/,$//')]"
"$EMCC" -O3 -msimd128 -I"$CDIR" kernels/limits_f32.c kernels/limits_f64.c "$CDIR/memory.c" -o "$OUT.wasm" \
    -sSTANDALONE_WASM --no-entry -sEXPORTED_FUNCTIONS="$EXPORTS" \
    -sALLOW_MEMORY_GROWTH -sMAXIMUM_MEMORY=4GB -sINITIAL_MEMORY=256KB -sTOTAL_STACK=64KB \
    -sFILESYSTEM=0 -sERROR_ON_UNDEFINED_SYMBOLS=1
"$CDIR/build-relaxed.sh" "$OUT-relaxed.wasm" "$EXPORTS" kernels/limits_f32.c kernels/limits_f64.c "$CDIR/memory.c"
ls -l "$OUT.wasm" "$OUT-relaxed.wasm"
