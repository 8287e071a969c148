/* The exports that are not kernels (exports.h's LSM_SUPPORT). */
#include "exports.h"

LSM_SUPPORT(LSM_DECLARE_SUPPORT)

/* The JS side owns all wasm memory above the static data: it places inputs
 * and outputs there and grows memory itself, so the kernels need no malloc. */
extern unsigned char __heap_base;
void *lsm_heap_base(void) { return &__heap_base; }

/* Which build this module is, so that a loader can tell a self-hosted module
 * by the module itself rather than by what its caller says it is.  The
 * relaxed-SIMD build is compiled with SIMD128 too, so it is asked first. */
int lsm_build(void) {
#if defined(__wasm_relaxed_simd__)
    return lsm_build_relaxed;
#elif defined(__wasm_simd128__)
    return lsm_build_simd;
#else
    return lsm_build_scalar;
#endif
}
