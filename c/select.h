/* Selection without sorting, shared by top-k (topk.h) and the sampler's
 * filters (sample.h): the k largest of a slice, and the smallest set of
 * largest terms whose mass reaches a target.  Integer and double
 * arithmetic only, so every build selects the same elements.
 *
 * Ranking is that of torch.topk: NaN above everything (all NaNs equal),
 * then the usual order, -0 equal to +0; ties go to the lower index.  The
 * order is carried by a 64-bit key per element (order_key), so that both
 * element types and NaN share one integer comparison. */
#ifndef LSM_SELECT_H
#define LSM_SELECT_H
#include <stdint.h>
#include <string.h>

/* The jobs' own code (select.h, slice.h, topk.h, xent.h, sample.h) is
 * compiled for size: their time goes to the kernels' passes (run_max,
 * run_expsum) and to simple loops that unrolling hardly speeds up, while
 * -O3's unrolled copies grew every build by 15 KB. */
#define LSM_SMALL __attribute__((minsize))

/* A key whose unsigned order is the ranking above: a double's bits with
 * the sign bit flipped for positives and every bit flipped for negatives
 * (IEEE order as integers), -0 made +0 first, and NaN (either sign) the
 * largest key.  Float32 values convert to double exactly, keeping order. */
static inline uint64_t order_key(double d) {
    if (d != d) return UINT64_MAX;
    if (d == 0) d = 0; /* -0 ties with +0 */
    uint64_t u;
    memcpy(&u, &d, 8);
    return u >> 63 ? ~u : u | (1ull << 63);
}

/* A fixed xorshift step for pivot positions: deterministic (every build
 * and run picks the same pivots), yet no sorted or organ-pipe input lines
 * up with it the way it does with a middle or median-of-three pivot. */
static inline uint32_t pivot_step(uint32_t *s) {
    uint32_t x = *s;
    x ^= x << 13, x ^= x >> 17, x ^= x << 5;
    return *s = x;
}

/* The k-th largest key of key[0..n) (1 <= k <= n), by quickselect with a
 * three-way partition, so that ties (a slice of equal logits) end it at once.
 * Returns the key v; *ties is how many elements equal to v belong to the k
 * largest: those are the first *ties of them in index order, and everything
 * above v belongs.  Expected about 2n comparisons; key[] is permuted. */
static LSM_SMALL uint64_t select_kth(uint64_t *key, size_t n, size_t k, size_t *ties) {
    size_t lo = 0, hi = n;
    uint32_t s = 0x9e3779b9u;
    LSM_AS_WRITTEN
    for (;;) {
        const uint64_t p = key[lo + pivot_step(&s) % (hi - lo)];
        /* [lo, gt) > p, [gt, i) == p, [lt, hi) < p */
        size_t gt = lo, i = lo, lt = hi;
        while (i < lt) {
            uint64_t v = key[i];
            if (v > p) key[i++] = key[gt], key[gt++] = v;
            else if (v < p) key[i] = key[--lt], key[lt] = v;
            else i++;
        }
        const size_t above = gt - lo, equal = lt - gt;
        if (k <= above) hi = gt;
        else if (k <= above + equal) return *ties = k - above, p;
        else k -= above + equal, lo = lt;
    }
}

/* The same by mass: w[0..n) are non-negative weights (the sampler's
 * unnormalised probabilities), and the target `need` > 0.  Finds the
 * smallest set of largest weights, ties to the lower index, whose sum
 * reaches need: returns the smallest weight v in it and sets *ties to how
 * many weights equal to v it holds (every weight above v is in it).  Each
 * partition adds the mass above its pivot in double; a target beyond the
 * whole mass (rounding) keeps everything (v = 0).  w[] is permuted. */
static LSM_SMALL double select_mass(double *w, size_t n, double need, size_t *ties) {
    size_t lo = 0, hi = n;
    uint32_t s = 0x9e3779b9u;
    while (lo < hi) {
        const double p = w[lo + pivot_step(&s) % (hi - lo)];
        size_t gt = lo, i = lo, lt = hi;
        double mass = 0;
        while (i < lt) {
            double v = w[i];
            if (v > p) mass += v, w[i++] = w[gt], w[gt++] = v;
            else if (v < p) w[i] = w[--lt], w[lt] = v;
            else i++;
        }
        const size_t equal = lt - gt;
        if (mass >= need) {
            hi = gt;
        } else if (mass + (double)equal * p >= need) {
            /* The fewest copies of p that close the gap, at least one. */
            double r = ceil((need - mass) / p);
            *ties = r < 1 ? 1 : r > (double)equal ? equal : (size_t)r;
            return p;
        } else {
            need -= mass + (double)equal * p;
            lo = lt;
        }
    }
    *ties = SIZE_MAX;
    return 0;
}

/* Sorts idx[0..k) by (key of x[idx] descending, index ascending), a total
 * order, by heapsort: no memory beyond the k indices, k log k steps. */
static inline int ranks_before(const T *x, int32_t a, int32_t b) {
    uint64_t ka = order_key(x[a]), kb = order_key(x[b]);
    return ka > kb || (ka == kb && a < b);
}
static LSM_SMALL void sift_down(const T *x, int32_t *idx, size_t at, size_t k) {
    LSM_AS_WRITTEN
    for (;;) {
        size_t c = 2 * at + 1;
        if (c >= k) return;
        /* The heap's root is the entry that ranks last: it goes to the end. */
        if (c + 1 < k && ranks_before(x, idx[c], idx[c + 1])) c++;
        if (!ranks_before(x, idx[at], idx[c])) return;
        int32_t t = idx[at];
        idx[at] = idx[c], idx[c] = t, at = c;
    }
}
static LSM_SMALL void sort_ranked(const T *x, int32_t *idx, size_t k) {
    LSM_AS_WRITTEN
    for (size_t i = k / 2; i-- > 0;) sift_down(x, idx, i, k);
    LSM_AS_WRITTEN
    for (size_t end = k; end-- > 1;) {
        int32_t t = idx[0];
        idx[0] = idx[end], idx[end] = t;
        sift_down(x, idx, 0, end);
    }
}
#endif
