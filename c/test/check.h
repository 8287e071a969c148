/* Native test support for the C kernels: a tiny planner (the rules of
 * js/plan.js), guarded buffers, a long double reference, and check_case(),
 * which runs one case through both builds and checks everything.  Used by
 * the harness (harness.c) and the libFuzzer target (fuzz.c). */
#ifndef LSM_TEST_CHECK_H
#define LSM_TEST_CHECK_H
#include <stddef.h>
#include <stdint.h>
#include "../blocks.h"

#define MAXD 8 /* the tests use rank <= 8; the kernels allow LSM_MAX_DIMS */

enum { F32, F64 };
enum { OP_LOG_SOFTMAX, OP_SOFTMAX, OP_LOGSUMEXP, OP_WEIGHTED, OP_WHERE };

/* OP_WHERE's own arguments, passed to run_kernel as its plan; the kernel
 * rewrites y[0..n) in place (x and b are unused). */
typedef struct {
    const uint8_t *mask;
    uint32_t n;
    double fill; /* rounded to the dtype */
} where_args;

typedef struct {
    int dtype, op;
    int with_sign;                 /* logsumexp: also ask for the sign */
    int ndim;
    uint32_t shape[MAXD];
    uint32_t bshape[MAXD];         /* OP_WEIGHTED: each dim 1 (broadcast) or shape[d] */
    unsigned axes;                 /* bit d set: dim d is reduced */
    const double *x, *b;           /* values, rounded to dtype when copied in */
    long pad;                      /* >= 0: x starts pad bytes (f32; twice that for f64)
                                      after its left guard page; < 0: x ends at its right
                                      guard page.  y sits against the other guard. */
} test_case;

/* Runs `c` through the SIMD and the scalar build (and in place, for the
 * element-wise ops).  Returns 0 if all is well, else 1 with the reason in
 * `why`. */
int check_case(const test_case *c, char *why, size_t why_len);

/* Kernels, by build (simd = 1: through SIMDe), dtype and op; see dispatch.c.
 * check_case covers the ops before OP_WHERE; test/convert.c tests OP_WHERE. */
void run_kernel(int simd, int dtype, int op, const void *x, const void *b, void *y, void *sign, const void *plan);

/* Plans, as js/plan.js builds them; `words` needs 4 + 3 * ndim entries. */
size_t plan_blocks(uint32_t *words, const uint32_t *shape, int ndim, unsigned axes);
size_t plan_weighted(uint32_t *words, const uint32_t *shape, const uint32_t *bshape, int ndim, unsigned axes);

/* Buffers with an inaccessible page on each side; every byte of the
 * accessible pages that is not data holds a canary.  pad >= 0 puts the data
 * pad bytes after the left guard page, pad < 0 flush against the right one,
 * so a one-element overrun on either side faults or breaks a canary. */
typedef struct {
    unsigned char *map, *data;
    size_t map_len, len;
} guarded;
guarded guard_alloc(size_t len, long pad);
int guard_intact(const guarded *g);
void guard_free(guarded *g);

size_t case_size(const test_case *c);   /* elements of x */
size_t case_slices(const test_case *c); /* elements of a logsumexp result */
const char *op_name(int op);
#endif
