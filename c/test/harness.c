/* The native test harness: every kernel (log_softmax, softmax, logsumexp,
 * weighted logsumexp; f32 and f64; SIMD through SIMDe and scalar) over
 * many lengths, placements, shapes and axis sets, ordinary and hostile
 * values.  Each case goes through check_case (check.c).
 *
 *   harness            the full run (seconds under ASan)
 *   harness quick      a smaller run, for valgrind */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"

static uint64_t rng_state = 0x9E3779B97F4A7C15u;
static uint64_t next_u64(void) { /* splitmix64 */
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15u);
    z = (z ^ z >> 30) * 0xBF58476D1CE4E5B9u;
    z = (z ^ z >> 27) * 0x94D049BB133111EBu;
    return z ^ z >> 31;
}
static double uniform(void) { return (next_u64() >> 11) * 0x1p-53; }
static uint32_t below(uint32_t n) { return (uint32_t)(uniform() * n); }
static double normal(void) { return sqrt(-2 * log(1 - uniform())) * cos(6.283185307179586 * uniform()); }

/* Hostile values: infinities, NaN, subnormals, the edges of both ranges. */
static const double SPECIALS[] = {INFINITY, -INFINITY, NAN, 0.0, -0.0, 1e-45, -1e-45, 5e-324, 1e-310, 3e38, -3e38,
                                  3.4028234663852886e38, 1e308, -1e308, 1.7976931348623157e308, 88.8, -104.0, 709.0};
#define N_SPECIALS (sizeof SPECIALS / sizeof SPECIALS[0])

typedef enum { PLAIN, OFFSET, MASKED, HOSTILE } flavour;

/* Logits with sd 5; OFFSET adds 1000 (cancellation in x - m), MASKED sets
 * a quarter to -inf, HOSTILE puts a special value in about 1 of 8. */
static void fill(double *v, size_t n, flavour f) {
    for (size_t i = 0; i < n; i++) {
        v[i] = 5 * normal() + (f == OFFSET ? 1000 : 0);
        if (f == MASKED && below(4) == 0) v[i] = -INFINITY;
        if (f == HOSTILE && below(8) == 0) v[i] = SPECIALS[below(N_SPECIALS)];
    }
}

static long cases, failures;

static void run(test_case *c) {
    char why[512];
    cases++;
    if (!check_case(c, why, sizeof why)) return;
    if (++failures > 20) return;
    fprintf(stderr, "FAIL %s %s shape [", op_name(c->op), c->dtype == F32 ? "f32" : "f64");
    for (int d = 0; d < c->ndim; d++) fprintf(stderr, "%s%u", d ? ", " : "", c->shape[d]);
    fprintf(stderr, "] axes 0x%x pad %ld: %s\n", c->axes, c->pad, why);
}

/* Every op and dtype for one shape and axis set, with fresh data. */
static void run_all_ops(int ndim, const uint32_t *shape, unsigned axes, flavour f, long pad) {
    test_case c = {0};
    c.ndim = ndim, c.axes = axes, c.pad = pad;
    memcpy(c.shape, shape, ndim * sizeof *shape);
    size_t n = case_size(&c), nb = 1;
    for (int d = 0; d < ndim; d++) c.bshape[d] = below(3) == 0 ? 1 : shape[d], nb *= c.bshape[d];
    double *x = malloc(n * sizeof *x), *b = malloc(nb * sizeof *b);
    fill(x, n, f);
    for (size_t i = 0; i < nb; i++) /* positive weights, some masked (0), some negative */
        b[i] = below(5) == 0 ? 0 : below(7) == 0 ? -uniform() : 0.1 + uniform();
    c.x = x, c.b = b;
    for (c.dtype = F32; c.dtype <= F64; c.dtype++)
        for (c.op = OP_LOG_SOFTMAX; c.op <= OP_WEIGHTED; c.op++)
            for (c.with_sign = 0; c.with_sign <= (c.op >= OP_LOGSUMEXP); c.with_sign++) run(&c);
    free(x), free(b);
}

/* Rows and runs: 1-D lengths around every multiple of the lane counts,
 * at buffer placements that touch either guard page or are misaligned. */
static void lengths(uint32_t max_len, const uint32_t *extra, int n_extra) {
    static const long pads[] = {0, -1, 4, 8, 12};
    for (uint32_t len = 1; len <= max_len + n_extra; len++) {
        uint32_t n = len <= max_len ? len : extra[len - max_len - 1];
        run_all_ops(1, &n, 1, (flavour)(len % 4), pads[len % 5]);
    }
}

/* Named shapes that reach each loop shape of the kernels (see c/blocks.h). */
static void named_shapes(void) {
    static const struct { int ndim; uint32_t shape[4]; unsigned axes; } S[] = {
        {2, {3, 37}, 2},        /* rows mode, several outer rows */
        {2, {37, 3}, 1},        /* column mode, a partial strip */
        {2, {5, 16}, 1},        /* column mode, exactly one strip */
        {2, {4, 33}, 1},        /* column mode, two full strips and a tail */
        {3, {3, 4, 5}, 5},      /* rows mode, several runs per slice */
        {3, {6, 2, 19}, 5},     /* the same with runs longer than a block */
        {3, {3, 7, 18}, 2},     /* column mode with outer dims on both sides */
        {4, {2, 3, 4, 5}, 10},  /* alternating kept and reduced dims */
        {4, {2, 3, 4, 5}, 5},   /* column mode, two reduced dims */
        {3, {1, 40, 1}, 2},     /* size-1 dims dropped */
        {3, {4, 1, 9}, 0},      /* no axes: element-wise */
        {2, {1, 1}, 3},         /* one element */
        {2, {300, 70}, 2},      /* longer rows */
        {2, {70, 300}, 1},      /* longer columns */
    };
    for (size_t i = 0; i < sizeof S / sizeof S[0]; i++)
        for (int f = PLAIN; f <= HOSTILE; f++) run_all_ops(S[i].ndim, S[i].shape, S[i].axes, f, i % 2 ? -1 : 0);
}

/* Random shapes up to rank 5 and random axis sets. */
static void random_shapes(int count) {
    for (int k = 0; k < count; k++) {
        int ndim = 1 + below(5);
        uint32_t shape[5];
        for (int d = 0; d < ndim; d++) shape[d] = 1 + below(below(4) == 0 ? 20 : 6);
        run_all_ops(ndim, shape, below(1u << ndim), (flavour)below(4), below(2) ? -1 : 4 * (long)below(4));
    }
}

/* scipy's special-value table (README, Semantics), row by row.  The
 * reference encodes these rules; this makes sure each row is exercised in
 * both dtypes, in rows mode and (shape [2, 16], axis 0) in column mode. */
static void special_table(void) {
    static const double T[][2] = {{1000, 1}, {-INFINITY, -INFINITY}, {INFINITY, 1}, {INFINITY, INFINITY},
                                  {INFINITY, -INFINITY}, {-INFINITY, 0}, {NAN, 1}, {88.8, 0}};
    for (size_t i = 0; i < sizeof T / sizeof T[0]; i++) {
        double col[32];
        for (int j = 0; j < 16; j++) col[j] = T[i][0], col[16 + j] = T[i][1];
        test_case c = {.ndim = 1, .shape = {2}, .axes = 1, .x = T[i]};
        test_case s = {.ndim = 2, .shape = {2, 16}, .axes = 1, .x = col};
        for (int dt = F32; dt <= F64; dt++)
            for (int op = OP_LOG_SOFTMAX; op <= OP_LOGSUMEXP; op++)
                c.dtype = s.dtype = dt, c.op = s.op = op, run(&c), run(&s);
    }
}

int main(int argc, char **argv) {
    int quick = argc > 1 && !strcmp(argv[1], "quick");
    static const uint32_t extra[] = {255, 256, 257, 1000, 1023, 4097, 65539};
    special_table();
    named_shapes();
    lengths(quick ? 40 : 300, extra, quick ? 4 : 7);
    random_shapes(quick ? 40 : 400);
    printf("native harness: %ld cases (each: SIMD, scalar, in place), %ld failures\n", cases, failures);
    return failures != 0;
}
