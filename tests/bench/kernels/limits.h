/* Two reference passes for the benchmark, in the element type whose
 * vocabulary (c/vec_f32.h or c/vec_f64.h) and kernels (c/kernels.h) were
 * included before this.  They bound what log_softmax can reach:
 *
 *   floor:   per slice, one read pass (a max) and one read-and-write pass
 *            (y = x - m); the memory traffic of log_softmax with no exp and
 *            no log.  Out of cache, nothing that reads twice and writes once
 *            can beat it.
 *   expsum:  per slice, the library's own pass 2 (sum of exp(x - m), with
 *            its accumulators and flushes); in cache, the exp is the work,
 *            so this is the throughput limit of the exp itself.
 *
 * Both take `rows` contiguous slices of `n` elements. */

void NAME(bench_floor)(const T *x, T *y, uint32_t rows, uint32_t n) {
    for (uint32_t r = 0; r < rows; r++, x += n, y += n) {
        V acc[NV];
        for (int u = 0; u < NV; u++) acc[u] = v_splat(-INFINITY);
        size_t i = 0;
        for (; i + LANES <= n; i += LANES) max_block(acc, x + i);
        for (int u = 1; u < NV; u++) acc[0] = v_pmax(acc[0], acc[u]);
        T lanes[VL], m = -INFINITY;
        v_store(lanes, acc[0]);
        for (int k = 0; k < VL; k++) m = m < lanes[k] ? lanes[k] : m;
        for (; i < n; i++) m = m < x[i] ? x[i] : m;
        V mv = v_splat(m);
        for (i = 0; i + VL <= n; i += VL) v_store(y + i, v_sub(v_load(x + i), mv));
        for (; i < n; i++) y[i] = x[i] - m;
    }
}

/* Returns the sum over all slices, so that nothing is optimised away. */
double NAME(bench_expsum)(const T *x, uint32_t rows, uint32_t n) {
    double total = 0;
    for (uint32_t r = 0; r < rows; r++, x += n) {
        totals tot = {0};
        run_expsum(x, 0, n, 0, 0, &tot, SUM_ONLY, 0);
        total += lanes_total(&tot, 0);
    }
    return total;
}
