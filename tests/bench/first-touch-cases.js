// What a fresh result array costs, and what the library could do about it:
// the ways to copy n float32s out of wasm memory into a new array, side by
// side, and the public call with a fresh result against `out`.  Runs in Node
// (first-touch.js) and in Chromium (browser.js, through first-touch.js
// --browser) alike: plain JS and WebAssembly only.
import { load } from '../../js/index.js';
import { timeSideBySide } from './timing.js';
import { makeInputs } from './workloads.js';

/**
 * Ways to get n float32s at element `at` of wasm memory (h) into a new
 * Float32Array: what js/api.js's copyOut could do when there is no `out`.
 * "new, no copy" and "reused array, set" are bounds, not candidates: the
 * allocation alone, and the copy alone (the `out` path).
 */
const STRATEGIES = [
  ['TypedArray slice (copyOut today)', (h, at, n) => h.slice(at, at + n)],
  ['new + set', (h, at, n) => {
    const o = new Float32Array(n);
    o.set(h.subarray(at, at + n));
    return o;
  }],
  ['new + copy loop', (h, at, n) => {
    const o = new Float32Array(n);
    for (let i = 0; i < n; i++) o[i] = h[at + i];
    return o;
  }],
  ['ArrayBuffer slice', (h, at, n) => new Float32Array(h.buffer.slice(4 * at, 4 * (at + n)))],
  ['new Float32Array(subarray)', (h, at, n) => new Float32Array(h.subarray(at, at + n))],
  ['bound: new, no copy', (h, at, n) => new Float32Array(n)],
  ['bound: reused array, set', null], // made per size below
];

export const FIRST_TOUCH_SIZES = [1000, 16000, 64000, 262144, 4194304];

/**
 * Times the strategies at each size, then logSoftmax of [64,1000] (and
 * [8,32000]) fresh, with `out` reused, with `out` allocated per call (the
 * result allocated before the kernel runs), and in place.
 * @param {{cfg: object, sizes?: number[]}} request
 * @returns {Promise<{copies: object, calls: object}>} µs per call, by size or shape, then by name
 */
export async function firstTouch({ cfg, sizes = FIRST_TOUCH_SIZES }) {
  const memory = new WebAssembly.Memory({ initial: Math.ceil((4 * Math.max(...sizes) + 4096) / 65536) });
  const h = new Float32Array(memory.buffer), at = 1024; // 4 KiB in, as the library's data follows its plan
  h.set(makeInputs(Math.max(...sizes)).x32, at);
  const copies = {};
  for (const n of sizes) {
    const reused = new Float32Array(n);
    const entries = STRATEGIES.map(([name, f]) => ({
      name,
      call: f ? () => f(h, at, n) : () => reused.set(h.subarray(at, at + n)),
      // A fresh loop per strategy and size (timing.js compiles one per entry).
    }));
    const timed = await timeSideBySide(entries, cfg);
    copies[n] = Object.fromEntries(entries.map((e, i) => [e.name, timed[i].ms * 1e3]));
  }
  const calls = {};
  const api = await load({ build: 'simd' }); // SIMD128: the same build in both engines (Node 20 runs relaxed SIMD only behind a flag)
  for (const shape of [[64, 1000], [8, 32000]]) {
    const n = shape[0] * shape[1], x = makeInputs(n).x32, opts = { shape, axis: -1 };
    const out = new Float32Array(n), y = x.slice();
    const withOut = { ...opts, out }, inPlace = { ...opts, out: y };
    const entries = [
      { name: 'fresh result', call: () => api.logSoftmax(x, opts) },
      { name: '`out` reused', call: () => api.logSoftmax(x, withOut) },
      { name: '`out` new per call', call: () => api.logSoftmax(x, { ...opts, out: new Float32Array(n) }) },
      { name: 'in place', call: () => api.logSoftmax(y, inPlace) }, // idempotent: y keeps its values
    ];
    const timed = await timeSideBySide(entries, cfg);
    calls[`[${shape}]`] = Object.fromEntries(entries.map((e, i) => [e.name, timed[i].ms * 1e3]));
  }
  return { copies, calls };
}
