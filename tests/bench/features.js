#!/usr/bin/env node
// npm run bench -- --features  (or: node tests/with-relaxed-simd.js tests/bench/features.js [--quick])
//
// What masks and half precision cost, side by side in one process, each
// call as a user makes it (result arrays allocated by the call):
//   masked    logSoftmax with `where` (a Uint8Array, a quarter masked out)
//             against the same call unmasked, and against the usual
//             workaround in JS: logSoftmax(x + log(mask)), the sum built per
//             call;
//   float16   logSoftmax and softmax of a Uint16Array of float16 bits against
//             the same values as a Float32Array, in elements per second,
//             with fresh results and into `out` (arrays of the result type
//             made once).
// Prints a table of ratios (medians) per build.
import { load } from '../../js/index.js';
import { relaxedSimdSupported } from '../../js/wasm.js';
import { timeSideBySide } from './timing.js';
import { makeInputs } from './workloads.js';
import { toFloat16Bits } from '../../js/reference/float16.js';
import { seededRandom } from '../../js/reference/random.js';

const QUICK = process.argv.includes('--quick');
const CFG = QUICK ? { batchMs: 3, batches: 7, warmMs: 15 } : { batchMs: 15, batches: 9, warmMs: 60 };
const SHAPES = [[64, 1000], [8, 32000], [1, 262144]];
const builds = [...(relaxedSimdSupported() ? ['relaxed'] : []), 'simd', 'scalar'];

const rows = [];
for (const build of builds) {
  const api = await load({ build });
  for (const shape of SHAPES) {
    const n = shape[0] * shape[1];
    const { x32 } = makeInputs(n);
    const rand = seededRandom(3);
    const where = Uint8Array.from({ length: n }, () => (rand() < 0.25 ? 0 : 1));
    const logMask = Float32Array.from(where, (m) => Math.log(m));
    const bits = Uint16Array.from(x32, toFloat16Bits);
    const x16 = Float32Array.from(x32, (v) => v); // same length, float32: the baseline for bits
    const opts = { shape, axis: -1 };
    const masked = { ...opts, where }, half = { ...opts, dtype: 'float16' };
    const into32 = { ...opts, out: new Float32Array(n) }, into16 = { ...half, out: new Uint16Array(n) };
    const entries = [
      { call: () => api.logSoftmax(x32, opts) },
      { call: () => api.logSoftmax(x32, masked) },
      {
        call: () => {
          const shifted = new Float32Array(n);
          for (let i = 0; i < n; i++) shifted[i] = x32[i] + logMask[i];
          return api.logSoftmax(shifted, opts);
        },
      },
      { call: () => api.logSoftmax(bits, half) },
      { call: () => api.softmax(x16, opts) },
      { call: () => api.softmax(bits, half) },
      { call: () => api.logSoftmax(x32, into32) },
      { call: () => api.logSoftmax(bits, into16) },
    ];
    const [plain, mask, workaround, f16, sm32, sm16, out32, out16] = (await timeSideBySide(entries, CFG)).map((r) => r.ms);
    rows.push({
      build, shape: `[${shape}]`,
      'masked / unmasked (time)': (mask / plain).toFixed(2),
      'workaround / masked (time)': (workaround / mask).toFixed(2),
      'float16 / float32 logSoftmax (throughput)': (plain / f16).toFixed(2),
      'float16 / float32 softmax (throughput)': (sm32 / sm16).toFixed(2),
      'float16 / float32 logSoftmax into out': (out32 / out16).toFixed(2),
      'unmasked float32 G/s': (n / plain / 1e6).toFixed(2),
    });
  }
}
console.table(rows);
console.log(`Node ${process.version}; ${QUICK ? 'quick' : 'full'} timing; medians of ${CFG.batches} interleaved batches.`);
