/* check_case: one case through both builds, against a long double reference.
 *
 * What is checked, for every case:
 *   - no access outside any buffer (guard pages fault; canaries must hold),
 *     and the input and the plan are left unchanged;
 *   - SIMD == scalar bit for bit (a design property: same lanes, same
 *     rounding order); NaNs compare equal whatever their payload, because
 *     wasm does not define NaN payloads either;
 *   - in place (y == x) gives the same bits as out of place;
 *   - each value is within a stated error bound of the reference, and every
 *     NaN and infinity is where scipy's rules put it (scipy's special-value table: README, Semantics):
 *     the reference follows those rules, and a non-finite reference value
 *     must be matched exactly.
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"

#define FAIL(...) return snprintf(why, why_len, __VA_ARGS__), 1

const char *op_name(int op) {
    static const char *names[] = {"log_softmax", "softmax", "logsumexp", "logsumexp_weighted", "where"};
    return names[op];
}

static size_t elem_size(int dtype) { return dtype == F32 ? 4 : 8; }

static long double get(const void *p, size_t i, int dtype) {
    return dtype == F32 ? ((const float *)p)[i] : ((const double *)p)[i];
}

static void put(void *p, size_t i, int dtype, double v) {
    if (dtype == F32) ((float *)p)[i] = (float)v;
    else ((double *)p)[i] = v;
}

/* The long double value rounded to the dtype, as the kernel must round it. */
static long double round_to(long double v, int dtype) {
    return dtype == F32 ? (long double)(float)v : (long double)(double)v;
}

static int is_nan(long double v) { return v != v; }

size_t case_size(const test_case *c) {
    size_t n = 1;
    for (int d = 0; d < c->ndim; d++) n *= c->shape[d];
    return n;
}

size_t case_slices(const test_case *c) {
    size_t n = 1;
    for (int d = 0; d < c->ndim; d++)
        if (!(c->axes >> d & 1)) n *= c->shape[d];
    return n;
}

/* Offsets sum(index[d] * stride[d]) over the dims in `mask`, all index
 * tuples in C order.  With mask = kept dims these are the slice starts in
 * output order; with mask = reduced dims, the offsets within a slice. */
static size_t offsets(size_t *out, const uint32_t *shape, const size_t *stride, int ndim, unsigned mask) {
    size_t n = 1;
    out[0] = 0;
    for (int d = 0; d < ndim; d++) {
        if (!(mask >> d & 1)) continue;
        for (size_t i = n; i-- > 0;)
            for (uint32_t k = shape[d]; k-- > 0;) out[i * shape[d] + k] = out[i] + k * stride[d];
        n *= shape[d];
    }
    return n;
}

static void strides_of(size_t *stride, const uint32_t *shape, int ndim) {
    size_t s = 1;
    for (int d = ndim; d-- > 0;) stride[d] = shape[d] == 1 ? 0 : s, s *= shape[d];
}

/* ---- reference, one slice at a time, in long double ---- */

typedef struct {
    long double m, lnS; /* max (NaN if any NaN), log of the sum of exp(v - m') */
    long double t_max;  /* largest |v - m'|, for the error bound */
} slice_ref;

static long double slice_max(const long double *v, size_t n) {
    long double m = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        if (is_nan(v[i])) return NAN;
        if (v[i] > m) m = v[i];
    }
    return m;
}

/* log_softmax (scipy: a non-finite max is replaced by 0) and softmax. */
static void ref_elementwise(int op, const long double *v, size_t n, long double *y, slice_ref *r) {
    long double m = slice_max(v, n), s = 0;
    if (op == OP_LOG_SOFTMAX && !isfinite(m) && !is_nan(m)) m = 0;
    r->m = m, r->t_max = 0;
    for (size_t i = 0; i < n; i++) s += expl(v[i] - m);
    r->lnS = logl(s);
    for (size_t i = 0; i < n; i++) {
        long double t = v[i] - m;
        if (isfinite(t) && fabsl(t) > r->t_max) r->t_max = fabsl(t);
        y[i] = op == OP_LOG_SOFTMAX ? t - r->lnS : expl(t) / s;
    }
}

static long double ref_logsumexp(const long double *v, size_t n, slice_ref *r) {
    long double m = slice_max(v, n), s = 0;
    r->m = m, r->t_max = 0, r->lnS = 0;
    if (!isfinite(m)) return m; /* NaN, +inf, or -inf (all -inf) */
    for (size_t i = 0; i < n; i++) s += expl(v[i] - m);
    r->lnS = logl(s);
    return m + r->lnS;
}

/* scipy >= 1.16: entries with b == 0 are masked out, sign reported or NaN.
 * Where the masked (stable) formula is not finite, scipy falls back to the
 * direct log(sum(b * exp(a))) over the unmasked a, with exp in the input's
 * precision, so a masked NaN, or an a whose exp overflows there, gives
 * 0 * inf = NaN ("poisoned").  Returns 0 where the reference
 * cannot decide (see above). */
static int ref_weighted(const long double *a, const long double *b, size_t n, int dtype, int with_sign,
                        long double *value, long double *sign, slice_ref *r) {
    long double m = -INFINITY, s = 0, abs_sum = 0;
    int poisoned = 0;
    for (size_t i = 0; i < n; i++)
        if (b[i] == 0 && (is_nan(a[i]) || isinf(dtype == F32 ? expf((float)a[i]) : exp((double)a[i])))) poisoned = 1;
    for (size_t i = 0; i < n; i++) {
        if (b[i] == 0) continue; /* masked, even if a[i] is inf or NaN, while the result is finite */
        if (is_nan(a[i]) || is_nan(b[i])) return *value = NAN, *sign = NAN, 1;
        if (isinf(b[i])) return 0; /* inf * exp(-inf) is NaN in scipy's arithmetic, not 0 */
        if (a[i] > m) m = a[i];
    }
    r->m = m, r->t_max = 0, r->lnS = 0;
    *sign = NAN; /* not decided unless set below */
    if (!isfinite(m) && poisoned) return *value = NAN, *sign = NAN, 1;
    if (m == -INFINITY) return *value = -INFINITY, 1;
    if (m == INFINITY) {
        /* +inf where every weight is positive; with a negative weight,
         * scipy's float arithmetic may meet inf - inf (NaN) even where the
         * exact sum is +inf, so the reference leaves it open. */
        for (size_t i = 0; i < n; i++)
            if (b[i] != 0 && !(b[i] > 0)) return 0;
        return *value = INFINITY, *sign = 1, 1;
    }
    /* scipy's stable form log1p(s/c) + log|c| + max (c: the weights at the
     * max) is not finite where c == 0 or s/c overflows (a subnormal weight at
     * the max); scipy then takes the direct sum, which a poisoned slice turns
     * into NaN.  s/c overflows in the input's precision, as scipy's and the
     * kernels' float32 steps take it (weighted.h); within a factor 2 of the
     * threshold the roundings of s and c decide, and the case is left open. */
    long double c = 0, rest = 0;
    for (size_t i = 0; i < n; i++) {
        if (b[i] == 0) continue;
        if (a[i] == m) c += b[i];
        else rest += b[i] * expl(a[i] - m);
    }
    const long double top = dtype == F32 ? FLT_MAX : DBL_MAX, q = c == 0 ? INFINITY : fabsl(rest / c);
    if (q > top / 2 && q < top * 2) return 0;
    if (c == 0 || q >= top) return poisoned ? (*value = NAN, *sign = NAN, 1) : 0;
    r->t_max = fabsl(logl(fabsl(c)));
    for (size_t i = 0; i < n; i++) {
        if (b[i] == 0) continue;
        s += b[i] * expl(a[i] - m);
        abs_sum += fabsl(b[i]) * expl(a[i] - m);
    }
    if (!(fabsl(s) >= abs_sum / 2) || !isfinite(abs_sum)) return 0; /* cancels: ill-conditioned */
    /* Past about 2^120 float32 sums of weights may overflow in scipy's float32
     * arithmetic (inf where this sum is finite): left open. */
    if (dtype == F32 && abs_sum * expl(m) > 0x1p120L) return 0;
    r->lnS = logl(fabsl(s));
    *sign = s > 0 ? 1 : -1;
    *value = m + r->lnS;
    if (s < 0 && !with_sign) {
        /* The stable form is NaN for a negative sum; scipy then takes
         * log(sum(b * exp(a))) with each exp in the input's precision:
         * log(-0) = -inf where every term underflows, NaN otherwise. */
        int underflows = 1;
        for (size_t i = 0; i < n; i++) {
            if (dtype == F32 ? (float)b[i] * expf((float)a[i]) != 0 : (double)b[i] * exp((double)a[i]) != 0) underflows = 0;
        }
        *value = underflows ? -INFINITY : NAN;
    }
    return 1;
}

/* ---- error bounds (c/README.md has the kernels' own analysis) ---- */

typedef struct { long double eps, tiny, rel_sum, ref_eps, terms; } bounds;

/* The reference's own precision.  valgrind evaluates long double in double
 * precision, so under valgrind the reference is only as good as double and
 * the bounds must allow for its error (a few ulp64, relative). */
static long double reference_eps(void) {
    volatile long double one = 1, tiny = 0x1p-60L;
    return one + tiny != one ? 0x1p-63L : 0x1p-52L;
}

static bounds bounds_for(int dtype, int op, size_t n) {
    const long double e64 = 0x1p-52L;
    bounds b;
    b.eps = dtype == F32 ? 0x1p-23L : e64;
    b.tiny = dtype == F32 ? FLT_TRUE_MIN : DBL_TRUE_MIN;
    b.ref_eps = reference_eps();
    b.terms = (long double)n;
    /* Relative error of the sum of exps: exp < 1 ulp; float partial sums
     * of <= 4 terms per lane (f32); then a double sum per lane (<= n/lanes
     * terms) and a lane tree.  Weighted sums are double throughout and
     * checked only where they do not cancel (|sum| >= half the sum of
     * magnitudes), which at most doubles the relative error. */
    size_t per_lane = n / (dtype == F32 ? 16 : 8) + 4;
    if (op == OP_WEIGHTED) b.rel_sum = 2 * (n + 4) * e64;
    else b.rel_sum = (dtype == F32 ? 8 * b.eps : b.eps) + per_lane * e64;
    return b;
}

static long double bound_exact(int op, const bounds *b, long double ref, const slice_ref *r);

/* Bound on |got - ref| for one output: the kernel's error plus the reference's. */
static long double bound(int op, const bounds *b, long double ref, const slice_ref *r) {
    long double ref_err = 8 * b->ref_eps * (fabsl(ref) + fabsl(r->m) + r->t_max);
    return ref_err + bound_exact(op, b, ref, r);
}

static long double bound_exact(int op, const bounds *b, long double ref, const slice_ref *r) {
    switch (op) {
    case OP_LOG_SOFTMAX: /* (x - m) - log S: three roundings and the error of S */
        return b->eps * (r->t_max + fabsl(r->lnS) + fabsl(ref)) + b->rel_sum;
    case OP_SOFTMAX: /* exp(x - m) exact-argument (< 1 ulp), sum, one division */
        return fabsl(ref) * (2 * b->eps + b->rel_sum) + b->tiny;
    default: /* m + log S in double, rounded once to the dtype */
        /* Weighted, as scipy computes it: each b * exp(a - max) rounds on the
         * double subnormal grid (absolute error 2^-1075, which matters for
         * subnormal weights: a relative error of terms * 2^-1075 / |S| in S),
         * and log1p(s/c) + log|c| cancels terms as large as |log c|
         * (t_max), costing a few ulp64 of those. */
        return b->rel_sum + 2 * b->eps * (fabsl(ref) + fabsl(r->m)) + b->tiny +
               4 * 0x1p-52L * r->t_max + (b->terms + 2) * 0x1p-1074L / expl(r->lnS);
    }
}

static int value_ok(long double got, long double ref, long double tol, int dtype) {
    if (is_nan(ref)) return is_nan(got);
    return got == round_to(ref, dtype) || fabsl(got - ref) <= tol;
}

/* ---- the case itself ---- */

typedef struct {
    guarded x, b, y, sign, plan;
} buffers;

static size_t out_len(const test_case *c) {
    return c->op == OP_LOG_SOFTMAX || c->op == OP_SOFTMAX ? case_size(c) : case_slices(c);
}

static size_t b_size(const test_case *c) {
    size_t n = 1;
    for (int d = 0; d < c->ndim; d++) n *= c->bshape[d];
    return n;
}

static void fill_input(guarded *g, const double *v, size_t n, int dtype) {
    for (size_t i = 0; i < n; i++) put(g->data, i, dtype, v[i]);
}

static buffers alloc_buffers(const test_case *c, const uint32_t *plan, size_t plan_words) {
    size_t es = elem_size(c->dtype), n = case_size(c), ny = out_len(c);
    /* c->pad counts in 4-byte units so that it means the same for both
     * dtypes; C needs elements aligned to their size (wasm does not). */
    long pad = c->pad < 0 ? -1 : c->pad / 4 * (long)es, other = c->pad < 0 ? 0 : -1;
    buffers B = {0};
    B.x = guard_alloc(n * es, pad);
    fill_input(&B.x, c->x, n, c->dtype);
    if (c->op == OP_WEIGHTED) {
        B.b = guard_alloc(b_size(c) * es, other);
        fill_input(&B.b, c->b, b_size(c), c->dtype);
    }
    B.y = guard_alloc(ny * es, other);
    memset(B.y.data, 0xff, B.y.len); /* a NaN pattern: an unwritten output shows */
    if (c->with_sign) B.sign = guard_alloc(ny * es, pad), memset(B.sign.data, 0xff, B.sign.len);
    B.plan = guard_alloc(plan_words * 4, -1);
    memcpy(B.plan.data, plan, plan_words * 4);
    return B;
}

static void free_buffers(buffers *B) {
    guard_free(&B->x), guard_free(&B->y), guard_free(&B->plan);
    if (B->b.map) guard_free(&B->b);
    if (B->sign.map) guard_free(&B->sign);
}

/* Bitwise equality where any NaN equals any NaN. */
static int same_bits(const void *p, const void *q, size_t n, int dtype, size_t *where) {
    for (size_t i = 0; i < n; i++) {
        long double a = get(p, i, dtype), b = get(q, i, dtype);
        if (is_nan(a) && is_nan(b)) continue;
        if (memcmp((const char *)p + i * elem_size(dtype), (const char *)q + i * elem_size(dtype), elem_size(dtype)))
            return *where = i, 0;
    }
    return 1;
}

/* Runs one build; checks guards, canaries and that read-only inputs held. */
static int run_build(const test_case *c, int simd, int in_place, const uint32_t *plan, size_t plan_words,
                     void **y_out, void **sign_out, char *why, size_t why_len) {
    buffers B = alloc_buffers(c, plan, plan_words);
    void *y = in_place ? B.x.data : B.y.data;
    run_kernel(simd, c->dtype, c->op, B.x.data, B.b.data, y, c->with_sign ? B.sign.data : 0, B.plan.data);
    const char *bad = !guard_intact(&B.x) ? "x" : !guard_intact(&B.y) ? "y" : !guard_intact(&B.plan) ? "plan"
                    : B.b.map && !guard_intact(&B.b) ? "b" : B.sign.map && !guard_intact(&B.sign) ? "sign" : 0;
    int changed = memcmp(B.plan.data, plan, plan_words * 4) != 0;
    size_t es = elem_size(c->dtype), n = case_size(c);
    for (size_t i = 0; !in_place && i < n && !changed; i++) {
        unsigned char want[8];
        put(want, 0, c->dtype, c->x[i]);
        changed = memcmp((char *)B.x.data + i * es, want, es) != 0;
    }
    size_t ny = out_len(c) * es;
    *y_out = malloc(ny), memcpy(*y_out, y, ny);
    if (c->with_sign) *sign_out = malloc(ny), memcpy(*sign_out, B.sign.data, ny);
    free_buffers(&B);
    if (bad) FAIL("%s build%s wrote outside its buffers: canary next to %s broken", simd ? "SIMD" : "scalar",
                  in_place ? " (in place)" : "", bad);
    if (changed) FAIL("%s build changed a read-only input or the plan", simd ? "SIMD" : "scalar");
    return 0;
}

static int check_reference(const test_case *c, const void *y, const void *sign, char *why, size_t why_len) {
    size_t xs[MAXD], bs[MAXD], n = case_size(c), nr = 1;
    uint32_t one[MAXD];
    for (int d = 0; d < c->ndim; d++) one[d] = c->op == OP_WEIGHTED ? c->bshape[d] : c->shape[d];
    strides_of(xs, c->shape, c->ndim);
    strides_of(bs, one, c->ndim);
    for (int d = 0; d < c->ndim; d++) if (c->axes >> d & 1) nr *= c->shape[d];
    size_t ns = n / nr;
    size_t *xbase = malloc(ns * sizeof *xbase), *xoff = malloc(nr * sizeof *xoff);
    size_t *bbase = malloc(ns * sizeof *bbase), *boff = malloc(nr * sizeof *boff);
    long double *va = malloc(nr * sizeof *va), *vb = malloc(nr * sizeof *vb), *ref = malloc(nr * sizeof *ref);
    unsigned kept = ~c->axes & ((1u << c->ndim) - 1);
    offsets(xbase, c->shape, xs, c->ndim, kept), offsets(xoff, c->shape, xs, c->ndim, c->axes);
    offsets(bbase, c->shape, bs, c->ndim, kept), offsets(boff, c->shape, bs, c->ndim, c->axes);
    bounds bd = bounds_for(c->dtype, c->op, nr);
    int fail = 0;

    /* Inputs as the kernel saw them: rounded to the dtype. */
    unsigned char tmp[8];
    for (size_t s = 0; s < ns && !fail; s++) {
        for (size_t r = 0; r < nr; r++) {
            put(tmp, 0, c->dtype, c->x[xbase[s] + xoff[r]]), va[r] = get(tmp, 0, c->dtype);
            if (c->op == OP_WEIGHTED) put(tmp, 0, c->dtype, c->b[bbase[s] + boff[r]]), vb[r] = get(tmp, 0, c->dtype);
        }
        slice_ref sr;
        if (c->op == OP_LOG_SOFTMAX || c->op == OP_SOFTMAX) {
            ref_elementwise(c->op, va, nr, ref, &sr);
            for (size_t r = 0; r < nr && !fail; r++) {
                size_t i = xbase[s] + xoff[r];
                long double got = get(y, i, c->dtype), tol = bound(c->op, &bd, ref[r], &sr);
                if (!value_ok(got, ref[r], tol, c->dtype)) {
                    snprintf(why, why_len, "element %zu: got %.9Lg, reference %.12Lg (bound %.3Lg); x = %.9Lg", i, got,
                             ref[r], tol, va[r]);
                    fail = 1;
                }
            }
            continue;
        }
        long double value, sg = NAN;
        int decided = 1;
        if (c->op == OP_WEIGHTED) decided = ref_weighted(va, vb, nr, c->dtype, c->with_sign, &value, &sg, &sr);
        else value = ref_logsumexp(va, nr, &sr), sg = is_nan(value) ? NAN : value == -INFINITY ? 0 : 1;
        if (!decided) continue;
        long double got = get(y, s, c->dtype), tol = bound(c->op, &bd, value, &sr);
        if (!value_ok(got, value, tol, c->dtype)) {
            snprintf(why, why_len, "slice %zu: got %.9Lg, reference %.12Lg (bound %.3Lg)", s, got, value, tol);
            if (getenv("LSM_DUMP")) /* the slice, for a failing case replayed by hand */
                for (size_t q = 0; q < nr; q++)
                    fprintf(stderr, "  a=%.17Lg b=%.17Lg\n", va[q], c->op == OP_WEIGHTED ? vb[q] : 0.0L);
            fail = 1;
        } else if (sign && !is_nan(sg) && !is_nan(value) && get(sign, s, c->dtype) != sg &&
                   !(c->op == OP_WEIGHTED && value == -INFINITY)) {
            snprintf(why, why_len, "slice %zu: sign %.3Lg, reference %.3Lg", s, get(sign, s, c->dtype), sg);
            fail = 1;
        }
    }
    free(xbase), free(xoff), free(bbase), free(boff), free(va), free(vb), free(ref);
    return fail;
}

int check_case(const test_case *c, char *why, size_t why_len) {
    uint32_t plan[4 + 3 * MAXD];
    size_t words = c->op == OP_WEIGHTED ? plan_weighted(plan, c->shape, c->bshape, c->ndim, c->axes)
                                        : plan_blocks(plan, c->shape, c->ndim, c->axes);
    void *y[3] = {0}, *sign[3] = {0};
    int elementwise = c->op == OP_LOG_SOFTMAX || c->op == OP_SOFTMAX;
    size_t where, ny = out_len(c);
    int fail = run_build(c, 1, 0, plan, words, &y[0], &sign[0], why, why_len) ||
               run_build(c, 0, 0, plan, words, &y[1], &sign[1], why, why_len) ||
               (elementwise && run_build(c, 1, 1, plan, words, &y[2], &sign[2], why, why_len));
    if (!fail && !same_bits(y[0], y[1], ny, c->dtype, &where))
        fail = 1, snprintf(why, why_len, "SIMD and scalar differ at output %zu: %.9Lg vs %.9Lg", where,
                           get(y[0], where, c->dtype), get(y[1], where, c->dtype));
    if (!fail && c->with_sign && !same_bits(sign[0], sign[1], ny, c->dtype, &where))
        fail = 1, snprintf(why, why_len, "SIMD and scalar signs differ at %zu", where);
    if (!fail && elementwise && !same_bits(y[0], y[2], ny, c->dtype, &where))
        fail = 1, snprintf(why, why_len, "in place differs from out of place at %zu", where);
    if (!fail) fail = check_reference(c, y[0], sign[0], why, why_len);
    for (int i = 0; i < 3; i++) free(y[i]), free(sign[i]);
    return fail;
}
