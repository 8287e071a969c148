/* log_softmax, softmax and logsumexp over any set of axes, for the element
 * type whose vocabulary (vec_f32.h or vec_f64.h) was included before this.
 *
 * Every slice takes three passes:
 *   1. m = max(x)                       (pmax; NaN is caught by pass 2)
 *   2. S = sum(exp(x - m)), as exp(c - m) sum(exp(x - c)) for a shift c that
 *      makes x - c exact (sum_shift); softmax stores the exps on the way
 *   3. log_softmax: y = (x - m) - log S  (not x - (m + log S), which loses
 *                                        the digits of x - m when |m| is large)
 *      softmax:     y = e / S           (rounded once: see ratio_arg)
 *      logsumexp:   one value per slice, see lse_finish.
 * Three passes beat one online pass here: the max pass is cheap and pulls
 * the slice into cache for the exp pass (tests/bench/NOTES.md).
 *
 * scipy's special values fall out of this arithmetic: a NaN anywhere in a
 * slice makes S NaN; log_softmax replaces a non-finite max by 0 (scipy does
 * the same), softmax does not, so inf - inf gives its NaNs.
 */
#include <math.h>
#include "blocks.h"
#include "exp.h"

#define NV (LANES / VL)

enum { OP_LOG_SOFTMAX, OP_SOFTMAX, OP_LOGSUMEXP };

/* What pass 2 does with each exp: add it; also store it (softmax); or leave
 * out the terms at the max and count them (logsumexp, see lse_finish). */
enum { SUM_ONLY, SUM_STORE, SUM_SPLIT_MAX };

/* A run of blocks' sums (double, W) and counts of terms at the max, per lane. */
typedef struct { W sum[NV]; V count[NV]; } NAME(partial);

/* A slice's totals per lane: the sum as sum + comp (wide.h), and the count. */
typedef struct { double sum[LANES], comp[LANES], count[LANES]; } NAME(totals);

static inline void NAME(max_block)(V acc[NV], const T *x) {
    for (int u = 0; u < NV; u++) acc[u] = v_pmax(acc[u], v_load(x + u * VL));
}

/* 1 if some lane of the block is below the fast exp's range (a masked or
 * far-out logit): then the whole block takes the general exp. */
static LSM_INLINE int NAME(block_needs_slow_exp)(const V t[NV]) { return v_any_below_n(t, NV, EXP_FAST_LO); }

/* Each lane's exps are taken at t = x - c, for the lane's shift c (see
 * sum_shift), and `at_max` = m - c is the t of the elements at the max.
 * `general` forces the general exp: where m is not the slice's true max
 * (log_softmax replaces a non-finite max by 0), t can be large.
 * Only the first n lanes are real (n < LANES: a tail block, padded): the
 * others get t = NaN, so that padding alone never sends a block to the
 * general exp, and exps of +0, the exact exp(-inf) that -inf padding used
 * to give; NaN equals no at_max, which leaves them out of the count.
 * Vectors of padding only skip the exp (a [1, 10] float64 call has three
 * in its tail block). */
/* Inlined by force: as a call, each block paid for its stack frame and
 * for rebuilding a dozen vector constants (measured: NOTES.md). */
static LSM_INLINE void NAME(expsum_vectors)(NAME(partial) *p, const V xv[NV], T *e_out, const V c[NV],
                                            const V at_max[NV], int mode, int general, size_t n) {
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
    if (general || NAME(block_needs_slow_exp)(t)) {
        for (int u = 0; u < NV; u++) e[u] = (size_t)u * VL < n ? v_exp_lo(t[u], lo[u], with_lo) : v_splat(0);
    } else {
        for (int u = 0; u < NV; u++) e[u] = (size_t)u * VL < n ? v_exp_lo_fast(t[u], lo[u], with_lo) : v_splat(0);
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
static LSM_INLINE void NAME(expsum_block)(NAME(partial) *p, const T *x, T *e_out, const V c[NV], const V at_max[NV],
                                          int mode, int general) {
    V xv[NV];
    for (int u = 0; u < NV; u++) xv[u] = v_load(x + u * VL);
    NAME(expsum_vectors)(p, xv, e_out, c, at_max, mode, general, LANES);
}

static inline void NAME(partial_clear)(NAME(partial) *p) {
    for (int u = 0; u < NV; u++) p->sum[u] = w_zero(), p->count[u] = v_splat(0);
}

/* Out of line: it runs once every FLUSH blocks, and inlined at each of its
 * call sites its TwoSums made up a good part of the module. */
static __attribute__((noinline)) void NAME(partial_flush)(NAME(partial) *p, NAME(totals) *t, int mode) {
    for (int u = 0; u < NV; u++) w_flush(t->sum + u * VL, t->comp + u * VL, p->sum[u]);
    if (mode == SUM_SPLIT_MAX)
        for (int u = 0; u < NV; u++) v_flush(t->count + u * VL, p->count[u]);
    NAME(partial_clear)(p);
}

/* Lane k's sum. */
static inline double NAME(lane_sum)(const NAME(totals) *t, size_t k) { return t->sum[k] + t->comp[k]; }

/* The block at x of which only the first n elements exist; the lanes past
 * them read pad: -inf for a max, which it leaves unchanged, or 0 for column
 * mode's pass 2 (see strip).  Tails are built in registers: scalar stores
 * read back as a vector would miss store-to-load forwarding. */
static LSM_INLINE void NAME(load_block)(V xv[NV], const T *x, size_t n, T pad) {
    for (int u = 0; u < NV; u++) xv[u] = n >= (size_t)(u + 1) * VL ? v_load(x + u * VL) : v_load_part(x, u * VL, n, pad);
}

static inline double NAME(lanes_total)(const NAME(totals) *tot, int count) {
    double t[LANES];
    for (int i = 0; i < LANES; i++) t[i] = count ? tot->count[i] : NAME(lane_sum)(tot, i);
    for (int w = LANES / 2; w > 0; w /= 2)
        for (int i = 0; i < w; i++) t[i] += t[i + w];
    return t[0];
}

/* Sum of exp over a whole slice in double, without the shift: scipy's own
 * fallback where the stable formula gives inf or NaN (its result then is
 * inf, -inf or NaN, so the missing shift loses nothing). */
static double NAME(naive_sum)(const T *x, const lsm_plan *p) {
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
static void NAME(lse_finish)(const T *x, const lsm_plan *p, T m, T e_max, double s, double c, T *out, T *sign) {
    /* log(1) is 0 exactly: one libm call fewer for the usual single max. */
    double r = isfinite(m) ? log1p(s / (c * e_max)) + (c == 1 ? 0 : log(c)) + m : NAN;
    double sg = 1;
    if (!isfinite(r)) {
        double naive = NAME(naive_sum)(x, p);
        r = log(naive);
        sg = naive > 0 ? 1 : naive == 0 ? 0 : NAN;
    }
    *out = (T)r;
    if (sign) *sign = (T)sg;
}

/* ---- rows mode: each slice is one or more contiguous runs ---- */

/* Pass 2's mode for an op. */
static inline int sum_mode(int op) { return op == OP_SOFTMAX ? SUM_STORE : op == OP_LOGSUMEXP ? SUM_SPLIT_MAX : SUM_ONLY; }

/* The shift of passes 2 and 3 from a slice's max: log_softmax replaces a
 * non-finite max by 0, as scipy does (see the top of this file). */
static inline T NAME(shift_of)(T m, int op) { return op == OP_LOG_SOFTMAX && !isfinite(m) ? 0 : m; }

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
 * is float32's rule (c/README.md); float64 keeps c = m. */
static inline T NAME(sum_shift)(T m, int mode) {
    /* float64 keeps c = m: there a rounded x - m costs at most 87 * 2^-53 a
     * term (far inside rtol 1e-13), while log S' - m would cancel digits. */
    if (sizeof(T) == sizeof(double)) return m;
    return mode == SUM_STORE || !(m >= -40 && m < 80) ? m : 0;
}

/* exp(m - c), the exp of a term at the max, for each lane of at_max = m - c
 * (in [-40, 80]: no range check needed), by the kernels' own exp. */
static __attribute__((noinline)) void NAME(max_exps)(T e_max[LANES], const V at_max[NV]) {
    for (int u = 0; u < NV; u++) v_store(e_max + u * VL, v_exp_lo_fast(at_max[u], v_splat(0), 0));
}

/* Each lane's shift c and at_max = m - c, for lanes side by side. */
static inline void NAME(shifts)(V c[NV], V at_max[NV], const T m[LANES], int mode) {
    T cs[LANES], ms[LANES];
    for (int k = 0; k < LANES; k++) cs[k] = NAME(sum_shift)(m[k], mode), ms[k] = m[k] - cs[k];
    for (int u = 0; u < NV; u++) c[u] = v_load(cs + u * VL), at_max[u] = v_load(ms + u * VL);
}

/* max(m, x[0..n)).  Whole blocks go through the LANES lanes; what is left
 * (all of a short row) is compared in order, one element at a time, rather
 * than padded to a block.  The order only decides which of +0 and -0 wins a
 * tie at the max, and no output shows that: such a tie makes S >= 2. */
static T NAME(run_max)(const T *x, size_t n, T m) {
    size_t i = 0;
    if (n >= LANES) {
        V acc[NV];
        T lanes[LANES];
        for (int u = 0; u < NV; u++) acc[u] = v_splat(m);
        for (; i + LANES <= n; i += LANES) NAME(max_block)(acc, x + i);
        for (int u = 0; u < NV; u++) v_store(lanes + u * VL, acc[u]);
        for (int k = 0; k < LANES; k++) m = m < lanes[k] ? lanes[k] : m;
    }
    for (; i < n; i++) m = m < x[i] ? x[i] : m;
    return m;
}

/* Pass 1 over all the runs of the slice at xs. */
static T NAME(slice_max)(const T *xs, const lsm_plan *p) {
    const lsm_dim *red = p->dims + p->n_outer;
    lsm_cursor rc;
    T m = -INFINITY;
    cursor_reset(&rc, p->n_red);
    do m = NAME(run_max)(xs + rc.offset, p->run, m);
    while (cursor_next(&rc, red, p->n_red));
    return m;
}

static inline void NAME(run_expsum)(const T *x, T *e_out, size_t n, T c, T at_max, NAME(totals) *tot, int mode,
                                    int general) {
    NAME(partial) p;
    V cv[NV], mv[NV];
    NAME(partial_clear)(&p);
    for (int u = 0; u < NV; u++) cv[u] = v_splat(c), mv[u] = v_splat(at_max);
    size_t i = 0;
    while (i + LANES <= n) {
        size_t end = i + FLUSH * LANES <= n ? i + FLUSH * LANES : n - (n - i) % LANES;
        for (; i < end; i += LANES) NAME(expsum_block)(&p, x + i, mode == SUM_STORE ? e_out + i : 0, cv, mv, mode, general);
        NAME(partial_flush)(&p, tot, mode);
    }
    if (i < n) {
        T e[LANES];
        V xv[NV];
        NAME(load_block)(xv, x + i, n - i, -INFINITY);
        NAME(expsum_vectors)(&p, xv, e, cv, mv, mode, general, n - i);
        if (mode == SUM_STORE)
            for (size_t k = 0; i + k < n; k++) e_out[i + k] = e[k];
        NAME(partial_flush)(&p, tot, mode);
    }
}

static inline void NAME(run_write)(const T *x, T *y, size_t n, T m, T log_s, const double q[VL], int op) {
    V mv = v_splat(m), lv = v_splat(log_s);
    size_t i = 0;
    if (op == OP_LOG_SOFTMAX) {
        for (; i + VL <= n; i += VL) v_store(y + i, v_sub(v_sub(v_load(x + i), mv), lv));
        for (; i < n; i++) y[i] = (x[i] - m) - log_s;
    } else {
        for (; i + VL <= n; i += VL) v_store(y + i, v_ratio(v_load(y + i), q));
        for (; i < n; i++) y[i] = s_ratio(y[i], q[0]);
    }
}

/* Pass 3 of the slice at xs, from its shift m, its sum s and (logsumexp)
 * the count c of elements at the max; logsumexp writes one value to *ys. */
static inline void NAME(slice_finish)(const T *xs, T *ys, T *sign, const lsm_plan *p, T m, T e_max, double s, double c,
                                      int op) {
    const T shift = NAME(sum_shift)(m, sum_mode(op));
    if (op == OP_LOGSUMEXP) {
        NAME(lse_finish)(xs, p, m, e_max, s, c, ys, sign);
        return;
    }
    const lsm_dim *red = p->dims + p->n_outer;
    lsm_cursor rc;
    /* An if, not `op == OP_LOG_SOFTMAX ? log(s) : 0`: clang turned that
     * into a select, so softmax paid for a libm log it threw away (f64). */
    T log_s = 0;
    double q[VL];
    if (op == OP_LOG_SOFTMAX)
        log_s = (T)(log(s) + ((double)shift - m)); /* log S, from s = S exp(m - shift) */
    else
        for (int k = 0; k < VL; k++) q[k] = ratio_arg(s);
    cursor_reset(&rc, p->n_red);
    do NAME(run_write)(xs + rc.offset, ys + rc.offset, p->run, m, log_s, q, op);
    while (cursor_next(&rc, red, p->n_red));
}

/* Short rows: LANES slices side by side, one per lane.  A run shorter than
 * a block would spend most of a padded block's lanes on exp(-inf), and each
 * slice would pay a block's fixed costs.  Here pass 2 walks the element
 * positions instead: position pos of every lane's slice is gathered into one
 * block, as column mode does for a strided axis.  Passes 1 and 3 stay per
 * slice: they are cheap, and contiguous there.
 *
 * at[k] is the offset of lane k's slice; lanes past the w real ones repeat
 * the last real slice, so every lane computes with real numbers (keeping
 * the fast exp) and nothing is written for them. */
static void NAME(short_rows_group)(const T *x, T *y, T *sign, const lsm_plan *p, const size_t at[LANES], size_t w,
                                   size_t slice, int op) {
    const lsm_dim *red = p->dims + p->n_outer;
    const int mode = sum_mode(op);
    T m[LANES], e[LANES];
    int general = 0;
    for (size_t k = 0; k < LANES; k++) {
        m[k] = k < w ? NAME(slice_max)(x + at[k], p) : m[w - 1];
        general |= !isfinite(m[k]);
        m[k] = NAME(shift_of)(m[k], op);
    }

    NAME(partial) part;
    V cv[NV], mv[NV], xv[NV];
    NAME(totals) tot = {0};
    lsm_cursor rc;
    NAME(partial_clear)(&part);
    NAME(shifts)(cv, mv, m, mode);
    cursor_reset(&rc, p->n_red);
    size_t blocks = 0;
    do {
        for (size_t i = 0; i < p->run; i++) {
            const size_t pos = rc.offset + i;
            for (int u = 0; u < NV; u++) xv[u] = v_gather(x + pos, at + u * VL);
            NAME(expsum_vectors)(&part, xv, e, cv, mv, mode, general, LANES);
            /* In place, y[at[k] + pos] is x's: it is read above, and no later block reads it. */
            if (mode == SUM_STORE)
                for (size_t k = 0; k < w; k++) y[at[k] + pos] = e[k];
            if (++blocks % FLUSH == 0) NAME(partial_flush)(&part, &tot, mode);
        }
    } while (cursor_next(&rc, red, p->n_red));
    NAME(partial_flush)(&part, &tot, mode);

    T e_max[LANES];
    if (op == OP_LOGSUMEXP) NAME(max_exps)(e_max, mv);
    for (size_t k = 0; k < w; k++) {
        T *ys = op == OP_LOGSUMEXP ? y + slice + k : y + at[k];
        NAME(slice_finish)(x + at[k], ys, sign ? sign + slice + k : 0, p, m[k], op == OP_LOGSUMEXP ? e_max[k] : 1,
                           NAME(lane_sum)(&tot, k), tot.count[k], op);
    }
}

/* One slice by itself: passes 1 to 3 over its runs, in padded blocks. */
static void NAME(one_slice)(const T *x, T *y, T *sign, const lsm_plan *p, size_t at, size_t slice, int op) {
    const lsm_dim *red = p->dims + p->n_outer;
    const int mode = sum_mode(op);
    const T *xs = x + at;
    lsm_cursor rc;
    T m = NAME(slice_max)(xs, p);
    const int general = !isfinite(m);
    m = NAME(shift_of)(m, op);

    NAME(totals) tot = {0};
    cursor_reset(&rc, p->n_red);
    const T shift = NAME(sum_shift)(m, mode);
    do NAME(run_expsum)(xs + rc.offset, op == OP_SOFTMAX ? y + at + rc.offset : 0, p->run, shift, m - shift, &tot, mode,
                        general);
    while (cursor_next(&rc, red, p->n_red));

    const double c = op == OP_LOGSUMEXP ? NAME(lanes_total)(&tot, 1) : 0;
    T *ys = op == OP_LOGSUMEXP ? y + slice : y + at;
    T e_max[VL] = {1};
    if (op == OP_LOGSUMEXP && shift != m) v_store(e_max, v_exp_lo_fast(v_splat(m - shift), v_splat(0), 0));
    NAME(slice_finish)(xs, ys, sign ? sign + slice : 0, p, m, e_max[0], NAME(lanes_total)(&tot, 0), c, op);
}

/* Side by side, w slices cost `run` blocks; one by one, w blocks per block
 * of run (rounded up).  Gathering costs more per block than loading, so a
 * group goes side by side from w >= run / 2, and only runs shorter than two
 * blocks are considered: at 32 to 64 it no longer paid (NOTES.md, attempt 13). */
static inline int NAME(side_by_side_pays)(const lsm_plan *p, size_t w) { return 2 * w >= p->run; }

static inline void NAME(rows)(const T *x, T *y, T *sign, const lsm_plan *p, int op) {
    const lsm_dim *outer = p->dims;
    const int short_runs = p->run < 2 * LANES;
    lsm_cursor oc;
    size_t at[LANES], slice = 0;
    int more;
    cursor_reset(&oc, p->n_outer);
    if (!short_runs) {
        do NAME(one_slice)(x, y, sign, p, oc.offset, slice++, op);
        while (cursor_next(&oc, outer, p->n_outer));
        return;
    }
    /* Slices LANES at a time, in the outer cursor's order. */
    do {
        size_t w = 0;
        do at[w++] = oc.offset;
        while ((more = cursor_next(&oc, outer, p->n_outer)) && w < LANES);
        if (NAME(side_by_side_pays)(p, w)) {
            for (size_t k = w; k < LANES; k++) at[k] = at[w - 1];
            NAME(short_rows_group)(x, y, sign, p, at, w, slice, op);
        } else {
            for (size_t k = 0; k < w; k++) NAME(one_slice)(x, y, sign, p, at[k], slice + k, op);
        }
        slice += w;
    } while (more);
}

/* ---- column mode: LANES neighbouring slices side by side, one per lane ---- */

/* The last reduced dim is walked by a plain loop (len positions, step
 * apart), the others by the cursor: for one strided axis the cursor never
 * steps inside a pass. */
static inline void NAME(strip)(const T *x, T *y, T *sign, const lsm_plan *p, size_t w, size_t slice, int op) {
    const lsm_dim *red = p->dims + p->n_outer;
    const uint32_t nc = p->n_red ? p->n_red - 1 : 0; /* dims under the cursor */
    const lsm_dim last = p->n_red ? red[nc] : (lsm_dim){1, 0};
    const size_t len = last.size, step = last.stride;
    const int mode = sum_mode(op);
    const int full = w == LANES;
    T m[LANES], e[LANES];
    V acc[NV], xv[NV];
    lsm_cursor rc;
    cursor_reset(&rc, nc);

    for (int u = 0; u < NV; u++) acc[u] = v_splat(-INFINITY);
    do {
        for (size_t i = 0; i < len; i++) {
            NAME(load_block)(xv, x + rc.offset + i * step, w, -INFINITY);
            for (int u = 0; u < NV; u++) acc[u] = v_pmax(acc[u], xv[u]);
        }
    } while (cursor_next(&rc, red, nc));
    for (int u = 0; u < NV; u++) v_store(m + u * VL, acc[u]);
    int general = 0;
    for (size_t k = 0; k < w; k++) general |= !isfinite(m[k]), m[k] = NAME(shift_of)(m[k], op);
    /* Lanes past w hold no column: pass 2 pads them with x = m = 0 (t = 0),
     * which keeps their blocks whole and on the fast exp, unmasked; their
     * sums are never read. */
    for (size_t k = w; k < LANES; k++) m[k] = 0;

    NAME(partial) part;
    V cv[NV], at_max[NV], mv[NV];
    NAME(totals) tot = {0};
    NAME(partial_clear)(&part);
    NAME(shifts)(cv, at_max, m, mode);
    for (int u = 0; u < NV; u++) mv[u] = v_load(m + u * VL);
    do {
        for (size_t i = 0; i < len; i++) {
            const size_t at = rc.offset + i * step;
            NAME(load_block)(xv, x + at, w, 0);
            NAME(expsum_vectors)(&part, xv, full ? y + at : e, cv, at_max, mode, general, LANES);
            if (mode == SUM_STORE && !full)
                for (size_t k = 0; k < w; k++) y[at + k] = e[k];
            if ((i + 1) % FLUSH == 0) NAME(partial_flush)(&part, &tot, mode);
        }
        NAME(partial_flush)(&part, &tot, mode);
    } while (cursor_next(&rc, red, nc));

    if (op == OP_LOGSUMEXP) {
        T e_max[LANES];
        NAME(max_exps)(e_max, at_max);
        for (size_t k = 0; k < w; k++)
            NAME(lse_finish)(x + k, p, m[k], e_max[k], NAME(lane_sum)(&tot, k), tot.count[k], y + slice + k,
                             sign ? sign + slice + k : 0);
        return;
    }
    T log_s[LANES];
    double q[LANES];
    /* Each op only what it uses: 16 libm logs a strip are no small cost to softmax. */
    for (int k = 0; k < LANES; k++) {
        if (op == OP_LOG_SOFTMAX)
            log_s[k] = (T)(log(NAME(lane_sum)(&tot, k)) + ((double)NAME(sum_shift)(m[k], mode) - m[k]));
        else
            log_s[k] = 0, q[k] = ratio_arg(NAME(lane_sum)(&tot, k));
    }
    V lv[NV];
    for (int u = 0; u < NV; u++) lv[u] = v_load(log_s + u * VL);
    do {
        for (size_t i = 0; i < len; i++) {
            const T *xr = x + rc.offset + i * step;
            T *yr = y + rc.offset + i * step;
            if (full) {
                for (int u = 0; u < NV; u++) {
                    V r = op == OP_LOG_SOFTMAX ? v_sub(v_sub(v_load(xr + u * VL), mv[u]), lv[u])
                                               : v_ratio(v_load(yr + u * VL), q + u * VL);
                    v_store(yr + u * VL, r);
                }
            } else {
                for (size_t k = 0; k < w; k++) yr[k] = op == OP_LOG_SOFTMAX ? (xr[k] - m[k]) - log_s[k] : s_ratio(yr[k], q[k]);
            }
        }
    } while (cursor_next(&rc, red, nc));
}

static inline void NAME(columns)(const T *x, T *y, T *sign, const lsm_plan *p, int op) {
    const lsm_dim *outer = p->dims;
    lsm_cursor oc;
    size_t slice = 0;
    cursor_reset(&oc, p->n_outer);
    do {
        for (size_t c = 0; c < p->inner; c += LANES) {
            size_t w = p->inner - c < LANES ? p->inner - c : LANES;
            size_t at = oc.offset + c;
            if (op == OP_LOGSUMEXP)
                NAME(strip)(x + at, y, sign, p, w, slice + c, op);
            else
                NAME(strip)(x + at, y + at, 0, p, w, 0, op);
        }
        slice += p->inner;
    } while (cursor_next(&oc, outer, p->n_outer));
}

static inline void NAME(dispatch)(const T *x, T *y, T *sign, const lsm_plan *p, int op) {
    if (p->inner == 1)
        NAME(rows)(x, y, sign, p, op);
    else
        NAME(columns)(x, y, sign, p, op);
}

/* y may be x itself (in place); no other overlap is allowed. */
void NAME(lsm_log_softmax)(const T *x, T *y, const lsm_plan *p) { NAME(dispatch)(x, y, 0, p, OP_LOG_SOFTMAX); }
void NAME(lsm_softmax)(const T *x, T *y, const lsm_plan *p) { NAME(dispatch)(x, y, 0, p, OP_SOFTMAX); }
/* One value per slice in y; the signs in `sign` unless it is null. */
void NAME(lsm_logsumexp)(const T *x, T *y, T *sign, const lsm_plan *p) { NAME(dispatch)(x, y, sign, p, OP_LOGSUMEXP); }

/* ---- weighted logsumexp: log(sum(b * exp(a))), scalar ----
 *
 * Weights broadcast, so a and b each have their own strides, and weighted
 * calls are rare enough that clarity beats SIMD here.  The steps are
 * scipy's (>= 1.16), term for term (weighted_eval):
 *   - entries with b == 0 are masked out (as if a were -inf);
 *   - max = the largest unmasked a (NaN if any unmasked a is NaN);
 *   - m = sum of b * [a == max] over every entry (so an infinite or NaN b
 *     off the max makes m NaN: inf * 0), s = sum of b * exp(a - max) over
 *     the unmasked entries below the max;
 *   - value = log1p(s/m) + log|m| + max, sign = sign(s/m + 1) * sign(m),
 *     where s/m < -1 is folded as -s/m - 2 so that log1p sees a positive
 *     number; a negative sign makes the value NaN unless signs are asked for;
 *   - where that value is not finite (NaN included), log(sum(b * exp(a)))
 *     over all entries, masked or not (so 0 * exp(inf) gives NaN): a
 *     negative weighted sum whose terms underflow gives log(-0) = -inf.
 *
 * Which of inf, -inf, NaN or a finite number comes out depends on the
 * precision those steps run in: float32 terms underflow and overflow where
 * double ones do not (a = [0, 0, -50], b = [1, -1, 1e-30] is -inf in float32,
 * -119.08 in double).  So float32 slices run the steps twice: in float32,
 * which decides the special values and the sign exactly as scipy does; and,
 * where that gives a finite number, in double, whose more accurate value is
 * returned unless double arithmetic changed the sign or found no finite
 * value.  Sums are taken in index order; numpy may add in another order, which
 * can only matter where a sum cancels to within its rounding. */

typedef struct {
    size_t a, b;
    uint32_t index[LSM_MAX_DIMS];
} NAME(wcursor);

static inline void NAME(wcursor_reset)(NAME(wcursor) *c, uint32_t nd) {
    c->a = c->b = 0;
    for (uint32_t k = 0; k < nd; k++) c->index[k] = 0;
}

static inline int NAME(wcursor_next)(NAME(wcursor) *c, const lsm_wdim *d, uint32_t nd) {
    for (uint32_t k = nd; k-- > 0;) {
        c->a += d[k].stride_a;
        c->b += d[k].stride_b;
        if (++c->index[k] < d[k].size) return 1;
        c->a -= (size_t)d[k].stride_a * d[k].size;
        c->b -= (size_t)d[k].stride_b * d[k].size;
        c->index[k] = 0;
    }
    return 0;
}

static double sign_of(double v) { return v > 0 ? 1 : v < 0 ? -1 : v == 0 ? 0 : NAN; }

/* The working precision of weighted_eval: float arithmetic is double
 * arithmetic rounded to float after each +, -, * and /, exactly (double
 * carries more than 2 * 24 + 2 bits, so the second rounding never differs
 * from a direct one); exp and the logs are double's, rounded to float (within
 * an ulp of any float libm's, and they underflow and overflow at the same
 * points). */
static inline double w_round(double v, int single) { return single ? (double)(float)v : v; }
static inline double w_exp(double v, int single) { return w_round(exp(v), single); }
static inline double w_log(double v, int single) { return w_round(log(v), single); }
static inline double w_log1p(double v, int single) { return w_round(log1p(v), single); }

/* sum += v in the working precision: in float, rounded as scipy's float32
 * sum rounds; in double, compensated as the kernels' totals are (wide.h), so
 * that a long slice sums as accurately as a short one (read it as sum + comp). */
static inline void w_accumulate(double *sum, double *comp, double v, int single) {
    if (single)
        *sum = w_round(*sum + v, 1);
    else
        wide_add1(sum, comp, v);
}

/* scipy's steps (see above) for the slice at a, b whose unmasked maximum is
 * max, in float (single) or double arithmetic; the sign goes to *sign. */
static __attribute__((noinline)) double NAME(weighted_eval)(const T *a, const T *b, const lsm_wplan *p, double max,
                                                            int with_sign, int single, double *sign) {
    const lsm_wdim *red = p->dims + p->n_outer;
    NAME(wcursor) rc;
    double r = NAN, sg = NAN;
    NAME(wcursor_reset)(&rc, p->n_red);
    if (isfinite(max)) {
        double m = 0, s = 0, mc = 0, sc = 0;
        do {
            const double ai = a[rc.a], bi = b[rc.b];
            const int at_max = bi != 0 && ai == max;
            w_accumulate(&m, &mc, bi * at_max, single); /* bi * at_max is exact: a product with 0 or 1 */
            /* exp(-inf) = 0 for the max and masked entries */
            double e = bi != 0 && !at_max ? w_exp(w_round(ai - max, single), single) : 0;
            w_accumulate(&s, &sc, w_round(bi * e, single), single);
        } while (NAME(wcursor_next)(&rc, red, p->n_red));
        m += mc, s += sc;
        s = s == 0 ? s : w_round(s / m, single);
        sg = sign_of(w_round(s + 1, single)) * sign_of(m);
        if (s < -1) s = w_round(-s - 2, single);
        r = w_round(w_round(w_log1p(s, single) + w_log(fabs(m), single), single) + max, single);
        if (!with_sign && sg < 0) r = NAN;
    }
    if (!isfinite(r)) {
        double naive = 0, nc = 0;
        do w_accumulate(&naive, &nc, w_round((double)b[rc.b] * w_exp(a[rc.a], single), single), single);
        while (NAME(wcursor_next)(&rc, red, p->n_red));
        naive += nc;
        sg = sign_of(naive);
        r = w_log(with_sign ? fabs(naive) : naive, single);
    }
    *sign = sg;
    return r;
}

void NAME(lsm_logsumexp_weighted)(const T *a, const T *b, T *y, T *sign, const lsm_wplan *p) {
    const lsm_wdim *outer = p->dims, *red = p->dims + p->n_outer;
    const int single = sizeof(T) == sizeof(float);
    NAME(wcursor) oc, rc;
    size_t slice = 0;
    NAME(wcursor_reset)(&oc, p->n_outer);
    NAME(wcursor_reset)(&rc, p->n_red);
    do {
        const T *as = a + oc.a, *bs = b + oc.b;
        double max = -INFINITY;
        int nan = 0;
        do {
            const double ai = as[rc.a];
            if (bs[rc.b] == 0) continue;
            nan |= ai != ai;
            max = ai > max ? ai : max;
        } while (NAME(wcursor_next)(&rc, red, p->n_red));
        if (nan) max = NAN;

        double sg, r = NAME(weighted_eval)(as, bs, p, max, sign != 0, single, &sg);
        if (single && isfinite(r)) {
            double sg2, r2 = NAME(weighted_eval)(as, bs, p, max, sign != 0, 0, &sg2);
            if (isfinite(r2) && sg2 == sg) r = r2;
        }
        y[slice] = (T)r;
        if (sign) sign[slice] = (T)sg;
        slice++;
    } while (NAME(wcursor_next)(&oc, outer, p->n_outer));
}
