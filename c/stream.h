/* Streaming kernels (exports.h's LSM_STREAM): a slice too long for the
 * cache window (js/stream.js) is read in blocks, each block reduced to a
 * state, the states merged (in JS), and a last pass writes the outputs from
 * the merged state.  Two reads and one write of memory in all, instead of
 * the three passes of kernels.h each going out to DRAM.
 *
 * A state is four doubles per slice:
 *   m     the max (NaN ignored, as pass 1 ignores it; -inf for none)
 *   k     the number of elements equal to m (0 where m is not finite)
 *   s     sum of exp(x - m) over the other elements, in double
 *   comp  s's compensation (TwoSum; 0 as a kernel writes it)
 * so that S = sum exp(x - m) = k + s + comp.  A block's s is pass 2's sum of
 * logsumexp (SUM_SPLIT_MAX: the terms at the max counted, not added) at
 * sum_shift's exact x - c, rescaled once by exp(c - m) in double (2^-52);
 * S's error is then that of the unstreamed sums (c/README.md, section 2).
 * Where m is not finite the sum is taken at c = 0 with the general exp, as
 * log_softmax takes it: s is then inf (m = +inf), 0 (m = -inf) or NaN (a NaN
 * in the block), which is all the write pass needs to know.
 *
 * Slices are numbered as logsumexp numbers its outputs (blocks.h). */
#ifndef LSM_STREAM_H
#define LSM_STREAM_H
#include "rows.h"
#include "columns.h"

#define STATE 4

/* Column mode's streamed passes are compiled for size: the layouts that
 * reach them (a reduced axis longer than the window, with columns kept)
 * are rare, and at full speed they added 20 KB to every build. */
#define LSM_STREAM_SMALL __attribute__((minsize, noinline))

/* run_expsum out of line, one copy for both passes here: inlined at each
 * call site, pass 2 added 35 KB to every build. */
static __attribute__((noinline)) void stream_expsum(const T *x, T *e, size_t n, T c, T at_max, totals *tot, int mode,
                                                    int general) {
    run_expsum(x, e, n, c, at_max, tot, mode, general);
}

/* expsum_vectors out of line, for column mode's passes here, likewise. */
static LSM_STREAM_SMALL void stream_block(partial *p, const V xv[NV], T *e, const V c[NV], const V at_max[NV],
                                                   int mode, int general) {
    expsum_vectors(p, xv, e, c, at_max, mode, general, LANES);
}

/* One slice's state from its raw max m, the shifted max mu it was summed
 * at (shift_of), the shift c, and its sum s and count k. */
static inline void put_state(double *st, T m, T mu, T c, double s, double k) {
    st[0] = m;
    st[1] = isfinite(m) ? k : 0;
    st[2] = s * exp((double)c - mu);
    st[3] = 0;
}

/* Rows mode: each slice's max, then pass 2 as logsumexp runs it; or, with
 * e given, softmax's store pass (store_rows below). */
static LSM_STREAM_SMALL void state_rows(const T *x, T *e, double *st, const lsm_plan *p) {
    const lsm_dim *outer = p->dims, *red = p->dims + p->n_outer;
    lsm_cursor oc, rc;
    size_t slice = 0;
    cursor_reset(&oc, p->n_outer);
    do {
        const T *xs = x + oc.offset;
        const T m = slice_max(xs, p), mu = e ? m : shift_of(m, OP_LOG_SOFTMAX);
        const T c = e ? (m == -INFINITY ? 0 : m) : sum_shift(mu, SUM_SPLIT_MAX);
        totals tot = {0};
        cursor_reset(&rc, p->n_red);
        do stream_expsum(xs + rc.offset, e ? e + oc.offset + rc.offset : 0, p->run, c, mu - c, &tot,
                         e ? SUM_STORE : SUM_SPLIT_MAX, !isfinite(m));
        while (cursor_next(&rc, red, p->n_red));
        if (e)
            st[STATE * slice] = m, st[STATE * slice + 1] = 0, st[STATE * slice + 2] = lanes_total(&tot, 0),
                           st[STATE * slice + 3] = 0, slice++;
        else
            put_state(st + STATE * slice++, m, mu, c, lanes_total(&tot, 0), lanes_total(&tot, 1));
    } while (cursor_next(&oc, outer, p->n_outer));
}

/* Column mode: strip's passes 1 and 2 (columns.h), LANES slices side by side. */
static LSM_STREAM_SMALL void state_strip(const T *x, double *st, const lsm_plan *p, size_t w) {
    const lsm_dim *red = p->dims + p->n_outer;
    const uint32_t nc = p->n_red ? p->n_red - 1 : 0;
    const lsm_dim last = p->n_red ? red[nc] : (lsm_dim){1, 0};
    const size_t len = last.size, step = last.stride;
    T m[LANES], mu[LANES];
    V acc[NV], xv[NV];
    lsm_cursor rc;
    cursor_reset(&rc, nc);
    for (int u = 0; u < NV; u++) acc[u] = v_splat(-INFINITY);
    do {
        for (size_t i = 0; i < len; i++) {
            load_block(xv, x + rc.offset + i * step, w, -INFINITY);
            for (int u = 0; u < NV; u++) acc[u] = v_pmax(acc[u], xv[u]);
        }
    } while (cursor_next(&rc, red, nc));
    for (int u = 0; u < NV; u++) v_store(m + u * VL, acc[u]);
    int general = 0;
    /* Lanes past w: x = mu = 0, as in strip. */
    for (size_t k = 0; k < LANES; k++)
        general |= k < w && !isfinite(m[k]), mu[k] = k < w ? shift_of(m[k], OP_LOG_SOFTMAX) : 0;

    partial part;
    V cv[NV], at_max[NV];
    totals tot = {0};
    partial_clear(&part);
    shifts(cv, at_max, mu, SUM_SPLIT_MAX);
    do {
        for (size_t i = 0; i < len; i++) {
            load_block(xv, x + rc.offset + i * step, w, 0);
            stream_block(&part, xv, 0, cv, at_max, SUM_SPLIT_MAX, general);
            if ((i + 1) % FLUSH == 0) partial_flush(&part, &tot, SUM_SPLIT_MAX);
        }
        partial_flush(&part, &tot, SUM_SPLIT_MAX);
    } while (cursor_next(&rc, red, nc));
    for (size_t k = 0; k < w; k++)
        put_state(st + STATE * k, m[k], mu[k], sum_shift(mu[k], SUM_SPLIT_MAX), lane_sum(&tot, k), tot.count[k]);
}

static LSM_STREAM_SMALL void state_columns(const T *x, double *st, const lsm_plan *p) {
    const lsm_dim *outer = p->dims;
    lsm_cursor oc;
    size_t slice = 0;
    cursor_reset(&oc, p->n_outer);
    do {
        for (size_t c = 0; c < p->inner; c += LANES)
            state_strip(x + oc.offset + c, st + STATE * (slice + c), p, p->inner - c < LANES ? p->inner - c : LANES);
        slice += p->inner;
    } while (cursor_next(&oc, outer, p->n_outer));
}

/* What the write pass works from, for a merged state: the max it subtracts
 * (log_softmax's non-finite max becomes 0, shift_of), log S, and softmax's
 * 1/S.  A non-finite max leaves S as scipy's arithmetic has it: log_softmax
 * gets log(sum exp(x)) = +inf (m = +inf), -inf (m = -inf) or NaN (a NaN);
 * softmax's exp(x - m) has a NaN for every such slice, so all its outputs
 * are NaN (S = NaN). */
typedef struct { T m, log_s; double q; } finish;

static inline finish finish_of(const double *st, int op) {
    const T m = (T)st[0];
    const double s = st[1] + st[2] + st[3];
    finish f = {m, 0, 0};
    if (op == OP_LOG_SOFTMAX) {
        f.m = shift_of(m, op);
        f.log_s = isfinite(m) ? (T)log(s) : isnan(s) ? (T)NAN : m;
    } else {
        f.q = ratio_arg(isfinite(m) ? s : NAN);
    }
    return f;
}

/* Rows mode's write pass.  softmax recomputes its exps as pass 2 does
 * (run_expsum, with the remainder of x - m fed in; its sums are not used),
 * so each numerator has the bits the unstreamed kernel stores. */
static LSM_STREAM_SMALL void write_rows(const T *x, T *y, const double *st, const lsm_plan *p, int op) {
    const lsm_dim *outer = p->dims, *red = p->dims + p->n_outer;
    lsm_cursor oc, rc;
    size_t slice = 0;
    cursor_reset(&oc, p->n_outer);
    do {
        const finish f = finish_of(st + STATE * slice++, op);
        double q[VL];
        for (int k = 0; k < VL; k++) q[k] = f.q;
        cursor_reset(&rc, p->n_red);
        do {
            const size_t at = oc.offset + rc.offset;
            if (op == OP_SOFTMAX) {
                totals unused = {0};
                stream_expsum(x + at, y + at, p->run, f.m, 0, &unused, SUM_STORE, !isfinite(f.m));
            }
            run_write(x + at, y + at, p->run, f.m, f.log_s, q, op);
        } while (cursor_next(&rc, red, p->n_red));
    } while (cursor_next(&oc, outer, p->n_outer));
}

/* Column mode's write pass over w <= LANES neighbouring slices (strip's
 * pass 3; softmax's exps first, as strip's pass 2 stores them). */
static LSM_STREAM_SMALL void write_strip(const T *x, T *y, const double *st, const lsm_plan *p, size_t w, int op) {
    const lsm_dim *red = p->dims + p->n_outer;
    const uint32_t nc = p->n_red ? p->n_red - 1 : 0;
    const lsm_dim last = p->n_red ? red[nc] : (lsm_dim){1, 0};
    const size_t len = last.size, step = last.stride;
    T m[LANES], log_s[LANES], e[LANES];
    double q[LANES];
    int general = 0;
    for (size_t k = 0; k < LANES; k++) {
        /* Lanes past w compute on zeros (m = 0) and are never stored. */
        const finish f = k < w ? finish_of(st + STATE * k, op) : (finish){0, 0, 1};
        m[k] = f.m, log_s[k] = f.log_s, q[k] = f.q;
        general |= !isfinite(m[k]);
    }
    V mv[NV], lv[NV], xv[NV];
    for (int u = 0; u < NV; u++) mv[u] = v_load(m + u * VL), lv[u] = v_load(log_s + u * VL);
    lsm_cursor rc;
    cursor_reset(&rc, nc);
    do {
        for (size_t i = 0; i < len; i++) {
            const size_t at = rc.offset + i * step;
            if (op == OP_SOFTMAX) {
                partial unused;
                partial_clear(&unused);
                load_block(xv, x + at, w, 0);
                stream_block(&unused, xv, e, mv, mv, SUM_STORE, general);
                for (size_t k = 0; k < w; k++) y[at + k] = s_ratio(e[k], q[k]);
            } else if (w == LANES) {
                for (int u = 0; u < NV; u++)
                    v_store(y + at + u * VL, v_sub(v_sub(v_load(x + at + u * VL), mv[u]), lv[u]));
            } else {
                for (size_t k = 0; k < w; k++) y[at + k] = (x[at + k] - m[k]) - log_s[k];
            }
        }
    } while (cursor_next(&rc, red, nc));
}

static LSM_STREAM_SMALL void write_columns(const T *x, T *y, const double *st, const lsm_plan *p, int op) {
    const lsm_dim *outer = p->dims;
    lsm_cursor oc;
    size_t slice = 0;
    cursor_reset(&oc, p->n_outer);
    do {
        for (size_t c = 0; c < p->inner; c += LANES) {
            const size_t at = oc.offset + c;
            write_strip(x + at, y + at, st + STATE * (slice + c), p, p->inner - c < LANES ? p->inner - c : LANES, op);
        }
        slice += p->inner;
    } while (cursor_next(&oc, outer, p->n_outer));
}

/* Softmax's store pass, rows mode (js/stream.js takes it for rows-mode
 * plans only; column mode keeps lsm_state and the write pass above, which
 * recomputes the exps).  Each slice's part in the block is reduced to its
 * block max m_b, and e = exp(x - m_b) is stored at e exactly as the
 * unstreamed pass 2 stores exp(x - m): the TwoSum remainder of x - m_b fed
 * into the exp, rounded once to T.  The state is [m_b, 0, S_b, 0] with
 * S_b = sum e in double (the terms at m_b, exactly 1, are added rather
 * than counted: only k + s + comp is read for softmax).  A block with no
 * element above -inf takes its exps at 0 (e = exp(-inf) = 0, not
 * exp(-inf - -inf) = NaN): its slice may have a finite max elsewhere.
 * With m_b = +inf or a NaN the merged state gives NaN outputs whatever e is.
 * lsm_state_rescale then writes y = e * exp(m_b - m) / S (float64:
 * e / (S exp(m - m_b))), the factor in double from JS: each exp is taken
 * once; the bound is in c/README.md ("Streaming"). */
static void store_rows(const T *x, T *e, double *st, const lsm_plan *p) { state_rows(x, e, st, p); }

/* y = e (stored in y) by each slice's factor q, rounded once: v_ratio,
 * the unstreamed pass 3's product (float32) or quotient (float64). */
static LSM_STREAM_SMALL void rescale_rows(T *y, const double *q, const lsm_plan *p) {
    const lsm_dim *outer = p->dims, *red = p->dims + p->n_outer;
    lsm_cursor oc, rc;
    cursor_reset(&oc, p->n_outer);
    do {
        double qv[VL];
        for (int k = 0; k < VL; k++) qv[k] = *q;
        q++;
        cursor_reset(&rc, p->n_red);
        do {
            T *ys = y + oc.offset + rc.offset;
            run_write(ys, ys, p->run, 0, 0, qv, OP_SOFTMAX);
        } while (cursor_next(&rc, red, p->n_red));
    } while (cursor_next(&oc, outer, p->n_outer));
}

/* logsumexp of n merged states: lse_finish's formula with s already
 * relative to m (scipy's log1p(s / k) + log k + m), and its special values:
 * a NaN gives NaN (sign NaN), m = +inf gives +inf (sign 1), m = -inf (no
 * element above -inf) gives -inf (sign 0), which is what lse_finish's
 * fallback, log(sum exp(x)), makes of such slices. */
static LSM_STREAM_SMALL void lse_states(const double *st, T *y, T *sign, uint32_t n) {
    for (uint32_t i = 0; i < n; i++, st += STATE) {
        const double m = st[0], k = st[1], s = st[2] + st[3];
        double r, sg = 1;
        if (isnan(s)) r = NAN, sg = NAN;
        else if (isfinite(m)) r = log1p(s / k) + (k == 1 ? 0 : log(k)) + m;
        else r = m, sg = m > 0 ? 1 : 0;
        y[i] = (T)r;
        if (sign) sign[i] = (T)sg;
    }
}

#endif
