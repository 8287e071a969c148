#include "vec_f32.h" /* from c/ (-I) */
#include "kernels.h" /* from c/ (-I) */
#include "limits.h"

/* expsum_lean: the cheapest exp-sum pass of the kind wasm kernels ship
 * (XNNPACK's softmax recipe), for scale only.  One Cody-Waite reduction, a
 * degree-5 polynomial with 2^n folded in (s + (r s) p(r)), a cutoff below
 * which terms are zeroed, and float accumulators that are never flushed.  No
 * subnormal outputs, no per-block range check, no exact x - m: it would fail
 * our accuracy bounds, and it is what any exp of this kind could gain over
 * ours.  Taylor coefficients stand in for a fit; the cost is the same. */
static inline V lean_exp(V t) {
    static const float C[] = {1.0f, 0.5f, 0x1.555556p-3f, 0x1.555556p-5f, 0x1.111112p-7f};
    V z = v_madd(t, v_splat(EXP_LOG2E), v_splat(EXP_MAGIC));
    V s = v_scale_normal(v_splat(1), z);
    V k = v_sub(z, v_splat(EXP_MAGIC));
    V r = v_nmadd(k, v_splat(EXP_LN2_HI), t);
    r = v_nmadd(k, v_splat(EXP_LN2_LO), r);
    V p = v_splat(C[4]);
    for (int c = 3; c >= 0; c--) p = v_madd(p, r, v_splat(C[c]));
    return v_keep_or(v_madd(v_mul(r, s), p, s), v_not_below(t, EXP_FAST_LO), 0); /* below, 2^n is not normal */
}

double bench_expsum_lean_f32(const float *x, uint32_t rows, uint32_t n) {
    double total = 0;
    for (uint32_t r = 0; r < rows; r++, x += n) {
        V acc[NV], xv[NV];
        for (int u = 0; u < NV; u++) acc[u] = v_splat(0);
        for (size_t i = 0; i < n; i += LANES) { /* m = 0, as bench_expsum; a tail padded with -inf */
            load_block(xv, x + i, n - i, -INFINITY);
            for (int u = 0; u < NV; u++) acc[u] = v_add(acc[u], lean_exp(xv[u]));
        }
        T lanes[LANES];
        for (int u = 0; u < NV; u++) v_store(lanes + u * VL, acc[u]);
        for (int k = 0; k < LANES; k++) total += lanes[k];
    }
    return total;
}
