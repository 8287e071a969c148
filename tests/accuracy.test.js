// Accuracy sweep: float32 results of every wasm build against the float64
// reference in js/reference/float64.js, on random logits (sd 5) with rows
// that are partly masked by -inf, for row lengths 1 to 262,144.
//
// Bounds: the promised ones, from tests/helpers/bounds.js; softmax rows must
// also sum to 1 within 1e-6.
// The errors measured at lengths 10, 1000, 32000 and 262144 are printed as
// test diagnostics (README "Accuracy" quotes them).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadBuilds } from './helpers/builds.js';
import { ulpError, withinBound } from './helpers/bounds.js';
import { refLogSoftmax, refSoftmax, refLogSumExp } from '../js/reference/float64.js';
import { seededRandom, randomLogits } from '../js/reference/random.js';
import { kind } from '../js/reference/ulp.js';
import { size } from '../js/reference/shapes.js';

const builds = await loadBuilds();

const MIN_NORMAL32 = 2 ** -126;
const FUNCTIONS = ['logSoftmax', 'softmax', 'logSumExp'];

/** References for all three functions on one data set (shared by all builds). */
function references(values, shape, axis) {
  return {
    logSoftmax: refLogSoftmax(values, shape, axis),
    softmax: refSoftmax(values, shape, axis),
    logSumExp: refLogSumExp(values, shape, { axis }).value,
  };
}

function run(api, fn, x, shape, axis) {
  const got = api[fn](x, { shape, axis });
  return typeof got === 'number' ? [got] : got;
}

/** Plain error measures, as other libraries report them: absolute for the logs, relative for softmax. */
const plainError = {
  logSoftmax: (g, r) => Math.abs(g - r),
  softmax: (g, r) => (r >= MIN_NORMAL32 ? Math.abs(g - r) / r : NaN),
  logSumExp: (g, r) => Math.abs(g - r),
};

/**
 * Compares one build's results with the references; returns the worst ulp
 * error per function, the worst plain error (absolute or relative), and a
 * list of failures (bounds, special values, sums).
 */
function check(api, x, shape, axis, refs, dtype) {
  const worst = {}, plain = {}, failures = [];
  const where = `shape [${shape}] axis ${JSON.stringify(axis)}`;
  for (const fn of FUNCTIONS) {
    const got = run(api, fn, x, shape, axis), ref = refs[fn];
    let max = 0, maxPlain = 0;
    for (let i = 0; i < ref.length; i++) {
      if (kind(got[i]) !== kind(ref[i])) {
        failures.push(`${fn} ${where} [${i}]: got ${got[i]}, reference ${ref[i]}`);
        continue;
      }
      if (kind(ref[i]) !== 'finite') continue;
      const e = ulpError(dtype, fn, got[i], ref[i]);
      if (e > max) max = e;
      const p = plainError[fn](got[i], ref[i]);
      if (p > maxPlain) maxPlain = p;
      const bad = !withinBound(dtype, fn, got[i], ref[i]);
      if (bad) failures.push(`${fn} ${where} [${i}]: got ${got[i]}, reference ${ref[i]} (${e.toFixed(2)} ulp)`);
    }
    worst[fn] = max;
    plain[fn] = maxPlain;
    if (fn === 'softmax') failures.push(...sumFailures(got, shape, axis, where));
  }
  return { worst, plain, failures };
}

/** Softmax slices that do not sum to 1 within 1e-6 (rows of the last axis, or the columns of axis 0). */
function sumFailures(got, shape, axis, where) {
  if (!(shape.length === 2 && (axis === -1 || axis === 0))) return [];
  const [rows, cols] = shape;
  const out = [];
  const slices = axis === -1 ? rows : cols;
  for (let s = 0; s < slices; s++) {
    let sum = 0;
    const len = axis === -1 ? cols : rows;
    for (let j = 0; j < len; j++) sum += got[axis === -1 ? s * cols + j : j * cols + s];
    // A fully masked slice is NaN throughout: nothing to sum.
    if (!Number.isNaN(sum) && !(Math.abs(sum - 1) <= 1e-6)) out.push(`softmax ${where} slice ${s} sums to ${sum}`);
  }
  return out;
}

/** [rows, n] float32 logits: every other row has about a quarter of its entries at -inf. */
function rowsOfLogits(rand, rows, n, maskedFirst = false) {
  const x = new Float32Array(rows * n);
  for (let r = 0; r < rows; r++) {
    const masked = (r % 2 === 1) !== maskedFirst ? 0.25 : 0;
    x.set(randomLogits(rand, n, { sd: 5, masked }), r * n);
  }
  return x;
}

/** Runs every build on [rows, n] rows of the last axis; asserts the bounds; returns worst errors per build. */
function sweepRow(rand, rows, n, maskedFirst) {
  const x = rowsOfLogits(rand, rows, n, maskedFirst);
  const shape = [rows, n];
  const refs = references(x, shape, -1);
  const result = {};
  for (const { name, api } of builds) {
    const { worst, failures } = check(api, x, shape, -1, refs, 'f32');
    assert.deepEqual(failures.slice(0, 5), [], `${name} build, row length ${n}`);
    result[name] = worst;
  }
  return result;
}

const fmt = (worst) => FUNCTIONS.map((fn) => `${fn} ${worst[fn].toFixed(2)}`).join(', ');

test('float32, every row length from 1 to 4096 (every build)', (t) => {
  const rand = seededRandom(1);
  const overall = Object.fromEntries(builds.map((b) => [b.name, {}]));
  for (let n = 1; n <= 4096; n++) {
    // Short rows come many at a time; from 2049 on, one row a length, masked
    // on odd lengths.
    const rows = n > 2048 ? 1 : Math.max(2, Math.ceil(2048 / n));
    const worst = sweepRow(rand, rows, n, n % 2 === 1);
    for (const b of Object.keys(worst)) {
      for (const fn of FUNCTIONS) overall[b][fn] = Math.max(overall[b][fn] ?? 0, worst[b][fn]);
    }
  }
  for (const b of Object.keys(overall)) t.diagnostic(`lengths 1..4096, ${b}: max ulp ${fmt(overall[b])}`);
});

/** Powers of two from 2^12 to 2^18 and their neighbours, plus ~200 log-uniform random lengths. */
function sampledLengths(rand) {
  const lengths = new Set();
  for (let p = 12; p <= 18; p++) for (const d of [-1, 0, 1]) lengths.add(2 ** p + d);
  while (lengths.size < 221) lengths.add(Math.round(4097 * (262144 / 4097) ** rand()));
  return [...lengths].filter((n) => n > 4096 && n <= 262144).sort((a, b) => a - b);
}

test('float32, sampled row lengths from 4097 to 262,144 (every build)', (t) => {
  const rand = seededRandom(2);
  const overall = Object.fromEntries(builds.map((b) => [b.name, {}]));
  for (const [i, n] of sampledLengths(rand).entries()) {
    const worst = sweepRow(rand, 1, n, i % 2 === 1);
    for (const b of Object.keys(worst)) {
      for (const fn of FUNCTIONS) overall[b][fn] = Math.max(overall[b][fn] ?? 0, worst[b][fn]);
    }
  }
  for (const b of Object.keys(overall)) t.diagnostic(`lengths 4097..262144, ${b}: max ulp ${fmt(overall[b])}`);
});

test('float32, long reductions over a non-last axis and an axis tuple (every build)', (t) => {
  const rand = seededRandom(3);
  const cases = [
    [[4096, 16], 0],
    [[64, 64, 64], [0, 2]],
    [[16, 4096, 3], 1],
    [[3, 5000], [0, 1]],
  ];
  for (const [shape, axis] of cases) {
    const x = Float32Array.from(randomLogits(rand, size(shape), { sd: 5, masked: 0.1 }));
    const refs = references(x, shape, axis);
    for (const { name, api } of builds) {
      const { worst, failures } = check(api, x, shape, axis, refs, 'f32');
      assert.deepEqual(failures.slice(0, 5), [], `${name} build, shape [${shape}] axis ${JSON.stringify(axis)}`);
      t.diagnostic(`shape [${shape}] axis ${JSON.stringify(axis)}, ${name}: max ulp ${fmt(worst)}`);
    }
  }
});

test('measured errors at row lengths 10, 1000, 32000 and 262144 (float32 and float64)', (t) => {
  const rand = seededRandom(4);
  for (const dtype of ['f32', 'f64']) {
    for (const n of [10, 1000, 32000, 262144]) {
      const rows = Math.max(4, Math.ceil(2 ** 17 / n));
      const x64 = new Float64Array(rows * n);
      for (let r = 0; r < rows; r++) x64.set(randomLogits(rand, n, { sd: 5, masked: r % 2 ? 0.25 : 0 }), r * n);
      const x = dtype === 'f32' ? Float32Array.from(x64) : x64;
      const refs = references(x, [rows, n], -1);
      for (const { name, api } of builds) {
        const { worst, plain, failures } = check(api, x, [rows, n], -1, refs, dtype);
        assert.deepEqual(failures.slice(0, 5), [], `${dtype} ${name} build, row length ${n}`);
        t.diagnostic(`${dtype} ${name} n=${n} (${rows} rows): max ulp ${fmt(worst)}; ` +
          `abs/rel/abs ${FUNCTIONS.map((fn) => plain[fn].toExponential(1)).join(' ')}`);
      }
    }
  }
});
