/* top-k along contiguous rows: the k largest entries of each row of n, by
 * selection (select.h), then a sort of the k alone.  Values are the
 * entries themselves (bit for bit), or their softmax or log_softmax over
 * the whole row (not renormalised over the k).
 *
 * mode = of | sorted << 2, of one of TOPK_OF_*.  Sorted: descending, ties
 * (and NaNs) by lower index; unsorted: the same k in ascending index order.
 * keys holds 8n + HIST_BYTES bytes of scratch (unused when k == n). */
#ifndef LSM_TOPK_H
#define LSM_TOPK_H
#include "select.h"
#include "slice.h"

enum { TOPK_OF_X, TOPK_OF_SOFTMAX, TOPK_OF_LOG_SOFTMAX };

/* The indices of the k largest, in index order: everything above the k-th
 * largest key v, and the first `ties` entries equal to it. */
static LSM_SMALL void topk_indices(const T *x, int32_t *idx, void *scratch, size_t n, size_t k) {
    uint64_t v = 0; /* below every key: with k == n all are taken */
    size_t ties = 0;
    if (k < n) v = kth_key(x, n, k, scratch, &ties);
    LSM_AS_WRITTEN
    for (size_t i = 0, c = 0; c < k; i++) {
        uint64_t ki = order_key(x[i]);
        int take = ki > v;
        if (ki == v && ties > 0) take = 1, ties--;
        if (take) idx[c++] = (int32_t)i;
    }
}

/* The values of the chosen entries.  log_softmax: (x - mp) - log S in T,
 * log_softmax's own two roundings.  softmax: exp(x - m) (the remainder of
 * x - m fed in) times 1/S in double, rounded once: with S from log_softmax's
 * exact-shift sum, 0.5 + 2^24 (1.701u + 1.451u + 2^-46) <= 3.66 ulp of a
 * normal result, inside softmax's 4.  A non-finite max gives softmax's NaNs
 * (inf - inf, or a row of -inf); NaN in the row makes S NaN. */
static LSM_SMALL void topk_values(const T *x, const int32_t *idx, T *val, size_t n, size_t k, int of) {
    if (of == TOPK_OF_X) {
        LSM_AS_WRITTEN
        for (size_t j = 0; j < k; j++) val[j] = x[idx[j]];
        return;
    }
    const T m = row_max(x, n);
    T mp;
    double S;
    const double log_s = row_log_sum(x, n, m, &mp, &S);
    if (of == TOPK_OF_LOG_SOFTMAX) {
        const T ls = (T)log_s;
        LSM_AS_WRITTEN
        for (size_t j = 0; j < k; j++) val[j] = (x[idx[j]] - mp) - ls;
    } else {
        const double q = isfinite(m) ? 1 / S : NAN;
        LSM_AS_WRITTEN
        for (size_t j = 0; j < k; j++) val[j] = (T)((double)exp_one(x[idx[j]], m) * q);
    }
}

static LSM_SMALL void topk(const T *x, int32_t *index, T *value, uint64_t *keys, size_t rows, size_t n, size_t k, uint32_t mode) {
    LSM_AS_WRITTEN
    for (size_t r = 0; r < rows; r++, x += n, index += k, value += k) {
        topk_indices(x, index, keys, n, k);
        if (mode >> 2) sort_ranked(x, index, k);
        topk_values(x, index, value, n, k, (int)(mode & 3));
    }
}
#endif
