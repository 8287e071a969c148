/* One entry point for all the kernels (2 builds x 2 dtypes x 5 ops), so
 * the checks are written once instead of per type.  The kernels, their
 * parameter lists and their order come from exports.h's list, so a kernel
 * added there is declared and called here as it is (a new shape of
 * parameter list needs its ARGS_ line); `op` is its place in the list. */
#include "check.h"
#include "../exports.h"

#define COUNT(op, symbol, shape) +1
_Static_assert(0 LSM_KERNELS(COUNT) == OP_WHERE + 1, "check.h's OP_ values number exports.h's kernels");

/* run_kernel's arguments, as each shape of parameter list takes them. */
#define ARGS_ELEMENTWISE (x, y, plan)
#define ARGS_REDUCE (x, y, sign, plan)
#define ARGS_WEIGHTED (x, b, y, sign, plan)
#define WHERE_ARG(field) (((const where_args *)plan)->field)
#define ARGS_WHERE (y, WHERE_ARG(mask), WHERE_ARG(n), (T)WHERE_ARG(fill))

/* The symbol of a kernel in the build VARIANT (variant.h's prefix) for the
 * element type SUFFIX, both read where this expands; the second macro
 * expands them before they are pasted. */
#define SYMBOL(symbol) SYMBOL_(VARIANT, symbol, SUFFIX)
#define SYMBOL_(v, symbol, s) PASTE(v, symbol, s)
#define PASTE(v, symbol, s) v##_##symbol##_##s

#define DECLARE(op_, symbol, shape) void SYMBOL(symbol) LSM_PARAMS_##shape(T);
#define CALL(op_, symbol, shape)     \
    if (op == k++) {                 \
        SYMBOL(symbol) ARGS_##shape; \
        return;                      \
    }
/* The kernels of one build and element type, and a function that calls the
 * op-th of them. */
#define BUILD(run)                                                                      \
    LSM_KERNELS(DECLARE)                                                                \
    static void run(int op, const T *x, const T *b, T *y, T *sign, const void *plan) { \
        int k = 0;                                                                      \
        LSM_KERNELS(CALL)                                                               \
    }

#define T float
#define SUFFIX f32
#define VARIANT simd
BUILD(run_simd_f32)
#undef VARIANT
#define VARIANT scalar
BUILD(run_scalar_f32)
#undef T
#undef SUFFIX
#define T double
#define SUFFIX f64
BUILD(run_scalar_f64)
#undef VARIANT
#define VARIANT simd
BUILD(run_simd_f64)

void run_kernel(int simd, int dtype, int op, const void *x, const void *b, void *y, void *sign, const void *plan) {
    if (simd && dtype == F32) run_simd_f32(op, x, b, y, sign, plan);
    else if (simd) run_simd_f64(op, x, b, y, sign, plan);
    else if (dtype == F32) run_scalar_f32(op, x, b, y, sign, plan);
    else run_scalar_f64(op, x, b, y, sign, plan);
}
