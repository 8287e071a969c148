// The benchmark's workloads and their inputs.

export const WORKLOADS = [
  { label: '[1,10]', shape: [1, 10], axis: -1 },
  { label: '[1,1000]', shape: [1, 1000], axis: -1 },
  { label: '[64,1000]', shape: [64, 1000], axis: -1 },
  { label: '[8,32000]', shape: [8, 32000], axis: -1 },
  { label: '[1,262144]', shape: [1, 262144], axis: -1 },
  { label: '[1000,10]', shape: [1000, 10], axis: -1 },
  { label: '[1000,64] ax0', shape: [1000, 64], axis: 0 },
  { label: '[16,128,128] ax[1,2]', shape: [16, 128, 128], axis: [1, 2] },
  // Not in the list: 64 MB of float32, twice this machine's L3, so
  // that "out of cache" really is (1 MB rows still fit in L2/L3 here).
  { label: '[1,16M]', shape: [1, 2 ** 24], axis: -1, huge: true },
  // Not in the list either: a quarter of the logits -inf, as top-k
  // or attention masks leave them, which puts the exp's range handling on
  // the hot path.
  { label: '[64,1000] masked', shape: [64, 1000], axis: -1, masked: 0.25 },
].map((wl) => {
  const list = Array.isArray(wl.axis) ? wl.axis : [wl.axis];
  const axes = list.map((a) => (a < 0 ? a + wl.shape.length : a)).sort((p, q) => p - q);
  const size = wl.shape.reduce((p, q) => p * q, 1);
  return { ...wl, axes, size, ...blockView(wl.shape, axes) };
});

/** The workload as [outer, n, inner] around its (contiguous) reduced axes. */
function blockView(shape, axes) {
  const prod = (a, b) => shape.slice(a, b).reduce((p, q) => p * q, 1);
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
export function makeInputs(size, masked = 0, seed = 12345) {
  let s = seed >>> 0;
  const uniform = () => {
    // mulberry32
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296;
  };
  const x32 = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    x32[i] = 3 * Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
    if (masked && uniform() < masked) x32[i] = -Infinity;
  }
  return { x32, x64: Float64Array.from(x32) }; // identical values in both types
}
