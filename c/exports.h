/* The module's exports, listed once.  Everything else that names them is
 * derived from these lists: build.sh's export lists and js/exports.js (by
 * running this header through the preprocessor), the declarations that the
 * definitions in kernels.h and memory.c must match, and the native test
 * harness's calls (c/test/dispatch.c).  tests/exports.test.js checks each
 * wasm build against them.
 *
 * LSM_KERNELS(K) expands K(op, symbol, shape) for each kernel:
 *   op      its key in js/exports.js's KERNELS: the JS API's name for it;
 *   symbol  its C name, which each element type suffixes: symbol_f32,
 *           symbol_f64 (NAME() in vec_f32.h, vec_f64.h);
 *   shape   its parameter list, LSM_PARAMS_<shape>(element type) below.
 * The order is the native harness's (the OP_ values of c/test/check.h).
 *
 * y may be x itself (in place) for the ELEMENTWISE kernels; no other
 * overlap of inputs and outputs is allowed, since the passes read x again
 * after writing y.  REDUCE and WEIGHTED write one value per slice to y and,
 * unless `sign` is null, its sign to sign.  WHERE works in place on x[0..n):
 * x[i] = mask[i] != 0 ? x[i] : fill (where.h); a masked call runs it before
 * a kernel, with fill -inf so that masked entries take no part, and after. */
#ifndef LSM_EXPORTS_H
#define LSM_EXPORTS_H
#include <stdint.h>

#define LSM_KERNELS(K)                                          \
    K(logSoftmax, lsm_log_softmax, ELEMENTWISE)                 \
    K(softmax, lsm_softmax, ELEMENTWISE)                        \
    K(logSumExp, lsm_logsumexp, REDUCE)                         \
    K(logSumExpWeighted, lsm_logsumexp_weighted, WEIGHTED)      \
    K(where, lsm_where, WHERE)

#define LSM_PARAMS_ELEMENTWISE(T) (const T *x, T *y, const lsm_plan *p)
#define LSM_PARAMS_REDUCE(T) (const T *x, T *y, T *sign, const lsm_plan *p)
#define LSM_PARAMS_WEIGHTED(T) (const T *a, const T *b, T *y, T *sign, const lsm_wplan *p)
#define LSM_PARAMS_WHERE(T) (T *x, const uint8_t *mask, uint32_t n, T fill)

/* LSM_JOBS(K) expands K(op, symbol, shape) as LSM_KERNELS does, for the
 * kernels that take one slice per contiguous row (rows x n; js/rows.js
 * gathers other axes into rows): their key in js/exports.js's JOBS, their
 * symbol (suffixed _f32, _f64) and LSM_PARAMS_<shape>.  Not in LSM_KERNELS:
 * the native harness's plans and OP_ values do not fit them.
 *   TOPK    topk.h: k indices and values per row; mode = of | sorted << 2
 *           (of: 0 the entries, 1 softmax, 2 log_softmax); keys: scratch of
 *           8n + 32 KiB (HIST_BYTES, select.h), and 16n for float64.
 *   XENT    xent.h: one loss (double) per row from target (class indices)
 *           or prob (n probabilities per row); weight (n) may be null; grad
 *           (rows x n) may be null, else work (n) is unused.
 *   SAMPLE  sample.h: one index and log-probability per row from the
 *           uniforms u (one per row); work holds 2n + 16 elements,
 *           scratch 16(n + 1) + 32 KiB; top_k 0 leaves top-k out.
 * Outputs must not overlap inputs or each other. */
#define LSM_JOBS(K)                               \
    K(topK, lsm_topk, TOPK)                       \
    K(crossEntropy, lsm_cross_entropy, XENT)      \
    K(sample, lsm_sample, SAMPLE)

#define LSM_PARAMS_TOPK(T) \
    (const T *x, int32_t *index, T *value, uint64_t *keys, uint32_t rows, uint32_t n, uint32_t k, uint32_t mode)
#define LSM_PARAMS_XENT(T)                                                                                  \
    (const T *x, const int32_t *target, const double *prob, const double *weight, double *loss, T *grad, \
     T *work, uint32_t rows, uint32_t n, int32_t ignore, double smoothing, double scale)
#define LSM_PARAMS_SAMPLE(T)                                                                             \
    (const T *x, int32_t *index, T *logp, const double *u, T *work, void *scratch, uint32_t rows, uint32_t n, \
     double temperature, uint32_t top_k, double top_p, double min_p)

/* LSM_STREAM(K) expands K(op, symbol, shape) as LSM_KERNELS does, for the
 * streamed path (stream.h, js/stream.js): slices read in blocks of a cache
 * window, each block reduced to a state of four doubles per slice (m, k, s,
 * comp: S = sum exp(x - m) = k + s + comp), the states merged in JS, then
 * the outputs written from the merged states.  Their key in js/exports.js's
 * STREAM, their symbol (suffixed _f32, _f64) and LSM_PARAMS_<shape>:
 *   STATE         the state of each slice of the plan, numbered as
 *                 logsumexp numbers its outputs
 *   STATE_WRITE   log_softmax or softmax of x from those states (y may be x)
 *   STATE_FINISH  logsumexp and its sign from n states
 *   STATE_STORE   softmax's store pass (rows-mode plans only): each slice's
 *                 state from its own max m_b, and e = exp(x - m_b) stored
 *                 at e (e may be x)
 *   RESCALE       y = e * q (float64: e / q), in place, with q one double
 *                 per slice (softmax's write pass from stored exps)
 * Not in LSM_KERNELS: the native harness's plans and OP_ values do not fit. */
#define LSM_STREAM(K)                                      \
    K(state, lsm_state, STATE)                             \
    K(logSoftmax, lsm_state_log_softmax, STATE_WRITE)      \
    K(softmax, lsm_state_softmax, STATE_WRITE)             \
    K(logSumExp, lsm_state_logsumexp, STATE_FINISH)        \
    K(store, lsm_state_store, STATE_STORE)                 \
    K(rescale, lsm_state_rescale, RESCALE)

#define LSM_PARAMS_STATE(T) (const T *x, double *state, const lsm_plan *p)
#define LSM_PARAMS_STATE_WRITE(T) (const T *x, T *y, const double *state, const lsm_plan *p)
#define LSM_PARAMS_STATE_FINISH(T) (const double *state, T *y, T *sign, uint32_t n)
#define LSM_PARAMS_STATE_STORE(T) (const T *x, T *e, double *state, const lsm_plan *p)
#define LSM_PARAMS_RESCALE(T) (T *y, const double *q, const lsm_plan *p)

/* LSM_RANDOM(K) expands K(name, symbol) for the built-in generators
 * (random.c), exported once: `name` is its key in js/exports.js's RANDOM.
 * LSM_PARAMS_UNIFORMS: `count` uniforms in [0, 1) into u from `seed`. */
#define LSM_RANDOM(K) K(pcg32, lsm_pcg32_uniforms)
#define LSM_PARAMS_UNIFORMS (uint32_t seed, double *u, uint32_t count)

/* LSM_CONVERSIONS(K) expands K(dtype, widen, narrow) for each 16-bit storage
 * format that JS hands over as float32 (convert.c): dtype is its key in
 * js/exports.js's CONVERSIONS, widen and narrow the symbols of its
 * conversions to and from float32, exported once (not per element type).
 * Their parameter lists are LSM_PARAMS_WIDEN and LSM_PARAMS_NARROW: n
 * elements from src to dst, which must not overlap (dst is written while
 * src is still being read, at another width). */
#define LSM_CONVERSIONS(K)                               \
    K(float16, lsm_f16_to_f32, lsm_f32_to_f16)           \
    K(bfloat16, lsm_bf16_to_f32, lsm_f32_to_bf16)

#define LSM_PARAMS_WIDEN (const uint16_t *src, float *dst, uint32_t n)
#define LSM_PARAMS_NARROW (const float *src, uint16_t *dst, uint32_t n)

/* LSM_SUPPORT(K) expands K(symbol, result) for the exports that are not
 * kernels (memory.c); each takes no arguments. */
#define LSM_SUPPORT(K)          \
    K(lsm_heap_base, void *)    \
    K(lsm_build, int)

/* lsm_build()'s answer: the build's position in LSM_BUILDS, whose names are
 * those of the files, js/logsoftmax-<name>.wasm. */
#define LSM_BUILDS(B) B(scalar) B(simd) B(relaxed)
#define LSM_BUILD_ID(name) lsm_build_##name,
enum { LSM_BUILDS(LSM_BUILD_ID) };

/* The symbol an export is given: its own name.  The native test harness
 * links two builds of the kernels (SIMD through SIMDe, and scalar) into one
 * program, so c/test/variant.h defines this first to prefix each build's. */
#ifndef LSM_SYMBOL
#define LSM_SYMBOL(name) name
#endif

/* Declares the kernels of the element type in scope (T, NAME): their
 * definitions must then match the list, and with -Wmissing-prototypes
 * (c/Makefile) a kernel left out of the list is an error. */
#define LSM_DECLARE_KERNEL(op, symbol, shape) void NAME(symbol) LSM_PARAMS_##shape(T);
#define LSM_DECLARE_RANDOM(name, symbol) void LSM_SYMBOL(symbol) LSM_PARAMS_UNIFORMS;
#define LSM_DECLARE_SUPPORT(symbol, result) result LSM_SYMBOL(symbol)(void);
#define LSM_DECLARE_CONVERSION(dtype, widen, narrow) \
    void LSM_SYMBOL(widen) LSM_PARAMS_WIDEN;         \
    void LSM_SYMBOL(narrow) LSM_PARAMS_NARROW;

#endif
