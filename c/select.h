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

/* The k-th largest key of x[0..n) (1 <= k < n), and *ties, as select_kth,
 * exactly: the histogram pass for long rows, then quickselect. */
static LSM_HOT uint64_t kth_exact(const T *x, size_t n, size_t k, void *scratch, size_t *ties) {
    size_t above = 0, c = 0;
    uint64_t *cand = scratch;
    if (n >= HIST_MIN) {
        uint32_t *count = (uint32_t *)((char *)scratch + 8 * n), b = HIST_BINS;
        memset(count, 0, HIST_BINS * 4);
        LSM_AS_WRITTEN
        for (size_t i = 0; i < n; i++) count[hist_bin(x[i])]++;
        while (above + count[--b] < k) above += count[b];
        LSM_AS_WRITTEN
        for (size_t i = 0; i < n; i++)
            if (hist_bin(x[i]) == b) cand[c++] = order_key(x[i]);
    } else {
        LSM_AS_WRITTEN
        for (size_t i = 0; i < n; i++) cand[c++] = order_key(x[i]);
    }
    return select_kth(cand, c, k - above, ties);
}

/* Small k: a threshold filter.  A min-heap holds the k best (value, index)
 * pairs of the prefix scanned so far, as rank keys: the order key of the
 * value above the complement of the index, so that every key is distinct
 * and a larger key ranks first (ties to the lower index).  Its root, of
 * value tau, is the prefix's k-th.  An element at a later index i enters
 * only if x[i] > tau: one equal to tau ranks below all k held (each is above
 * tau, or equal at a lower index), so it cannot displace any.  Past the
 * first few hundred elements most blocks of a row hold nothing above tau,
 * and cost one compare per vector.  The test is !(x <= tau), which NaN also
 * passes: a NaN (ranked above everything) sends the row to kth_exact.  The
 * heap ends as exactly the k largest, so every build selects the same.
 *
 * Its worst case is an ascending row, where every element enters: a heap
 * step of log k each.  A row whose entries pass 4k + n/16 (a random order
 * has about k ln(n/k)) goes to kth_exact instead, which bounds the waste to
 * a fraction of that path's own cost. */
#define FILTER_MAX 256

/* The order key's top 32 bits for float32 (with the same NaN, -0 and
 * order), all 64 for double, above 32 bits of index. */
typedef __typeof__(_Generic((T)0, float: (uint64_t)0, default: (unsigned __int128)0)) rank_t;
static inline uint32_t order_key32(float f) {
    uint32_t u;
    if (f != f) return UINT32_MAX;
    if (f == 0) f = 0;
    memcpy(&u, &f, 4);
    return u >> 31 ? ~u : u | 0x80000000u;
}
static inline rank_t rank_key(T v, size_t i) {
    return (rank_t)_Generic(v, float: order_key32, default: order_key)(v) << 32 | (uint32_t)~i;
}
static inline size_t rank_index(rank_t key) { return (uint32_t)~(uint32_t)key; }

/* Restores the min-heap of key[0..n) below `at`. */
static inline void rank_down(rank_t *key, size_t at, size_t n) {
    const rank_t v = key[at];
    LSM_AS_WRITTEN
    for (size_t c; (c = 2 * at + 1) < n; at = c) {
        if (c + 1 < n && key[c + 1] < key[c]) c++;
        if (v <= key[c]) break;
        key[at] = key[c];
    }
    key[at] = v;
}

/* Makes key[0..n) a min-heap. */
static LSM_SMALL void rank_heapify(rank_t *key, size_t n) {
    LSM_AS_WRITTEN
    for (size_t h = n / 2; h-- > 0;) rank_down(key, h, n);
}

/* The lanes of x[0..4 VL) not <= tau (above it, or NaN), as bits. */
#if LSM_SIMD
static inline uint32_t block_above(const T *x, T t) {
#if VL == 4
#define V_NOT_LE(u) wasm_i32x4_bitmask(wasm_f32x4_le(v_load(x + u * VL), tau))
#else
#define V_NOT_LE(u) wasm_i64x2_bitmask(wasm_f64x2_le(v_load(x + u * VL), tau))
#endif
    const V tau = v_splat(t);
    return ~(V_NOT_LE(0) | V_NOT_LE(1) << VL | V_NOT_LE(2) << 2 * VL | V_NOT_LE(3) << 3 * VL) & ((1u << 4 * VL) - 1);
#undef V_NOT_LE
}
#endif

/* The k largest of x[0..n) (k < n) as rank keys in key[0..k), a min-heap;
 * 0 (key[] clobbered) where the row holds a NaN or passes the budget. */
static LSM_HOT int largest_k(const T *x, rank_t *key, size_t n, size_t k) {
    size_t budget = 4 * k + n / 16;
    LSM_AS_WRITTEN
    for (size_t i = 0; i < k; i++) {
        if (x[i] != x[i]) return 0;
        key[i] = rank_key(x[i], i);
    }
    rank_heapify(key, k);
    T tau = x[rank_index(key[0])];
    /* Blocks of 4 VL: the lanes not <= tau as a mask (in the SIMD builds,
     * one compare per vector), then those lanes in index order, each against
     * tau as it rises. */
    LSM_AS_WRITTEN
    for (size_t i = k; i < n; i += 4 * VL) {
        uint32_t m = 0;
#if LSM_SIMD
        if (i + 4 * VL <= n) m = block_above(x + i, tau);
        else
#endif
        {
            LSM_AS_WRITTEN
            for (size_t j = i; j < n && j < i + 4 * VL; j++) m |= (uint32_t)!(x[j] <= tau) << (j - i);
        }
        LSM_AS_WRITTEN
        for (; m; m &= m - 1) {
            const size_t j = i + (size_t)__builtin_ctz(m);
            if (x[j] <= tau) continue;
            if (x[j] != x[j] || budget-- == 0) return 0;
            key[0] = rank_key(x[j], j), rank_down(key, 0, k), tau = x[rank_index(key[0])];
        }
    }
    return 1;
}

#endif
