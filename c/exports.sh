#!/bin/sh
# Usage: c/exports.sh support|symbols|kernels|jobs|stream|conversions|random|builds
# Prints one of c/exports.h's lists, one entry a line, as the preprocessor
# itself expands it (so nothing here parses C):
#   support      the symbols of the exports that are not kernels or conversions
#   symbols      the kernels', jobs' and streamed path's symbols, every float32 one then every
#                float64 one, then the conversions' (widen, narrow per
#                format), then the generators'
#   kernels      per kernel: its op, its float32 symbol, its float64 symbol
#   jobs         the same for the jobs (LSM_JOBS)
#   stream       the same for the streamed path (LSM_STREAM)
#   random       per generator: its name and symbol
#   conversions  per 16-bit format: its dtype, its widen and narrow symbols
#   builds       the builds' names, in the order of their ids (lsm_build())
# The suffixes _f32 and _f64 are NAME()'s in c/vec_f32.h and c/vec_f64.h.
set -eu
case ${1:-} in
support) list='LSM_SUPPORT(SUPPORT)' ;;
symbols) list='LSM_KERNELS(F32) LSM_JOBS(F32) LSM_STREAM(F32) LSM_KERNELS(F64) LSM_JOBS(F64) LSM_STREAM(F64) LSM_CONVERSIONS(CONVERTS) LSM_RANDOM(SYMBOL)' ;;
kernels) list='LSM_KERNELS(KERNEL)' ;;
jobs) list='LSM_JOBS(KERNEL)' ;;
stream) list='LSM_STREAM(KERNEL)' ;;
random) list='LSM_RANDOM(GENERATOR)' ;;
conversions) list='LSM_CONVERSIONS(CONVERSION)' ;;
builds) list='LSM_BUILDS(BUILD)' ;;
*) echo "usage: $0 support|symbols|kernels|jobs|stream|conversions|random|builds" >&2; exit 2 ;;
esac
# Entries end in ';'; the expansion's line starts with a marker, which
# tells it from the rest of the header's output.
expanded=$(printf '%s\n' '#include "exports.h"' \
    '#define SUPPORT(symbol, result) symbol;' \
    '#define F32(op, symbol, shape) symbol##_f32;' \
    '#define F64(op, symbol, shape) symbol##_f64;' \
    '#define KERNEL(op, symbol, shape) op symbol##_f32 symbol##_f64;' \
    '#define CONVERTS(dtype, widen, narrow) widen; narrow;' \
    '#define CONVERSION(dtype, widen, narrow) dtype widen narrow;' \
    '#define BUILD(name) name;' \
    '#define SYMBOL(name, symbol) symbol;' \
    '#define GENERATOR(name, symbol) name symbol;' \
    "lsm_exports_list $list" | clang-19 -E -P -x c -I"$(dirname "$0")" -)
entries=$(echo "$expanded" | sed -n 's/^lsm_exports_list //p')
case $entries in
'' | *'('*) echo "$0: c/exports.h has no $1 list: $list" >&2; exit 1 ;;
esac
echo "$entries" | tr ';' '\n' | sed 's/^ *//; s/ *$//; s/  */ /g; /^$/d'
