/* One draw per contiguous row from softmax(x / temperature), filtered in
 * transformers.js's order: temperature, top-k, top-p, min-p.  No sort of
 * the row: each filter is a threshold found by selection (select.h).
 *
 *   z = x / temperature, rounded to T (as dividing a Float32Array does);
 *   e_j = exp(z_j - m), softmax's numerators, m = max z;
 *   top-k: e_j = 0 outside the k largest z (ties to the lower index);
 *   top-p: e_j = 0 outside the smallest set, in descending e (ties to the
 *     lower index), whose mass reaches p times the kept mass (select_mass:
 *     a quickselect that weighs each partition);
 *   min-p: e_j = 0 where e_j < min_p max(e): p_j >= min_p p_max, as the
 *     normalisation cancels;
 *   the draw: the kept j, in index order, where the running sum of the
 *     kept e passes u * sum(e) (u in [0, 1) from JS), the sum taken by
 *     blocks (below); a rounding that leaves none takes the last kept j.
 * logp is log(e_j / sum e) = (z_j - m) - log(sum e), in double, rounded
 * once: the chosen token's log-probability under the filtered, renormalised
 * distribution it was drawn from.
 *
 * The passes.  top-k with k <= FILTER_MAX keeps the k largest z by
 * largest_k (one compare per vector, mostly); only those k are exped (by
 * exp_one, which rounds as pass 2 does), in index order, and filtered and
 * drawn from as a row of k.  Otherwise pass 2 stores e and its sum S (the
 * top-p mass without top-k), and a larger top-k zeroes e below its
 * threshold on z.  Then the kept set is every e >= hi, plus those of the
 * candidates lo <= e < hi that top-p's selection and min-p keep, and one
 * pass (row_pass) sums each block of DRAW_B kept e >= hi and lists the
 * candidates:
 *   - no top-p: lo = hi = min-p's floor (0 without min-p), no candidates;
 *   - top-p: [lo, hi) is a window of a few bins (eight to the octave)
 *     around guesses from a sample of the row (guess_window), so that top-p
 *     costs one light pass over e beyond pass 2, a sample of 4096 and work
 *     on the window's candidates.  With A the mass of the e >= hi, the
 *     candidates must supply p M - A: select_mass finds the threshold
 *     among them (narrowed first to the bin where their mass from the top
 *     reaches it).  A wrong window only costs passes: if
 *     A alone reaches p M, the threshold lies above it, and the next window
 *     is [hi, inf); if the candidates fall short, it lies below, and the
 *     next is [eps, hi), then [0, hi).  eps = (1 - p) M / 2n: the e below
 *     it weigh less than (1 - p) M / 2 together, so the e above reach p M.
 *     The selection is exact: every e that could be the threshold, or tie
 *     with it, is a candidate, and all above the window are kept.
 *   - min-p: the floor is min_p times the max's e, exp(0) = 1, which top-k
 *     and top-p always keep.  Candidates below it are dropped; a floor
 *     above the window takes one more pass, lo = hi = floor.
 * Dropped candidates are zeroed in e, so the draw keeps e > 0 with e >= lo.
 *
 * Every build draws the same index from the same e: each sum is taken in
 * one fixed order, the same in every build.  A block's sum adds each lane's
 * terms (pass 2's lanes: element i in lane i mod LANES) in index order,
 * then the lanes pairwise as lanes_total does, then the sum of its kept
 * candidates (in index order); the total adds the block sums in order,
 * and so does the draw, which finds the block where their running sum
 * passes u * total and then scans that block's elements alone.  The rest is
 * integer arithmetic, compares, and select_mass's double sums.
 *
 * temperature 0 is argmax in topK's ranking (NaN first), logp 0.  A row
 * where softmax is undefined (a NaN, an infinite max, all -inf) also gives
 * that argmax, with logp NaN.  work holds 2n + 16 T (z, e), scratch
 * 16(n + 1) + HIST_BYTES bytes. */
#ifndef LSM_SAMPLE_H
#define LSM_SAMPLE_H
#include "slice.h"
#include "topk.h"

typedef struct {
    double temperature, top_p, min_p;
    size_t top_k; /* 0: no top-k */
} sample_filters;

/* Elements per block sum: the draw reads at most one block element by element. */
#define DRAW_B (16 * LANES)
/* Bins of top-p's histograms (bin_reaching): 1024 doubles. */
#define MASS_BINS 1024

/* Bit k set where lane k of a block's vectors lies in [lo, hi). */
#if LSM_SIMD
#if VL == 4
#define V_BITS(c) (uint32_t)wasm_i32x4_bitmask(c)
#define V_GE wasm_f32x4_ge
#define V_LT wasm_f32x4_lt
#else
#define V_BITS(c) (uint32_t)wasm_i64x2_bitmask(c)
#define V_GE wasm_f64x2_ge
#define V_LT wasm_f64x2_lt
#endif
static inline uint32_t lanes_in(const V *ev, T lo, T hi) {
    const V l = v_splat(lo), h = v_splat(hi);
    uint32_t bits = 0;
    for (int u = 0; u < NV; u++) bits |= V_BITS(wasm_v128_and(V_GE(ev[u], l), V_LT(ev[u], h))) << (u * VL);
    return bits;
}
#else
static inline uint32_t lanes_in(const V *ev, T lo, T hi) {
    uint32_t bits = 0;
    for (int u = 0; u < NV; u++) bits |= (uint32_t)(ev[u] >= lo && ev[u] < hi) << u;
    return bits;
}
#endif

/* b[0] + b[1] + ... in index order. */
static LSM_SMALL double sum_in_order(const double *b, size_t n) {
    double s = 0;
    LSM_AS_WRITTEN
    for (size_t i = 0; i < n; i++) s += b[i];
    return s;
}

/* The value whose order key (select.h) is k: not NaN here. */
static inline T key_value(uint64_t k) {
    k = k >> 63 ? k & ~(1ull << 63) : ~k;
    double d;
    memcpy(&d, &k, 8);
    return (T)d;
}

/* The least T >= d (0 <= d <= 1), so that e >= it exactly when e >= d. */
static inline T at_least(double d) {
    T t = (T)d;
    if (t < d) { /* float only: one step up */
        float f = (float)t;
        uint32_t b;
        memcpy(&b, &f, 4);
        b++;
        memcpy(&f, &b, 4);
        t = f;
    }
    return t;
}

/* top-k by its threshold zv on z and its ties: e_j = 0 unless z_j > zv or
 * z_j is one of the first `ties` equal to zv.  z holds no NaN (the row is
 * defined), so float compares rank as order_key does (-0 == +0). */
static LSM_SMALL void keep_top_k(const T *z, T *e, size_t n, T zv, size_t ties) {
    LSM_AS_WRITTEN
    for (size_t j = 0; j < n; j++) {
        if (z[j] == zv && ties > 0) ties--;
        else if (z[j] <= zv) e[j] = 0;
    }
}

/* e's bin in the top-p histogram, eight per octave, monotone in e for
 * +0 <= e <= 1 (the exp's results; a positive float's bits order as its
 * values): float's exponent and 3 mantissa bits (bins 0..1016 hold [0, 1]);
 * double's, everything below 1.25 * 2^-128 in bin 0. */
#define DOUBLE_BIN0 ((0x3ffu << 3) - (MASS_BINS - 1))
static inline uint32_t mass_bin(T e) {
    uint32_t b;
    if (sizeof(T) == 4) {
        float f = (float)e;
        memcpy(&b, &f, 4);
        b >>= 20;
    } else {
        double d = e;
        uint64_t u;
        memcpy(&u, &d, 8);
        b = (uint32_t)(u >> 49);
        b = b < DOUBLE_BIN0 ? 0 : b - DOUBLE_BIN0;
    }
    return b < MASS_BINS ? b : MASS_BINS - 1;
}
/* The least value of bin b (b <= MASS_BINS): bin b is [bin_floor(b), bin_floor(b + 1)). */
static inline T bin_floor(uint32_t b) {
    if (sizeof(T) == 4) {
        uint32_t u = b << 20;
        float f;
        memcpy(&f, &u, 4);
        return (T)f;
    }
    uint64_t u = (uint64_t)(b + DOUBLE_BIN0) << 49;
    double d;
    memcpy(&d, &u, 8);
    return b == 0 ? 0 : (T)d;
}

/* One pass over e[0..n) (e >= 0) in blocks of DRAW_B: bs[b] = the sum of
 * block b's e >= hi, as lane partials (pass 2's lanes) combined pairwise.
 * The indices of the e in [lo, hi) go to idx, in index order; returns how
 * many.  e[n..n + LANES) must hold -1, below both bounds: the last vectors
 * read it as padding. */
static LSM_HOT size_t row_pass(const T *e, size_t n, T lo, T hi, double *bs, uint32_t *idx) {
    const int listing = lo < hi;
    size_t c = 0;
    LSM_AS_WRITTEN
    for (size_t i = 0; i < n; bs++) {
        const size_t end = n - i > DRAW_B ? i + DRAW_B : n;
        W w[NV];
        for (int u = 0; u < NV; u++) w[u] = w_zero();
        LSM_AS_WRITTEN
        for (; i < end; i += LANES) {
            V ev[NV];
            for (int u = 0; u < NV; u++) ev[u] = v_load(e + i + u * VL);
            for (int u = 0; u < NV; u++) w[u] = w_add(w[u], v_keep_or(ev[u], v_not_below(ev[u], hi), 0));
            if (listing) {
                LSM_AS_WRITTEN
                for (uint32_t b = lanes_in(ev, lo, hi); b; b &= b - 1)
                    idx[c++] = (uint32_t)(i + (size_t)__builtin_ctz(b));
            }
        }
        *bs = w_total(w);
    }
    return c;
}

/* The mass of v[0..c) by bin, into h. */
static LSM_SMALL void mass_hist(const double *v, size_t c, double *h) {
    memset(h, 0, MASS_BINS * sizeof(double));
    LSM_AS_WRITTEN
    for (size_t i = 0; i < c; i++) h[mass_bin((T)v[i])] += v[i];
}

/* The bin of h in which the mass from the top reaches *need, and *need
 * becomes what that bin must supply; -1 if the whole mass falls short. */
static LSM_SMALL int bin_reaching(const double *h, double *need) {
    double above = 0;
    LSM_AS_WRITTEN
    for (int b = MASS_BINS; b-- > 0;) {
        if (above + h[b] >= *need) {
            *need -= above;
            return b;
        }
        above += h[b];
    }
    return -1;
}

/* A guess at the window [*lo, *hi) that holds top-p's threshold, from every
 * s-th e (s = n / SAMPLE_N): the bins where the sample's mass from the top
 * reaches its share of need, WIN bins either side.  Part of a sample of
 * sum ms stands for s times itself, and the row's mass beyond that, top,
 * is taken to lie above the sample: the share is need less top, as a
 * fraction of mass less top, of that part, plus the sample's mass outside
 * it.  Three guesses, and the window spans them: the whole sample; the
 * same with two standard deviations of noise, s sqrt(sum e^2), allowed for
 * (as if the elements were drawn at random); and the sample without its 8
 * largest, which stand for themselves alone where they are among the
 * row's largest.  A threshold among the few largest is finer than a
 * sample resolves: the window reaches down to the sample's 8th largest at
 * least (about 8s elements of the row lie above it).  A wrong guess costs
 * another pass, never the result (filter_draw). */
#define SAMPLE_N 4096
#define WIN 3 /* bins either side */
static LSM_SMALL void guess_window(const T *e, size_t n, double mass, double need, double *vals, double *h, T *lo,
                                   T *hi) {
    const size_t s = n / SAMPLE_N;
    size_t c = 0;
    double ms = 0, sq = 0, big[8] = {0};
    LSM_AS_WRITTEN
    for (size_t i = 0; i < n; i += s) {
        double v = e[i];
        vals[c++] = v, ms += v, sq += v * v;
        LSM_AS_WRITTEN
        for (int j = 0; j < 8 && v > big[7]; j++)
            if (v > big[j]) {
                const double t = big[j];
                big[j] = v, v = t;
            }
    }
    mass_hist(vals, c, h);
    double top8 = 0;
    LSM_AS_WRITTEN
    for (int j = 0; j < 8; j++) top8 += big[j];
    int b0 = MASS_BINS, b1 = -1;
    LSM_AS_WRITTEN
    for (int k = 0; k < 3; k++) {
        /* The part of the sample that stands for s times itself, and the
         * margin for noise. */
        const double part = k == 2 ? ms - top8 : ms, noise = k == 1 ? 2 * sqrt(sq) : 0;
        double top = mass - (double)s * (part + noise);
        top = top > 0 ? top : 0;
        double share = (mass > top ? (need - top) / (mass - top) * part : 0) + (ms - part);
        const int b = bin_reaching(h, &share);
        b0 = b < b0 ? b : b0, b1 = b > b1 ? b : b1;
    }
    const T l = b0 < WIN ? 0 : bin_floor((uint32_t)b0 - WIN);
    *lo = l < big[7] ? l : (T)big[7];
    *hi = b1 + WIN + 1 > MASS_BINS ? INFINITY : bin_floor((uint32_t)b1 + WIN + 1);
}

/* top-p over the candidates e[idx[i]], the e in the window [lo, hi), where
 * need is what they must supply beyond the e >= hi (all kept): keeps the
 * fewest largest whose mass reaches it (ties to the lower index) that
 * min-p's floor allows, adds them to their blocks' sums, and zeroes the
 * others.  Many candidates are first narrowed to the bin where their mass
 * from the top reaches need (those above it are all kept).  Returns 0; or,
 * changing nothing, 1 if the e >= hi reach need alone (the threshold lies
 * above the window), -1 if the candidates fall short (it lies below; but
 * where lo = 0 nothing lies below, and by rounding all are kept). */
static LSM_SMALL int keep_candidates(T *e, double *bs, const uint32_t *idx, double *vals, size_t c, double need,
                                     double floor, T lo, double *h) {
    size_t ties = SIZE_MAX, k = c;
    double v = 0;
    if (need <= 0) return 1;
    LSM_AS_WRITTEN
    for (size_t i = 0; i < c; i++) vals[i] = e[idx[i]];
    int b = -2; /* no histogram */
    if (c >= HIST_MIN) {
        mass_hist(vals, c, h);
        b = bin_reaching(h, &need);
        k = 0;
        LSM_AS_WRITTEN
        for (size_t i = 0; i < c; i++) {
            const double x = vals[i];
            vals[k] = x, k += mass_bin((T)x) == (uint32_t)b;
        }
    }
    if (b != -1) v = select_mass(vals, k, need, &ties);
    /* A target beyond the mass: within the bin (rounding), the whole bin is
     * kept; else the candidates fall short, unless they reach down to 0. */
    if (b >= 0 && ties == SIZE_MAX) v = bin_floor((uint32_t)b);
    else if (ties == SIZE_MAX && lo > 0) return -1;
    /* Without branches on keep, which is as good as random near v; each
     * block's kept candidates summed in index order, then into its sum. */
    double acc = 0;
    size_t blk = c > 0 ? idx[0] / DRAW_B : 0;
    LSM_AS_WRITTEN
    for (size_t i = 0; i < c; i++) {
        const size_t j = idx[i];
        const T x = e[j];
        int keep = x > v;
        if (x == v && ties > 0) ties--, keep = 1;
        keep &= x >= floor;
        if (j / DRAW_B != blk) bs[blk] += acc, acc = 0, blk = j / DRAW_B;
        acc += keep ? x : 0;
        e[j] = keep ? x : 0;
    }
    if (c > 0) bs[blk] += acc;
    return 0;
}

/* The draw over kept e (e > 0, e >= lo, dropped candidates zeroed): the
 * block where the running sum of block sums passes u * total, then the
 * first element there where it does (or the block's last kept one, if
 * rounding leaves none); the last kept element if no block passes. */
static LSM_SMALL size_t draw_blocks(const T *e, size_t n, const double *bs, double total, double u, T lo) {
    const double target = u * total;
    double run = 0;
    size_t b = 0, last = 0;
    LSM_AS_WRITTEN
    for (; b * DRAW_B < n; b++) {
        if (bs[b] > 0) last = b;
        if (run + bs[b] > target) break;
        run += bs[b];
    }
    if (b * DRAW_B >= n) b = last, run = -INFINITY;
    const size_t end = n - b * DRAW_B > DRAW_B ? (b + 1) * DRAW_B : n;
    size_t pick = b * DRAW_B;
    LSM_AS_WRITTEN
    for (size_t j = pick; j < end; j++) {
        if (e[j] > 0 && e[j] >= lo) {
            run += e[j], pick = j;
            if (run > target) break;
        }
    }
    return pick;
}

/* top-p and min-p on e[0..n) (top-k applied, mass its sum or NaN), then the
 * draw; e has room for LANES more.  Returns the index; *total the kept mass. */
static LSM_SMALL size_t filter_draw(T *e, size_t n, T m, double mass, void *scratch, const sample_filters *f, double u,
                                    double *total) {
    const size_t nb = (n + DRAW_B - 1) / DRAW_B;
    double *hist = scratch, *bs = hist + MASS_BINS, *vals = bs + nb, floor = 0;
    uint32_t *idx = (uint32_t *)(vals + n);
    T lo = 0, hi = 0, fl = 0;
    LSM_AS_WRITTEN
    for (size_t j = 0; j < LANES; j++) e[n + j] = -1;
    if (mass != mass) {
        row_pass(e, n, 0, 0, bs, 0);
        mass = sum_in_order(bs, nb);
    }
    if (f->min_p > 0) {
        /* The largest kept e is the max's, exp(0) = 1: top-k and top-p keep it. */
        floor = f->min_p * exp_one(m, m);
        lo = hi = fl = at_least(floor);
    }
    if (f->top_p < 1) {
        /* The window from a guess; if the threshold lies above it, every
         * e >= its top; below, e >= eps (where it must lie), then all. */
        const double need = f->top_p * mass;
        const T eps = (T)((1 - f->top_p) * mass / (double)n * 0.5);
        lo = 0, hi = INFINITY;
        if (n >= HIST_MIN) guess_window(e, n, mass, need, vals, hist, &lo, &hi);
        LSM_AS_WRITTEN
        for (;;) {
            const size_t c = row_pass(e, n, lo, hi, bs, idx);
            const int r = keep_candidates(e, bs, idx, vals, c, need - sum_in_order(bs, nb), floor, lo, hist);
            if (r == 0) break;
            if (r > 0) lo = hi, hi = INFINITY;
            else lo = lo > eps ? eps : 0;
        }
        /* min-p's floor above the window: the e >= hi below it go too. */
        if (fl >= hi) lo = hi = fl, row_pass(e, n, lo, hi, bs, idx);
    } else {
        row_pass(e, n, lo, hi, bs, idx);
    }
    *total = sum_in_order(bs, nb);
    return draw_blocks(e, n, bs, *total, u, lo);
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
    const size_t k = f->top_k < n ? f->top_k : 0;
    /* The compact path's k indices lie where the histogram would: with
     * k <= FILTER_MAX < HIST_MIN, filter_draw takes none. */
    _Static_assert(FILTER_MAX * (sizeof(rank_t) + 4) <= MASS_BINS * sizeof(double), "keys and indices fit");
    rank_t *key = scratch;
    int32_t *kept = (int32_t *)(key + FILTER_MAX);
    size_t len = n;
    double mass = NAN, total;
    /* largest_k fails on a NaN: such rows take the path that finds them undefined. */
    if (isfinite(m) && k > 0 && k <= FILTER_MAX && largest_k(zs, key, n, k)) {
        topk_order(key, kept, k, 0);
        LSM_AS_WRITTEN
        for (size_t i = 0; i < k; i++) e[i] = exp_one(zs[kept[i]], m);
        len = k;
    } else {
        const double S = row_exps(zs, e, n, m);
        if (!isfinite(m) || S != S) {
            *index = (int32_t)row_argmax(zs, n), *logp = NAN;
            return;
        }
        if (k > 0) {
            /* Here k > FILTER_MAX, or largest_k ran over its budget. */
            size_t ties;
            const uint64_t v = kth_exact(zs, n, k, scratch, &ties);
            keep_top_k(zs, e, n, key_value(v), ties);
        } else {
            mass = S;
        }
    }
    size_t pick = filter_draw(e, len, m, mass, scratch, f, u, &total);
    if (len < n) pick = (size_t)kept[pick];
    *index = (int32_t)pick;
    *logp = (T)(((double)zs[pick] - m) - log(total));
}

static LSM_SMALL void sample(const T *x, int32_t *index, T *logp, const double *u, T *work, void *scratch, size_t rows,
                             size_t n, const sample_filters *f) {
    LSM_AS_WRITTEN
    for (size_t r = 0; r < rows; r++, x += n)
        sample_row(x, index + r, logp + r, u ? u[r] : 0, work, scratch, n, f);
}
#endif
