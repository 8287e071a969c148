/* The mask kernel, x[i] = mask[i] != 0 ? x[i] : fill for i < n, in place.
 *
 * A masked call runs it twice (js/api.js): before a kernel, with fill -inf,
 * so that a masked entry takes no part (-inf never raises the max, and adds
 * exp(-inf) = 0 to the sum); and after it, on the result, with fill 0 for
 * softmax and -inf for log_softmax (a masked entry's probability is 0).
 * Any nonzero byte keeps, as a C truth value or a JS Uint8Array of 0/1 or
 * booleans would.
 *
 * It selects and never computes, so every element comes out bit for bit
 * either x[i] or fill, NaN payloads included, in every build: the SIMD and
 * scalar paths cannot disagree. */
#ifndef LSM_WHERE_H
#define LSM_WHERE_H
#include <stdint.h>
#include <string.h>

static inline void where(T *x, const uint8_t *mask, uint32_t n, T fill) {
    uint32_t i = 0;
#if LSM_SIMD
    /* 16 mask bytes a load: comparing them with 0 gives 0xff where a byte
     * keeps, and v_widen_keep sign-extends those bytes to lane masks for
     * the 16 elements' 16 / VL vectors. */
    LSM_AS_WRITTEN
    for (; i + 16 <= n; i += 16) {
        V keep = wasm_i8x16_ne(wasm_v128_load(mask + i), wasm_i8x16_splat(0));
        for (int u = 0; u < 16 / VL; u++)
            v_store(x + i + u * VL, v_keep_or(v_load(x + i + u * VL), v_widen_keep(keep, u), fill));
    }
#endif
    /* The bits as integers, selected and stored whatever the mask, not a
     * branch around the store (nor a float select, which V8 compiles to a
     * branch): a mask is as unpredictable as the data, and the branch cost
     * the scalar build 4 ns an element on a random one. */
    typedef __typeof__(_Generic((T)0, float: (uint32_t)0, double: (uint64_t)0)) U;
    U f;
    memcpy(&f, &fill, sizeof f);
    LSM_AS_WRITTEN
    for (; i < n; i++) {
        U a;
        memcpy(&a, x + i, sizeof a);
        a = mask[i] ? a : f;
        memcpy(x + i, &a, sizeof a);
    }
}
#endif
