/* Double accumulators for the sums of exps, shared by both element types.
 *
 * A slice's sum is kept per lane as sum + comp: each flush of a partial sum
 * adds it with TwoSum (Knuth) and keeps the rounding error in comp, so the
 * total's error does not grow with the number of flushes.  A plain double
 * sum of 2^17 terms a lane (a 2^20-element float64 row) lost 2e-13 relative;
 * with comp the error is that of one partial (FLUSH terms) plus 2^-52.
 * Where a sum is infinite or NaN, sum carries it and comp stays finite. */
#ifndef LSM_WIDE_H
#define LSM_WIDE_H
#include "simd.h"

/* sum + comp += b, for one double. */
static inline void wide_add1(double *sum, double *comp, double b) {
    double a = *sum, s = a + b, bb = s - a, err = (a - (s - bb)) + (b - bb);
    *comp += err == err ? err : 0; /* NaN where s is infinite: s then says it all */
    *sum = s;
}

#if LSM_SIMD
/* The same for two neighbouring lanes at once. */
static inline void wide_add2(double *sum, double *comp, v128_t b) {
    v128_t a = wasm_v128_load(sum), s = wasm_f64x2_add(a, b), bb = wasm_f64x2_sub(s, a);
    v128_t err = wasm_f64x2_add(wasm_f64x2_sub(a, wasm_f64x2_sub(s, bb)), wasm_f64x2_sub(b, bb));
    err = wasm_v128_and(err, wasm_f64x2_eq(err, err));
    wasm_v128_store(comp, wasm_f64x2_add(wasm_v128_load(comp), err));
    wasm_v128_store(sum, s);
}
#endif
#endif
