/* Cross-entropy along contiguous rows, torch.nn.functional.cross_entropy's
 * semantics, with its gradient.  Each row's loss is
 *
 *     L = sum_j c_j (lse - x_j),   lse - x_j = (m - x_j) + log S,
 *
 * for coefficients c_j from the target: class indices give
 * c_j = (1 - eps) w_t [j = t] + (eps / n) w_j (label smoothing eps, class
 * weights w, 1 without), probabilities p give c_j = w_j ((1 - eps) p_j +
 * eps / n).  With C = sum_j c_j, dL/dx_j = C softmax_j - c_j.
 *
 * Numerics: lse - x_j is never log(softmax): m - x_j is exact in double
 * for float32 (rounded once for float64), and log S comes from softmax's
 * sum of exps (TwoSum remainders fed in), whose relative error is at most
 * 1.701u (S - 1)/S + 2^-46, so log S is off by at most about 1.7u log S:
 * the loss keeps its relative accuracy even near 0.  Each term is >= 0
 * (m >= x_j, S >= 1), so the double sum does not cancel.  A term with
 * c_j = 0 adds 0 (0 log 0 = 0: a masked -inf logit with zero weight or
 * probability costs nothing), but a NaN anywhere in the row gives NaN.
 *
 * grad_j = scale (C (e_j / S) - c_j) in double, rounded once, where e_j is
 * softmax's numerator: the softmax factor is within softmax's bound
 * (3.40u relative), so |error| <= scale C s_j 3.41u + half an ulp of the
 * result; subtracting c_j adds no error of its own.  scale is 1, or 1 / the
 * mean's denominator.  Rows whose target is `ignore` get loss 0 and a zero
 * gradient.  loss is double per row; JS rounds what it returns. */
#ifndef LSM_XENT_H
#define LSM_XENT_H
#include "slice.h"

typedef struct {
    const int32_t *target; /* class indices, one per row, or null */
    const double *prob;    /* or probabilities, n per row */
    const double *weight;  /* n class weights, or null (all 1) */
    double eps;            /* label smoothing */
    size_t n;
} xent_terms;

/* c_j for row r (t its target index, if any). */
static inline double xent_coef(const xent_terms *a, const double *prob, int32_t t, size_t j) {
    const double w = a->weight ? a->weight[j] : 1;
    if (!a->target) return w * ((1 - a->eps) * prob[j] + a->eps / (double)a->n);
    double c = a->eps == 0 ? 0 : a->eps / (double)a->n * w;
    return (int32_t)j == t ? c + (1 - a->eps) * w : c;
}

static LSM_SMALL void xent(const T *x, const int32_t *target, const double *prob, const double *weight, double *loss, T *grad,
                 T *work, size_t rows, size_t n, int32_t ignore, double eps, double scale) {
    const xent_terms a = {target, prob, weight, eps, n};
    LSM_AS_WRITTEN
    for (size_t r = 0; r < rows; r++, x += n, grad = grad ? grad + n : 0, prob = prob ? prob + n : 0) {
        const int32_t t = target ? target[r] : -1;
        if (target && t == ignore) {
            loss[r] = 0;
            if (grad) memset(grad, 0, n * sizeof(T));
            continue;
        }
        const T m = row_max(x, n);
        T *e = grad ? grad : work;
        const double S = row_exps(x, e, n, m), log_s = log(S);
        double C = 0, L = 0;
        if (target && eps == 0) {
            /* One term: the usual case costs no pass beyond the sum. */
            C = weight ? weight[t] : 1;
            if (C != 0) L = C * (((double)m - x[t]) + log_s);
        } else {
            LSM_AS_WRITTEN
            for (size_t j = 0; j < n; j++) {
                const double c = xent_coef(&a, prob, t, j);
                if (c != 0) C += c, L += c * (((double)m - x[j]) + log_s);
            }
        }
        loss[r] = S == S ? L : NAN;
        if (grad) {
            const double q = 1 / S;
            if (target && eps == 0) {
                /* c_j = 0 but at t: scale C / S folded into one factor (a
                 * rounding of 2^-53 more, nothing next to the exp's). */
                const double f = scale * (C * q), et = e[t];
                LSM_AS_WRITTEN
                for (size_t j = 0; j < n; j++) grad[j] = (T)((double)e[j] * f);
                grad[t] = (T)(scale * (C * ((double)et * q) - C));
            } else {
                LSM_AS_WRITTEN
                for (size_t j = 0; j < n; j++)
                    grad[j] = (T)(scale * (C * ((double)e[j] * q) - xent_coef(&a, prob, t, j)));
            }
        }
    }
}
#endif
