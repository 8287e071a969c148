#!/usr/bin/env node
// node tests/with-relaxed-simd.js tests/bench/half-phases.js [--quick]
//
// Where a half-precision call's time goes, against the same call in float32:
// logSoftmax and softmax of float16 bits (a Uint16Array with dtype) at the
// shapes of features.js, per build, in ns an element, side by side in one
// process.  Besides the whole calls (fresh result, and into `out`), each
// phase alone on operands already in place: the bits copied into wasm
// memory, the widening kernel, the float32 kernel, the narrowing kernel,
// the bits copied out; and float32's copies in and out.  Several runs of
// interleaved batches; figures are medians, the call ratio also its range.
// LSM_PHASES_ROOT=dir times another checkout's js/ (e.g. an older commit's).
import { timeSideBySide } from './timing.js';
import { makeInputs } from './workloads.js';
import { toFloat16Bits } from '../../js/reference/float16.js';

const ROOT = process.env.LSM_PHASES_ROOT ? `${process.env.LSM_PHASES_ROOT}/js` : '../../js';
const mod = (name) => import(new URL(`${ROOT}/${name}`, import.meta.url));
const { load } = await mod('index.js');
const { loadKernels, relaxedSimdSupported } = await mod('wasm.js');
const { KERNELS, CONVERSIONS } = await mod('exports.js');
const { planBlocks, encodeBlocks } = await mod('plan.js');

const QUICK = process.argv.includes('--quick');
const RUNS = QUICK ? 1 : 3;
const CFG = QUICK ? { batchMs: 3, batches: 7, warmMs: 15 } : { batchMs: 10, batches: 9, warmMs: 40 };
const SHAPES = [[64, 1000], [8, 32000], [1, 262144]];
const builds = [...(relaxedSimdSupported() ? ['relaxed'] : []), 'simd', 'scalar'];
const { widen, narrow } = CONVERSIONS.float16;
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

const rows = [];
for (const fn of ['logSoftmax', 'softmax']) {
  for (const build of builds) {
    const api = await load({ build });
    const k = await loadKernels({ build: [build] }); // a second instance: the phases' own memory
    const ex = k.exports;
    for (const shape of SHAPES) {
      const n = shape[0] * shape[1];
      const bits = Uint16Array.from(makeInputs(n).x32, toFloat16Bits);
      // Plan, x, y and the bits, each 16-byte aligned.
      const words = encodeBlocks(planBlocks(shape, [1]));
      const pW = k.reserve(1024 + 10 * n), pX = pW + 1024, pY = pX + 4 * n, pH = pY + 4 * n;
      const heap = k.heap();
      heap.u32.set(words, pW >>> 2);
      heap.u16.set(bits, pH >>> 1);
      ex[widen](pH, pX, n);
      const x32 = heap.f32.slice(pX >>> 2, (pX >>> 2) + n); // the halves' values, as float32
      const kernel = ex[KERNELS[fn].f32];
      const opts = { shape, axis: -1 }, half = { ...opts, dtype: 'float16' };
      const out32 = new Float32Array(n), out16 = new Uint16Array(n);
      const entries = [
        ['f32 call', () => api[fn](x32, opts)],
        ['f16 call', () => api[fn](bits, half)],
        ['f32 into out', () => api[fn](x32, { ...opts, out: out32 })],
        ['f16 into out', () => api[fn](bits, { ...half, out: out16 })],
        ['copy in', () => heap.u16.set(bits, pH >>> 1)],
        ['widen', () => ex[widen](pH, pX, n)],
        ['kernel', () => kernel(pX, pY, pW)],
        ['narrow', () => ex[narrow](pY, pH, n)],
        ['copy out', () => out16.set(heap.u16.subarray(pH >>> 1, (pH >>> 1) + n))],
        ['f32 copy in', () => heap.f32.set(x32, pX >>> 2)],
        ['f32 copy out', () => out32.set(heap.f32.subarray(pY >>> 2, (pY >>> 2) + n))],
      ].map(([label, call]) => ({ label, call }));
      const runs = [];
      for (let r = 0; r < RUNS; r++) runs.push((await timeSideBySide(entries, CFG)).map((e) => (e.ms * 1e6) / n));
      const ns = Object.fromEntries(entries.map((e, i) => [e.label, median(runs.map((run) => run[i]))]));
      const ratios = runs.map((run) => run[0] / run[1]);
      const f2 = (v) => v.toFixed(2);
      rows.push({
        fn, build, shape: `[${shape}]`,
        'f16/f32 call': `${f2(median(ratios))} (${f2(Math.min(...ratios))}-${f2(Math.max(...ratios))})`,
        'into out': f2(ns['f32 into out'] / ns['f16 into out']),
        ...Object.fromEntries(entries.map((e) => [e.label, f2(ns[e.label])])),
      });
    }
  }
}
console.table(rows);
console.log(`Node ${process.version}; ns an element, medians of ${RUNS} runs of ${CFG.batches} interleaved batches; ` +
  'f16/f32 is the throughput ratio of the calls (fresh result; "into out": into a given array).');
