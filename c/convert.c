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
 * take 16 elements at a time (four float32 vectors), the scalar build's 8
 * (in 64-bit words), and both leave the rest to the per-element code.
 *
 * The per-element code computes every range and selects among them as
 * integers: no branch on the value.  V8 compiles wasm's integer select to a
 * conditional move, while a branch per element mispredicts wherever ranges
 * mix at random, as softmax's results do (most of a row's probabilities are
 * half subnormals): 3.7 ns an element with branches, 1.7 without. */
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
    uint32_t r = a >= 0x400 ? t + F16_REBIAS : bits_of(from_bits(t | F16_MIN_NORMAL) - 0x1p-14f);
    r = a >= F16_EXP ? t | F32_EXP : r;
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
 * The SIMD path (below) rounds both finite ranges in one float addition,
 * a generalisation of the subnormals' |x| + 0.5, and gives the same bits. */
#define HALF_BITS 0x3f000000u /* 0.5f */
#define F16_QNAN 0x7e00u

static inline uint32_t s_f16_normal(uint32_t a) { return (a - F16_REBIAS + 0xfff + (a >> 13 & 1)) >> 13; }

static inline uint32_t s_f32_to_f16(uint32_t u) {
    uint32_t a = u & 0x7fffffff, normal = s_f16_normal(a);
    normal = normal < F16_EXP ? normal : F16_EXP;
    uint32_t h = a < F16_MIN_NORMAL ? bits_of(from_bits(a) + 0.5f) - HALF_BITS : normal;
    h = a > F32_EXP ? F16_QNAN : h;
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
static inline V splat16(uint16_t c) { return wasm_i16x8_splat((int16_t)c); }
/* a where mask, else b, for masks of whole lanes (all ones or all zeros),
 * where the relaxed build's laneselect (one blend instruction) and
 * bitselect (three) give the same bits. */
static inline V v_select(V a, V b, V mask) {
#ifdef __wasm_relaxed_simd__
    return wasm_i32x4_relaxed_laneselect(a, b, mask);
#else
    return wasm_v128_bitselect(a, b, mask);
#endif
}

/* The SIMD loops take 16 elements a step (two vectors of 16-bit values,
 * four of float32: at one vector a step the loop's own overhead, address
 * arithmetic and the branch, cost as much as the conversion), and test the
 * step's elements first: where all of them lie in the common range, a
 * short sequence converts them; otherwise the general one, branch-free
 * (every range computed, then selected).  Both give the scalar code's
 * bits on their domain, so which one a step takes never shows.  The
 * conversions are bound by their instruction count, not by memory: the
 * general float16 sequences, about 20 operations a vector, took 0.5 ns an
 * element each way, as much as half the float32 kernel.
 *
 * Widening: the common range is the normal halves (0 < e < 31).  A half
 * sign-extended to 32 bits and shifted 13 up has e|m in the float32's
 * exponent and mantissa fields and copies of its sign in bits 28-31;
 * clearing bits 28-30 and adding the rebias (112 in the exponent field,
 * which stays below 256: no carry reaches the sign) gives the float32's
 * bits.  An inf or NaN (e = 31) takes the rebias twice: exponent 31 + 224
 * = 255, the payload kept; steps with one (masked logits) but no zero or
 * subnormal still avoid the general sequence.  A subnormal (e = 0, zero
 * included) reads, one binade up, 2^-14 + m 2^-24: less 2^-14 that is
 * m 2^-24, exact (Sterbenz), from normal operands only; its sign goes on
 * last.  The tests: e's field plus 0x400, as a signed 16-bit number, is
 * 0x400 for e = 0, 0x8000 (negative) for e = 31, and 0x800 or more for
 * the rest.  The ranges within a step are told apart by equality on e's
 * field: clang turns an order compare of values it knows nonnegative into
 * an unsigned one, which wasm engines lower to three or four x86
 * instructions instead of one. */
static inline V v_f16_normal_to_f32(V hs) {
    return wasm_i32x4_add(wasm_v128_and(wasm_i32x4_shl(hs, 13), splat(0x8fffffff)), splat(F16_REBIAS));
}
static inline V v_f16_nonzero_to_f32(V hs) {
    V special = wasm_i32x4_eq(wasm_v128_and(hs, splat(F16_EXP)), splat(F16_EXP));
    return wasm_i32x4_add(v_f16_normal_to_f32(hs), wasm_v128_and(special, splat(F16_REBIAS)));
}
static inline V v_f16_to_f32(V hs) {
    V t = wasm_v128_and(wasm_i32x4_shl(hs, 13), splat(0x0fffffff)); /* |h| << 13 */
    V sub = wasm_f32x4_sub(wasm_v128_or(t, splat(F16_MIN_NORMAL)), wasm_f32x4_splat(0x1p-14f));
    sub = wasm_v128_or(sub, wasm_v128_and(hs, splat(0x80000000)));
    V zero_e = wasm_i32x4_eq(wasm_v128_and(hs, splat(F16_EXP)), wasm_i32x4_splat(0));
    return v_select(sub, v_f16_nonzero_to_f32(hs), zero_e);
}

static inline void widen16_f16(const uint16_t *src, float *dst) {
    V h0 = wasm_v128_load(src), h1 = wasm_v128_load(src + 8);
    V hs[4] = {wasm_i32x4_extend_low_i16x8(h0), wasm_i32x4_extend_high_i16x8(h0), wasm_i32x4_extend_low_i16x8(h1),
               wasm_i32x4_extend_high_i16x8(h1)};
    V e0 = wasm_i16x8_add(wasm_v128_and(h0, splat16(F16_EXP)), splat16(0x400));
    V e1 = wasm_i16x8_add(wasm_v128_and(h1, splat16(F16_EXP)), splat16(0x400));
    if (!wasm_v128_any_true(wasm_i16x8_lt(wasm_i16x8_min(e0, e1), splat16(0x800))))
        for (int k = 0; k < 4; k++) wasm_v128_store(dst + 4 * k, v_f16_normal_to_f32(hs[k]));
    else if (!wasm_v128_any_true(wasm_v128_or(wasm_i16x8_eq(e0, splat16(0x400)), wasm_i16x8_eq(e1, splat16(0x400)))))
        for (int k = 0; k < 4; k++) wasm_v128_store(dst + 4 * k, v_f16_nonzero_to_f32(hs[k]));
    else
        for (int k = 0; k < 4; k++) wasm_v128_store(dst + 4 * k, v_f16_to_f32(hs[k]));
}

/* Narrowing to float16: the common range is |x| < 2^16 (every finite
 * result, subnormal or normal, and inf from 65520 up), rounded in one
 * float addition for both: with M = 2^(e + 13) for x's binade 2^e, and
 * 2^-1 below 2^-14 (where the spacing is the subnormals' 2^-24 for any
 * e), M + |x| lies in M's binade, whose spacing 2^(e - 10) is the half's
 * in x's binade, so the FPU rounds |x| to the half's spacing, ties to even
 * (M's own mantissa is 0: the sum's last bit is the rounded count's).
 * Then k = bits(M + |x|) - bits(M) is |x| in units of that spacing:
 * 0..0x400 below 2^-14, which is the half's bits; 0x400..0x800 in a normal
 * binade, whose half is (e + 15) << 10 | (k - 0x400), that is k plus
 * (exponent field - 113) << 10, a carry to 0x800 stepping the exponent as
 * rounding up to the next binade must.  At 65520 and above (k = 0x800 in
 * 2^15's binade) that gives 0x7c00, inf.  M's bits are the larger of x's
 * exponent field and 2^-14's, plus 13 in the exponent field.  NaN, inf
 * and |x| >= 2^16 take the general sequence: |x| clamped to 2^16 (which
 * gives inf, as any overflow must), then NaN selected apart by x != x
 * (one instruction, where |x| > inf's bits would be an unsigned compare:
 * see the widening's tests above).
 *
 * The sign goes on after packing, eight lanes at a time: the signed
 * saturating narrow of the float's own bits keeps bit 15 exactly where
 * the sign is set (a negative int32 saturates to 0x8000, or is at least
 * 0xffff8000 and keeps its bits) and clears it otherwise (0x7fff, or
 * below 0x8000). */
#define F16_OVERFLOW 0x47800000u /* 2^16 */

static inline V v_f32_to_f16_magnitude(V a) {
    V bias = wasm_i32x4_max(wasm_v128_and(a, splat(F32_EXP)), splat(F16_MIN_NORMAL));
    V magic = wasm_i32x4_add(bias, splat(13u << 23));
    V k = wasm_i32x4_sub(wasm_f32x4_add(magic, a), magic);
    return wasm_i32x4_add(k, wasm_i32x4_sub(wasm_u32x4_shr(bias, 13), splat(113u << 10)));
}

/* The step's magnitudes, 0..0x7e00, packed with the signs of u. */
static inline void store_halves(uint16_t *dst, const V u[4], const V h[4]) {
    for (int k = 0; k < 2; k++) {
        V sign = wasm_v128_and(wasm_i16x8_narrow_i32x4(u[2 * k], u[2 * k + 1]), splat16(0x8000));
        wasm_v128_store(dst + 8 * k, wasm_v128_or(wasm_u16x8_narrow_i32x4(h[2 * k], h[2 * k + 1]), sign));
    }
}

static inline void narrow16_f16(const float *src, uint16_t *dst) {
    V u[4], a[4], h[4];
    for (int k = 0; k < 4; k++) u[k] = wasm_v128_load(src + 4 * k), a[k] = wasm_v128_and(u[k], splat(0x7fffffff));
    /* As signed numbers every |x| is nonnegative, NaN's the largest, and
     * |x| - 2^16 has its sign bit set exactly where |x| < 2^16. */
    V top = wasm_i32x4_max(wasm_i32x4_max(a[0], a[1]), wasm_i32x4_max(a[2], a[3]));
    if (wasm_i32x4_bitmask(wasm_i32x4_sub(top, splat(F16_OVERFLOW))) == 0xf) {
        for (int k = 0; k < 4; k++) h[k] = v_f32_to_f16_magnitude(a[k]);
    } else {
        for (int k = 0; k < 4; k++) {
            h[k] = v_f32_to_f16_magnitude(wasm_i32x4_min(a[k], splat(F16_OVERFLOW)));
            h[k] = v_select(splat(F16_QNAN), h[k], wasm_f32x4_ne(u[k], u[k]));
        }
    }
    store_halves(dst, u, h);
}

/* bfloat16: widening is a shift; narrowing's common range is every
 * float but NaN, for which the rounding's carry alone is right. */
static inline void widen16_bf16(const uint16_t *src, float *dst) {
    for (int k = 0; k < 2; k++) {
        V h = wasm_v128_load(src + 8 * k);
        wasm_v128_store(dst + 8 * k, wasm_i32x4_shl(wasm_u32x4_extend_low_u16x8(h), 16));
        wasm_v128_store(dst + 8 * k + 4, wasm_i32x4_shl(wasm_u32x4_extend_high_u16x8(h), 16));
    }
}

static inline V v_f32_to_bf16_rounded(V u) {
    V top = wasm_u32x4_shr(u, 16);
    return wasm_u32x4_shr(wasm_i32x4_add(wasm_i32x4_add(u, splat(0x7fff)), wasm_v128_and(top, splat(1))), 16);
}

static inline void narrow16_bf16(const float *src, uint16_t *dst) {
    V u[4], r[4], nan[4];
    for (int k = 0; k < 4; k++) {
        u[k] = wasm_v128_load(src + 4 * k);
        r[k] = v_f32_to_bf16_rounded(u[k]);
        nan[k] = wasm_f32x4_ne(u[k], u[k]);
    }
    if (wasm_v128_any_true(wasm_v128_or(wasm_v128_or(nan[0], nan[1]), wasm_v128_or(nan[2], nan[3]))))
        for (int k = 0; k < 4; k++) r[k] = v_select(wasm_v128_or(wasm_u32x4_shr(u[k], 16), splat(0x40)), r[k], nan[k]);
    wasm_v128_store(dst, wasm_u16x8_narrow_i32x4(r[0], r[1]));
    wasm_v128_store(dst + 8, wasm_u16x8_narrow_i32x4(r[2], r[3]));
}
#else
/* The scalar build's steps: 8 elements, as 64-bit words of four halves or
 * two floats, tested at once for the common range (the normal halves both
 * ways) and converted two to an operation; otherwise element by element.
 * Element by element the conversions took 1.1 and 1.4 ns, half as long
 * as the float32 log_softmax kernel between them; the steps take 0.7 and
 * 0.9.  No carry or borrow below crosses from one element's bits into the
 * next one's. */
#define HALVES(c) (0x0001000100010001ull * (c)) /* c in each 16-bit lane */
#define PAIR(c) (0x0000000100000001ull * (c))   /* c in each 32-bit lane */

/* Whether the eight halves of w[0..1] are all normal (0 < e < 31): e's field
 * plus 0x400 reaches bit 15 only for e = 31, and with bit 15 set first,
 * less 0x400, clears it only for e = 0. */
static inline int halves_normal(const uint64_t w[2]) {
    const uint64_t top = HALVES(0x8000), one = HALVES(0x400);
    const uint64_t e0 = w[0] & HALVES(F16_EXP), e1 = w[1] & HALVES(F16_EXP);
    return (((e0 | top) - one) & ((e1 | top) - one) & ~((e0 + one) | (e1 + one)) & top) == top;
}

/* The two normal halves in the low 32 bits of w, each spread into a 32-bit
 * lane, to their floats: s_f16_to_f32's normal case on both lanes. */
static inline uint64_t widen_normal_pair(uint32_t w) {
    const uint64_t x = (w & 0xffff) | (uint64_t)(w >> 16) << 32;
    return (((x & PAIR(0x7fff)) << 13) + PAIR(F16_REBIAS)) | (x & PAIR(0x8000)) << 16;
}

/* The steps convert 8 elements and return 1 where all lie in the common
 * range, else leave them to the per-element code and return 0. */
static inline int widen8_f16(const uint16_t *src, float *dst) {
    uint64_t w[2], f[4];
    memcpy(w, src, sizeof w);
    if (!halves_normal(w)) return 0;
    for (int k = 0; k < 4; k++) f[k] = widen_normal_pair((uint32_t)(w[k / 2] >> 32 * (k % 2)));
    memcpy(dst, f, sizeof f);
    return 1;
}

/* Bit 31 of each lane set unless the float there has a normal half, 2^-14
 * <= |x| < 65520 (the bits of 65520, 0x477ff000, are where rounding
 * reaches inf): |x| + (2^31 - 0x477ff000) sets it from 65520 up (inf and
 * NaN included); with it set first, |x| less 2^-14's bits clears it below. */
#define F16_ROUNDS_TO_INF 0x477ff000u /* 65520 */
static inline uint64_t floats_outside(uint64_t u) {
    const uint64_t a = u & PAIR(0x7fffffff);
    return ((a + PAIR(0x80000000u - F16_ROUNDS_TO_INF)) | ~((a | PAIR(0x80000000u)) - PAIR(F16_MIN_NORMAL))) &
           PAIR(0x80000000u);
}

/* The two floats of u, both with normal halves, to the halves in 32 bits:
 * s_f16_normal's rounding on both lanes with the signs left in place.
 * Their bit 31 is above anything the rounding reaches (|x| less the rebias
 * is below 2^28), and after the shift sits at bit 18, three above the
 * half's sign bit. */
static inline uint32_t narrow_normal_pair(uint64_t u) {
    const uint64_t r = (u - PAIR(F16_REBIAS - 0xfff) + (u >> 13 & PAIR(1))) >> 13;
    const uint64_t h = (r & PAIR(0x7fff)) | (r >> 3 & PAIR(0x8000));
    return (uint32_t)h | (uint32_t)(h >> 16);
}

static inline int narrow8_f16(const float *src, uint16_t *dst) {
    uint64_t u[4];
    uint32_t h[4];
    memcpy(u, src, sizeof u);
    if ((floats_outside(u[0]) | floats_outside(u[1]) | floats_outside(u[2]) | floats_outside(u[3])) != 0) return 0;
    for (int k = 0; k < 4; k++) h[k] = narrow_normal_pair(u[k]);
    memcpy(dst, h, sizeof h);
    return 1;
}

/* bfloat16 has no scalar steps: per element it is a shift, or a rounding
 * whose one branch (NaN) is all but never taken. */
#define widen8_bf16(src, dst) 0
#define narrow8_bf16(src, dst) 0

/* A step of 8 where it succeeds, else those 8 (and the tail) one at a
 * time: one copy of the per-element code serves both. */
#define CONVERT(step, one)                                                              \
    uint32_t i = 0;                                                                     \
    LSM_AS_WRITTEN while (i < n) {                                                      \
        if (i + 8 <= n && step(src + i, dst + i)) {                                     \
            i += 8;                                                                     \
            continue;                                                                   \
        }                                                                               \
        uint32_t end = n - i < 8 ? n : i + 8;                                           \
        LSM_AS_WRITTEN for (; i < end; i++) one;                                        \
    }
#endif

static inline uint32_t s_bf16_to_f32(uint32_t h) { return h << 16; }

/* The exports.  The SIMD builds: 16 elements a step, then the rest one at
 * a time. */
#if LSM_SIMD
#define CONVERT(step, one)                                                              \
    uint32_t i = 0;                                                                     \
    LSM_AS_WRITTEN for (; i + 16 <= n; i += 16) step(src + i, dst + i);                 \
    LSM_AS_WRITTEN for (; i < n; i++) one;
#define STEPS_float16 widen16_f16, narrow16_f16
#define STEPS_bfloat16 widen16_bf16, narrow16_bf16
#else
#define STEPS_float16 widen8_f16, narrow8_f16
#define STEPS_bfloat16 widen8_bf16, narrow8_bf16
#endif
#define ONE_float16 s_f16_to_f32, s_f32_to_f16
#define ONE_bfloat16 s_bf16_to_f32, s_f32_to_bf16

/* Each format of exports.h's list, its steps and per-element functions
 * named by the format (EXPAND splits their pairs into arguments). */
#define EXPAND(m, ...) m(__VA_ARGS__)
#define DEFINE_PAIR(widen, narrow, widen_step, narrow_step, s_widen, s_narrow)                                 \
    void LSM_SYMBOL(widen) LSM_PARAMS_WIDEN { CONVERT(widen_step, store_bits(dst + i, s_widen(src[i]))) }       \
    void LSM_SYMBOL(narrow) LSM_PARAMS_NARROW { CONVERT(narrow_step, dst[i] = (uint16_t)s_narrow(load_bits(src + i))) }
#define DEFINE_CONVERSION(dtype, widen, narrow) EXPAND(DEFINE_PAIR, widen, narrow, STEPS_##dtype, ONE_##dtype)

LSM_CONVERSIONS(DEFINE_CONVERSION)
