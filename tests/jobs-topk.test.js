// topK on every build and through the public API, against js/reference/jobs.js's
// refTopK (torch.topk's order: NaN first, then descending, ties by lower index).
//   of 'x'                    values bit for bit (they are x's own elements)
//   of 'softmax'/'logSoftmax' values within tests/helpers/bounds.js's bounds
//                             (BOUND32 / RTOL64 / BOUND16) of the whole slice's
//                             reference, special values exactly
//   indices                   exactly, always
// on random data and on adversarial rows (ties, all equal, NaN, ±inf, ±0),
// k = 1, k = n and between, every axis of 1-D to 4-D shapes, sorted and not;
// then bad input: the right error class, the input untouched, and the
// instance still right afterwards.
import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import { loadBuilds } from './helpers/builds.js';
import { withinBound } from './helpers/bounds.js';
import { refTopK } from '../js/reference/jobs.js';
import { seededRandom, randomLogits } from '../js/reference/random.js';
import { size } from '../js/reference/shapes.js';
import { toFloat16Bits, fromFloat16Bits } from '../js/reference/float16.js';
import * as lib from '../js/index.js';

let builds;
before(async () => {
  builds = await loadBuilds();
  await lib.init();
  // The public top-level functions, after init(), as one more "build".
  builds.push({ name: 'public', api: lib });
});

const DTYPES = {
  f32: (v) => Float32Array.from(v),
  f64: (v) => Float64Array.from(v),
  plain: (v) => Array.from(v), // plain arrays are float64
};
const VALUE_TYPE = { f32: Float32Array, f64: Float64Array, plain: Float64Array };
const measureOf = (dt) => (dt === 'f32' ? 'f32' : 'f64');

/** Same special value, or the same finite value within the bound (bit for bit for of 'x'). */
function checkValue(dt, of, got, ref, what) {
  // A float32 result whose reference is past float32's range (logSoftmax of
  // -3e38 next to +3e38) must be the infinity that rounding gives.
  if (dt === 'f32' && !Number.isFinite(Math.fround(ref))) ref = Math.fround(ref);
  if (of === 'x' || !Number.isFinite(ref)) {
    assert.ok(Object.is(got, ref), `${what}: ${got} vs ${ref} (exact)`);
    return;
  }
  assert.ok(Number.isFinite(got) && withinBound(dt, of, got, ref), `${what}: ${got} vs ${ref} (${of} bound, ${dt})`);
}

/** One call against the reference: indices exactly, values by checkValue, types and length. */
function check(api, x, dt, shape, k, opts, label) {
  const got = api.topK(x, k, { shape, ...opts });
  // The reference sees what the library sees: x as stored (float32-rounded for f32).
  const ref = refTopK(Float64Array.from(x), shape, k, opts);
  assert.ok(got.indices instanceof Int32Array, `${label}: indices are an Int32Array`);
  assert.ok(got.values instanceof VALUE_TYPE[dt], `${label}: values have x's type (${VALUE_TYPE[dt].name})`);
  assert.equal(got.indices.length, size(ref.shape), `${label}: result length`);
  assert.equal(got.values.length, size(ref.shape), `${label}: result length`);
  assert.deepEqual(Array.from(got.indices), Array.from(ref.indices), `${label}: indices`);
  for (let i = 0; i < ref.values.length; i++) checkValue(measureOf(dt), opts.of ?? 'x', got.values[i], ref.values[i], `${label} [${i}]`);
}

const SHAPES = [[1], [7], [5, 9], [3, 4, 6], [2, 3, 4, 5]];

describe('topK against the reference', () => {
  test('random data: every axis, k = 1, middle, n; of x, softmax, logSoftmax; sorted and not; float32, float64, plain arrays', () => {
    const rand = seededRandom(101);
    for (const { name, api } of builds) {
      for (const shape of SHAPES) {
        for (let axis = -1; axis < shape.length; axis++) {
          if (axis === -1 && shape.length === 1) continue;
          const n = shape.at(axis);
          for (const k of [...new Set([1, Math.ceil(n / 2), n])]) {
            for (const [dt, make] of Object.entries(DTYPES)) {
              const x = make(randomLogits(rand, size(shape), { sd: 4 }));
              for (const of of ['x', 'softmax', 'logSoftmax']) {
                for (const sorted of [true, false]) {
                  check(api, x, dt, shape, k, { axis, of, sorted }, `${name} [${shape}] axis ${axis} k ${k} ${dt} ${of} sorted ${sorted}`);
                }
              }
            }
          }
        }
      }
    }
  });

  test('the default axis is the last and the default order sorted, of x', () => {
    const x = Float32Array.from([3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8]);
    for (const { name, api } of builds) {
      const got = api.topK(x, 3, { shape: [2, 6] });
      assert.deepEqual(Array.from(got.indices), [5, 4, 2, 5, 1, 2], name); // the tie of 5s: index 2 before 4
      assert.deepEqual(Array.from(got.values), [9, 5, 4, 8, 6, 5], name);
    }
  });

  test('adversarial rows: ties, all equal, NaN, ±inf, ±0, -inf everywhere', () => {
    const I = Infinity;
    const rows = [
      [2, 2, 2, 2, 2, 2], // all equal: indices 0..k-1
      [1, 3, 3, 0, 3, 1], // ties at the top and at the cut
      [0, -0, 0, -0, -1, 1], // ±0 tie: lower index first, the sign kept
      [1, NaN, 5, NaN, -I, I], // NaN above +inf, two NaNs by index
      [-I, -I, -I, -I, -I, -I], // every entry -inf
      [I, 1, I, -I, 0, I], // several +inf
      [NaN, NaN, NaN, NaN, NaN, NaN],
      [-I, 3, -I, 3, -I, 2],
      [3e38, -3e38, 1e-45, -1e-45, 1.2e-38, 0], // float32 edges
    ];
    for (const { name, api } of builds) {
      for (const [r, row] of rows.entries()) {
        for (const k of [1, 2, 3, 6]) {
          for (const dt of ['f32', 'f64']) {
            const x = DTYPES[dt](row);
            for (const of of ['x', 'softmax', 'logSoftmax']) {
              for (const sorted of [true, false]) {
                check(api, x, dt, [6], k, { of, sorted }, `${name} row ${r} k ${k} ${dt} ${of} sorted ${sorted}`);
              }
            }
          }
          // The same rows stacked down axis 0 of a [6, 3] array, each column a copy.
          const col = Float32Array.from(row.flatMap((v) => [v, v, v]));
          check(api, col, 'f32', [6, 3], k, { axis: 0 }, `${name} row ${r} as columns, k ${k}`);
        }
      }
    }
  });

  test('sorted: false gives the same k entries as sorted: true, in ascending index order', () => {
    const rand = seededRandom(7);
    for (const { name, api } of builds) {
      const x = Float32Array.from(randomLogits(rand, 4 * 50, { sd: 2 }).map((v) => Math.round(v))); // many ties
      const a = api.topK(x, 17, { shape: [4, 50] });
      const b = api.topK(x, 17, { shape: [4, 50], sorted: false });
      for (let s = 0; s < 4; s++) {
        const pairs = (r) => [...Array(17).keys()].map((i) => [r.indices[s * 17 + i], r.values[s * 17 + i]]);
        const sortedPairs = pairs(a).sort((p, q) => p[0] - q[0]);
        assert.deepEqual(pairs(b), sortedPairs, `${name} slice ${s}`);
      }
    }
  });

  test('long rows (vocabulary-sized) with few distinct values', () => {
    const rand = seededRandom(9);
    for (const { name, api } of builds) {
      const x = Float32Array.from({ length: 2 * 32000 }, () => Math.floor(rand() * 50));
      for (const k of [1, 40, 1000]) {
        for (const of of ['x', 'logSoftmax']) check(api, x, 'f32', [2, 32000], k, { of }, `${name} [2,32000] k ${k} ${of}`);
      }
    }
  });

  // Small k (up to 256) takes a threshold filter over the row (c/topk.h):
  // the inputs that stress it, each checked against the reference on every
  // build, so that it gives exactly what the exact path gives.
  test('small k: ascending, descending, equal, tied, NaN, ±0 and ±inf rows, k = 1 to 257', () => {
    const I = Infinity;
    const rand = seededRandom(31);
    const rowsOf = (n) => {
      const r = (f) => Array.from({ length: n }, (_, i) => f(i));
      const noise = r(() => randomLogits(rand, 1, { sd: 3 })[0]);
      const withAt = (at, v) => noise.map((x, i) => (i === at ? v : x));
      return {
        ascending: r((i) => i), // every entry beats the threshold: the filter's worst case
        descending: r((i) => n - i),
        'ascending by threes': r((i) => Math.floor(i / 3)),
        sawtooth: r((i) => (i % 16) * 100 - i),
        'all equal': r(() => 2),
        'few levels': r(() => Math.floor(rand() * 4)), // ties at the k-th almost always
        'half at the top': r(() => (rand() < 0.5 ? 1 : rand())),
        '±0 and negatives': r(() => (rand() < 0.6 ? (rand() < 0.5 ? -0 : 0) : -rand())),
        '±inf': r(() => { const u = rand(); return u < 0.05 ? I : u < 0.3 ? -I : 10 * u; }),
        '-inf but a few': r((i) => (i % 97 === 5 ? i : -I)),
        'NaN first': withAt(0, NaN),
        'NaN last': withAt(n - 1, NaN),
        'NaN in the middle': withAt(n >> 1, NaN),
        'NaN at 40 and 256': noise.map((x, i) => (i === 40 || i === 256 ? NaN : x)),
        random: noise,
      };
    };
    for (const n of [20, 300, 1000, 5000]) {
      for (const [kind, row] of Object.entries(rowsOf(n))) {
        for (const k of [1, 2, 40, 64, 65, 255, 256, 257, n - 1].filter((k) => k < n)) {
          if (n === 5000 && k !== 256 && k !== 40) continue;
          for (const dt of ['f32', 'f64']) {
            const x = DTYPES[dt](row);
            for (const sorted of [true, false]) {
              const ref = refTopK(Float64Array.from(x), [n], k, { sorted });
              for (const { name, api } of builds) {
                const got = api.topK(x, k, { sorted });
                const what = `${name} ${kind} n ${n} k ${k} ${dt} sorted ${sorted}`;
                assert.deepEqual(Array.from(got.indices), Array.from(ref.indices), `${what}: indices`);
                got.values.forEach((v, i) => assert.ok(Object.is(v, x[ref.indices[i]]), `${what} [${i}]: ${v}`));
              }
            }
            if (k === 40) {
              for (const of of ['softmax', 'logSoftmax']) {
                for (const { name, api } of builds) check(api, x, dt, [n], k, { of }, `${name} ${kind} n ${n} k ${k} ${dt} ${of}`);
              }
            }
          }
        }
      }
    }
  });

  test('float16 bits with dtype: values are the same bits; softmax within one float16 ulp', () => {
    const rand = seededRandom(16);
    const bits = Uint16Array.from(randomLogits(rand, 40, { sd: 3 }), toFloat16Bits);
    bits[3] = bits[7]; // a tie
    const x = Float64Array.from(bits, fromFloat16Bits);
    for (const { name, api } of builds) {
      const got = api.topK(bits, 4, { shape: [4, 10], dtype: 'float16' });
      const ref = refTopK(x, [4, 10], 4);
      assert.deepEqual(Array.from(got.indices), Array.from(ref.indices), name);
      assert.ok(got.values instanceof Uint16Array, `${name}: bits in, bits out`);
      assert.deepEqual(Array.from(got.values), Array.from(ref.indices, (j, i) => bits[Math.floor(i / 4) * 10 + j]), name);
      const sm = api.topK(bits, 4, { shape: [4, 10], dtype: 'float16', of: 'softmax' });
      const refSm = refTopK(x, [4, 10], 4, { of: 'softmax' });
      sm.values.forEach((b, i) => assert.ok(withinBound('f16', 'softmax', fromFloat16Bits(b), refSm.values[i]), `${name} softmax [${i}]`));
    }
  });
});

describe('topK bad input', () => {
  const x = Float32Array.from([1, 5, 3, 2, 8, 0]);
  const shape = [2, 3];
  const snapshot = Float32Array.from(x);
  const BAD = [
    [RangeError, () => [x, 0, { shape }]],
    [RangeError, () => [x, 4, { shape }]], // k > n
    [RangeError, () => [x, -1, { shape }]],
    [RangeError, () => [x, 1.5, { shape }]],
    [RangeError, () => [x, NaN, { shape }]],
    [RangeError, () => [x, Infinity, { shape }]],
    [RangeError, () => [x, 7, { shape, axis: 0 }]], // n = 2 along axis 0
    [null, () => [x, '2', { shape }]],
    [null, () => [x, 2, { shape, of: 'probabilities' }]],
    [null, () => [x, 2, { shape, axis: 2 }]],
    [null, () => [x, 2, { shape: [4, 2] }]], // shape does not match the length
    [null, () => ['12345', 2, { shape: [5] }]],
    [null, () => [new BigInt64Array(6), 2, { shape }]],
    [null, () => [null, 2, { shape }]],
  ];

  test('each bad call throws its error class, leaves x as it was, and the next call is right', () => {
    for (const { name, api } of builds) {
      for (const [i, [Err, args]] of BAD.entries()) {
        assert.throws(() => api.topK(...args()), (e) => (Err ? e instanceof Err : e instanceof TypeError || e instanceof RangeError),
          `${name} bad call ${i} throws ${Err?.name ?? 'TypeError or RangeError'}`);
        assert.deepEqual(x, snapshot, `${name} bad call ${i} wrote nothing to x`);
        check(api, x, 'f32', shape, 2, {}, `${name} after bad call ${i}`);
      }
    }
  });
});
