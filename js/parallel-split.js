// How the pool (js/parallel.js) cuts one resolved call into independent
// parts, and how a part's elements are found in the whole: shared by the
// calling thread and the workers (js/parallel-worker.js), which both gather
// and scatter parts.
//
// A call's plan (js/plan.js) merges its axes into groups, alternately
// reduced and kept, each group contiguous in C order.  The pool cuts the
// first kept group, of size K, into ranges [k0, k1): with P the elements of
// the groups before it (all reduced) and S those after it, x is [P, K, S],
// and a part is P runs of (k1 - k0) * S contiguous elements, one per step
// of the leading groups.  Every slice lies wholly inside one part, so a part
// is itself a call, of the same groups with K replaced by k1 - k0, which
// the wasm API computes slice for slice as it would within the whole.

/**
 * The groups of a block plan, outermost first: {size, kept}.  Group strides
 * strictly decrease (each is the product of the sizes after it), so sorting
 * by stride restores the order that planBlocks merged them in.
 * @param {import('./plan.js').BlockPlan} plan
 */
export function planGroups(plan) {
  const groups = [
    ...plan.outer.map((d) => ({ size: d.size, stride: d.stride, kept: true })),
    ...plan.reduced.map((d) => ({ size: d.size, stride: d.stride, kept: false })),
  ];
  if (plan.inner > 1) groups.push({ size: plan.inner, stride: 1, kept: true });
  else if (plan.run > 1) groups.push({ size: plan.run, stride: 1, kept: false });
  return groups.sort((a, b) => b.stride - a.stride).map(({ size, kept }) => ({ size, kept }));
}

/**
 * Cuts a call of `groups` into at most `parts` parts along its first kept
 * group.  A call with no kept group (one slice: every axis reduced) is one
 * part, as if a kept group of size 1 led: a long slice is not cut here.
 * @returns {Array<{P: number, K: number, S: number, k0: number, k1: number,
 *   shape: number[], axes: number[], out0: number, out1: number}>}
 *   per part: its geometry, the shape and axes of the call it is, and the
 *   range of a reduction's results it gives (C order of the kept groups).
 */
export function splitGroups(groups, parts) {
  if (!groups.some((g) => g.kept)) groups = [{ size: 1, kept: true }, ...groups];
  const j = groups.findIndex((g) => g.kept);
  const K = groups[j].size;
  const n = Math.min(parts, K);
  const prod = (gs) => gs.reduce((p, g) => p * g.size, 1);
  const P = prod(groups.slice(0, j)), S = prod(groups.slice(j + 1));
  const keptAfter = prod(groups.slice(j + 1).filter((g) => g.kept));
  const axes = groups.flatMap((g, i) => (g.kept ? [] : [i]));
  const out = [];
  for (let i = 0; i < n; i++) {
    // Balanced: the first K % n parts take one more.
    const k0 = i * Math.floor(K / n) + Math.min(i, K % n);
    const k1 = k0 + Math.floor(K / n) + (i < K % n ? 1 : 0);
    const shape = groups.map((g, d) => (d === j ? k1 - k0 : g.size));
    out.push({ P, K, S, k0, k1, shape, axes, out0: k0 * keptAfter, out1: k1 * keptAfter });
  }
  return out;
}

/**
 * A part's elements of `src` (C order of the whole), as one dense array:
 * a view of src where the part is one run (P == 1) unless `copy`.
 */
export function gather(src, g, copy = false) {
  const W = (g.k1 - g.k0) * g.S, at = g.k0 * g.S, row = g.K * g.S;
  if (g.P === 1) return copy ? src.slice(at, at + W) : src.subarray(at, at + W);
  const out = new src.constructor(g.P * W);
  for (let p = 0; p < g.P; p++) out.set(src.subarray(p * row + at, p * row + at + W), p * W);
  return out;
}

/** The inverse of gather: a part's dense elements back into `dst` (C order of the whole). */
export function scatter(part, g, dst) {
  const W = (g.k1 - g.k0) * g.S, at = g.k0 * g.S, row = g.K * g.S;
  for (let p = 0; p < g.P; p++) dst.set(g.P === 1 ? part : part.subarray(p * W, p * W + W), p * row + at);
}

/**
 * Cuts a call's slices themselves, for calls with fewer slices to cut than
 * `parts` (one long row, say): splitGroups can keep only min(parts, K)
 * workers busy, K its first kept group's size.  With r the outermost
 * reduced group, Q the elements of the (kept) groups before it and T those
 * after it, x is [Q, R, T]; each of its Q * R units of T elements is
 * contiguous, and so is every range of units.  The units are cut into
 * balanced ranges, one per worker; a range is one or more pieces (one per
 * index q it touches), and a piece holds part of each of q's `keptAfter`
 * slices, which the kernels reduce to partial states (js/stream.js) for the
 * calling thread to merge.  Units are never cut, so a piece is itself a
 * call of shape [r1 - r0, ...sizes after r] reduced over `axes`.
 *
 * Returns null when this would keep no more workers busy than splitGroups
 * does, or when a worker's range would hold fewer than `minChunk` elements
 * (the two rounds of messages would cost more than the kernels save).
 * @returns {null | {slices: number, keptAfter: number, T: number, after: number[], axes: number[],
 *   chunks: Array<{at: number, end: number, pieces: Array<{q: number, at: number, len: number}>}>}}
 *   `chunks`: per worker, its elements [at, end) of x and its pieces (`at`
 *   relative to the chunk's); `slices`: Q * keptAfter, in logsumexp's order.
 */
export function splitSlices(groups, parts, minChunk) {
  const r = groups.findIndex((g) => !g.kept);
  if (r < 0) return null; // nothing reduced (an element-wise call)
  const prod = (gs) => gs.reduce((p, g) => p * g.size, 1);
  const Q = prod(groups.slice(0, r)), R = groups[r].size, rest = groups.slice(r + 1), T = prod(rest);
  const keptAfter = prod(rest.filter((g) => g.kept));
  const K = groups.find((g) => g.kept)?.size ?? 1;
  const U = Q * R;
  const n = Math.min(parts, U, Math.floor((U * T) / minChunk));
  if (n <= Math.min(parts, K)) return null;
  const chunks = [];
  for (let i = 0; i < n; i++) {
    const u0 = i * Math.floor(U / n) + Math.min(i, U % n);
    const u1 = u0 + Math.floor(U / n) + (i < U % n ? 1 : 0);
    const pieces = [];
    for (let q = Math.floor(u0 / R); q * R < u1; q++) {
      const r0 = Math.max(u0, q * R), r1 = Math.min(u1, (q + 1) * R);
      pieces.push({ q, at: (r0 - u0) * T, len: (r1 - r0) * T });
    }
    chunks.push({ at: u0 * T, end: u1 * T, pieces });
  }
  return {
    slices: Q * keptAfter, keptAfter, T, after: rest.map((g) => g.size),
    axes: [0, ...rest.flatMap((g, i) => (g.kept ? [] : [i + 1]))], chunks,
  };
}
