/* Native tests of the 16-bit conversions (c/convert.c) and the mask kernel
 * (c/where.h), in both builds: SIMD through SIMDe, and scalar.
 *
 *   convert         exhaustive: every float16 and bfloat16 bit pattern
 *                   widened, every one of the 2^32 float32 bit patterns
 *                   narrowed to both (split over the CPUs: seconds at -O2)
 *   convert quick   every 16-bit pattern widened, and the float32 patterns
 *                   of one block of 2^16 in 61 plus the blocks at the edges
 *                   (subnormals, 2^-14, the overflow, inf and NaN): for
 *                   ASan and UBSan, where the exhaustive run is too slow
 * Both run the mask kernel's tests.
 *
 * The references are independent of the code under test: widening against
 * the formats' definition, sign * 2^(e - bias) * (1 + m / 2^mbits) (and
 * 2^(1 - bias) * m / 2^mbits for subnormals), evaluated in double;
 * float16 narrowing against the compiler's own (_Float16) conversion
 * (test/f16_ref.c); bfloat16 narrowing by comparing, in double, each
 * value's distance to the two bfloat16 values around it. */
#define _DEFAULT_SOURCE
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "check.h"
#include "../exports.h"

typedef void widen_fn LSM_PARAMS_WIDEN;
typedef void narrow_fn LSM_PARAMS_NARROW;
#define DECLARE(dtype, widen, narrow) widen_fn simd_##widen, scalar_##widen; narrow_fn simd_##narrow, scalar_##narrow;
LSM_CONVERSIONS(DECLARE)
#define COUNT(dtype, widen, narrow) +1
_Static_assert(0 LSM_CONVERSIONS(COUNT) == 2, "a format added to LSM_CONVERSIONS needs its tests here");

void ref_f32_to_f16(const float *src, uint16_t *dst, size_t n);

static const char *BUILD_NAMES[] = {"scalar", "simd"};
static widen_fn *const WIDEN_F16[] = {scalar_lsm_f16_to_f32, simd_lsm_f16_to_f32};
static narrow_fn *const NARROW_F16[] = {scalar_lsm_f32_to_f16, simd_lsm_f32_to_f16};
static widen_fn *const WIDEN_BF16[] = {scalar_lsm_bf16_to_f32, simd_lsm_bf16_to_f32};
static narrow_fn *const NARROW_BF16[] = {scalar_lsm_f32_to_bf16, simd_lsm_f32_to_bf16};

static atomic_long failures;
static pthread_mutex_t print_lock = PTHREAD_MUTEX_INITIALIZER;

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void fail(const char *fmt, ...) {
    if (atomic_fetch_add(&failures, 1) >= 20) return;
    va_list ap;
    va_start(ap, fmt);
    pthread_mutex_lock(&print_lock);
    fputs("FAIL ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    pthread_mutex_unlock(&print_lock);
    va_end(ap);
}

static uint32_t f32_bits(float x) { uint32_t u; memcpy(&u, &x, 4); return u; }
static float f32_of(uint32_t u) { float x; memcpy(&x, &u, 4); return x; }

/* A 16-bit format's value by definition: 1 sign bit, ebits of exponent,
 * mbits of mantissa.  Exact in double for both formats. */
static double decode(uint32_t h, int ebits, int mbits) {
    int bias = (1 << (ebits - 1)) - 1;
    uint32_t m = h & ((1u << mbits) - 1), e = h >> mbits & ((1u << ebits) - 1);
    double sign = h >> (ebits + mbits) & 1 ? -1.0 : 1.0;
    if (e == (1u << ebits) - 1) return m ? NAN : sign * INFINITY;
    if (e == 0) return sign * ldexp(m, 1 - bias - mbits);
    return sign * ldexp(1 + ldexp(m, -mbits), (int)e - bias);
}

/* Widens all 65536 patterns in calls of 1 to 7 elements (the scalar tails
 * of the SIMD build) and in one call (its vector loop), and checks each. */
/* The SIMD loops test each step of 16 elements, and the scalar build's
 * each step of 8, and take a shorter sequence where all of them lie in
 * the common range (convert.c), so that in a plain run most values meet
 * only that one.  Spread 7 to every 8, the 8th a filler from outside the
 * range, every value goes through the sequence the filler sends its step
 * to, in both builds.  STEPS groups of 8 hold all 65536. */
enum { STEP = 8, PER_STEP = STEP - 1, STEPS = (65536 + PER_STEP - 1) / PER_STEP };
static inline uint32_t spread_at(uint32_t i) { return i / PER_STEP * STEP + i % PER_STEP; }

/* Widens the 65536 patterns spread among fillers, as one call; out[h] is h's result. */
static void widen_spread(widen_fn *widen, const uint16_t *src, uint16_t filler, float *out) {
    static _Thread_local uint16_t in[STEPS * STEP];
    static _Thread_local float got[STEPS * STEP];
    for (uint32_t i = 0; i < STEPS * STEP; i++) in[i] = filler;
    for (uint32_t h = 0; h < 65536; h++) in[spread_at(h)] = src[h];
    widen(in, got, STEPS * STEP);
    for (uint32_t h = 0; h < 65536; h++) out[h] = got[spread_at(h)];
}

/* Widens all 65536 patterns in calls of 1 to 7 elements (the scalar tails
 * of the SIMD build), in one call (its vector loop), and spread among
 * fillers that send every step to each of the loop's other sequences (an
 * inf, a subnormal), and checks each. */
static void check_widen(const char *format, widen_fn *const *widen, int ebits, int mbits) {
    static uint16_t src[65536];
    static float whole[65536], parts[65536];
    uint16_t inf = (uint16_t)(((1u << ebits) - 1) << mbits);
    for (uint32_t h = 0; h < 65536; h++) src[h] = (uint16_t)h;
    for (int b = 0; b < 2; b++) {
        widen[b](src, whole, 65536);
        for (uint32_t at = 0, len = 1; at < 65536; at += len, len = len % 7 + 1)
            widen[b](src + at, parts + at, at + len <= 65536 ? len : 65536 - at);
        if (memcmp(whole, parts, sizeof whole)) fail("%s widen (%s): one call and short calls differ", format, BUILD_NAMES[b]);
        for (int f = 0; f < 2; f++) {
            widen_spread(widen[b], src, f ? 1 : inf, parts);
            if (memcmp(whole, parts, sizeof whole))
                fail("%s widen (%s): one call and steps spread among %s differ", format, BUILD_NAMES[b], f ? "subnormals" : "infs");
        }
        for (uint32_t h = 0; h < 65536; h++) {
            double want = decode(h, ebits, mbits);
            uint32_t got = f32_bits(whole[h]), sign = h >> 15;
            int ok = got >> 31 == sign;
            if (isnan(want)) /* NaN: exponent 255, the payload as the top mantissa bits */
                ok = ok && (got >> 23 & 0xff) == 0xff && (got & 0x7fffff) == (h & ((1u << mbits) - 1)) << (23 - mbits);
            else
                ok = ok && (double)whole[h] == want;
            if (!ok) fail("%s widen (%s) 0x%04x: got 0x%08x (%g), want %g", format, BUILD_NAMES[b], h, got, whole[h], want);
        }
    }
}

/* Narrows the 65536 float32s at src spread among NaNs (see STEP), as one call. */
static void narrow_spread(narrow_fn *narrow, const float *src, uint16_t *out) {
    static _Thread_local float in[STEPS * STEP];
    static _Thread_local uint16_t got[STEPS * STEP];
    for (uint32_t i = 0; i < STEPS * STEP; i++) in[i] = NAN;
    for (uint32_t lo = 0; lo < 65536; lo++) in[spread_at(lo)] = src[lo];
    narrow(in, got, STEPS * STEP);
    for (uint32_t lo = 0; lo < 65536; lo++) out[lo] = got[spread_at(lo)];
}

/* Narrows the 2^16 float32 patterns hi << 16 | lo in two calls (split at
 * 1 + hi % 7, so that both builds' vector loops and tails see every kind of
 * value), and again spread among NaNs, which send every step of the SIMD
 * loop to its general sequence; compares them with the references,
 * computed once per block in loops the compiler vectorizes (2^32 patterns
 * take seconds, not minutes). */
static void check_narrow(const char *format, narrow_fn *const *narrow, const float *src, const uint16_t *want, uint32_t hi) {
    uint16_t got[65536];
    uint32_t split = 1 + hi % 7;
    for (int b = 0; b < 2; b++) {
        for (int spread = 0; spread < 2; spread++) {
            if (spread) {
                narrow_spread(narrow[b], src, got);
            } else {
                narrow[b](src, got, split);
                narrow[b](src + split, got + split, 65536 - split);
            }
            if (!memcmp(got, want, sizeof got)) continue;
            for (uint32_t lo = 0; lo < 65536; lo++)
                if (got[lo] != want[lo])
                    fail("%s narrow (%s%s) 0x%08x (%g): got 0x%04x, want 0x%04x", format, BUILD_NAMES[b],
                         spread ? ", spread among NaNs" : "", hi << 16 | lo, src[lo], got[lo], want[lo]);
        }
    }
}

static void check_narrow_block(uint32_t hi) {
    float src[65536];
    uint16_t want[65536];
    uint32_t sign = hi >> 15;
    for (uint32_t lo = 0; lo < 65536; lo++) src[lo] = f32_of(hi << 16 | lo);

    /* float16: the compiler's rounding, and for NaN what convert.c
     * documents, the quiet NaN 0x7e00 with the sign. */
    int nonfinite = (hi & 0x7f80) == 0x7f80; /* the blocks of inf and NaN */
    ref_f32_to_f16(src, want, 65536);
    for (uint32_t lo = 0; nonfinite && lo < 65536; lo++)
        if (isnan(src[lo])) want[lo] = (uint16_t)(0x7e00 | sign << 15);
    check_narrow("float16", NARROW_F16, src, want, hi);

    /* bfloat16: the block lies between the bfloat16 value hi (its
     * truncation) and the next one away from zero, hi + 1, whose magnitude
     * is 2^128 where hi + 1 is inf (rounding to it there is overflow): the
     * nearer of the two in double arithmetic, on a tie the even one.  Inf
     * stays inf, and a NaN keeps its sign and top 7 payload bits with the
     * quiet bit set (convert.c). */
    if (nonfinite) {
        for (uint32_t lo = 0; lo < 65536; lo++) want[lo] = (uint16_t)(isnan(src[lo]) ? hi | 0x40 : hi);
    } else {
        double below = fabs(decode(hi, 8, 7));
        double above = (hi & 0x7fff) == 0x7f7f ? 0x1p128 : fabs(decode(hi + 1, 8, 7));
        uint16_t even = (uint16_t)(hi & 1 ? hi + 1 : hi);
        for (uint32_t lo = 0; lo < 65536; lo++) {
            double x = fabs((double)src[lo]), down = x - below, up = above - x; /* exact */
            want[lo] = (uint16_t)(down < up ? hi : up < down ? hi + 1 : even);
        }
    }
    check_narrow("bfloat16", NARROW_BF16, src, want, hi);
}

static int quick;
static long threads;

static int edge_block(uint32_t hi) {
    static const uint16_t EDGES[] = {
        0x0000, 0x0001, 0x007f, 0x0080, /* zeros, float32 subnormals, its smallest normals */
        0x3300, 0x337f, 0x3380, 0x3381, /* around half the smallest float16 subnormal (2^-25) and it (2^-24) */
        0x387f, 0x3880,                 /* just under and at 2^-14, float16's smallest normal */
        0x3f80, 0x477f, 0x4780,         /* 1; 65504 to 65535 (overflow from 65520); 2^16 */
        0x7f7f, 0x7f80, 0x7f81, 0x7fc0, 0x7fff, /* the largest floats, inf, NaNs */
    };
    for (size_t i = 0; i < sizeof EDGES / sizeof EDGES[0]; i++)
        if ((hi & 0x7fff) == EDGES[i]) return 1;
    return 0;
}

static void *narrow_worker(void *arg) {
    for (uint32_t hi = (uint32_t)(uintptr_t)arg; hi < 65536; hi += (uint32_t)threads)
        if (!quick || hi % 61 == 0 || edge_block(hi)) check_narrow_block(hi);
    return 0;
}

/* ---------------------------------------------------------- the mask kernel --- */

static uint64_t rng_state = 0x2545F4914F6CDD1Du;
static uint64_t next_u64(void) { /* splitmix64 */
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15u);
    z = (z ^ z >> 30) * 0xBF58476D1CE4E5B9u;
    z = (z ^ z >> 27) * 0x94D049BB133111EBu;
    return z ^ z >> 31;
}
static uint32_t below(uint32_t n) { return (uint32_t)((next_u64() >> 32) * n >> 32); }

/* An element of x: mostly ordinary, often special (NaN with a random
 * payload and sign, +-inf, +-0, a subnormal). */
static void random_element(void *p, int dtype) {
    uint64_t r = next_u64();
    int kind = (int)below(8);
    if (dtype == F32) {
        static const uint32_t SPECIAL[] = {0x7f800000, 0xff800000, 0, 0x80000000, 1, 0x80400000};
        uint32_t u = kind == 0 ? 0x7f800000 | (uint32_t)r | 1 : kind == 1 ? SPECIAL[below(6)] : f32_bits((float)((int64_t)r >> 40) / 1024);
        memcpy(p, &u, 4);
    } else {
        static const uint64_t SPECIAL[] = {0x7ff0000000000000, 0xfff0000000000000, 0, 0x8000000000000000, 1, 0x8008000000000000};
        double d = (double)((int64_t)r >> 20) / 1024;
        uint64_t u = kind == 0 ? 0x7ff0000000000000 | r | 1 : kind == 1 ? SPECIAL[below(6)] : 0;
        if (kind > 1) memcpy(&u, &d, 8);
        memcpy(p, &u, 8);
    }
}

/* One call in one build: x and the mask in guarded buffers at the given
 * placements (pad as in check.h: -1 flush against the right guard page),
 * against a plain loop; the mask and the bytes around both stay as they were. */
static void where_case(int simd, int dtype, const uint8_t *mask_src, const unsigned char *x_src, uint32_t n, double fill,
                       long pad, long mask_pad) {
    size_t es = dtype == F32 ? 4 : 8;
    guarded x = guard_alloc(n * es, pad), m = guard_alloc(n, mask_pad);
    memcpy(x.data, x_src, n * es);
    memcpy(m.data, mask_src, n);
    unsigned char want[512 * 8], fill_bytes[8];
    float fill32 = (float)fill;
    memcpy(fill_bytes, dtype == F32 ? (void *)&fill32 : (void *)&fill, es);
    for (uint32_t i = 0; i < n; i++) memcpy(want + i * es, mask_src[i] ? x_src + i * es : fill_bytes, es);

    where_args args = {m.data, n, fill};
    run_kernel(simd, dtype, OP_WHERE, 0, 0, x.data, 0, &args);
    const char *what = 0;
    if (memcmp(x.data, want, n * es)) what = "x is not x where mask, else fill";
    else if (memcmp(m.data, mask_src, n)) what = "the mask changed";
    else if (!guard_intact(&x) || !guard_intact(&m)) what = "bytes outside x or the mask changed";
    if (what) fail("where_%s (%s) n %u fill %g pad %ld/%ld: %s", dtype == F32 ? "f32" : "f64", simd ? "simd" : "scalar", n, fill, pad, mask_pad, what);
    guard_free(&x), guard_free(&m);
}

static void check_where(void) {
    static const double FILLS[] = {-INFINITY, 0.0, -0.0, 1.5, NAN};
    uint8_t mask[512];
    unsigned char x[512 * 8];
    /* Random lengths 0..100 and masks, a nonzero byte being any of 1..255. */
    for (int trial = 0; trial < 3000; trial++) {
        uint32_t n = below(101);
        int dtype = trial & 1;
        for (uint32_t i = 0; i < n; i++) mask[i] = below(2) ? 0 : (uint8_t)(1 + below(255));
        for (uint32_t i = 0; i < n; i++) random_element(x + i * (dtype == F32 ? 4 : 8), dtype);
        double fill = FILLS[below(5)];
        /* x aligned to its element (as JS places it), the mask anywhere */
        long es = dtype == F32 ? 4 : 8, pad = below(3) ? (long)below(4) * es : -1;
        long mask_pad = below(2) ? -1 : (long)below(16);
        for (int simd = 0; simd < 2; simd++) where_case(simd, dtype, mask, x, n, fill, pad, mask_pad);
    }
    /* Every byte value, twice (in each of a vector's positions), shuffled. */
    for (int dtype = F32; dtype <= F64; dtype++) {
        for (int i = 0; i < 512; i++) mask[i] = (uint8_t)i;
        for (int i = 511; i > 0; i--) {
            int j = (int)below((uint32_t)i + 1);
            uint8_t t = mask[i];
            mask[i] = mask[j], mask[j] = t;
        }
        for (int i = 0; i < 512; i++) random_element(x + i * (dtype == F32 ? 4 : 8), dtype);
        for (int simd = 0; simd < 2; simd++) where_case(simd, dtype, mask, x, 512, -INFINITY, 0, -1);
    }
}

int main(int argc, char **argv) {
    quick = argc > 1 && !strcmp(argv[1], "quick");
    check_widen("float16", WIDEN_F16, 5, 10);
    check_widen("bfloat16", WIDEN_BF16, 8, 7);
    check_where();

    threads = sysconf(_SC_NPROCESSORS_ONLN);
    threads = threads < 1 ? 1 : threads > 64 ? 64 : threads;
    pthread_t tid[64];
    for (long t = 0; t < threads; t++)
        if (pthread_create(&tid[t], 0, narrow_worker, (void *)(uintptr_t)t)) perror("pthread_create"), exit(2);
    for (long t = 0; t < threads; t++) pthread_join(tid[t], 0);

    long f = atomic_load(&failures);
    printf("conversions and mask kernel: %s, %ld failures\n",
           quick ? "every 16-bit pattern widened, float32 patterns sampled" : "every 16-bit and every float32 pattern", f);
    return f != 0;
}
