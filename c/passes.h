/* The pieces of the three passes (kernels.h) that rows mode (rows.h) and
 * column mode (columns.h) share, for the element type in scope: pass 2's
 * block of exps and its sums, the shift those exps are taken at, and
 * logsumexp's finish.
 *
 * A block is LANES elements, NV vectors of VL lanes.  Each lane sums its
 * exps into a double partial sum (partial); every FLUSH blocks the partials
 * go into the slice's totals (totals, wide.h), whose error does not grow
 * with the slice's length. */
#ifndef LSM_PASSES_H
#define LSM_PASSES_H
#include <math.h>
#include <string.h>
#include "blocks.h"
#include "exp.h"

#define NV (LANES / VL)

enum { OP_LOG_SOFTMAX, OP_SOFTMAX, OP_LOGSUMEXP };

/* What pass 2 does with each exp: add it; also store it (softmax); or leave
 * out the terms at the max and count them (logsumexp, see lse_finish). */
enum { SUM_ONLY, SUM_STORE, SUM_SPLIT_MAX };

/* Pass 2's mode for an op. */
static inline int sum_mode(int op) { return op == OP_SOFTMAX ? SUM_STORE : op == OP_LOGSUMEXP ? SUM_SPLIT_MAX : SUM_ONLY; }

/* A run of blocks' sums (double, W) and counts of terms at the max, per lane. */
typedef struct { W sum[NV]; V count[NV]; } partial;

/* A slice's totals per lane: the sum as sum + comp (wide.h), and the count. */
typedef struct { double sum[LANES], comp[LANES], count[LANES]; } totals;

static inline void max_block(V acc[NV], const T *x) {
    for (int u = 0; u < NV; u++) acc[u] = v_pmax(acc[u], v_load(x + u * VL));
}

/* 1 if some lane of the block is below the fast exp's range (a masked or
 * far-out logit): then the whole block takes the general exp. */
static LSM_INLINE int block_needs_slow_exp(const V t[NV]) { return v_any_below_n(t, NV, EXP_FAST_LO); }

/* Whether a block that needs the general exp has a lane whose exp is a
 * subnormal number (EXP_LO <= t < EXP_FAST_LO), the only lanes that need
 * the general exp's two-step scaling.  Lanes below EXP_LO give +0 either
 * way: masked logits (t = -inf) alone leave a block on the fast exp. */
static LSM_INLINE int block_has_subnormal_exps(const V t[NV]) { return v_any_in_n(t, NV, EXP_LO, EXP_FAST_LO); }

/* Each lane's exps are taken at t = x - c, for the lane's shift c (see
 * sum_shift), and `at_max` = m - c is the t of the elements at the max.
 * `general` forces the general exp: where m is not the slice's true max
 * (log_softmax replaces a non-finite max by 0), t can be large.
 * Only the first n lanes are real (n < LANES: a tail block, padded): the
 * others get t = NaN, which never sends a block to the general exp and
 * equals no at_max (so they stay out of the count), and their exps are
 * set to +0.  Vectors of padding only skip the exp (a [1, 10] float64 call
 * has three in its tail block).
 * Inlined by force: as a call, each block paid for its stack frame and for
 * rebuilding a dozen vector constants (measured: tests/bench/NOTES.md). */
static LSM_INLINE void expsum_vectors(partial *p, const V xv[NV], T *e_out, const V c[NV], const V at_max[NV],
                                      int mode, int general, size_t n) {
    V t[NV], lo[NV], e[NV], keep[NV];
    /* Softmax outputs each exp(x - m) itself: its rounding error is fed
     * into the exp.  A sum's shift makes x - c exact wherever it matters. */
    if (mode == SUM_STORE) {
        for (int u = 0; u < NV; u++) t[u] = v_diff_exact(xv[u], c[u], &lo[u]);
    } else {
        for (int u = 0; u < NV; u++) t[u] = v_sub(xv[u], c[u]), lo[u] = t[u];
    }
    if (n < LANES)
        for (int u = 0; u < NV; u++) keep[u] = v_lanes_before(u * VL, n), t[u] = v_keep_or(t[u], keep[u], NAN);
    const int with_lo = mode == SUM_STORE;
    const int slow = general || block_needs_slow_exp(t);
    /* log_softmax's sum (SUM_ONLY) drops subnormal exps too, and so needs
     * no range test: its t = x - c has the max term exp(m - c) >= e^-40
     * (sum_shift), against which 2^32 terms below e^-87 weigh < 2^-36
     * relative (c/README.md, section 2).  softmax stores each exp, and
     * logsumexp's split shows a sum as small as one subnormal exp
     * (logsumexp([0, -90]) is e^-90), so both keep them. */
    if (slow && (general || (mode != SUM_ONLY && block_has_subnormal_exps(t)))) {
        for (int u = 0; u < NV; u++) e[u] = (size_t)u * VL < n ? v_exp_lo(t[u], lo[u], with_lo) : v_splat(0);
    } else {
        /* Lanes below the fast exp's range (below EXP_LO, or dropped as
         * above: masked logits, t = -inf) have exp +0: they are computed at
         * EXP_FAST_LO (the scalar build takes them as they are, vec_f32.h)
         * and cleared, a few instructions a vector where the general exp's
         * two-step scaling and selects cost a masked row a third more time.
         * Kept lanes get v_exp_lo's bits; a NaN stays NaN.  One copy of the
         * fast exp serves both kinds of block (a second cost the SIMD128
         * build 14 KB): raising t changes nothing where no lane is below
         * the range, and the clearing runs only where one is. */
        for (int u = 0; u < NV; u++)
            e[u] = (size_t)u * VL < n ? v_exp_lo_fast(v_floor_for_clear(t[u]), lo[u], with_lo) : v_splat(0);
        if (slow)
            for (int u = 0; u < NV; u++) e[u] = v_clear_below(e[u], t[u], EXP_FAST_LO);
    }
    if (n < LANES)
        for (int u = 0; u < NV; u++) e[u] = v_keep_or(e[u], keep[u], 0);
    if (mode == SUM_SPLIT_MAX) {
        for (int u = 0; u < NV; u++) {
            p->count[u] = v_add(p->count[u], v_one_if_eq(t[u], at_max[u]));
            e[u] = v_clear_if_eq(e[u], t[u], at_max[u]);
        }
    }
    if (mode == SUM_STORE)
        for (int u = 0; u < NV; u++) v_store(e_out + u * VL, e[u]);
    for (int u = 0; u < NV; u++) p->sum[u] = w_add(p->sum[u], e[u]);
}

/* The same for a block that lies contiguously at x. */
static LSM_INLINE void expsum_block(partial *p, const T *x, T *e_out, const V c[NV], const V at_max[NV], int mode,
                                    int general) {
    V xv[NV];
    for (int u = 0; u < NV; u++) xv[u] = v_load(x + u * VL);
    expsum_vectors(p, xv, e_out, c, at_max, mode, general, LANES);
}

static inline void partial_clear(partial *p) {
    for (int u = 0; u < NV; u++) p->sum[u] = w_zero(), p->count[u] = v_splat(0);
}

/* Out of line: it runs once every FLUSH blocks, and inlined at each of its
 * call sites its TwoSums made up a good part of the module. */
static __attribute__((noinline)) void partial_flush(partial *p, totals *t, int mode) {
    for (int u = 0; u < NV; u++) w_flush(t->sum + u * VL, t->comp + u * VL, p->sum[u]);
    if (mode == SUM_SPLIT_MAX)
        for (int u = 0; u < NV; u++) v_flush(t->count + u * VL, p->count[u]);
    partial_clear(p);
}

/* Lane k's sum. */
static inline double lane_sum(const totals *t, size_t k) { return t->sum[k] + t->comp[k]; }

/* The block at x of which only the first n elements exist; the lanes past
 * them read pad.  Whatever pad is must not matter: -inf leaves a max as it
 * is, and pass 2 masks the lanes past n itself (expsum_vectors), except in
 * column mode, which pads with 0 and never reads those lanes' sums (see
 * strip).  Tails are built in registers: scalar stores read back as a
 * vector would miss store-to-load forwarding. */
static LSM_INLINE void load_block(V xv[NV], const T *x, size_t n, T pad) {
    for (int u = 0; u < NV; u++) xv[u] = n >= (size_t)(u + 1) * VL ? v_load(x + u * VL) : v_load_part(x, u * VL, n, pad);
}

/* The lanes' values added pairwise, in one fixed order, so that every
 * build rounds the same way. */
static inline double pairwise_total(double t[LANES]) {
    for (int w = LANES / 2; w > 0; w /= 2)
        for (int i = 0; i < w; i++) t[i] += t[i + w];
    return t[0];
}

/* A slice's total over its lanes: of the sums, or (count) of the counts of
 * terms at the max. */
static inline double lanes_total(const totals *tot, int count) {
    double t[LANES];
    for (int i = 0; i < LANES; i++) t[i] = count ? tot->count[i] : lane_sum(tot, i);
    return pairwise_total(t);
}

/* The pairwise total of NV partial sums' lanes: W is LANES doubles, in
 * lane order, in every build. */
static inline double w_total(const W w[NV]) {
    double t[LANES];
    _Static_assert(sizeof(W) * NV == sizeof t, "sums in lane order");
    memcpy(t, w, sizeof t);
    return pairwise_total(t);
}

/* lanes_total of the totals that one flush of p into zeroed totals leaves:
 * TwoSum of 0 and a lane's partial b gives sum b and comp 0 (b + 0 is
 * exact; where b is inf or NaN, comp's NaN is dropped), and a count's 0 + b
 * is exact, so each lane is its partial, and the same tree gives the same
 * bits.  The partials lie in lane order in every build (W and V are LANES
 * doubles and LANES elements). */
static inline double partial_total(const partial *p, int count) {
    if (!count) return w_total(p->sum);
    double t[LANES];
    T n[LANES];
    _Static_assert(sizeof p->count == sizeof n, "counts in lane order");
    memcpy(n, p->count, sizeof n);
    for (int i = 0; i < LANES; i++) t[i] = n[i];
    return pairwise_total(t);
}

/* Sum of exp over a whole slice in double, without the shift: scipy's own
 * fallback where the stable formula gives inf or NaN (its result then is
 * inf, -inf or NaN, so the missing shift loses nothing). */
static double naive_sum(const T *x, const lsm_plan *p) {
    const lsm_dim *red = p->dims + p->n_outer;
    lsm_cursor rc;
    double s = 0;
    cursor_reset(&rc, p->n_red);
    do {
        for (size_t i = 0; i < p->run; i++) s += exp((double)x[rc.offset + i]);
    } while (cursor_next(&rc, red, p->n_red));
    return s;
}

/* logsumexp of one slice from m = max, s = sum of exp(x - shift) over the
 * elements below the max, c = the number of elements at the max, and
 * e_max = exp(m - shift) (1 where shift = m).  scipy's formula
 * log1p(s / c) + log(c) + m, with s scaled back by e_max, keeps the digits
 * that m + log(c + s) loses: logsumexp([0, -40]) = 4.2e-18, not 0. */
static void lse_finish(const T *x, const lsm_plan *p, T m, T e_max, double s, double c, T *out, T *sign) {
    /* log(1) is 0 exactly: one libm call fewer for the usual single max. */
    double r = isfinite(m) ? log1p(s / (c * e_max)) + (c == 1 ? 0 : log(c)) + m : NAN;
    double sg = 1;
    if (!isfinite(r)) {
        double naive = naive_sum(x, p);
        r = log(naive);
        sg = naive > 0 ? 1 : naive == 0 ? 0 : NAN;
    }
    *out = (T)r;
    if (sign) *sign = (T)sg;
}

/* The max that passes 2 and 3 work from: log_softmax replaces a non-finite
 * max by 0, as scipy does (see kernels.h). */
static inline T shift_of(T m, int op) { return op == OP_LOG_SOFTMAX && !isfinite(m) ? 0 : m; }

/* The shift c of pass 2's sums (log_softmax and logsumexp): their exps are
 * taken at t = x - c, and S = sum exp(x - m) = exp(c - m) sum exp(t).
 * A rounded x - m would cost each term a relative error of up to |t| 2^-24:
 * 2^20 terms at t = -12, all rounding the same way, move S by 8 ulp.  So c
 * is chosen to make t exact for every term that can matter:
 *   - c = m for m >= 80 or m <= -40: x - m is exact where x lies within a
 *     factor 2 of m (Sterbenz), so only terms with t < -40 round, and even
 *     2^32 of them, weighing e^-40 each, move S by less than 2^-60;
 *   - c = 0 between: t = x itself.  exp(t) <= e^80 cannot overflow, and
 *     with S >= e^-40 the exps that underflow, or round as subnormals, are
 *     as negligible.
 * Softmax keeps c = m: it feeds x - m's rounding error into each exp.  This
 * is float32's rule (c/README.md). */
static inline T sum_shift(T m, int mode) {
    /* float64 keeps c = m: there a rounded x - m costs at most 87 * 2^-53 a
     * term (far inside rtol 1e-13), while log S' - m would cancel digits. */
    if (sizeof(T) == sizeof(double)) return m;
    return mode == SUM_STORE || !(m >= -40 && m < 80) ? m : 0;
}

/* exp(m - c), the exp of a term at the max, for each lane of at_max = m - c
 * (in [-40, 80]: no range check needed), by the kernels' own exp. */
static __attribute__((noinline)) void max_exps(T e_max[LANES], const V at_max[NV]) {
    for (int u = 0; u < NV; u++) v_store(e_max + u * VL, v_exp_lo_fast(at_max[u], v_splat(0), 0));
}

/* Each lane's shift c and at_max = m - c, for lanes side by side. */
static inline void shifts(V c[NV], V at_max[NV], const T m[LANES], int mode) {
    T cs[LANES], ms[LANES];
    for (int k = 0; k < LANES; k++) cs[k] = sum_shift(m[k], mode), ms[k] = m[k] - cs[k];
    for (int u = 0; u < NV; u++) c[u] = v_load(cs + u * VL), at_max[u] = v_load(ms + u * VL);
}

#endif
