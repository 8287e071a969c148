// Property tests: random shapes, axes, dtypes and special values, every wasm
// build, against the independent float64 reference in js/reference/float64.js.
// fast-check runs with a fixed seed, so every run checks the same cases; a
// failure prints the case (its `seed` field regenerates the data).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { loadBuilds } from './helpers/builds.js';
import { tolerance } from './helpers/bounds.js';
import { refLogSoftmax, refSoftmax, refLogSumExp } from '../js/reference/float64.js';
import { seededRandom, randomLogits } from '../js/reference/random.js';
import { kind } from '../js/reference/ulp.js';
import { size, nest, axesOf } from '../js/reference/shapes.js';

const SEED = 20240611;
const RUNS = 1000;
const MAX_ELEMENTS = 24000;

// --------------------------------------------------------- the oracle ---

// Before the reference judges the library, it is itself checked against the
// scipy / 50-digit mpmath fixtures (tests/fixtures/*.json, written by
// gen_fixtures.py): special-value patterns and signs exactly, finite values
// within 1e-13 (relative for softmax, of max(1, |v|) for the logs).
test('the reference agrees with the scipy/mpmath fixtures', () => {
  const SPECIAL = { nan: NaN, inf: Infinity, '-inf': -Infinity };
  const decode = (v) => (typeof v === 'string' ? SPECIAL[v] : v);
  const values = (spec) => {
    const d = spec.data.map(decode);
    return spec.kind === 'f32' ? Array.from(Float32Array.from(d)) : d;
  };
  let checked = 0;
  for (const file of ['semantics.json', 'accuracy.json']) {
    const { cases } = JSON.parse(readFileSync(new URL(`./fixtures/${file}`, import.meta.url), 'utf8'));
    for (const c of cases.filter((k) => !k.expect.throws)) {
      const x = values(c.x), shape = c.x.kind === 'number' ? [] : c.x.shape, axis = c.axis ?? null;
      let got;
      if (c.fn === 'logsumexp') {
        const b = c.b && (c.b.kind === 'number' ? decode(c.b.data[0]) : values(c.b));
        const float32 = c.expect.dtype === 'float32';
        got = refLogSumExp(x, shape, { axis, keepdims: c.keepdims, b, bShape: c.b?.shape, returnSign: c.returnSign, float32 });
        if (c.expect.sign) assert.deepEqual([...got.sign].map((v) => v + 0), c.expect.sign.map(decode), `${c.id} sign`);
        got = got.value;
      } else {
        got = (c.fn === 'softmax' ? refSoftmax : refLogSoftmax)(x, shape, axis);
      }
      const tol = (r) => 1e-13 * (c.fn === 'softmax' ? Math.abs(r) : Math.max(1, Math.abs(r))) + 2 ** -1074;
      assertClose(got, c.expect.value.map(decode), tol, c.id);
      checked++;
    }
  }
  assert.ok(checked > 500, `only ${checked} fixture cases`);
});

const builds = await loadBuilds();

// ------------------------------------------------------------ arbitraries ---

// Small dims, plus now and then one long one whose length is no multiple of
// the kernels' 4- or 16-lane blocks.
const shapeArb = fc.integer({ min: 0, max: 4 }).chain((rank) => fc.tuple(
  fc.array(fc.oneof({ weight: 12, arbitrary: fc.integer({ min: 1, max: 9 }) }, { weight: 1, arbitrary: fc.constant(0) }),
    { minLength: rank, maxLength: rank }),
  fc.option(fc.tuple(fc.nat(Math.max(rank - 1, 0)), fc.constantFrom(16, 17, 33, 1000)), { freq: 3 }),
).map(([dims, long]) => {
  if (long && rank > 0) dims[long[0]] = long[1];
  while (size(dims) > MAX_ELEMENTS) dims[dims.indexOf(Math.max(...dims))] = 7;
  return dims;
}));

// null / undefined (all axes), one int (maybe negative), a tuple in any
// order with some entries negative (non-adjacent ones included), or [].
const axisArb = (rank) => {
  const choices = [fc.constant(null), fc.constant(undefined), fc.constant([])];
  if (rank > 0) {
    choices.push({ weight: 2, arbitrary: fc.integer({ min: -rank, max: rank - 1 }) });
    choices.push({ weight: 4, arbitrary: fc.tuple(fc.shuffledSubarray([...Array(rank).keys()], { minLength: 1 }),
      fc.array(fc.boolean(), { minLength: rank, maxLength: rank }))
      .map(([axes, neg]) => axes.map((a, i) => (neg[i] ? a - rank : a))) });
  }
  return fc.oneof(...choices);
};

const dataArb = fc.record({
  seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
  dtype: fc.constantFrom('f32', 'f64', 'plain'),
  sd: fc.constantFrom(0.5, 5, 5, 30),
  mean: fc.constantFrom(0, 0, 0, 1000, -200),
  special: fc.constantFrom(0, 0, 0.02, 0.3), // chance of inf, -inf or NaN per element
  maskedSlices: fc.constantFrom(0, 0, 0.3), // chance that a whole slice is -inf
});

const caseArb = shapeArb.chain((shape) => fc.record({
  shape: fc.constant(shape),
  axis: axisArb(shape.length),
  data: dataArb,
  layout: fc.constantFrom('fresh', 'fresh', 'inplace', 'viewX', 'viewOut'),
}));

// ------------------------------------------------------------------ data ---

/** For each element, the C-order index of the slice (kept multi-index) it is in. */
function sliceIds(shape, axes) {
  const ids = new Int32Array(size(shape));
  const idx = new Array(shape.length).fill(0);
  for (let i = 0; i < ids.length; i++) {
    let id = 0;
    shape.forEach((d, k) => { if (!axes.includes(k)) id = id * d + idx[k]; });
    ids[i] = id;
    for (let k = shape.length - 1; k >= 0 && ++idx[k] === shape[k]; k--) idx[k] = 0;
  }
  return ids;
}

const SPECIALS = [-Infinity, -Infinity, Infinity, NaN];

/** Float64 values for a case: logits, injected specials, masked slices. */
function makeValues(shape, axes, d) {
  const rand = seededRandom(d.seed);
  const v = randomLogits(rand, size(shape), { sd: d.sd, mean: d.mean });
  for (let i = 0; i < v.length; i++) {
    if (rand() < d.special) v[i] = SPECIALS[Math.floor(rand() * SPECIALS.length)];
  }
  if (d.maskedSlices > 0) {
    const masked = new Map();
    sliceIds(shape, axes).forEach((id, i) => {
      if (!masked.has(id)) masked.set(id, rand() < d.maskedSlices);
      if (masked.get(id)) v[i] = -Infinity;
    });
  }
  // float32 inputs are compared with the reference on their float32 values.
  return d.dtype === 'f32' ? Float64Array.from(Float32Array.from(v)) : v;
}

/**
 * The input as the API receives it: a typed array (maybe a view into a
 * larger buffer), a nested or flat plain array, or a number for a 0-d plain.
 */
function asInput(values, shape, dtype, inView) {
  if (dtype === 'plain') {
    if (shape.length === 0) return { x: values[0], opts: {} };
    if (shape.includes(0)) return { x: Array.from(values), opts: { shape } };
    return { x: nest(values, shape), opts: {} };
  }
  const Type = dtype === 'f32' ? Float32Array : Float64Array;
  return { x: inView ? viewOf(Type, values) : Type.from(values), opts: { shape } };
}

/** A subarray at a byteOffset inside a larger array whose ends hold sentinels. */
function viewOf(Type, values, pad = 3) {
  const host = new Type(values.length + 2 * pad).fill(7.25);
  const view = host.subarray(pad, pad + values.length);
  view.set(values);
  return view;
}

function assertSentinels(view, pad = 3) {
  const host = new view.constructor(view.buffer);
  const start = view.byteOffset / view.BYTES_PER_ELEMENT;
  for (let i = 0; i < host.length; i++) {
    if (i < start || i >= start + view.length) assert.equal(host[i], 7.25, `wrote outside the view at ${i - start}`);
  }
}

// ------------------------------------------------------------ comparison ---

/**
 * Asserts `got` matches `ref`: the same NaN/±inf pattern, finite values
 * within `tol(ref)`.
 */
function assertClose(got, ref, tol, what) {
  assert.equal(got.length, ref.length, `${what}: length`);
  for (let i = 0; i < ref.length; i++) {
    const [g, r] = [got[i], ref[i]];
    if (kind(g) !== kind(r) || (kind(r) === 'finite' && !(Math.abs(g - r) <= tol(r)))) {
      assert.fail(`${what}[${i}]: got ${g}, reference ${r} (tolerance ${kind(r) === 'finite' ? tol(r) : 'exact'})`);
    }
  }
}

const describeCase = (c) => JSON.stringify(c, (k, v) => (v === undefined ? 'undefined' : v));

// ------------------------------------------------------- log_softmax, softmax ---

const elementwise = [
  ['logSoftmax', refLogSoftmax],
  ['softmax', refSoftmax],
];

for (const { name: build, api } of builds) {
  for (const [fn, ref] of elementwise) {
    test(`${fn} (${build} build) matches the reference on random shapes, axes, dtypes and special values`, () => {
      fc.assert(fc.property(caseArb, (c) => {
        const { shape, axis, data: d } = c;
        const values = makeValues(shape, axesOf(axis, shape.length), d);
        const typed = d.dtype !== 'plain';
        const layout = typed ? c.layout : 'fresh';
        const { x, opts } = asInput(values, shape, d.dtype, layout === 'viewX' || layout === 'inplace');
        let expected;
        try {
          expected = ref(values, shape, axis);
        } catch (err) {
          if (!/zero-length/.test(err.message)) throw err;
          // A zero-length reduction: the library must refuse it too.
          assert.throws(() => api[fn](x, { ...opts, axis }), RangeError);
          return;
        }
        const out = layout === 'inplace' ? x : layout === 'viewOut' ? viewOf(x.constructor, new Float64Array(x.length)) : undefined;
        const got = api[fn](x, { ...opts, axis, out });
        const dt = d.dtype === 'f32' ? 'f32' : 'f64';
        if (d.dtype === 'plain' && shape.length === 0) {
          assert.equal(typeof got, 'number');
          assertClose([got], expected, (r) => tolerance('f64', fn, r), `${fn} ${describeCase(c)}`);
          return;
        }
        assert.ok(got instanceof (dt === 'f32' ? Float32Array : Float64Array), 'result type');
        if (out) assert.equal(got, out, 'returns out');
        assertClose(got, expected, (r) => tolerance(dt, fn, r), `${fn} ${describeCase(c)}`);
        if (layout === 'viewOut' || layout === 'viewX' || layout === 'inplace') assertSentinels(got);
        if (layout === 'viewX') assert.deepEqual(x, x.constructor.from(values), 'input untouched');
      }), { seed: SEED, numRuns: RUNS });
    });
  }
}

// -------------------------------------------------------------- logsumexp ---

/**
 * Shapes of a and b that broadcast to exactly `full`: per dim, one of them
 * may hold 1 instead, and one of them may drop leading dims, so either
 * operand can be the broadcast one.
 */
const weightedArb = shapeArb.chain((full) => {
  const rank = full.length;
  const shapes = fc.tuple(
    fc.array(fc.constantFrom('both', 'both', 'a1', 'b1'), { minLength: rank, maxLength: rank }),
    fc.nat(rank), fc.boolean(),
  ).map(([ones, drop, aDrops]) => {
    const aShape = full.map((d, i) => (ones[i] === 'a1' ? 1 : d));
    const bShape = full.map((d, i) => (ones[i] === 'b1' ? 1 : d));
    // Only leading dims of size 1 may go (the other operand supplies them).
    const dropped = (shape) => {
      let k = 0;
      while (k < drop && shape[k] === 1) k++;
      return shape.slice(k);
    };
    return aDrops ? [dropped(aShape), bShape] : [aShape, dropped(bShape)];
  });
  return fc.record({
    full: fc.constant(full),
    shapes,
    axis: axisArb(rank),
    keepdims: fc.boolean(),
    returnSign: fc.boolean(),
    data: dataArb,
    weights: fc.constantFrom('none', 'number', 'positive', 'zeros', 'signed'),
    bDtype: fc.constantFrom('f32', 'f64', 'plain'),
    aView: fc.boolean(),
  });
});

const WEIGHTS = {
  positive: (rand) => [1, 2, 0.5, 3.25][Math.floor(rand() * 4)],
  zeros: (rand) => (rand() < 0.4 ? 0 : 1 + rand()),
  signed: (rand) => [1, -1, 2, -0.5, 0, 0.25][Math.floor(rand() * 6)],
};

function makeWeights(c, rand) {
  if (c.weights === 'none') return undefined;
  if (c.weights === 'number') return [0.5, 2, 1, 0, -1.5][Math.floor(rand() * 5)];
  const n = size(c.shapes[1]);
  const values = Float64Array.from({ length: n }, () => WEIGHTS[c.weights](rand));
  if (c.bDtype === 'plain') return Array.from(values);
  const Type = c.bDtype === 'f32' ? Float32Array : Float64Array;
  return c.aView ? viewOf(Type, values) : Type.from(values); // views for a and b together
}

/** Result dtype as scipy promotes: f32 only for f32 a with a number or f32 b. */
function lseDtype(c, b) {
  if (c.data.dtype !== 'f32') return 'f64';
  if (b === undefined || typeof b === 'number' || b instanceof Float32Array) return 'f32';
  return 'f64';
}

const EPS = { f32: 2 ** -23, f64: 2 ** -52 };

/**
 * Compares a weighted logsumexp element by element.  Where weights of both
 * signs cancel, the value is ill-conditioned: any float method loses digits
 * in proportion to k = sum|b|e^a / |sum b e^a|, so the tolerance grows with k
 * (k = 1 without negative weights).  Where the terms cancel exactly (the
 * reference is -inf, sign 0, but sum|b|e^a is not 0), a float sum may be
 * left with rounding noise instead of 0: any result at or below the noise
 * level log(sum|b|e^a) + log(n eps) is accepted, -inf included.
 */
function assertWeightedClose(got, gotSign, expected, lseAbs, n, dt, what) {
  for (let i = 0; i < expected.value.length; i++) {
    const [g, r] = [got[i], expected.value[i]];
    const exactCancel = r === -Infinity && Number.isFinite(lseAbs[i]);
    if (exactCancel) {
      const noise = lseAbs[i] + Math.log(n * EPS[dt]);
      if (!(g === -Infinity || g <= noise || (Number.isNaN(g) && !gotSign))) {
        assert.fail(`${what}[${i}]: got ${g}; the terms cancel exactly, so at most the noise level ${noise}`);
      }
      continue;
    }
    const kappa = Number.isFinite(r) ? Math.max(1, Math.exp(lseAbs[i] - r)) : 1;
    const tol = tolerance(dt, 'logSumExp', r) * kappa;
    if (kind(g) !== kind(r) || (kind(r) === 'finite' && !(Math.abs(g - r) <= tol))) {
      assert.fail(`${what}[${i}]: got ${g}, reference ${r} (tolerance ${kind(r) === 'finite' ? tol : 'exact'})`);
    }
    // NaN === NaN fails, so NaN-ness is compared apart; 0 and -0 are the same sign.
    if (gotSign) {
      const [gs, rs] = [gotSign[i], expected.sign[i]];
      if (!(Number.isNaN(rs) ? Number.isNaN(gs) : gs === rs)) assert.fail(`${what}: sign[${i}] ${gs}, reference ${rs}`);
    }
  }
}

for (const { name: build, api } of builds) {
  test(`logSumExp (${build} build) matches the reference with axes, keepdims, b and returnSign`, () => {
    fc.assert(fc.property(weightedArb, (c) => {
      const rand = seededRandom(c.data.seed ^ 0x5bd1e995);
      const b = makeWeights(c, rand);
      const aShape = b === undefined || typeof b === 'number' ? c.full : c.shapes[0];
      const values = makeValues(aShape, [], c.data);
      const input = asInput(values, aShape, c.data.dtype, c.aView);
      const opts = { ...input.opts, axis: c.axis, keepdims: c.keepdims, returnSign: c.returnSign };
      if (b !== undefined) opts.b = b;
      if (b !== undefined && typeof b !== 'number') opts.bShape = c.shapes[1];
      // Axes index the broadcast shape, which the reference works out itself.
      const bRef = typeof b === 'number' || b === undefined ? b : Array.from(b);
      const dt = lseDtype(c, b);
      const expected = refLogSumExp(values, aShape, { ...opts, b: bRef, float32: dt === 'f32' });
      const got = api.logSumExp(input.x, opts);

      // log(sum |b| e^a): the scale against which cancellation is measured.
      const absB = typeof bRef === 'number' ? Math.abs(bRef) : bRef?.map(Math.abs);
      const lseAbs = refLogSumExp(values, aShape, { ...opts, b: absB, returnSign: true }).value;
      const Type = dt === 'f32' ? Float32Array : Float64Array;
      const what = `logSumExp ${describeCase({ ...c, aShape })}`;
      const value = c.returnSign ? got.value : got;
      if (expected.shape.length === 0) {
        assert.equal(typeof value, 'number', `${what}: 0-d result is a number`);
      } else {
        assert.ok(value instanceof Type, `${what}: result is a ${Type.name}`);
      }
      const asArray = (v) => (typeof v === 'number' ? [v] : v);
      assert.equal(asArray(value).length, expected.value.length, `${what}: length`);
      const n = size(axesOf(c.axis, c.full.length).map((d) => c.full[d]));
      assertWeightedClose(asArray(value), c.returnSign ? asArray(got.sign) : null, expected, lseAbs, n, dt, what);
    }), { seed: SEED, numRuns: 2 * RUNS });
  });
}
