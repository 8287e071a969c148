/* Column mode (plan->run == 1, blocks.h): the last group of dims is kept,
 * so neighbouring slices lie side by side in memory.  LANES of them go
 * through the three passes together, one slice per lane (strip): a strided
 * axis is vectorised without a transposing copy, and every load is of
 * contiguous memory. */
#ifndef LSM_COLUMNS_H
#define LSM_COLUMNS_H
#include "passes.h"

/* The three passes of the w <= LANES neighbouring slices at x, slice k in
 * lane k; logsumexp writes its values to y + slice.  The last reduced dim is
 * walked by a plain loop (len positions, step apart), the others by the
 * cursor: for one strided axis the cursor never steps inside a pass. */
static inline void strip(const T *x, T *y, T *sign, const lsm_plan *p, size_t w, size_t slice, int op) {
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
            load_block(xv, x + rc.offset + i * step, w, -INFINITY);
            for (int u = 0; u < NV; u++) acc[u] = v_pmax(acc[u], xv[u]);
        }
    } while (cursor_next(&rc, red, nc));
    for (int u = 0; u < NV; u++) v_store(m + u * VL, acc[u]);
    int general = 0;
    for (size_t k = 0; k < w; k++) general |= !isfinite(m[k]), m[k] = shift_of(m[k], op);
    /* Lanes past w hold no column: pass 2 pads them with x = m = 0 (t = 0),
     * which keeps their blocks whole and on the fast exp, unmasked; their
     * sums are never read. */
    for (size_t k = w; k < LANES; k++) m[k] = 0;

    partial part;
    V cv[NV], at_max[NV], mv[NV];
    totals tot = {0};
    partial_clear(&part);
    shifts(cv, at_max, m, mode);
    for (int u = 0; u < NV; u++) mv[u] = v_load(m + u * VL);
    do {
        for (size_t i = 0; i < len; i++) {
            const size_t at = rc.offset + i * step;
            load_block(xv, x + at, w, 0);
            expsum_vectors(&part, xv, full ? y + at : e, cv, at_max, mode, general, LANES);
            if (mode == SUM_STORE && !full)
                for (size_t k = 0; k < w; k++) y[at + k] = e[k];
            if ((i + 1) % FLUSH == 0) partial_flush(&part, &tot, mode);
        }
        partial_flush(&part, &tot, mode);
    } while (cursor_next(&rc, red, nc));

    if (op == OP_LOGSUMEXP) {
        T e_max[LANES];
        max_exps(e_max, at_max);
        for (size_t k = 0; k < w; k++)
            lse_finish(x + k, p, m[k], e_max[k], lane_sum(&tot, k), tot.count[k], y + slice + k,
                             sign ? sign + slice + k : 0);
        return;
    }
    T log_s[LANES];
    double q[LANES];
    /* Each op only what it uses: 16 libm logs a strip are no small cost to softmax. */
    for (int k = 0; k < LANES; k++) {
        if (op == OP_LOG_SOFTMAX)
            log_s[k] = (T)(log(lane_sum(&tot, k)) + ((double)sum_shift(m[k], mode) - m[k]));
        else
            log_s[k] = 0, q[k] = ratio_arg(lane_sum(&tot, k));
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

/* Each outer position's `inner` slices, LANES at a time. */
static inline void columns(const T *x, T *y, T *sign, const lsm_plan *p, int op) {
    const lsm_dim *outer = p->dims;
    lsm_cursor oc;
    size_t slice = 0;
    cursor_reset(&oc, p->n_outer);
    do {
        for (size_t c = 0; c < p->inner; c += LANES) {
            size_t w = p->inner - c < LANES ? p->inner - c : LANES;
            size_t at = oc.offset + c;
            if (op == OP_LOGSUMEXP)
                strip(x + at, y, sign, p, w, slice + c, op);
            else
                strip(x + at, y + at, 0, p, w, 0, op);
        }
        slice += p->inner;
    } while (cursor_next(&oc, outer, p->n_outer));
}

#endif
