/* float64 vocabulary for kernels.h: blocks of 8 logical lanes (four f64x2
 * vectors, or eight scalars), same lane assignment in both builds. */
#include <stdint.h>
#include <math.h>
#include <string.h>
#include "simd.h"
#include "wide.h"
#include "exports.h"

typedef double T;
/* The float64 symbol of an export (exports.h), f_f64: see vec_f32.h. */
#define NAME(f) LSM_SYMBOL(f##_f64)
#define LANES 8
#define FLUSH 16 /* blocks per partial sum; partials go into the totals with TwoSum (wide.h) */

#define EXP_LO (-746.0)
#define EXP_HI 710.0
/* exp(t) = 2^k * 2^(j/128) * exp(r): n = round(t * 128/ln2) = 128 k + j,
 * r = t - n ln2/128, |r| <= ln2/256.  On so short an interval a degree-5
 * polynomial is within 6.7e-19 (0.006 ulp) of exp(r), against degree 11
 * over |r| <= ln2/2: half the multiply-adds, paid for by two table loads
 * per vector (2^(j/128) as hi + tail, exp_table_f64.h). */
#include "exp_table_f64.h"
#define EXP_LOG2E 0x1.71547652b82fep+7 /* 128 / ln2 */
/* Low bits of t * EXP_LOG2E + MAGIC: n + 128 * 1023 = 128 (k + 1023) + j. */
#define EXP_MAGIC (0x1.8p52 + 128.0 * 1023.0)
#define EXP_FAST_LO (-708.0)                /* k >= -1022: 2^k is normal */
#define EXP_LN2_HI 0x1.62e42feep-8 /* ln2/128 to 32 bits: n * LN2_HI is exact for |n| < 2^21 */
#define EXP_LN2_LO 0x1.a39ef35793c76p-40
/* exp(r) ~= 1 + r + r^2 * (C[0] + ... + C[3] r^3): Taylor's coefficients;
 * the remainder r^6/720 is below 6.7e-19 for |r| <= 0.0028. */
static const double EXP_POLY[] = {0x1p-1, 0x1.5555555555555p-3, 0x1.5555555555555p-5, 0x1.1111111111111p-7};
#define EXP_POLY_N 4

static inline uint64_t f64_bits(double x) { uint64_t u; memcpy(&u, &x, 8); return u; }
static inline double f64_from_bits(uint64_t u) { double x; memcpy(&x, &u, 8); return x; }

/* Softmax's e / S: a division rounds once already.  q holds S for each lane. */
static inline double ratio_arg(double s) { return s; }
static inline double s_ratio(double e, double q) { return e / q; }

#if LSM_SIMD
typedef v128_t V;
#define VL 2
static inline V v_load(const double *p) { return wasm_v128_load(p); }
static inline void v_store(double *p, V v) { wasm_v128_store(p, v); }
static inline V v_splat(double x) { return wasm_f64x2_splat(x); }
static inline V v_add(V a, V b) { return wasm_f64x2_add(a, b); }
static inline V v_sub(V a, V b) { return wasm_f64x2_sub(a, b); }
static inline V v_mul(V a, V b) { return wasm_f64x2_mul(a, b); }
#ifdef __wasm_relaxed_simd__ /* see vec_f32.h */
static inline V v_madd(V a, V b, V c) { return wasm_f64x2_relaxed_madd(a, b, c); }
static inline V v_nmadd(V a, V b, V c) { return wasm_f64x2_relaxed_nmadd(a, b, c); }
#else
static inline V v_madd(V a, V b, V c) { return v_add(v_mul(a, b), c); }
static inline V v_nmadd(V a, V b, V c) { return v_sub(c, v_mul(a, b)); }
#endif
static inline V v_ratio(V e, const double *q) { return wasm_f64x2_div(e, wasm_v128_load(q)); }
static inline V v_pmax(V a, V b) { return wasm_f64x2_pmax(a, b); }
static inline V v_pmin(V a, V b) { return wasm_f64x2_pmin(a, b); }
static inline V v_one_if_eq(V t, V v) { return wasm_v128_and(wasm_f64x2_eq(t, v), wasm_f64x2_splat(1.0)); }
static inline V v_clear_if_eq(V e, V t, V v) { return wasm_v128_andnot(e, wasm_f64x2_eq(t, v)); }
/* 2^k from z: its low bits 128 (k + 1023) + j, without j, moved into the
 * exponent field. */
static inline V v_scale_normal(V y, V z) { return wasm_f64x2_mul(y, wasm_i64x2_shl(wasm_u64x2_shr(z, EXP_TABLE_BITS), 52)); }
static inline int v_any_below_n(const V *t, int n, double lo) {
    V below = wasm_f64x2_lt(t[0], wasm_f64x2_splat(lo));
    for (int u = 1; u < n; u++) below = wasm_v128_or(below, wasm_f64x2_lt(t[u], wasm_f64x2_splat(lo)));
    return wasm_v128_any_true(below);
}
/* Whether some lane of t[0..n) lies in [lo, hi) (NaN does not). */
static inline int v_any_in_n(const V *t, int n, double lo, double hi) {
    V in = wasm_v128_and(wasm_f64x2_ge(t[0], wasm_f64x2_splat(lo)), wasm_f64x2_lt(t[0], wasm_f64x2_splat(hi)));
    for (int u = 1; u < n; u++)
        in = wasm_v128_or(in, wasm_v128_and(wasm_f64x2_ge(t[u], wasm_f64x2_splat(lo)), wasm_f64x2_lt(t[u], wasm_f64x2_splat(hi))));
    return wasm_v128_any_true(in);
}
/* e with the lanes where t < c cleared (NaN t keeps). */
static inline V v_clear_below(V e, V t, double c) { return wasm_v128_andnot(e, wasm_f64x2_lt(t, wasm_f64x2_splat(c))); }
static inline V v_floor_for_clear(V t) { return wasm_f64x2_pmax(t, wasm_f64x2_splat(EXP_FAST_LO)); }
static inline V v_scale(V y, V z) {
    V k = wasm_i64x2_shr(wasm_i64x2_sub(z, wasm_f64x2_splat(EXP_MAGIC)), EXP_TABLE_BITS);
    V k1 = wasm_i64x2_shr(k, 1);
    V k2 = wasm_i64x2_sub(k, k1);
    V s1 = wasm_i64x2_shl(wasm_i64x2_add(k1, wasm_i64x2_splat(1023)), 52);
    V s2 = wasm_i64x2_shl(wasm_i64x2_add(k2, wasm_i64x2_splat(1023)), 52);
    return wasm_f64x2_mul(wasm_f64x2_mul(y, s1), s2);
}
/* 2^k * y, where y = hi + p rounded: v_scale's where 2^k y is normal; where
 * it is subnormal (k < -1022), hi + p is rounded once, at the spacing of the
 * result.  2^(k+1022) (hi + p) = u + lo exactly (Fast2Sum: |p| << |hi|),
 * with u < 1; 1 + u + lo then rounds at 2^-52, which 2^-1022 turns into the
 * subnormal spacing 2^-1074, and removing the 1 again is exact. */
static __attribute__((noinline)) V v_scale_sub_lanes(V y, V hi, V p, V z, V k, V sub_lanes) {
    const V one = wasm_f64x2_splat(1);
    V scale = wasm_i64x2_shl(wasm_i64x2_add(k, wasm_i64x2_splat(1022 + 1023)), 52);
    V sh = wasm_f64x2_mul(scale, hi), sp = wasm_f64x2_mul(scale, p);
    V u = wasm_f64x2_add(sh, sp);
    V lo = wasm_f64x2_add(wasm_f64x2_sub(sh, u), sp);
    V h1 = wasm_f64x2_add(one, u);
    lo = wasm_f64x2_add(wasm_f64x2_add(wasm_f64x2_sub(one, h1), u), lo);
    V sub = wasm_f64x2_mul(wasm_f64x2_sub(wasm_f64x2_add(h1, lo), one), wasm_f64x2_splat(0x1p-1022));
    return wasm_v128_bitselect(sub, v_scale(y, z), sub_lanes);
}
static inline V v_scale_sub(V y, V hi, V p, V z) {
    V k = wasm_i64x2_shr(wasm_i64x2_sub(z, wasm_f64x2_splat(EXP_MAGIC)), EXP_TABLE_BITS);
    V sub_lanes = wasm_i64x2_lt(k, wasm_i64x2_splat(-1022));
    /* Masked logits come here too (computed at t = 0), and subnormal results
     * are rare: they alone take the call. */
    if (!wasm_v128_any_true(sub_lanes)) return v_scale(y, z);
    return v_scale_sub_lanes(y, hi, p, z, k, sub_lanes);
}
/* 2^(j/128) as hi + hi * tail for each lane's j (the low bits of z).  wasm
 * has no gather: each lane loads its {hi, tail} pair, and two shuffles sort
 * the pairs into a hi vector and a tail vector. */
static inline V v_exp_table(V z, V *tail) {
    const unsigned mask = (1u << EXP_TABLE_BITS) - 1;
    V a = wasm_v128_load(EXP_TABLE + 2 * ((unsigned)wasm_i64x2_extract_lane(z, 0) & mask));
    V b = wasm_v128_load(EXP_TABLE + 2 * ((unsigned)wasm_i64x2_extract_lane(z, 1) & mask));
    *tail = wasm_i64x2_shuffle(a, b, 1, 3);
    return wasm_i64x2_shuffle(a, b, 0, 2);
}
static inline void v_flush(double *acc, V v) { wasm_v128_store(acc, wasm_f64x2_add(wasm_v128_load(acc), v)); }
/* A partial sum is a vector of the element type itself. */
typedef V W;
static inline W w_zero(void) { return v_splat(0); }
static inline W w_add(W w, V e) { return v_add(w, e); }
static inline void w_flush(double *sum, double *comp, W w) { wide_add2(sum, comp, w); }
/* Lane k from x[at[k]] (short rows, rows.h), built in registers. */
static inline V v_gather(const double *x, const size_t *at) { return wasm_f64x2_make(x[at[0]], x[at[1]]); }
/* Lane j from x[at + j] where at + j < n, else pad: a block's tail, built
 * in registers (no read past n, no stores read back as a vector). */
static inline V v_load_part(const double *x, size_t at, size_t n, double pad) { return wasm_f64x2_make(at < n ? x[at] : pad, at + 1 < n ? x[at + 1] : pad); }
/* Lane masks (all bits set where a lane is kept): lanes at + j < n, for
 * n < LANES (so int compares suffice); and v where kept, else c. */
static inline V v_lanes_before(size_t at, size_t n) { return wasm_i32x4_lt(wasm_i32x4_make((int)at, (int)at, (int)at + 1, (int)at + 1), wasm_i32x4_splat((int)n)); }
static inline V v_keep_or(V v, V keep, double c) { return wasm_v128_bitselect(v, wasm_f64x2_splat(c), keep); }
/* The lane mask of vector u (0..7) of 16 elements from their 16 mask bytes,
 * each 0x00 or 0xff (where.h): sign extension widens a byte to its lane. */
static inline V v_widen_keep(V bytes, int u) {
    V half = u < 4 ? wasm_i16x8_extend_low_i8x16(bytes) : wasm_i16x8_extend_high_i8x16(bytes);
    V quarter = u & 2 ? wasm_i32x4_extend_high_i16x8(half) : wasm_i32x4_extend_low_i16x8(half);
    return u & 1 ? wasm_i64x2_extend_high_i32x4(quarter) : wasm_i64x2_extend_low_i32x4(quarter);
}
static inline V v_not_below(V t, double c) { return wasm_v128_not(wasm_f64x2_lt(t, wasm_f64x2_splat(c))); }
#else
typedef double V;
#define VL 1
static inline V v_load(const double *p) { return *p; }
static inline void v_store(double *p, V v) { *p = v; }
static inline V v_splat(double x) { return x; }
static inline V v_add(V a, V b) { return a + b; }
static inline V v_sub(V a, V b) { return a - b; }
static inline V v_mul(V a, V b) { return a * b; }
static inline V v_madd(V a, V b, V c) { return a * b + c; }
static inline V v_nmadd(V a, V b, V c) { return c - a * b; }
static inline V v_ratio(V e, const double *q) { return e / q[0]; }
static inline V v_pmax(V a, V b) { return a < b ? b : a; }
static inline V v_pmin(V a, V b) { return b < a ? b : a; }
static inline V v_one_if_eq(V t, V v) { return t == v ? 1.0 : 0.0; }
static inline V v_clear_if_eq(V e, V t, V v) { return t == v ? 0.0 : e; }
static inline V v_scale_normal(V y, V z) { return y * f64_from_bits(f64_bits(z) >> EXP_TABLE_BITS << 52); }
static inline int v_any_below_n(const V *t, int n, double lo) {
    int below = 0;
    for (int u = 0; u < n; u++) below |= t[u] < lo;
    return below;
}
static inline int v_any_in_n(const V *t, int n, double lo, double hi) {
    int in = 0;
    for (int u = 0; u < n; u++) in |= (t[u] >= lo) & (t[u] < hi); /* &, not &&: no branch per lane */
    return in;
}
/* As vec_f32.h's. */
static inline V v_clear_below(V e, V t, double c) {
    uint64_t keep = (uint64_t)(t < c) - 1;
    LSM_OPAQUE(keep);
    return f64_from_bits(f64_bits(e) & keep);
}
static inline V v_floor_for_clear(V t) { return t; }
static inline V v_scale(V y, V z) {
    int64_t k = (int64_t)(f64_bits(z) - f64_bits(EXP_MAGIC)) >> EXP_TABLE_BITS;
    int64_t k1 = k >> 1, k2 = k - k1;
    return y * f64_from_bits((uint64_t)(k1 + 1023) << 52) * f64_from_bits((uint64_t)(k2 + 1023) << 52);
}
static __attribute__((noinline)) V v_scale_sub_lane(V hi, V p, int64_t k) {
    double scale = f64_from_bits((uint64_t)(k + 1022 + 1023) << 52);
    double sh = scale * hi, sp = scale * p;
    double u = sh + sp, lo = (sh - u) + sp;
    double h1 = 1 + u;
    lo = ((1 - h1) + u) + lo;
    return ((h1 + lo) - 1) * 0x1p-1022;
}
static inline V v_scale_sub(V y, V hi, V p, V z) {
    int64_t k = (int64_t)(f64_bits(z) - f64_bits(EXP_MAGIC)) >> EXP_TABLE_BITS;
    return k >= -1022 ? v_scale(y, z) : v_scale_sub_lane(hi, p, k);
}
static inline V v_exp_table(V z, V *tail) {
    const double *pair = EXP_TABLE + 2 * (f64_bits(z) & ((1u << EXP_TABLE_BITS) - 1));
    *tail = pair[1];
    return pair[0];
}
static inline void v_flush(double *acc, V v) { acc[0] += v; }
typedef V W;
static inline W w_zero(void) { return 0; }
static inline W w_add(W w, V e) { return w + e; }
static inline void w_flush(double *sum, double *comp, W w) { wide_add1(sum, comp, w); }
static inline V v_gather(const double *x, const size_t *at) { return x[at[0]]; }
static inline V v_load_part(const double *x, size_t at, size_t n, double pad) { return at < n ? x[at] : pad; }
static inline V v_lanes_before(size_t at, size_t n) { return f64_from_bits(at < n ? ~0ull : 0); }
static inline V v_keep_or(V v, V keep, double c) { return f64_bits(keep) ? v : c; }
static inline V v_not_below(V t, double c) { return f64_from_bits(t < c ? 0 : ~0ull); }
#endif
