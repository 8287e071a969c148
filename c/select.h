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

/* The jobs' code is compiled for size, out of line (at -O3 it added 20 KB
 * to every build), except the loops that carry a row's time (LSM_HOT). */
#define LSM_SMALL __attribute__((minsize, noinline))
#define LSM_HOT __attribute__((noinline))

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

/* Restores the min-heap of keys below `at` (n keys). */
static inline void heap_down(uint64_t *key, size_t at, size_t n) {
    for (;;) {
        size_t c = 2 * at + 1;
        if (c >= n) return;
        if (c + 1 < n && key[c + 1] < key[c]) c++;
        if (key[at] <= key[c]) return;
        uint64_t t = key[at];
        key[at] = key[c], key[c] = t, at = c;
    }
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

/* Thresholds over a whole row, the callers' entry points.  Scratch: 8n
 * bytes plus HIST_BYTES. */
#define HIST_BINS 4096
#define HIST_BYTES (HIST_BINS * 8)
/* Rows from this long take a histogram pass first: a quickselect's
 * partitions branch unpredictably (about 2n mispredictions), while a
 * histogram of 4096 bins costs one predictable pass and leaves one bin's
 * elements to select among. */
#define HIST_MIN 4096
/* k up to this takes a heap of k keys instead: a pass whose compare with
 * the heap's root almost never succeeds past the first few hundred. */
#define HEAP_MAX 64

/* A bin of the histogram, monotone in the ranking: the top 12 bits of the
 * float32 order key of v (sign, exponent, 3 mantissa bits).  Rounding v to
 * float32 can merge neighbours into one bin but never reorders them. */
static inline uint32_t hist_bin(double v) {
    float f = (float)v;
    uint32_t u;
    if (f != f) return HIST_BINS - 1;
    if (f == 0) f = 0;
    memcpy(&u, &f, 4);
    return (u >> 31 ? ~u : u | 0x80000000u) >> 20;
}

/* The k-th largest key of x[0..n) (1 <= k < n), and *ties, as select_kth. */
static LSM_HOT uint64_t kth_key(const T *x, size_t n, size_t k, void *scratch, size_t *ties) {
    uint64_t *key = scratch;
    if (k <= HEAP_MAX) {
        /* A min-heap of the k largest keys seen so far: its root is the k-th. */
        size_t i = 0;
        for (; i < k; i++) key[i] = order_key(x[i]);
        for (size_t h = k / 2; h-- > 0;) heap_down(key, h, k);
        for (; i < n; i++) {
            const uint64_t ki = order_key(x[i]);
            if (ki > key[0]) key[0] = ki, heap_down(key, 0, k);
        }
        size_t t = 0;
        for (size_t h = 0; h < k; h++) t += key[h] == key[0];
        *ties = t;
        return key[0];
    }
    size_t above = 0, c = 0;
    uint64_t *cand = key;
    if (n >= HIST_MIN) {
        uint32_t *count = (uint32_t *)((char *)scratch + 8 * n), b = HIST_BINS;
        memset(count, 0, HIST_BINS * 4);
        for (size_t i = 0; i < n; i++) count[hist_bin(x[i])]++;
        while (above + count[--b] < k) above += count[b];
        for (size_t i = 0; i < n; i++)
            if (hist_bin(x[i]) == b) cand[c++] = order_key(x[i]);
    } else {
        for (size_t i = 0; i < n; i++) cand[c++] = order_key(x[i]);
    }
    return select_kth(cand, c, k - above, ties);
}

/* The top-p threshold of e[0..n) (>= 0), as select_mass, for need > 0. */
static LSM_HOT double mass_threshold(const T *e, size_t n, double need, void *scratch, size_t *ties) {
    double *cand = scratch, above = 0;
    size_t c = 0;
    if (n >= HIST_MIN) {
        double *mass = (double *)((char *)scratch + 8 * n);
        uint32_t b = HIST_BINS;
        memset(mass, 0, HIST_BYTES);
        for (size_t i = 0; i < n; i++) mass[hist_bin(e[i])] += e[i];
        for (;;) {
            if (b == 0) return *ties = SIZE_MAX, 0; /* rounding: the target is beyond the whole mass */
            if (above + mass[--b] >= need) break;
            above += mass[b];
        }
        for (size_t i = 0; i < n; i++)
            if (e[i] > 0 && hist_bin(e[i]) == b) cand[c++] = e[i];
    } else {
        for (size_t i = 0; i < n; i++)
            if (e[i] > 0) cand[c++] = e[i];
    }
    return select_mass(cand, c, need - above, ties);
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
