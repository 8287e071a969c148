/* log_softmax, softmax and logsumexp over any set of axes, and weighted
 * logsumexp, for the element type whose vocabulary (vec_f32.h or vec_f64.h)
 * was included before this: the exported kernels (exports.h).
 *
 * Every slice takes three passes:
 *   1. m = max(x)                       (pmax; NaN is caught by pass 2)
 *   2. S = sum(exp(x - m)), as exp(c - m) sum(exp(x - c)) for a shift c that
 *      makes x - c exact (sum_shift); softmax stores the exps on the way
 *   3. log_softmax: y = (x - m) - log S  (not x - (m + log S), which loses
 *                                        the digits of x - m when |m| is large)
 *      softmax:     y = e / S           (rounded once: see ratio_arg)
 *      logsumexp:   one value per slice, see lse_finish.
 * Three passes beat one online pass here: the max pass is cheap and pulls
 * the slice into cache for the exp pass (tests/bench/NOTES.md).
 *
 * scipy's special values fall out of this arithmetic: a NaN anywhere in a
 * slice makes S NaN; log_softmax replaces a non-finite max by 0 (scipy does
 * the same), softmax does not, so inf - inf gives its NaNs.
 *
 *   passes.h    what both layouts share: pass 2's blocks and sums, the
 *               shift, logsumexp's finish
 *   rows.h      rows mode: slices of contiguous runs
 *   columns.h   column mode: neighbouring slices side by side, one per lane
 *   weighted.h  weighted logsumexp (scalar, scipy's steps)
 *   where.h     the mask kernel (x where mask, else a fill value)
 *   stream.h    the streamed path (exports.h's LSM_STREAM): per-block
 *               states of (max, sum), and the write pass from merged ones
 *   topk.h, xent.h, sample.h   the jobs (exports.h's LSM_JOBS): top-k,
 *               cross-entropy, sampling, one slice per contiguous row
 * A plan's layout (blocks.h) chooses rows or column mode. */
#include "exports.h"
#include "rows.h"
#include "columns.h"
#include "weighted.h"
#include "where.h"
#include "stream.h"
#include "topk.h"
#include "xent.h"
#include "sample.h"

static inline void dispatch(const T *x, T *y, T *sign, const lsm_plan *p, int op) {
    if (p->inner == 1)
        rows(x, y, sign, p, op);
    else
        columns(x, y, sign, p, op);
}

/* Declared from the list, so that each definition below must match it. */
LSM_KERNELS(LSM_DECLARE_KERNEL)
LSM_JOBS(LSM_DECLARE_KERNEL)
LSM_STREAM(LSM_DECLARE_KERNEL)

void NAME(lsm_log_softmax)(const T *x, T *y, const lsm_plan *p) { dispatch(x, y, 0, p, OP_LOG_SOFTMAX); }
void NAME(lsm_softmax)(const T *x, T *y, const lsm_plan *p) { dispatch(x, y, 0, p, OP_SOFTMAX); }
void NAME(lsm_logsumexp)(const T *x, T *y, T *sign, const lsm_plan *p) { dispatch(x, y, sign, p, OP_LOGSUMEXP); }
void NAME(lsm_logsumexp_weighted)(const T *a, const T *b, T *y, T *sign, const lsm_wplan *p) {
    weighted(a, b, y, sign, p);
}
void NAME(lsm_where)(T *x, const uint8_t *mask, uint32_t n, T fill) { where(x, mask, n, fill); }

void NAME(lsm_state)(const T *x, double *state, const lsm_plan *p) {
    if (p->inner == 1)
        state_rows(x, 0, state, p);
    else
        state_columns(x, state, p);
}
static inline void state_write(const T *x, T *y, const double *state, const lsm_plan *p, int op) {
    if (p->inner == 1)
        write_rows(x, y, state, p, op);
    else
        write_columns(x, y, state, p, op);
}
void NAME(lsm_state_log_softmax)(const T *x, T *y, const double *state, const lsm_plan *p) {
    state_write(x, y, state, p, OP_LOG_SOFTMAX);
}
void NAME(lsm_state_softmax)(const T *x, T *y, const double *state, const lsm_plan *p) {
    state_write(x, y, state, p, OP_SOFTMAX);
}
void NAME(lsm_state_store)(const T *x, T *e, double *state, const lsm_plan *p) { store_rows(x, e, state, p); }
void NAME(lsm_state_rescale)(T *y, const double *q, const lsm_plan *p) { rescale_rows(y, q, p); }
void NAME(lsm_state_logsumexp)(const double *state, T *y, T *sign, uint32_t n) { lse_states(state, y, sign, n); }

void NAME(lsm_topk)(const T *x, int32_t *index, T *value, uint64_t *keys, uint32_t rows, uint32_t n, uint32_t k,
                    uint32_t mode) {
    topk(x, index, value, keys, rows, n, k, mode);
}
void NAME(lsm_cross_entropy)(const T *x, const int32_t *target, const double *prob, const double *weight, double *loss,
                             T *grad, T *work, uint32_t rows, uint32_t n, int32_t ignore, double smoothing,
                             double scale) {
    xent(x, target, prob, weight, loss, grad, work, rows, n, ignore, smoothing, scale);
}
void NAME(lsm_sample)(const T *x, int32_t *index, T *logp, const double *u, T *work, void *scratch, uint32_t rows,
                      uint32_t n, double temperature, uint32_t top_k, double top_p, double min_p) {
    const sample_filters f = {temperature, top_p, min_p, top_k};
    sample(x, index, logp, u, work, scratch, rows, n, &f);
}
