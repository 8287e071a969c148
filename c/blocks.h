/* Block plans: how a reduction over any set of axes is laid out in memory.
 *
 * The JS planner (js/plan.js) drops size-1 axes and merges neighbouring axes
 * that are both kept or both reduced.  What remains, in C order, ends in one
 * contiguous group, which decides the loop shape of every kernel:
 *
 *   rows mode   (inner == 1): the last group is reduced; each slice is a set
 *               of contiguous runs of `run` elements, one run per position of
 *               the other reduced dims.  axis=-1, axis=None, adjacent tuples.
 *   column mode (run == 1):   the last group is kept; `inner` neighbouring
 *               slices are processed together, one SIMD lane per slice, so a
 *               strided axis is vectorised without a transposing copy.
 *
 * Element (o, r, j) of the input is at  outer_offset(o) + red_offset(r) + j.
 * Output slices of logsumexp are numbered o * inner + j, which is C order.
 *
 * Plan words (uint32): inner, run, n_outer, n_red,
 *                      then (size, stride) for each outer and reduced dim.
 */
#ifndef LSM_BLOCKS_H
#define LSM_BLOCKS_H

#include <stddef.h>
#include <stdint.h>

#define LSM_MAX_DIMS 64
#define LSM_INLINE inline __attribute__((always_inline))

typedef struct { uint32_t size, stride; } lsm_dim;

typedef struct {
    uint32_t inner, run, n_outer, n_red;
    lsm_dim dims[]; /* n_outer outer dims, then n_red reduced dims */
} lsm_plan;

/* Weighted logsumexp broadcasts `a` and `b` independently, so each dim
 * carries a stride per operand (0 where that operand is broadcast). */
typedef struct { uint32_t size, stride_a, stride_b; } lsm_wdim;

typedef struct {
    uint32_t n_outer, n_red;
    lsm_wdim dims[];
} lsm_wplan;

/* An odometer over a list of dims, last dim fastest; it tracks the element
 * offset so that no index arithmetic is done per position. */
typedef struct {
    size_t offset;
    uint32_t index[LSM_MAX_DIMS];
} lsm_cursor;

static inline void cursor_reset(lsm_cursor *c, uint32_t nd) {
    c->offset = 0;
    for (uint32_t k = 0; k < nd; k++) c->index[k] = 0;
}

/* Advances to the next position; returns 0 after the last one (and wraps). */
static inline int cursor_next(lsm_cursor *c, const lsm_dim *d, uint32_t nd) {
    for (uint32_t k = nd; k-- > 0;) {
        c->offset += d[k].stride;
        if (++c->index[k] < d[k].size) return 1;
        c->offset -= (size_t)d[k].stride * d[k].size;
        c->index[k] = 0;
    }
    return 0;
}

/* The same over a weighted plan's dims, which move two operands: a's offset
 * is the cursor's, b's is *offset_b (0 at the cursor's reset).  b's offset
 * is the caller's variable rather than a field of the cursor, so that the
 * walks of one operand stay as lean as they are: a field that they never
 * read would still be stored at every reset, and would move their stack
 * frames. */
static inline int cursor_next_ab(lsm_cursor *c, size_t *offset_b, const lsm_wdim *d, uint32_t nd) {
    for (uint32_t k = nd; k-- > 0;) {
        c->offset += d[k].stride_a;
        *offset_b += d[k].stride_b;
        if (++c->index[k] < d[k].size) return 1;
        c->offset -= (size_t)d[k].stride_a * d[k].size;
        *offset_b -= (size_t)d[k].stride_b * d[k].size;
        c->index[k] = 0;
    }
    return 0;
}

#endif
