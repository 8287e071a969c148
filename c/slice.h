/* One contiguous row's max and sums of exps for the jobs (topk.h, xent.h,
 * sample.h), by the kernels' own passes (rows.h's run_max and run_expsum),
 * so that the jobs inherit the bounds of c/README.md. */
#ifndef LSM_SLICE_H
#define LSM_SLICE_H
#include "rows.h"
#include "select.h"

/* run_expsum, out of line: the jobs' three call sites share one copy of
 * pass 2 (inlined at each, they added 6 KB to every build). */
static __attribute__((noinline)) double row_expsum(const T *x, T *e, size_t n, T c, T at_max, int mode, int general) {
    totals tot = {0};
    run_expsum(x, e, n, c, at_max, &tot, mode, general);
    return lanes_total(&tot, 0);
}

/* run_max from -inf, out of line for the same reason. */
static __attribute__((noinline)) T row_max(const T *x, size_t n) { return run_max(x, n, -INFINITY); }

/* log S of a row as log_softmax takes it: the max mp after shift_of (a
 * non-finite max becomes 0), and exps at sum_shift's exact x - c, so log S
 * has log_softmax's error (c/README.md, sections 2-3).  Returns log S in
 * double, relative to mp; *S_m is S relative to the true max m (softmax's
 * denominator: exp(c - m) rescales, in double, which adds 2^-52). */
static LSM_SMALL double row_log_sum(const T *x, size_t n, T m, T *mp, double *S_m) {
    const T shifted = shift_of(m, OP_LOG_SOFTMAX), c = sum_shift(shifted, SUM_ONLY);
    const double s = row_expsum(x, 0, n, c, shifted - c, SUM_ONLY, !isfinite(m));
    *mp = shifted;
    *S_m = s * exp((double)c - shifted);
    return log(s) + ((double)c - shifted);
}

/* softmax's numerators exp(x - m) into e[0..n) (e may be x), with the
 * TwoSum remainder of x - m fed into each exp; returns their sum S (as
 * softmax's pass 2: relative error <= 1.701u (S - 1)/S + 2^-46 in float32). */
static LSM_SMALL double row_exps(const T *x, T *e, size_t n, T m) {
    return row_expsum(x, e, n, m, 0, SUM_STORE, !isfinite(m));
}

/* softmax's exp(x - m) of one element, the same vector exp on a splat, so
 * every build rounds it alike. */
static LSM_SMALL __attribute__((noinline)) T exp_one(T x, T m) {
    V lo, t = v_diff_exact(v_splat(x), v_splat(m), &lo);
    T out[VL];
    v_store(out, v_exp_lo(t, lo, 1));
    return out[0];
}

/* The first index of the row's top entry in topK's ranking (NaN first). */
static LSM_SMALL size_t row_argmax(const T *x, size_t n) {
    size_t best = 0;
    uint64_t kb = order_key(x[0]);
    LSM_AS_WRITTEN
    for (size_t i = 1; i < n; i++) {
        uint64_t ki = order_key(x[i]);
        if (ki > kb) kb = ki, best = i;
    }
    return best;
}
#endif
