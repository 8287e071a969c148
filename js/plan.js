// Reduction plans: how a reduction over any set of axes walks C-order memory.
// The planner returns a structure; each back end encodes it at its edge (the
// C kernels' uint32 words below, the WGSL kernels' uniforms in webgpu.js).

/**
 * @typedef {{size: number, stride: number}} Dim
 * @typedef {{inner: number, run: number, outer: Dim[], reduced: Dim[], slices: number, length: number}} BlockPlan
 *   Size-1 axes dropped and neighbouring axes of the same kind merged, the
 *   rest splits into outer and reduced dims plus the contiguous last group:
 *   rows mode (inner == 1) when that group is reduced, each slice made of
 *   runs of `run` contiguous elements; column mode (run == 1) when it is
 *   kept, `inner` neighbouring slices side by side.  `slices` slices of
 *   `length` elements each.  See c/blocks.h.
 * @typedef {{size: number, strideA: number, strideB: number}} WeightedDim
 * @typedef {{outer: WeightedDim[], reduced: WeightedDim[], slices: number, length: number}} WeightedPlan
 *   A weighted logsumexp broadcasts a and b independently, so each dim has
 *   a stride per operand (0 where that operand is broadcast).
 */

const product = (dims) => dims.reduce((n, d) => n * d.size, 1);

// The last plan and its words, remade only for other shapes or axes (a
// quarter of a small call off the fast path); frozen to serve many calls.
let last = { shape: [], axes: [], plan: null, words: null };
const same = (a, b) => a.length === b.length && a.every((v, i) => v === b[i]);

/** @returns {BlockPlan} */
export function planBlocks(shape, axes) {
  if (!last.plan || !same(shape, last.shape) || !same(axes, last.axes)) {
    const p = makePlan(shape, axes);
    [...p.outer, ...p.reduced, p.outer, p.reduced, p].forEach(Object.freeze);
    last = { shape: [...shape], axes: [...axes], plan: p, words: null };
  }
  return last.plan;
}

function makePlan(shape, axes) {
  const reduced = new Set(axes);
  const groups = [];
  shape.forEach((size, d) => {
    if (size === 1) return;
    const r = reduced.has(d);
    const last = groups[groups.length - 1];
    if (last && last.reduced === r) last.size *= size;
    else groups.push({ size, reduced: r });
  });
  let stride = 1;
  for (let g = groups.length - 1; g >= 0; g--) {
    groups[g].stride = stride;
    stride *= groups[g].size;
  }
  const tail = groups.pop() ?? { size: 1, reduced: true };
  const dim = ({ size, stride }) => ({ size, stride });
  const outer = groups.filter((g) => !g.reduced).map(dim);
  const red = groups.filter((g) => g.reduced).map(dim);
  const inner = tail.reduced ? 1 : tail.size, run = tail.reduced ? tail.size : 1;
  return { inner, run, outer, reduced: red, slices: inner * product(outer), length: run * product(red) };
}

/** @returns {WeightedPlan} for the broadcast shape `full` and each operand's strides in it. */
export function planWeighted(full, aStrides, bStrides, axes) {
  const reduced = new Set(axes);
  const outer = [], red = [];
  full.forEach((size, d) => {
    if (size !== 1) (reduced.has(d) ? red : outer).push({ size, strideA: aStrides[d], strideB: bStrides[d] });
  });
  return { outer, reduced: red, slices: product(outer), length: product(red) };
}

/** lsm_plan's words (c/blocks.h): inner, run, n_outer, n_red, then (size, stride) per dim. */
export const encodeBlocks = (p) => (p === last.plan ? (last.words ??= wordsOf(p)) : wordsOf(p));

function wordsOf(p) {
  const dims = [...p.outer, ...p.reduced];
  const words = new Uint32Array(4 + 2 * dims.length);
  words.set([p.inner, p.run, p.outer.length, p.reduced.length]);
  dims.forEach((d, i) => words.set([d.size, d.stride], 4 + 2 * i));
  return words;
}

/** lsm_wplan's words (c/blocks.h): n_outer, n_red, then (size, stride_a, stride_b) per dim. */
export function encodeWeighted(p) {
  const dims = [...p.outer, ...p.reduced];
  const words = new Uint32Array(2 + 3 * dims.length);
  words.set([p.outer.length, p.reduced.length]);
  dims.forEach((d, i) => words.set([d.size, d.strideA, d.strideB], 2 + 3 * i));
  return words;
}
