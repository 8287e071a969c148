/* top-k along contiguous rows: the k largest entries of each row of n, by
 * selection (select.h: a threshold filter for k <= FILTER_MAX, else
 * quickselect), then a sort of the k alone.  Values are the entries
 * themselves (bit for bit), or their softmax or log_softmax over the whole
 * row (not renormalised over the k).
 *
 * mode = of | sorted << 2, of one of TOPK_OF_*.  Sorted: descending, ties
 * (and NaNs) by lower index; unsorted: the same k in ascending index order.
 * scratch holds 8n + HIST_BYTES bytes, and 16n for float64 (the sort's k
 * rank keys of 16 bytes). */
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
    if (k < n) v = kth_exact(x, n, k, scratch, &ties);
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

/* Orders idx[0..k) from its rank keys in key[0..k) (sorted: by rank;
 * else by index), by heapsort: integer compares, no memory beyond the keys. */
static LSM_SMALL void topk_order(rank_t *key, int32_t *idx, size_t k, int sorted) {
    /* By index: the complemented index alone, whose descending order is ascending index. */
    if (!sorted) {
        LSM_AS_WRITTEN
        for (size_t j = 0; j < k; j++) key[j] = (uint32_t)key[j];
    }
    rank_heapify(key, k);
    /* The min-heap's root to the end, each time: descending. */
    LSM_AS_WRITTEN
    for (size_t end = k; end-- > 1;) {
        rank_t t = key[0];
        key[0] = key[end], key[end] = t;
        rank_down(key, 0, end);
    }
    LSM_AS_WRITTEN
    for (size_t j = 0; j < k; j++) idx[j] = (int32_t)rank_index(key[j]);
}

/* Each row: the filter's k (k <= FILTER_MAX, no NaN), ordered; or the
 * exact path's, in index order, with rank keys made for sorting. */
static LSM_SMALL void topk(const T *x, int32_t *index, T *value, void *scratch, size_t rows, size_t n, size_t k, uint32_t mode) {
    rank_t *key = scratch;
    const int sorted = (int)(mode >> 2);
    LSM_AS_WRITTEN
    for (size_t r = 0; r < rows; r++, x += n, index += k, value += k) {
        if (k <= FILTER_MAX && k < n && largest_k(x, key, n, k)) {
            topk_order(key, index, k, sorted);
        } else {
            topk_indices(x, index, scratch, n, k);
            if (sorted) {
                LSM_AS_WRITTEN
                for (size_t j = 0; j < k; j++) key[j] = rank_key(x[index[j]], (size_t)index[j]);
                topk_order(key, index, k, 1);
            }
        }
        topk_values(x, index, value, n, k, (int)(mode & 3));
    }
}
#endif
