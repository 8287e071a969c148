/* exp for one vector (or scalar) of the element type in scope.
 *
 * Range reduction: n = round(t * log2 e) by the magic-bias trick (adding
 * 1.5 * 2^p rounds to an integer and leaves n in the low mantissa bits),
 * then r = t - n*ln2 in two steps (Cody-Waite): n * LN2_HI is exact, so r
 * carries only the rounding of the second, tiny product.  exp(r) is a
 * polynomial written as 1 + (r + r^2 q(r)), which keeps the final rounding
 * at about half an ulp.  Measured maximum error: < 1 ulp (f32) over
 * [-104, 89]; against mpmath (tests/exp.test.js, t <= -30): 0.89 ulp (f32)
 * and 0.503 ulp (f64), subnormal results included: in float64 a subnormal
 * result is rounded once, at its own spacing (v_scale_sub), not first to 53
 * bits and then again (which cost up to 0.75 ulp just below 2^-1022).
 *
 * float64 (EXP_TABLE_BITS, vec_f64.h) reduces further: n = round(t * 2^7 /
 * ln2) = 2^7 k + j, and exp(t) = 2^k * 2^(j/128) * exp(r) with |r| <= ln2/256,
 * where degree 5 does what degree 11 did over ln2/2.  2^(j/128) comes from a
 * table as hi + tail; the k-parts below play the role of n.
 *
 * Scaling: 2^n for n in [-150, 128] (f32) is not one normal float, but
 * 2^(n/2) and 2^(n - n/2) are; multiplying by both gives a correctly
 * rounded subnormal, or a correct overflow to +inf.  scipy keeps
 * subnormal softmax outputs, so flushing them to zero is not an option.
 *
 * Clamping uses pmin/pmax with the input first, so NaN passes through.
 *
 * v_exp_lo(t, lo) = exp(t + lo) for a tiny correction lo (|lo| <= ulp(t)/2):
 * softmax passes the rounding error of t = x - m here.  Without it, rounding
 * t costs a relative error of |t| * 2^-24 in exp(t): 30 ulp at t = -40.
 *
 * v_madd is fused (one rounding) in the relaxed-SIMD build where the engine
 * has FMA, and two roundings elsewhere; the steps hold either way.  n only
 * has to be an integer within a rounding of t * log2 e (the polynomials
 * cover |r| a little beyond half a step), n * LN2_HI is exact, and the
 * other steps only gain from a rounding fewer.  The two non-relaxed builds
 * never fuse, so they stay bit-identical. */
/* exp(r) - 1 for the reduced argument r: r + r^2 q(r).  Without a table,
 * 1 + em1 is a pure function of the float r, so c/test/exp_bound.c checks
 * it against exp(r) for every float r the reduction can produce: that is the
 * exp's error bound for float32 (c/README.md). */
static inline V v_expm1_reduced(V r) {
    V q = v_splat(EXP_POLY[EXP_POLY_N - 1]);
    for (int k = EXP_POLY_N - 2; k >= 0; k--) q = v_madd(q, r, v_splat(EXP_POLY[k]));
    return v_madd(v_mul(r, r), q, r);
}

/* exp(t) = 2^n * y: returns y = exp(r) (times 2^(j/N) with a table) and
 * leaves z, which holds n.  With a table, y = hi + hi * c rounded once, and
 * hi and c are left too, for the subnormal scaling of v_exp_lo. */
static inline V v_exp_reduced(V t, V lo, int with_lo, V *z, V *hi, V *c) {
    *z = v_madd(t, v_splat(EXP_LOG2E), v_splat(EXP_MAGIC));
    V n = v_sub(*z, v_splat(EXP_MAGIC));
    V r = v_nmadd(n, v_splat(EXP_LN2_HI), t);
    r = v_nmadd(n, v_splat(EXP_LN2_LO), r);
    if (with_lo) r = v_add(r, lo);
    V em1 = v_expm1_reduced(r);
#ifdef EXP_TABLE_BITS
    /* 2^(j/N) exp(r) = hi + hi (tail + em1): the tail keeps hi's rounding
     * out of the result, which rounds once, in the last addition. */
    V tail;
    *hi = v_exp_table(*z, &tail);
    *c = v_add(tail, em1);
    return v_madd(*hi, *c, *hi);
#else
    (void)hi, (void)c;
    return v_add(v_splat(1), em1);
#endif
}

/* Any t (NaN, +-inf, subnormal results included).  Below EXP_LO the result
 * is +0: those lanes are computed at t = 0 and cleared.  Clamped to EXP_LO
 * instead, each would round a product into the subnormal range, which x86
 * does in microcode (3-5x slower rows, tests/bench/NOTES.md). */
static inline V v_exp_lo(V t, V lo, int with_lo) {
    V z, hi, c;
    const V keep = v_not_below(t, EXP_LO);
    t = v_keep_or(v_pmin(t, v_splat(EXP_HI)), keep, 0);
    V y = v_exp_reduced(t, lo, with_lo, &z, &hi, &c);
#ifdef EXP_TABLE_BITS
    /* Scaling the rounded y into the subnormal range would round twice
     * (0.75 ulp); v_scale_sub rounds hi + hi * c once, at the subnormal
     * spacing, where the result is subnormal. */
    y = v_scale_sub(y, hi, v_mul(hi, c), z);
#else
    y = v_scale(y, z);
#endif
    return v_keep_or(y, keep, 0);
}

/* Only for EXP_FAST_LO <= t <= 80 (or NaN): there 2^n is a normal number,
 * so one multiply scales, and the result is bit for bit v_exp_lo's (a
 * product with a power of two rounds once either way).  About a third
 * fewer instructions; the kernels fall back to v_exp_lo per block. */
static inline V v_exp_lo_fast(V t, V lo, int with_lo) {
    V z, hi, c;
    V y = v_exp_reduced(t, lo, with_lo, &z, &hi, &c);
    return v_scale_normal(y, z);
}

/* t + lo = x - m exactly (Knuth's TwoSum; needs no ordering of |x|, |m|).
 * Where t lies in exp's range, |lo| <= ulp(t)/2 (2^-18 for float32), too
 * small to need any bound.  Elsewhere lo is whatever TwoSum gives, up to
 * 1e31 for x - m = -3.3e38, and NaN where t is infinite (inf - inf), and
 * so is the exp: m is the max, so t is never above the range, and every
 * caller clears the lanes below it, t = -inf among them, whatever their
 * exp.  Neither a bound nor a NaN test is paid for: the scalar build
 * compiles a float select or compare of a NaN to a branch, which masked
 * entries (x = -inf) mispredict: zeroing lo made scalar softmax rows with
 * a quarter of them masked 1.8x slower. */
static inline V v_diff_exact(V x, V m, V *lo) {
    V t = v_sub(x, m);
    V mm = v_sub(t, x);  /* the part of -m that made it into t */
    V xx = v_sub(t, mm); /* the part of x that made it into t */
    *lo = v_sub(v_sub(x, xx), v_add(m, mm));
    return t;
}
