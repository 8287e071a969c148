/* Selects the vector instruction set.  The wasm SIMD build gets the real
 * intrinsics; native test builds (-DLSM_SIMDE) get the same API from SIMDe,
 * so the SIMD kernels run under sanitizers and valgrind on x86.  Without
 * either, the kernels compile to scalar code from the same source. */
#ifndef LSM_SIMD_H
#define LSM_SIMD_H
#if defined(__wasm_simd128__)
#include <wasm_simd128.h>
#define LSM_SIMD 1
#elif defined(LSM_SIMDE)
#define SIMDE_ENABLE_NATIVE_ALIASES
#include <simde/wasm/simd128.h>
#define LSM_SIMD 1
#else
#define LSM_SIMD 0
#endif

/* Marks a loop to be compiled as written: not unrolled, nor vectorized
 * (again).  Left alone, clang -O3 turns each short loop of convert.c and
 * where.h into several hundred bytes of wasm (a vector loop unrolled four
 * times; the scalar loop that finishes its last few elements vectorized,
 * with run-time overlap checks), where the vector loops are bound by memory
 * and the scalar ones run at most a vector's worth of times. */
#define LSM_AS_WRITTEN _Pragma("clang loop vectorize(disable) interleave(disable) unroll(disable)")

/* Makes the integer m opaque to the compiler: an empty asm statement that
 * claims to change it.  The scalar build selects data-dependent lanes with
 * integer masks (bits & m), because V8 compiles a float select to a branch,
 * which mispredicts wherever the data is random; seeing m come from a
 * compare, clang turns the and back into a float select (with a quarter
 * of the entries masked at random, scalar log_softmax rows of 32,000 ran
 * 1.4x slower). */
#define LSM_OPAQUE(m) __asm__("" : "+r"(m))
#endif
