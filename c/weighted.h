/* Weighted logsumexp, log(sum(b * exp(a))), scalar.
 *
 * Weights broadcast, so a and b each have their own strides, and weighted
 * calls are rare enough that clarity beats SIMD here.  The steps are
 * scipy's (>= 1.16), term for term (weighted_eval):
 *   - entries with b == 0 are masked out (as if a were -inf);
 *   - max = the largest unmasked a (NaN if any unmasked a is NaN);
 *   - m = sum of b * [a == max] over every entry (so an infinite or NaN b
 *     off the max makes m NaN: inf * 0), s = sum of b * exp(a - max) over
 *     the unmasked entries below the max;
 *   - value = log1p(s/m) + log|m| + max, sign = sign(s/m + 1) * sign(m),
 *     where s/m < -1 is folded as -s/m - 2 so that log1p sees a positive
 *     number; a negative sign makes the value NaN unless signs are asked for;
 *   - where that value is not finite (NaN included), log(sum(b * exp(a)))
 *     over all entries, masked or not (so 0 * exp(inf) gives NaN): a
 *     negative weighted sum whose terms underflow gives log(-0) = -inf.
 *
 * Which of inf, -inf, NaN or a finite number comes out depends on the
 * precision those steps run in: float32 terms underflow and overflow where
 * double ones do not (a = [0, 0, -50], b = [1, -1, 1e-30] is -inf in float32,
 * -119.08 in double).  So float32 slices run the steps twice: in float32,
 * which decides the special values and the sign exactly as scipy does; and,
 * where that gives a finite number, in double, whose more accurate value is
 * returned unless double arithmetic changed the sign or found no finite
 * value.  Sums are taken in index order; numpy may add in another order, which
 * can only matter where a sum cancels to within its rounding. */
#ifndef LSM_WEIGHTED_H
#define LSM_WEIGHTED_H
#include <math.h>
#include "blocks.h"
#include "wide.h"

static double sign_of(double v) { return v > 0 ? 1 : v < 0 ? -1 : v == 0 ? 0 : NAN; }

/* The working precision of weighted_eval: float arithmetic is double
 * arithmetic rounded to float after each +, -, * and /, exactly (double
 * carries more than 2 * 24 + 2 bits, so the second rounding never differs
 * from a direct one); exp and the logs are double's, rounded to float (within
 * an ulp of any float libm's, and they underflow and overflow at the same
 * points). */
static inline double w_round(double v, int single) { return single ? (double)(float)v : v; }
static inline double w_exp(double v, int single) { return w_round(exp(v), single); }
static inline double w_log(double v, int single) { return w_round(log(v), single); }
static inline double w_log1p(double v, int single) { return w_round(log1p(v), single); }

/* sum += v in the working precision: in float, rounded as scipy's float32
 * sum rounds; in double, compensated as the kernels' totals are (wide.h), so
 * that a long slice sums as accurately as a short one (read it as sum + comp). */
static inline void w_accumulate(double *sum, double *comp, double v, int single) {
    if (single)
        *sum = w_round(*sum + v, 1);
    else
        wide_add1(sum, comp, v);
}

/* scipy's steps (see above) for the slice at a, b whose unmasked maximum is
 * max, in float (single) or double arithmetic; the sign goes to *sign. */
static __attribute__((noinline)) double weighted_eval(const T *a, const T *b, const lsm_wplan *p, double max,
                                                      int with_sign, int single, double *sign) {
    const lsm_wdim *red = p->dims + p->n_outer;
    lsm_cursor rc;
    size_t rb = 0; /* b's offset (cursor_next_ab) */
    double r = NAN, sg = NAN;
    cursor_reset(&rc, p->n_red);
    if (isfinite(max)) {
        double m = 0, s = 0, mc = 0, sc = 0;
        do {
            const double ai = a[rc.offset], bi = b[rb];
            const int at_max = bi != 0 && ai == max;
            w_accumulate(&m, &mc, bi * at_max, single); /* bi * at_max is exact: a product with 0 or 1 */
            /* exp(-inf) = 0 for the max and masked entries */
            double e = bi != 0 && !at_max ? w_exp(w_round(ai - max, single), single) : 0;
            w_accumulate(&s, &sc, w_round(bi * e, single), single);
        } while (cursor_next_ab(&rc, &rb, red, p->n_red));
        m += mc, s += sc;
        s = s == 0 ? s : w_round(s / m, single);
        sg = sign_of(w_round(s + 1, single)) * sign_of(m);
        if (s < -1) s = w_round(-s - 2, single);
        r = w_round(w_round(w_log1p(s, single) + w_log(fabs(m), single), single) + max, single);
        if (!with_sign && sg < 0) r = NAN;
    }
    if (!isfinite(r)) {
        double naive = 0, nc = 0;
        do w_accumulate(&naive, &nc, w_round((double)b[rb] * w_exp(a[rc.offset], single), single), single);
        while (cursor_next_ab(&rc, &rb, red, p->n_red));
        naive += nc;
        sg = sign_of(naive);
        r = w_log(with_sign ? fabs(naive) : naive, single);
    }
    *sign = sg;
    return r;
}

/* Each slice: its unmasked max, then weighted_eval, twice for float32 (see
 * above); weighted_eval is out of line, so the two share one copy of it. */
static inline void weighted(const T *a, const T *b, T *y, T *sign, const lsm_wplan *p) {
    const lsm_wdim *outer = p->dims, *red = p->dims + p->n_outer;
    const int single = sizeof(T) == sizeof(float);
    lsm_cursor oc, rc;
    size_t ob = 0, rb = 0, slice = 0; /* b's offsets (cursor_next_ab) */
    cursor_reset(&oc, p->n_outer);
    cursor_reset(&rc, p->n_red);
    do {
        const T *as = a + oc.offset, *bs = b + ob;
        double max = -INFINITY;
        int nan = 0;
        do {
            const double ai = as[rc.offset];
            if (bs[rb] == 0) continue;
            nan |= ai != ai;
            max = ai > max ? ai : max;
        } while (cursor_next_ab(&rc, &rb, red, p->n_red));
        if (nan) max = NAN;

        double sg, r = weighted_eval(as, bs, p, max, sign != 0, single, &sg);
        if (single && isfinite(r)) {
            double sg2, r2 = weighted_eval(as, bs, p, max, sign != 0, 0, &sg2);
            if (isfinite(r2) && sg2 == sg) r = r2;
        }
        y[slice] = (T)r;
        if (sign) sign[slice] = (T)sg;
        slice++;
    } while (cursor_next_ab(&oc, &ob, outer, p->n_outer));
}

#endif
