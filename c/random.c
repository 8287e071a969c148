/* The built-in generator of sample()'s `seed` (exports.h's LSM_RANDOM):
 * PCG32 (O'Neill, pcg-random.org; pcg_basic.c's pcg32_random_r), 64-bit
 * LCG state, XSH RR output:
 *
 *   step:    state = state * 6364136223846793005 + inc   (mod 2^64)
 *   output:  x = ((old >> 18) ^ old) >> 27 (low 32 bits), rot = old >> 59,
 *            (x >> rot) | (x << (-rot & 31))   from the state before the step
 *   seeding: as pcg32_srandom_r: inc = 0xda3e39cb94b95bdb (the stream of
 *            pcg_basic.h's PCG32_INITIALIZER), state = 0, step,
 *            state += seed (0 to 2^32 - 1), step.
 *
 * Each uniform takes two outputs a, b: (a >> 5) * 2^26 + (b >> 6), times
 * 2^-53 (genrand_res53's construction): 53 random bits, a double in [0, 1).
 * Integer arithmetic only: every build gives the same bits. */
#include "exports.h"

LSM_RANDOM(LSM_DECLARE_RANDOM)

#define PCG_MULT 6364136223846793005ull
#define PCG_INC 0xda3e39cb94b95bdbull

static uint32_t pcg32_next(uint64_t *state) {
    const uint64_t old = *state;
    *state = old * PCG_MULT + PCG_INC;
    const uint32_t x = (uint32_t)(((old >> 18) ^ old) >> 27), rot = (uint32_t)(old >> 59);
    return (x >> rot) | (x << ((0u - rot) & 31));
}

void LSM_SYMBOL(lsm_pcg32_uniforms)(uint32_t seed, double *u, uint32_t count) {
    uint64_t state = 0;
    pcg32_next(&state);
    state += seed;
    pcg32_next(&state);
    for (uint32_t i = 0; i < count; i++) {
        const uint32_t a = pcg32_next(&state) >> 5, b = pcg32_next(&state) >> 6;
        u[i] = ((double)a * 67108864.0 + (double)b) * 0x1p-53;
    }
}
