// Soak: many mixed valid and invalid calls must leave wasm memory and the JS
// heap flat, and growth of wasm memory in the middle of a sequence of calls
// must never leave a stale view behind.  SOAK_CALLS sets the count (CI
// default 20,000; the README's figures are from SOAK_CALLS=1000000).
// (An input larger than wasm32 memory is covered in tests/hostile.test.js.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import v8 from 'node:v8';
import vm from 'node:vm';
import { load } from '../js/index.js';
import { refLogSoftmax, refSoftmax, refLogSumExp } from '../js/reference/float64.js';
import { seededRandom, randomLogits } from '../js/reference/random.js';
import { kind } from '../js/reference/ulp.js';
import { withinBound } from './helpers/bounds.js';

const CALLS = Number(process.env.SOAK_CALLS ?? 20000);

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc');

function heapAfterGc() {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

/** A fixed rotation of calls: valid ones of several kinds and sizes, and invalid ones. */
function makeCalls(api) {
  const rand = seededRandom(7);
  const f32 = Float32Array.from(randomLogits(rand, 1000));
  const f64 = Float64Array.from(randomLogits(rand, 600));
  const out32 = new Float32Array(1000);
  const nested = [[1, 2, 3], [4, 5, 6]];
  const valid = [
    () => api.logSoftmax(f32),
    () => api.softmax(f32, { shape: [10, 100], axis: 0, out: out32 }),
    () => api.logSumExp(f64, { shape: [6, 10, 10], axis: [0, 2], keepdims: true }),
    () => api.logSumExp(f64, { shape: [20, 30], b: f64.subarray(0, 30), bShape: [30], returnSign: true }),
    () => api.softmax(nested, { axis: -1 }),
    () => api.logSoftmax(7.5),
  ];
  const invalid = [
    () => api.logSoftmax(f32, { shape: [3, 3] }),
    () => api.softmax('nope'),
    () => api.logSumExp(f64, { axis: [0, 0] }),
    () => api.logSoftmax(f32, { out: new Float64Array(1000) }),
  ];
  return (i) => {
    if (i % 3 === 2) {
      assert.throws(invalid[i % invalid.length]);
    } else {
      valid[i % valid.length]();
    }
  };
}

test(`${CALLS} mixed valid and invalid calls leave wasm memory and the JS heap flat`, async () => {
  {
    const api = await load();
    const call = makeCalls(api);
    const warm = Math.min(2000, CALLS / 10);
    for (let i = 0; i < warm; i++) call(i); // every call kind has run, memory at its high-water mark
    const wasmBefore = api.memory.buffer.byteLength, heapBefore = heapAfterGc();
    for (let i = warm; i < CALLS; i++) call(i);
    const wasmAfter = api.memory.buffer.byteLength, heapAfter = heapAfterGc();
    const perCall = (heapAfter - heapBefore) / (CALLS - warm);
    console.log(`soak: ${CALLS} calls; wasm memory ${wasmBefore} -> ${wasmAfter} bytes; ` +
      `JS heap ${(heapBefore / 2 ** 20).toFixed(2)} -> ${(heapAfter / 2 ** 20).toFixed(2)} MiB (${perCall.toFixed(3)} bytes/call)`);
    assert.equal(wasmAfter, wasmBefore, 'wasm memory grew');
    // A leak of even one small object per call would be >= 16 bytes/call;
    // what is left is the collector's noise, bounded in total.
    assert.ok(heapAfter - heapBefore < 2 ** 20, `JS heap grew by ${heapAfter - heapBefore} bytes`);
  }
});

/** The promised bound (tests/helpers/bounds.js) and exact special values. */
function assertRight(got, ref, dtype, fn, what) {
  got = typeof got === 'number' ? [got] : got;
  for (let i = 0; i < ref.length; i++) {
    const g = got[i], r = ref[i];
    assert.ok(kind(g) === kind(r) && (kind(r) !== 'finite' || withinBound(dtype, fn, g, r)), `${what}[${i}]: got ${g}, reference ${r}`);
  }
}

test('wasm memory growth between calls never leaves a stale view', async () => {
  for (const build of ['auto', 'scalar']) {
    const api = await load({ build });
    const rand = seededRandom(11);
    const small = Float32Array.from(randomLogits(rand, 50));
    const smallRef = refLogSoftmax(Array.from(small), [50], null);
    const small64 = Float64Array.from(randomLogits(rand, 24));
    const lseRef = refLogSumExp(Array.from(small64), [4, 6], { axis: 1 }).value;
    const check = (what) => {
      assertRight(api.logSoftmax(small), smallRef, 'f32', 'logSoftmax', `${what} logSoftmax`);
      assertRight(api.logSumExp(small64, { shape: [4, 6], axis: 1 }), lseRef, 'f64', 'logSumExp', `${what} logSumExp`);
    };
    check('before growth');
    // Each large call needs more memory than any before it, so each grows
    // (and so detaches) the wasm buffer; the small calls between must see
    // the new one.  All stay under the streamed path's threshold (4 MiB of
    // input), above which memory no longer grows with the input.
    for (const n of [1 << 16, 1 << 18, 3 << 17]) {
      const before = api.memory.buffer.byteLength;
      const big = Float64Array.from(randomLogits(rand, n));
      const got = api.softmax(big, { shape: [n / 64, 64], axis: 0 });
      assert.ok(api.memory.buffer.byteLength > before, `a ${n}-element call grew memory`);
      assertRight(got.subarray(0, 640), refSoftmax(Array.from(big.subarray(0, n)), [n / 64, 64], 0).slice(0, 640), 'f64', 'softmax', `${n} softmax`);
      check(`after growing to ${api.memory.buffer.byteLength}`);
    }
  }
});
