// The benchmark's workloads and their inputs.
import { size, axesOf } from '../../js/reference/shapes.js';
import { seededRandom } from '../../js/reference/random.js';

export const WORKLOADS = [
  { label: '[1,10]', shape: [1, 10], axis: -1 },
  { label: '[1,1000]', shape: [1, 1000], axis: -1 },
  { label: '[64,1000]', shape: [64, 1000], axis: -1 },
  { label: '[8,32000]', shape: [8, 32000], axis: -1 },
  // 32 MB of float32 in rows of 128 KB: out of cache as a whole, each row in it.
  { label: '[256,32000]', shape: [256, 32000], axis: -1 },
  { label: '[1,262144]', shape: [1, 262144], axis: -1 },
  { label: '[1000,10]', shape: [1000, 10], axis: -1 },
  { label: '[1000,64] ax0', shape: [1000, 64], axis: 0 },
  { label: '[16,128,128] ax[1,2]', shape: [16, 128, 128], axis: [1, 2] },
  // Beyond the peers' usual sizes: 64 MB of float32, twice this machine's L3, so
  // that "out of cache" really is (1 MB rows still fit in L2/L3 here).
  { label: '[1,16M]', shape: [1, 2 ** 24], axis: -1, huge: true },
  // And a quarter of the logits -inf, as top-k
  // or attention masks leave them, which puts the exp's range handling on
  // the hot path.
  { label: '[64,1000] masked', shape: [64, 1000], axis: -1, masked: 0.25 },
].map((wl) => {
  const axes = axesOf(wl.axis, wl.shape.length);
  return { ...wl, axes, size: size(wl.shape), ...blockView(wl.shape, axes) };
});

/** The workload as [outer, n, inner] around its (contiguous) reduced axes. */
function blockView(shape, axes) {
  const prod = (a, b) => size(shape.slice(a, b));
  const first = axes[0], last = axes[axes.length - 1];
  if (last - first + 1 !== axes.length) throw new Error('the benchmark expects contiguous axes');
  return { outer: prod(0, first), n: prod(first, last + 1), inner: prod(last + 1, shape.length) };
}

/** A 2-D shape that puts the reduced axes last, if a reshape can (no copy). */
export function lastAxisView(wl) {
  if (wl.inner !== 1) return null;
  return wl.axes.length === 1 ? wl.shape : [wl.outer, wl.n];
}

/** Logits ~ N(0, 3^2) from a fixed seed, the fraction `masked` of them -inf: the same numbers on every run. */
export function makeInputs(n, masked = 0, seed = 12345) {
  const rand = seededRandom(seed);
  // Half a step up, into (0, 1), so that log(uniform()) is finite:
  // k/2^32 + 2^-33 is (k + 0.5)/2^32 exactly.
  const uniform = () => rand() + 2 ** -33;
  const x32 = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    x32[i] = 3 * Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
    if (masked && uniform() < masked) x32[i] = -Infinity;
  }
  return { x32, x64: Float64Array.from(x32) }; // identical values in both types
}
