/* One draw per contiguous row from softmax(x / temperature), filtered in
 * transformers.js's order: temperature, top-k, top-p, min-p.  No sort of
 * the row: each filter is a threshold found by selection (select.h).
 *
 *   z = x / temperature, rounded to T (as dividing a Float32Array does);
 *   e_j = exp(z_j - m), softmax's numerators (row_exps), m = max z;
 *   top-k: e_j = 0 outside the k largest z (ties to the lower index), by
 *     select_kth's threshold: one pass for keys, ~2n comparisons, one pass;
 *   top-p: e_j = 0 outside the smallest set, in descending e (ties to the
 *     lower index), whose mass reaches p times the kept mass, by
 *     select_mass's threshold: quickselect that weighs each partition, so
 *     about 2n steps, not a sort of n;
 *   min-p: e_j = 0 where e_j < min_p max(e): p_j >= min_p p_max, as the
 *     normalisation cancels;
 *   the draw: the first j, in index order, where the running sum of the
 *     kept e_j exceeds u * sum(e) (u in [0, 1) from JS); a rounding that
 *     leaves none takes the last kept j.
 * logp is log(e_j / sum e) = (z_j - m) - log(sum e), in double, rounded
 * once: the chosen token's log-probability under the filtered, renormalised
 * distribution it was drawn from.  Every step is integer, double, or the
 * kernels' own exp, so every build draws the same index.
 *
 * temperature 0 is argmax in topK's ranking (NaN first), logp 0.  A row
 * where softmax is undefined (a NaN, an infinite max, all -inf) also gives
 * that argmax, with logp NaN.  work holds 2n T (z, e), scratch 8n +
 * HIST_BYTES bytes. */
#ifndef LSM_SAMPLE_H
#define LSM_SAMPLE_H
#include "slice.h"

typedef struct {
    double temperature, top_p, min_p;
    size_t top_k; /* 0: no top-k */
} sample_filters;

/* Keeps the top-k of z in e (the rest set to 0). */
static LSM_SMALL void keep_top_k(const T *z, T *e, void *scratch, size_t n, size_t k) {
    size_t ties;
    const uint64_t v = kth_key(z, n, k, scratch, &ties);
    LSM_AS_WRITTEN
    for (size_t j = 0; j < n; j++) {
        const uint64_t kj = order_key(z[j]);
        if (kj == v && ties > 0) ties--;
        else if (kj <= v) e[j] = 0;
    }
}

/* Keeps the smallest set of largest e whose mass reaches p times the total. */
static LSM_SMALL void keep_top_p(T *e, void *scratch, size_t n, double p) {
    size_t ties;
    double mass = 0;
    LSM_AS_WRITTEN
    for (size_t j = 0; j < n; j++) mass += e[j];
    const double v = mass_threshold(e, n, p * mass, scratch, &ties);
    LSM_AS_WRITTEN
    for (size_t j = 0; j < n; j++) {
        if ((double)e[j] == v && ties > 0) ties--;
        else if ((double)e[j] <= v) e[j] = 0;
    }
}

static LSM_SMALL void keep_min_p(T *e, size_t n, double min_p) {
    T top = 0;
    LSM_AS_WRITTEN
    for (size_t j = 0; j < n; j++) top = top < e[j] ? e[j] : top;
    const double floor = min_p * top;
    LSM_AS_WRITTEN
    for (size_t j = 0; j < n; j++)
        if (e[j] < floor) e[j] = 0;
}

static LSM_SMALL void sample_row(const T *x, int32_t *index, T *logp, double u, T *work, void *scratch, size_t n,
                       const sample_filters *f) {
    if (f->temperature == 0) {
        *index = (int32_t)row_argmax(x, n), *logp = 0;
        return;
    }
    T *z = work, *e = work + n;
    const T *zs = x;
    if (f->temperature != 1) {
        LSM_AS_WRITTEN
        for (size_t j = 0; j < n; j++) z[j] = (T)((double)x[j] / f->temperature);
        zs = z;
    }
    const T m = row_max(zs, n);
    const double S = row_exps(zs, e, n, m);
    if (!isfinite(m) || S != S) {
        *index = (int32_t)row_argmax(zs, n), *logp = NAN;
        return;
    }
    if (f->top_k > 0 && f->top_k < n) keep_top_k(zs, e, scratch, n, f->top_k);
    if (f->top_p < 1) keep_top_p(e, scratch, n, f->top_p);
    if (f->min_p > 0) keep_min_p(e, n, f->min_p);
    double total = 0;
    LSM_AS_WRITTEN
    for (size_t j = 0; j < n; j++) total += e[j];
    const double target = u * total;
    double run = 0;
    size_t pick = n, last = 0;
    LSM_AS_WRITTEN
    for (size_t j = 0; j < n; j++) {
        if (e[j] > 0) {
            run += e[j], last = j;
            if (run > target) {
                pick = j;
                break;
            }
        }
    }
    if (pick == n) pick = last;
    *index = (int32_t)pick;
    *logp = (T)(((double)zs[pick] - m) - log(total));
}

static LSM_SMALL void sample(const T *x, int32_t *index, T *logp, const double *u, T *work, void *scratch, size_t rows, size_t n,
                   const sample_filters *f) {
    LSM_AS_WRITTEN
    for (size_t r = 0; r < rows; r++, x += n)
        sample_row(x, index + r, logp + r, u ? u[r] : 0, work, scratch, n, f);
}
#endif
