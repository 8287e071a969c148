/* 16-bit storage formats to and from float32 (exports.h's LSM_CONVERSIONS):
 * IEEE binary16 (float16) and bfloat16.  The kernels compute in float32;
 * a half-precision array is widened into float32 before a kernel and its
 * result narrowed back after.
 *
 * Widening is exact.  Narrowing rounds to nearest, ties to even, as a
 * float32 -> float16 cast in C or numpy's astype does: subnormal results
 * are kept (wasm has no flush-to-zero, and these conversions never rely on
 * one), overflow gives inf, NaN gives a quiet NaN of the same sign.
 *
 * Every step is an integer operation, a select, or a float add or multiply
 * whose result is exactly specified by IEEE arithmetic, so the SIMD and
 * scalar paths (and the three builds) agree bit for bit.  The SIMD loops
 * take 16 elements at a time (four float32 vectors) and leave the rest to the
 * scalar code, which is also the scalar build. */
#include <stdint.h>
#include <string.h>
#include "simd.h"
#include "exports.h"

LSM_CONVERSIONS(LSM_DECLARE_CONVERSION)

static inline uint32_t load_bits(const float *p) { uint32_t u; memcpy(&u, p, 4); return u; }
static inline void store_bits(float *p, uint32_t u) { memcpy(p, &u, 4); }
static inline float from_bits(uint32_t u) { float x; memcpy(&x, &u, 4); return x; }
static inline uint32_t bits_of(float x) { uint32_t u; memcpy(&u, &x, 4); return u; }

/* float16 -> float32.  A half is s|e:5|m:10, with value 2^(e-15) (1 + m/2^10)
 * for 0 < e < 31 and 2^-14 m/2^10 for e = 0.  Placed 13 bits up, e|m lands
 * in a float32's exponent and mantissa fields, so for a normal half adding
 * the rebias 127 - 15 = 112 to the exponent field gives the float32 bits.
 * A subnormal half (e = 0), OR'd into the bits of 2^-14, reads 2^-14 +
 * m 2^-24; subtracting 2^-14 leaves m 2^-24, its value (exact: Sterbenz).
 * Both steps use only normal float32 operands: x86 takes a slow microcode
 * assist for a subnormal operand, which the multiply by 2^112 that would
 * do both at once meets on every subnormal half.  e = 31 (inf and NaN)
 * takes the float32 exponent 255 with the half's 10 mantissa bits as the
 * top of the float's: inf stays inf, and a NaN keeps its payload (quiet or
 * signalling) as well as its sign, which is OR'd back last. */
#define F16_EXP 0x7c00u
#define F32_EXP 0x7f800000u
#define F16_REBIAS (112u << 23)
#define F16_MIN_NORMAL 0x38800000u /* 2^-14 */

static inline uint32_t s_f16_to_f32(uint32_t h) {
    uint32_t a = h & 0x7fff, t = a << 13;
    uint32_t r = a >= F16_EXP ? t | F32_EXP
               : a >= 0x400   ? t + F16_REBIAS
                              : bits_of(from_bits(t | F16_MIN_NORMAL) - 0x1p-14f);
    return r | (h & 0x8000) << 16;
}

/* float32 -> float16, rounded to nearest even, on |x| (bits a) and then the
 * sign.  Three ranges:
 *
 *   |x| < 2^-14, a half subnormal (or 2^-14 itself, after rounding): the
 *   result is round(|x| / 2^-24), the count of the spacing of subnormals.
 *   Floats in [0.5, 1) are spaced 2^-24 apart, so the FPU rounds |x| + 0.5
 *   to exactly that multiple, ties to even (0.5's mantissa is 0, so the
 *   sum's last bit is the count's), and the sum's bits less 0.5's are the
 *   count: the half's bits, up to 0x400 = 2^-14 where it rounds up.
 *
 *   2^-14 <= |x|, a normal half: the exponent rebias, 127 - 15 = 112, is a
 *   subtraction of 112 << 23 from the bits, and dropping the 13 low
 *   mantissa bits a shift.  Adding 0xfff first, plus the kept mantissa's
 *   last bit (bit 13), rounds that shift: low bits above 0x1000 carry,
 *   below do not, and exactly 0x1000 (a tie) carries only onto an odd
 *   mantissa.  A carry out of the mantissa steps the exponent, as rounding
 *   up to the next binade must.  From 65520 (halfway between 65504, the
 *   largest half, whose mantissa is odd, and 2^16) this reaches 0x7c00 or
 *   beyond, inf included: a minimum with 0x7c00 makes all of it inf.
 *
 *   NaN: 0x7e00 with the sign, the quiet NaN with no payload (float16's
 *   10 bits hold too little of a float32 payload to be worth keeping).
 *
 * The SIMD path computes both rounded ranges for every lane and selects:
 * a normal's |x| + 0.5 and a subnormal's wrapped subtraction are
 * discarded, never trapped on. */
#define HALF_BITS 0x3f000000u /* 0.5f */
#define F16_QNAN 0x7e00u

static inline uint32_t s_f32_to_f16(uint32_t u) {
    uint32_t a = u & 0x7fffffff, h;
    if (a > F32_EXP) {
        h = F16_QNAN;
    } else if (a < F16_MIN_NORMAL) {
        h = bits_of(from_bits(a) + 0.5f) - HALF_BITS;
    } else {
        h = (a - F16_REBIAS + 0xfff + (a >> 13 & 1)) >> 13;
        h = h < F16_EXP ? h : F16_EXP;
    }
    return h | (u >> 16 & 0x8000);
}

/* bfloat16 is the top half of a float32, so widening is a shift, and
 * narrowing rounds the low 16 bits away: add 0x7fff plus the kept half's
 * last bit and shift (the float16 normal case without a rebias).  The
 * carry steps the exponent where it must, and past the largest finite
 * float (0x7f7f ffff) reaches 0x7f80, inf; subnormals round at the same
 * spacing as anything else.  NaN keeps its sign and the top 7 bits of its
 * payload, with the quiet bit (0x40) set so that truncating a payload held
 * only in the low 16 bits cannot give inf. */
static inline uint32_t s_f32_to_bf16(uint32_t u) {
    return (u & 0x7fffffff) > F32_EXP ? (u >> 16 | 0x40) : (u + 0x7fff + (u >> 16 & 1)) >> 16;
}

#if LSM_SIMD
typedef v128_t V;
static inline V splat(uint32_t c) { return wasm_i32x4_splat((int32_t)c); }

static inline V v_f16_to_f32(V h) {
    V a = wasm_v128_and(h, splat(0x7fff));
    V t = wasm_i32x4_shl(a, 13);
    V sub = wasm_f32x4_sub(wasm_v128_or(t, splat(F16_MIN_NORMAL)), wasm_f32x4_splat(0x1p-14f));
    V r = wasm_v128_bitselect(sub, wasm_i32x4_add(t, splat(F16_REBIAS)), wasm_i32x4_lt(a, splat(0x400)));
    r = wasm_v128_bitselect(wasm_v128_or(t, splat(F32_EXP)), r, wasm_i32x4_ge(a, splat(F16_EXP)));
    return wasm_v128_or(r, wasm_i32x4_shl(wasm_v128_and(h, splat(0x8000)), 16));
}

static inline V v_f32_to_f16(V u) {
    V a = wasm_v128_and(u, splat(0x7fffffff));
    V sub = wasm_i32x4_sub(wasm_f32x4_add(a, wasm_f32x4_splat(0.5f)), splat(HALF_BITS));
    V odd = wasm_v128_and(wasm_u32x4_shr(a, 13), splat(1));
    V normal = wasm_u32x4_shr(wasm_i32x4_add(wasm_i32x4_sub(a, splat(F16_REBIAS - 0xfff)), odd), 13);
    V h = wasm_v128_bitselect(sub, wasm_u32x4_min(normal, splat(F16_EXP)), wasm_i32x4_lt(a, splat(F16_MIN_NORMAL)));
    h = wasm_v128_bitselect(splat(F16_QNAN), h, wasm_i32x4_gt(a, splat(F32_EXP)));
    return wasm_v128_or(h, wasm_v128_and(wasm_u32x4_shr(u, 16), splat(0x8000)));
}

static inline V v_f32_to_bf16(V u) {
    V nan = wasm_i32x4_gt(wasm_v128_and(u, splat(0x7fffffff)), splat(F32_EXP));
    V top = wasm_u32x4_shr(u, 16);
    V rounded = wasm_u32x4_shr(wasm_i32x4_add(wasm_i32x4_add(u, splat(0x7fff)), wasm_v128_and(top, splat(1))), 16);
    return wasm_v128_bitselect(wasm_v128_or(top, splat(0x40)), rounded, nan);
}

/* The loops take 16 elements a step, two vectors of 16-bit values against
 * four of float32: one element a vector lane made the loop's own overhead
 * (address arithmetic, the branch) as costly as the conversion.  Widening
 * zero-extends each half of a vector into 32-bit lanes; narrowing packs
 * two vectors of results, every lane 0..0xffff, with the saturating
 * narrow, which then only packs. */
typedef V (*widen_fn)(V);
typedef V (*narrow_fn)(V);
static inline void widen16(const uint16_t *src, float *dst, widen_fn f) {
    for (int k = 0; k < 2; k++) {
        V h = wasm_v128_load(src + 8 * k);
        wasm_v128_store(dst + 8 * k, f(wasm_u32x4_extend_low_u16x8(h)));
        wasm_v128_store(dst + 8 * k + 4, f(wasm_u32x4_extend_high_u16x8(h)));
    }
}
static inline void narrow16(const float *src, uint16_t *dst, narrow_fn f) {
    for (int k = 0; k < 2; k++)
        wasm_v128_store(dst + 8 * k, wasm_u16x8_narrow_i32x4(f(wasm_v128_load(src + 8 * k)), f(wasm_v128_load(src + 8 * k + 4))));
}
static inline V v_bf16_to_f32(V h) { return wasm_i32x4_shl(h, 16); }
#endif

/* The exports: 16 elements a step where the build has SIMD, then the rest
 * (all of them in the scalar build) one at a time. */
#if LSM_SIMD
#define SIMD_STEPS(step, v_fn) LSM_AS_WRITTEN for (; i + 16 <= n; i += 16) step(src + i, dst + i, v_fn);
#else
#define SIMD_STEPS(step, v_fn)
#endif
#define DEFINE_WIDEN(name, v_fn, s_fn)                                                  \
    void LSM_SYMBOL(name) LSM_PARAMS_WIDEN {                                            \
        uint32_t i = 0;                                                                 \
        SIMD_STEPS(widen16, v_fn)                                                       \
        LSM_AS_WRITTEN for (; i < n; i++) store_bits(dst + i, s_fn(src[i]));            \
    }
#define DEFINE_NARROW(name, v_fn, s_fn)                                                 \
    void LSM_SYMBOL(name) LSM_PARAMS_NARROW {                                           \
        uint32_t i = 0;                                                                 \
        SIMD_STEPS(narrow16, v_fn)                                                      \
        LSM_AS_WRITTEN for (; i < n; i++) dst[i] = (uint16_t)s_fn(load_bits(src + i));  \
    }

static inline uint32_t s_bf16_to_f32(uint32_t h) { return h << 16; }

DEFINE_WIDEN(lsm_f16_to_f32, v_f16_to_f32, s_f16_to_f32)
DEFINE_NARROW(lsm_f32_to_f16, v_f32_to_f16, s_f32_to_f16)
DEFINE_WIDEN(lsm_bf16_to_f32, v_bf16_to_f32, s_bf16_to_f32)
DEFINE_NARROW(lsm_f32_to_bf16, v_f32_to_bf16, s_f32_to_bf16)
