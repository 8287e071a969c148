/* float32 vocabulary for kernels.h.
 *
 * A block is LANES = 16 logical lanes: four f32x4 vectors in the SIMD build,
 * sixteen scalars in the scalar build.  Both builds assign elements to lanes
 * the same way and round every operation the same way, so their results
 * agree bit for bit; the tests rely on that. */
#include <stdint.h>
#include <math.h>
#include <string.h>
#include "simd.h"
#include "wide.h"
#include "exports.h"

typedef float T;
/* The float32 symbol of an export (exports.h), f_f32.  Only exports need
 * a suffix: all else is static, and each element type is compiled in a
 * translation unit of its own (f32.c, f64.c). */
#define NAME(f) LSM_SYMBOL(f##_f32)
#define LANES 16
/* Each block's exps are added into double partial sums (W below), exactly
 * but for the double's own rounding: float partial sums, even of 4 terms a
 * lane, let crafted rows (near-ties just below the max, all rounding the same
 * way) push log_softmax past its 2-ulp bound.  The partials go into the
 * slice's totals (wide.h) every FLUSH blocks. */
#define FLUSH 16

/* exp(t) = 2^n * exp(r), n = round(t / ln 2), |r| <= ln2/2 (plus rounding).
 * Inputs are clamped to [-104, 89]: below, exp underflows to +0 even as a
 * subnormal; above, it overflows to +inf.  Clamping keeps n in [-150, 128],
 * where 2^n splits into two normal powers of two (see exp.h). */
#define EXP_LO (-104.0f)
#define EXP_HI 89.0f
#define EXP_LOG2E 0x1.715476p+0f
/* t*log2e + MAGIC rounds to an integer n and holds n + 127 in the low
 * mantissa bits, so that shifting them into the exponent field gives 2^n. */
#define EXP_MAGIC (0x1.8p23f + 127.0f)
/* Where n >= -126, 2^n is one normal float and one multiply scales
 * (v_exp_lo_fast): t >= -87 gives n >= -126, and pass 2's t is at most 80. */
#define EXP_FAST_LO (-87.0f)
#define EXP_LN2_HI 0x1.62e4p-1f /* 15 significant bits: n * LN2_HI is exact for |n| < 512 */
#define EXP_LN2_LO 0x1.7f7d1cp-20f
/* exp(r) ~= 1 + r + r^2 * (C[0] + C[1] r + ... + C[4] r^4) on |r| <= 0.35;
 * weighted least-squares fit for relative error, 3.5e-9 (0.03 ulp). */
static const float EXP_POLY[] = {0x1.fffffcp-2f, 0x1.555482p-3f, 0x1.55593cp-5f, 0x1.1245c8p-7f,
                                 0x1.6a1076p-10f};
#define EXP_POLY_N 5

static inline uint32_t f32_bits(float x) { uint32_t u; memcpy(&u, &x, 4); return u; }
static inline float f32_from_bits(uint32_t u) { float x; memcpy(&x, &u, 4); return x; }

/* Softmax's e / S, rounded once.  Rounding S to float (0.5 ulp) and then the
 * quotient (0.5 ulp) on top of the exp's < 1 ulp left no margin under the
 * 4-ulp bound near binade edges; multiplying by 1/S in double (relative error
 * 2^-52) and rounding to float once does.  q holds 1/S for each lane. */
static inline double ratio_arg(double s) { return 1.0 / s; }
static inline float s_ratio(float e, double q) { return (float)((double)e * q); }

#if LSM_SIMD
typedef v128_t V;
#define VL 4
static inline V v_load(const float *p) { return wasm_v128_load(p); }
static inline void v_store(float *p, V v) { wasm_v128_store(p, v); }
static inline V v_splat(float x) { return wasm_f32x4_splat(x); }
static inline V v_add(V a, V b) { return wasm_f32x4_add(a, b); }
static inline V v_sub(V a, V b) { return wasm_f32x4_sub(a, b); }
static inline V v_mul(V a, V b) { return wasm_f32x4_mul(a, b); }
/* a*b + c and c - a*b for exp.h: fused (one rounding) in the relaxed-SIMD
 * build where the engine has FMA, two roundings elsewhere (see exp.h). */
#ifdef __wasm_relaxed_simd__
static inline V v_madd(V a, V b, V c) { return wasm_f32x4_relaxed_madd(a, b, c); }
static inline V v_nmadd(V a, V b, V c) { return wasm_f32x4_relaxed_nmadd(a, b, c); }
#else
static inline V v_madd(V a, V b, V c) { return v_add(v_mul(a, b), c); }
static inline V v_nmadd(V a, V b, V c) { return v_sub(c, v_mul(a, b)); }
#endif
static inline V v_ratio(V e, const double *q) {
    V lo = wasm_f64x2_mul(wasm_f64x2_promote_low_f32x4(e), wasm_v128_load(q));
    V hi = wasm_f64x2_mul(wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(e, e, 2, 3, 2, 3)), wasm_v128_load(q + 2));
    return wasm_i32x4_shuffle(wasm_f32x4_demote_f64x2_zero(lo), wasm_f32x4_demote_f64x2_zero(hi), 0, 1, 4, 5);
}
/* pmax(a, b) = a < b ? b : a: one instruction on x86, unlike the NaN-propagating
 * max.  With the accumulator as `a`, a NaN input never enters it; NaN still
 * reaches every result through the sum (exp(NaN) = NaN). */
static inline V v_pmax(V a, V b) { return wasm_f32x4_pmax(a, b); }
static inline V v_pmin(V a, V b) { return wasm_f32x4_pmin(a, b); }
/* 1 where t == v, else 0; and e with the lanes where t == v cleared. */
static inline V v_one_if_eq(V t, V v) { return wasm_v128_and(wasm_f32x4_eq(t, v), wasm_f32x4_splat(1.0f)); }
static inline V v_clear_if_eq(V e, V t, V v) { return wasm_v128_andnot(e, wasm_f32x4_eq(t, v)); }
/* y * 2^n for n in the normal range: the low bits of z hold n + 127. */
static inline V v_scale_normal(V y, V z) { return wasm_f32x4_mul(y, wasm_i32x4_shl(z, 23)); }
/* Whether some lane of t[0..n) is below lo < 0.  Negative floats order by
 * their bits the wrong way round, and every positive one has smaller bits
 * than any negative one, so one unsigned max over the vectors and one
 * compare answer for all of them (a negative NaN counts as below,
 * harmlessly; a positive one does not). */
static inline int v_any_below_n(const V *t, int n, float lo) {
    V worst = t[0];
    for (int u = 1; u < n; u++) worst = wasm_u32x4_max(worst, t[u]);
    return wasm_v128_any_true(wasm_u32x4_gt(worst, wasm_i32x4_splat((int32_t)f32_bits(lo))));
}
/* Whether some lane of t[0..n) lies in [lo, hi), for lo < hi < 0.  There,
 * by the same bit order, lo <= t < hi is bits(hi) < bits(t) <= bits(lo):
 * w = bits(t) - bits(hi) - 1 (wrapping) is at most bits(lo) - bits(hi) - 1
 * exactly in range (positive t, -0, -inf and NaN wrap or land above), so
 * one unsigned min over the vectors and one compare answer. */
static inline int v_any_in_n(const V *t, int n, float lo, float hi) {
    const V base = wasm_i32x4_splat((int32_t)(f32_bits(hi) + 1));
    V least = wasm_i32x4_sub(t[0], base);
    for (int u = 1; u < n; u++) least = wasm_u32x4_min(least, wasm_i32x4_sub(t[u], base));
    return wasm_v128_any_true(wasm_u32x4_le(least, wasm_i32x4_splat((int32_t)(f32_bits(lo) - f32_bits(hi) - 1))));
}
/* e with the lanes where t < c cleared (NaN t keeps). */
static inline V v_clear_below(V e, V t, float c) { return wasm_v128_andnot(e, wasm_f32x4_lt(t, wasm_f32x4_splat(c))); }
/* t raised to EXP_FAST_LO, for a lane that v_clear_below will clear: the
 * exp then never meets a subnormal. */
static inline V v_floor_for_clear(V t) { return wasm_f32x4_pmax(t, wasm_f32x4_splat(EXP_FAST_LO)); }
/* y * 2^n where n = bits(z) - bits(MAGIC), as 2^(n/2) * 2^(n - n/2). */
static inline V v_scale(V y, V z) {
    V n = wasm_i32x4_sub(z, wasm_f32x4_splat(EXP_MAGIC));
    V n1 = wasm_i32x4_shr(n, 1);
    V n2 = wasm_i32x4_sub(n, n1);
    V s1 = wasm_i32x4_shl(wasm_i32x4_add(n1, wasm_i32x4_splat(127)), 23);
    V s2 = wasm_i32x4_shl(wasm_i32x4_add(n2, wasm_i32x4_splat(127)), 23);
    return wasm_f32x4_mul(wasm_f32x4_mul(y, s1), s2);
}
/* acc[k] += (double)v[k], two lanes at a time: the same roundings as the
 * scalar build's, in a quarter of the instructions of lane extracts. */
static inline void v_flush(double *acc, V v) {
    V lo = wasm_f64x2_promote_low_f32x4(v);
    V hi = wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(v, v, 2, 3, 2, 3));
    wasm_v128_store(acc, wasm_f64x2_add(wasm_v128_load(acc), lo));
    wasm_v128_store(acc + 2, wasm_f64x2_add(wasm_v128_load(acc + 2), hi));
}
/* A double partial sum for the VL lanes of one vector. */
typedef struct { V lo, hi; } W;
static inline W w_zero(void) { return (W){wasm_f64x2_splat(0), wasm_f64x2_splat(0)}; }
static inline W w_add(W w, V e) {
    w.lo = wasm_f64x2_add(w.lo, wasm_f64x2_promote_low_f32x4(e));
    w.hi = wasm_f64x2_add(w.hi, wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(e, e, 2, 3, 2, 3)));
    return w;
}
static inline void w_flush(double *sum, double *comp, W w) {
    wide_add2(sum, comp, w.lo);
    wide_add2(sum + 2, comp + 2, w.hi);
}
/* Lane k from x[at[k]] (short rows, rows.h).  Built in registers: four
 * scalar stores read back as one vector would miss store-to-load forwarding. */
static inline V v_gather(const float *x, const size_t *at) { return wasm_f32x4_make(x[at[0]], x[at[1]], x[at[2]], x[at[3]]); }
/* Lane j from x[at + j] where at + j < n, else pad: a block's tail, built
 * in registers (no read past n, no stores read back as a vector). */
static inline V v_load_part(const float *x, size_t at, size_t n, float pad) { return wasm_f32x4_make(at < n ? x[at] : pad, at + 1 < n ? x[at + 1] : pad, at + 2 < n ? x[at + 2] : pad, at + 3 < n ? x[at + 3] : pad); }
/* Lane masks (all bits set where a lane is kept): lanes at + j < n, for
 * n < LANES (so int compares suffice); and v where kept, else c. */
static inline V v_lanes_before(size_t at, size_t n) { return wasm_i32x4_lt(wasm_i32x4_make((int)at, (int)at + 1, (int)at + 2, (int)at + 3), wasm_i32x4_splat((int)n)); }
static inline V v_keep_or(V v, V keep, float c) { return wasm_v128_bitselect(v, wasm_f32x4_splat(c), keep); }
/* The lane mask of vector u (0..3) of 16 elements from their 16 mask bytes,
 * each 0x00 or 0xff (where.h): sign extension widens a byte to its lane. */
static inline V v_widen_keep(V bytes, int u) {
    V half = u < 2 ? wasm_i16x8_extend_low_i8x16(bytes) : wasm_i16x8_extend_high_i8x16(bytes);
    return u & 1 ? wasm_i32x4_extend_high_i16x8(half) : wasm_i32x4_extend_low_i16x8(half);
}
/* Lanes where t >= c, or t is NaN (exp.h). */
static inline V v_not_below(V t, float c) { return wasm_v128_not(wasm_f32x4_lt(t, wasm_f32x4_splat(c))); }
#else
typedef float V;
#define VL 1
static inline V v_load(const float *p) { return *p; }
static inline void v_store(float *p, V v) { *p = v; }
static inline V v_splat(float x) { return x; }
static inline V v_add(V a, V b) { return a + b; }
static inline V v_sub(V a, V b) { return a - b; }
static inline V v_mul(V a, V b) { return a * b; }
#ifdef LSM_FUSED /* c/test/exp_bound.c: the relaxed build's madd where the engine fuses it */
static inline V v_madd(V a, V b, V c) { return fmaf(a, b, c); }
static inline V v_nmadd(V a, V b, V c) { return fmaf(-a, b, c); }
#else
static inline V v_madd(V a, V b, V c) { return a * b + c; }
static inline V v_nmadd(V a, V b, V c) { return c - a * b; }
#endif
static inline V v_ratio(V e, const double *q) { return s_ratio(e, q[0]); }
static inline V v_pmax(V a, V b) { return a < b ? b : a; }
static inline V v_pmin(V a, V b) { return b < a ? b : a; }
static inline V v_one_if_eq(V t, V v) { return t == v ? 1.0f : 0.0f; }
static inline V v_clear_if_eq(V e, V t, V v) { return t == v ? 0.0f : e; }
static inline V v_scale_normal(V y, V z) { return y * f32_from_bits(f32_bits(z) << 23); }
static inline int v_any_below_n(const V *t, int n, float lo) {
    int below = 0;
    for (int u = 0; u < n; u++) below |= t[u] < lo;
    return below;
}
static inline int v_any_in_n(const V *t, int n, float lo, float hi) {
    int in = 0;
    for (int u = 0; u < n; u++) in |= (t[u] >= lo) & (t[u] < hi); /* &, not &&: no branch per lane */
    return in;
}
/* Data-dependent selects as integer operations, their masks opaque
 * (simd.h): V8 compiles a float select to a branch, which a random mask
 * mispredicts at every masked lane (a quarter masked made rows 1.6-2.2x
 * slower).  The exp of a lane to be cleared is taken as it is, with no
 * select to raise t first: wasm's arithmetic never traps, and whatever it
 * gives is cleared.  (A masked lane, t = -inf, makes only NaN; a lane just
 * below EXP_FAST_LO, which log_softmax's sum drops, may round a product
 * into the subnormal range, slowly on x86, as the SIMD builds'
 * v_floor_for_clear avoids.) */
static inline V v_clear_below(V e, V t, float c) {
    uint32_t keep = (uint32_t)(t < c) - 1;
    LSM_OPAQUE(keep);
    return f32_from_bits(f32_bits(e) & keep);
}
static inline V v_floor_for_clear(V t) { return t; }
static inline V v_scale(V y, V z) {
    int32_t n = (int32_t)(f32_bits(z) - f32_bits(EXP_MAGIC));
    int32_t n1 = n >> 1, n2 = n - n1;
    return y * f32_from_bits((uint32_t)(n1 + 127) << 23) * f32_from_bits((uint32_t)(n2 + 127) << 23);
}
static inline void v_flush(double *acc, V v) { acc[0] += v; }
typedef double W;
static inline W w_zero(void) { return 0; }
static inline W w_add(W w, V e) { return w + e; }
static inline void w_flush(double *sum, double *comp, W w) { wide_add1(sum, comp, w); }
static inline V v_gather(const float *x, const size_t *at) { return x[at[0]]; }
static inline V v_load_part(const float *x, size_t at, size_t n, float pad) { return at < n ? x[at] : pad; }
static inline V v_lanes_before(size_t at, size_t n) { return f32_from_bits(at < n ? ~0u : 0); }
static inline V v_keep_or(V v, V keep, float c) { return f32_bits(keep) ? v : c; }
static inline V v_not_below(V t, float c) { return f32_from_bits(t < c ? 0 : ~0u); }
#endif
