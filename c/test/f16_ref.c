/* The float16 rounding that test/convert.c checks narrowing against: the
 * compiler's own float -> _Float16 conversion, which rounds to nearest even
 * (the F16C instruction vcvtps2ph where the CPU has it and the Makefile
 * asks for it, else the runtime's __truncsfhf2).  Its own translation unit,
 * compiled by a clang with _Float16 on x86-64 (15 and later) and without
 * sanitizers, so that the rest of the test can be built by any clang. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

void ref_f32_to_f16(const float *src, uint16_t *dst, size_t n);

void ref_f32_to_f16(const float *src, uint16_t *dst, size_t n) {
    for (size_t i = 0; i < n; i++) {
        _Float16 h = (_Float16)src[i];
        memcpy(dst + i, &h, 2);
    }
}
