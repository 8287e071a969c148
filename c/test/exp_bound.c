/* The float32 exp's error, exhaustively.  After the reduction, the kernels
 * compute y = 1 + em1(r) (exp.h), a function of the float r alone; this
 * measures max |y - exp(r)| / exp(r) over every float r with |r| <= R, the
 * largest reduced argument (|r| <= ln2/2 plus the rounding of n, plus the
 * correction lo, below 2^-16: R = 0.3467).  Built twice: with the multiply-
 * adds unfused (the SIMD128 and scalar builds) and fused (-DLSM_FUSED, the
 * relaxed-SIMD build on an engine with FMA).
 *
 * The reference exp(r) is a degree-14 Taylor polynomial in double (remainder
 * below 2^-60 for |r| < 0.35, rounding a few 2^-53): far below the 2^-24
 * scale measured here.  Exits non-zero if the measured error exceeds EXP_POLY_BOUND,
 * the value that the error analysis in c/README.md builds on. */
#include <math.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include "../vec_f32.h"
#include "../exp.h"

#define U 0x1p-24               /* unit roundoff of float */
#define EXP_POLY_BOUND (1.20 * U) /* relative, the analysis's rho_poly */

static double inv_fact[15];

static double exp_ref(double r) {
    double s = inv_fact[14];
    for (int k = 13; k >= 0; k--) s = s * r + inv_fact[k];
    return s;
}

int main(void) {
    inv_fact[0] = 1;
    for (int k = 1; k <= 14; k++) inv_fact[k] = inv_fact[k - 1] / k;
    const float R = 0.3467f;
    uint32_t top;
    memcpy(&top, &R, 4);
    double worst = 0;
    float at = 0;
    for (uint32_t sign = 0; sign < 2; sign++) {
        for (uint32_t bits = 0; bits <= top; bits++) {
            uint32_t b = bits | sign << 31;
            float r;
            memcpy(&r, &b, 4);
            float y = v_add(v_splat(1), v_expm1_reduced(r));
            double ref = exp_ref(r), err = fabs((double)y - ref) / ref;
            if (err > worst) worst = err, at = r;
        }
    }
    printf("exp_bound%s: worst relative error %.4f u at r = %a (bound %.2f u)\n",
#ifdef LSM_FUSED
           " (fused)",
#else
           "",
#endif
           worst / U, at, EXP_POLY_BOUND / U);
    return worst <= EXP_POLY_BOUND ? 0 : 1;
}
