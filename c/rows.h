/* Rows mode (plan->inner == 1, blocks.h): each slice is a set of contiguous
 * runs of `run` elements, one per position of the other reduced dims; the
 * slices follow one another in the outer cursor's order.  axis=-1,
 * axis=None and adjacent axis tuples come here.
 *
 * Long runs go slice by slice, in padded blocks (one_slice).  Runs shorter
 * than two blocks go LANES slices side by side where that pays
 * (short_rows_group): a padded block would spend most of its lanes on
 * nothing. */
#ifndef LSM_ROWS_H
#define LSM_ROWS_H
#include "passes.h"

/* max(m, x[0..n)).  Whole blocks go through the LANES lanes; what is left
 * (all of a short row) is compared in order, one element at a time, rather
 * than padded to a block.  The order only decides which of +0 and -0 wins a
 * tie at the max, and no output shows that: such a tie makes S >= 2. */
static T run_max(const T *x, size_t n, T m) {
    size_t i = 0;
    if (n >= LANES) {
        V acc[NV];
        T lanes[LANES];
        for (int u = 0; u < NV; u++) acc[u] = v_splat(m);
        for (; i + LANES <= n; i += LANES) max_block(acc, x + i);
        for (int u = 0; u < NV; u++) v_store(lanes + u * VL, acc[u]);
        for (int k = 0; k < LANES; k++) m = m < lanes[k] ? lanes[k] : m;
    }
    for (; i < n; i++) m = m < x[i] ? x[i] : m;
    return m;
}

/* Pass 1 over all the runs of the slice at xs. */
static T slice_max(const T *xs, const lsm_plan *p) {
    const lsm_dim *red = p->dims + p->n_outer;
    lsm_cursor rc;
    T m = -INFINITY;
    cursor_reset(&rc, p->n_red);
    do m = run_max(xs + rc.offset, p->run, m);
    while (cursor_next(&rc, red, p->n_red));
    return m;
}

/* Pass 2 over the run of n elements at x, every lane shifted by c (at_max =
 * m - c), into the slice's totals; softmax stores the exps at e_out.  Whole
 * blocks first, a flush every FLUSH of them; then the tail, as one padded
 * block.  The partial sums are the caller's: with tot null, a run of at
 * most one block leaves them unflushed in *p (one_slice). */
static inline void run_expsum_into(const T *x, T *e_out, size_t n, T c, T at_max, partial *p, totals *tot, int mode,
                                   int general) {
    V cv[NV], mv[NV];
    partial_clear(p);
    for (int u = 0; u < NV; u++) cv[u] = v_splat(c), mv[u] = v_splat(at_max);
    size_t i = 0;
    while (i + LANES <= n) {
        size_t end = i + FLUSH * LANES <= n ? i + FLUSH * LANES : n - (n - i) % LANES;
        /* The scalar build gives log_softmax's sum (the most common pass
         * 2) a loop of its own, free of the other modes' code: 18% faster
         * rows there (V8 compiles the block's 16 scalar lanes better).
         * The SIMD builds gain under 5%, for 5-8 KB each. */
        if (!LSM_SIMD && sizeof(T) == 4 && mode == SUM_ONLY)
            for (; i < end; i += LANES) expsum_block(p, x + i, 0, cv, mv, SUM_ONLY, general);
        else
            for (; i < end; i += LANES)
                expsum_block(p, x + i, mode == SUM_STORE ? e_out + i : 0, cv, mv, mode, general);
        if (tot) partial_flush(p, tot, mode);
    }
    if (i < n) {
        T e[LANES];
        V xv[NV];
        load_block(xv, x + i, n - i, -INFINITY);
        expsum_vectors(p, xv, e, cv, mv, mode, general, n - i);
        if (mode == SUM_STORE)
            for (size_t k = 0; i + k < n; k++) e_out[i + k] = e[k];
        if (tot) partial_flush(p, tot, mode);
    }
}

static inline void run_expsum(const T *x, T *e_out, size_t n, T c, T at_max, totals *tot, int mode, int general) {
    partial p;
    run_expsum_into(x, e_out, n, c, at_max, &p, tot, mode, general);
}

/* Pass 3 over the run at x: log_softmax's (x - m) - log S, or softmax's
 * e / S from the exps that pass 2 stored in y (q from ratio_arg). */
static inline void run_write(const T *x, T *y, size_t n, T m, T log_s, const double q[VL], int op) {
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

/* Pass 3 of the slice at xs, from its max m (after shift_of) and pass 2's
 * results: e_max, s and c as lse_finish takes them.  logsumexp writes one
 * value to *ys. */
static inline void slice_finish(const T *xs, T *ys, T *sign, const lsm_plan *p, T m, T e_max, double s, double c,
                                int op) {
    const T shift = sum_shift(m, sum_mode(op));
    if (op == OP_LOGSUMEXP) {
        lse_finish(xs, p, m, e_max, s, c, ys, sign);
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
    do run_write(xs + rc.offset, ys + rc.offset, p->run, m, log_s, q, op);
    while (cursor_next(&rc, red, p->n_red));
}

/* Short rows: LANES slices side by side, one per lane.  A run shorter than
 * a block would spend most of a padded block's lanes on padding, and each
 * slice would pay a block's fixed costs.  Here pass 2 walks the element
 * positions instead: position pos of every lane's slice is gathered into one
 * block, as column mode does for a strided axis.  Passes 1 and 3 stay per
 * slice: they are cheap, and contiguous there.
 *
 * at[k] is the offset of lane k's slice; lanes past the w real ones repeat
 * the last real slice, so every lane computes with real numbers (keeping
 * the fast exp) and nothing is written for them. */
static void short_rows_group(const T *x, T *y, T *sign, const lsm_plan *p, const size_t at[LANES], size_t w,
                             size_t slice, int op) {
    const lsm_dim *red = p->dims + p->n_outer;
    const int mode = sum_mode(op);
    T m[LANES], e[LANES];
    int general = 0;
    for (size_t k = 0; k < LANES; k++) {
        m[k] = k < w ? slice_max(x + at[k], p) : m[w - 1];
        general |= !isfinite(m[k]);
        m[k] = shift_of(m[k], op);
    }

    partial part;
    V cv[NV], mv[NV], xv[NV];
    totals tot = {0};
    lsm_cursor rc;
    partial_clear(&part);
    shifts(cv, mv, m, mode);
    cursor_reset(&rc, p->n_red);
    size_t blocks = 0;
    do {
        for (size_t i = 0; i < p->run; i++) {
            const size_t pos = rc.offset + i;
            for (int u = 0; u < NV; u++) xv[u] = v_gather(x + pos, at + u * VL);
            expsum_vectors(&part, xv, e, cv, mv, mode, general, LANES);
            /* In place, y[at[k] + pos] is x's: it is read above, and no later block reads it. */
            if (mode == SUM_STORE)
                for (size_t k = 0; k < w; k++) y[at[k] + pos] = e[k];
            if (++blocks % FLUSH == 0) partial_flush(&part, &tot, mode);
        }
    } while (cursor_next(&rc, red, p->n_red));
    partial_flush(&part, &tot, mode);

    T e_max[LANES];
    if (op == OP_LOGSUMEXP) max_exps(e_max, mv);
    for (size_t k = 0; k < w; k++) {
        T *ys = op == OP_LOGSUMEXP ? y + slice + k : y + at[k];
        slice_finish(x + at[k], ys, sign ? sign + slice + k : 0, p, m[k], op == OP_LOGSUMEXP ? e_max[k] : 1,
                     lane_sum(&tot, k), tot.count[k], op);
    }
}

/* One slice by itself: passes 1 to 3 over its runs, in padded blocks.
 * A slice of one block (a single run of at most LANES: a [1, 10] call)
 * keeps its sums in the partial: flushing it into zeroed totals, and the
 * zeroing, took longer than its exps.  The same bits: see partial_total. */
static void one_slice(const T *x, T *y, T *sign, const lsm_plan *p, size_t at, size_t slice, int op) {
    const lsm_dim *red = p->dims + p->n_outer;
    const int mode = sum_mode(op);
    const int one_block = p->n_red == 0 && p->run <= LANES;
    const T *xs = x + at;
    lsm_cursor rc;
    T m = slice_max(xs, p);
    const int general = !isfinite(m);
    m = shift_of(m, op);

    partial part;
    totals tot;
    if (!one_block) memset(&tot, 0, sizeof tot);
    cursor_reset(&rc, p->n_red);
    const T shift = sum_shift(m, mode);
    do run_expsum_into(xs + rc.offset, op == OP_SOFTMAX ? y + at + rc.offset : 0, p->run, shift, m - shift, &part,
                       one_block ? 0 : &tot, mode, general);
    while (cursor_next(&rc, red, p->n_red));

    double s, c = 0;
    if (one_block) {
        s = partial_total(&part, 0);
        if (op == OP_LOGSUMEXP) c = partial_total(&part, 1);
    } else {
        s = lanes_total(&tot, 0);
        if (op == OP_LOGSUMEXP) c = lanes_total(&tot, 1);
    }
    T *ys = op == OP_LOGSUMEXP ? y + slice : y + at;
    T e_max[VL] = {1};
    if (op == OP_LOGSUMEXP && shift != m) v_store(e_max, v_exp_lo_fast(v_splat(m - shift), v_splat(0), 0));
    slice_finish(xs, ys, sign ? sign + slice : 0, p, m, e_max[0], s, c, op);
}

/* Side by side, w slices cost `run` blocks; one by one, w blocks per block
 * of run (rounded up).  Gathering costs more per block than loading, so a
 * group goes side by side from w >= run / 2, and only runs shorter than two
 * blocks are considered: at 32 to 64 it no longer paid (tests/bench/NOTES.md,
 * "Short rows side by side"). */
static inline int side_by_side_pays(const lsm_plan *p, size_t w) { return 2 * w >= p->run; }

static inline void rows(const T *x, T *y, T *sign, const lsm_plan *p, int op) {
    const lsm_dim *outer = p->dims;
    const int short_runs = p->run < 2 * LANES;
    lsm_cursor oc;
    size_t at[LANES], slice = 0;
    int more;
    cursor_reset(&oc, p->n_outer);
    if (!short_runs) {
        do one_slice(x, y, sign, p, oc.offset, slice++, op);
        while (cursor_next(&oc, outer, p->n_outer));
        return;
    }
    /* Slices LANES at a time, in the outer cursor's order. */
    do {
        size_t w = 0;
        do at[w++] = oc.offset;
        while ((more = cursor_next(&oc, outer, p->n_outer)) && w < LANES);
        if (side_by_side_pays(p, w)) {
            for (size_t k = w; k < LANES; k++) at[k] = at[w - 1];
            short_rows_group(x, y, sign, p, at, w, slice, op);
        } else {
            for (size_t k = 0; k < w; k++) one_slice(x, y, sign, p, at[k], slice + k, op);
        }
        slice += w;
    } while (more);
}

#endif
