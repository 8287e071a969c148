// Slices along one axis as contiguous rows: the layout that the jobs' kernels
// (topK, crossEntropy, sample) take.  A last-axis slice already is a row, so
// nothing is copied then; any other axis is gathered into rows once, and
// results shaped like x scattered back.

/**
 * The geometry of slicing `shape` along `axis` (already normalised to 0..nd-1):
 * `rows` slices of `n` elements, `inner` apart in memory (1 for the last axis).
 * @returns {{rows: number, n: number, outer: number, inner: number}}
 */
export function rowGeometry(shape, axis) {
  let outer = 1, inner = 1;
  for (let d = 0; d < axis; d++) outer *= shape[d];
  for (let d = axis + 1; d < shape.length; d++) inner *= shape[d];
  return { rows: outer * inner, n: shape[axis] ?? 1, outer, inner };
}

/** `data` (C order, sliced as `g`) with every slice made a contiguous row, in C order of the kept dims. */
export function gatherRows(data, g) {
  if (g.inner === 1) return data;
  const out = new data.constructor(g.rows * g.n);
  for (let o = 0; o < g.outer; o++) {
    const base = o * g.n * g.inner;
    for (let i = 0; i < g.inner; i++) {
      const row = (o * g.inner + i) * g.n;
      for (let k = 0; k < g.n; k++) out[row + k] = data[base + k * g.inner + i];
    }
  }
  return out;
}

/** The inverse of gatherRows: rows of `n` back into C order, into `out` (a new array like `rows` if absent). */
export function scatterRows(rows, g, out = new rows.constructor(rows.length)) {
  if (g.inner === 1) {
    if (out !== rows) out.set(rows);
    return out;
  }
  for (let o = 0; o < g.outer; o++) {
    const base = o * g.n * g.inner;
    for (let i = 0; i < g.inner; i++) {
      const row = (o * g.inner + i) * g.n;
      for (let k = 0; k < g.n; k++) out[base + k * g.inner + i] = rows[row + k];
    }
  }
  return out;
}
