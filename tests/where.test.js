// The `where` mask on the wasm path, every build and both float types,
// against the independent masked reference (js/reference/float64.js):
// random shapes, axis forms, masks that broadcast, masks over inf and NaN
// entries and slices masked out entirely.  Non-finite results must match
// the reference exactly; finite ones within tests/helpers/bounds.js's bound.
// Then every form a mask may take, and the errors, each leaving `out`
// untouched.
import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import { loadBuilds } from './helpers/builds.js';
import { withinBound } from './helpers/bounds.js';
import { refLogSoftmax, refSoftmax, refLogSumExp } from '../js/reference/float64.js';
import { seededRandom } from '../js/reference/random.js';
import { size } from '../js/reference/shapes.js';
import { kind } from '../js/reference/ulp.js';

const REF = { logSoftmax: refLogSoftmax, softmax: refSoftmax };
const TYPES = { f32: Float32Array, f64: Float64Array };
let builds;
before(async () => { builds = await loadBuilds(); });

const pick = (rand, list) => list[Math.floor(rand() * list.length)];

/** Logits with some ±inf and NaN, as masked positions often hold them. */
function logits(rand, n, specials) {
  const x = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    x[i] = (rand() - 0.5) * 40;
    if (rand() < specials) x[i] = pick(rand, [Infinity, -Infinity, NaN, -1e30, 1e30]);
  }
  return x;
}

/** A random case: shape, axis, a mask shape that broadcasts to it, the mask. */
function randomCase(rand) {
  const nd = 1 + Math.floor(rand() * 4);
  const shape = Array.from({ length: nd }, () => 1 + Math.floor(rand() * 6));
  const axis = pick(rand, [null, -1, 0, nd - 1, [...Array(nd).keys()].filter(() => rand() < 0.5), [0, nd - 1].filter((v, i, a) => a.indexOf(v) === i)]);
  // Leading dims may be left out, any dim may be 1: NumPy broadcasting.
  const drop = Math.floor(rand() * nd);
  const whereShape = shape.slice(drop).map((d) => (rand() < 0.3 ? 1 : d));
  const density = pick(rand, [0, 0.2, 0.6, 0.9, 1]);
  const where = Uint8Array.from({ length: size(whereShape) }, () => (rand() < density ? pick(rand, [1, 1, 7, 255]) : 0));
  return { shape, axis, whereShape, where };
}

/** Results against the reference: same special values, finite ones within the bound. */
function assertMatches(dtype, fn, got, ref, what) {
  assert.equal(got.length, ref.length, `${what}: length`);
  for (let i = 0; i < ref.length; i++) {
    const [g, r] = [got[i], ref[i]];
    if (!Number.isFinite(r) || !Number.isFinite(g)) {
      assert.equal(kind(g), kind(r), `${what}: [${i}] is ${g}, the reference ${r}`);
    } else {
      assert.ok(withinBound(dtype, fn, g, r), `${what}: [${i}] is ${g}, the reference ${r}`);
    }
  }
}

// Long contiguous rows take the mask again only where a row's result is
// undefined (js/api.js, unmask): one row of each kind that makes it so, and
// rows beside them that must be left alone.
describe('where: long rows, each masked a different way', () => {
  const cols = 200;
  const rows = [
    (x, m) => m.fill(1, 0, 150),                                  // plainly masked
    (x, m) => m.fill(0),                                          // fully masked
    (x, m) => { m.fill(1, 0, 150); x[3] = NaN; },                 // a kept NaN
    (x, m) => { m.fill(1, 0, 150); x[199] = NaN; },               // a masked NaN
    (x, m) => { m.fill(1, 0, 150); x[5] = Infinity; },            // a kept +inf
    (x, m) => { m.fill(1, 0, 150); x[0] = Infinity; },            // a kept +inf first
    (x, m) => { m.fill(1, 0, 150); x[160] = Infinity; },          // a masked +inf
    (x, m) => { m.fill(1, 1, 150); x.fill(-Infinity, 1, 150); },  // kept entries all -inf
    (x, m) => { m.fill(1, 100); x[0] = NaN; },                    // a masked NaN first
  ];
  for (const fn of ['logSoftmax', 'softmax']) {
    test(`${fn}, every build, float32 and float64`, () => {
      const rand = seededRandom(11);
      const x = logits(rand, rows.length * cols, 0), where = new Uint8Array(x.length);
      rows.forEach((make, r) => make(x.subarray(r * cols, (r + 1) * cols), where.subarray(r * cols, (r + 1) * cols)));
      const shape = [rows.length, cols];
      for (const [dtype, Type] of Object.entries(TYPES)) {
        const ref = REF[fn](Type.from(x), shape, -1, { where });
        for (const { name, api } of builds) {
          assertMatches(dtype, fn, api[fn](Type.from(x), { shape, axis: -1, where }), ref, `${name} ${dtype} ${fn}`);
        }
      }
    });
  }
});

describe('where: random masks against the masked reference', () => {
  for (const fn of ['logSoftmax', 'softmax']) {
    test(`${fn}, every build, float32 and float64`, () => {
      const rand = seededRandom(fn === 'softmax' ? 7 : 8);
      for (let trial = 0; trial < 150; trial++) {
        const c = randomCase(rand);
        const x = logits(rand, size(c.shape), rand() < 0.5 ? 0 : 0.2);
        // The reference of each type's own inputs: float32 rounds the logits.
        const refs = Object.fromEntries(Object.entries(TYPES).map(([dtype, Type]) =>
          [dtype, REF[fn](Type.from(x), c.shape, c.axis, { where: c.where, whereShape: c.whereShape })]));
        for (const { name, api } of builds) {
          for (const [dtype, Type] of Object.entries(TYPES)) {
            const xs = Type.from(x), before = xs.slice(), ref = refs[dtype];
            const got = api[fn](xs, { shape: c.shape, axis: c.axis, where: c.where, whereShape: c.whereShape });
            assert.deepEqual(xs, before, 'x is left as it was');
            assertMatches(dtype, fn, got, ref,
              `${name} ${dtype} ${fn} shape [${c.shape}] axis ${JSON.stringify(c.axis)} where [${c.where}] of [${c.whereShape}] x [${x}]`);
          }
        }
      }
    });
  }

  test('logSumExp with and without b, keepdims and returnSign, every build', () => {
    const rand = seededRandom(9);
    for (let trial = 0; trial < 150; trial++) {
      const c = randomCase(rand);
      const a = logits(rand, size(c.shape), rand() < 0.5 ? 0 : 0.2);
      const opts = { axis: c.axis, keepdims: rand() < 0.3, returnSign: rand() < 0.5 };
      let b;
      if (rand() < 0.5) {
        // Weights, negative and zero included, sometimes broadcast, sometimes NaN or inf where masked.
        const bShape = c.shape.map((d) => (rand() < 0.3 ? 1 : d));
        b = Float64Array.from({ length: size(bShape) }, () => pick(rand, [1, 2, 0.5, -1, 0, 3]));
        if (rand() < 0.3) b[Math.floor(rand() * b.length)] = pick(rand, [NaN, Infinity]);
        Object.assign(opts, { b, bShape });
      }
      for (const { name, api } of builds) {
        for (const [dtype, Type] of Object.entries(TYPES)) {
          // float32: the rounded inputs, and scipy's float32 special values.
          const ref = refLogSumExp(Type.from(a), c.shape, {
            ...opts, b: b && Type.from(b), where: c.where, whereShape: c.whereShape, float32: dtype === 'f32',
          });
          const typed = { ...opts, shape: c.shape, where: c.where, whereShape: c.whereShape };
          if (b) typed.b = Type.from(b);
          const got = api.logSumExp(Type.from(a), typed);
          const what = `${name} ${dtype} logSumExp shape [${c.shape}] ${JSON.stringify(opts)} where [${c.where}] of [${c.whereShape}] a [${a}]`;
          const value = opts.returnSign ? got.value : got;
          const values = typeof value === 'number' ? [value] : value;
          assertMatches(dtype, 'logSumExp', values, ref.value, what);
          if (opts.returnSign) {
            const signs = typeof got.sign === 'number' ? [got.sign] : got.sign;
            assert.deepEqual([...signs].map(kind), [...ref.sign].map(kind), `${what}: signs ${[...signs]}`);
            assert.deepEqual([...signs], [...ref.sign], `${what}: signs`);
          }
        }
      }
    }
  });
});

describe('where: what the definitions promise', () => {
  test('a fully masked slice: softmax 0, logSoftmax -inf, logSumExp -inf with sign 0, whatever x holds', () => {
    const x = new Float32Array([NaN, Infinity, -Infinity, 3, 1, 2]);
    const where = new Uint8Array([0, 0, 0, 1, 1, 1]);
    for (const { name, api } of builds) {
      const sm = api.softmax(x, { shape: [2, 3], axis: -1, where });
      const ls = api.logSoftmax(x, { shape: [2, 3], axis: -1, where });
      const lse = api.logSumExp(x, { shape: [2, 3], axis: -1, where, returnSign: true });
      assert.deepEqual([...sm.slice(0, 3)], [0, 0, 0], name);
      assert.deepEqual([...ls.slice(0, 3)], [-Infinity, -Infinity, -Infinity], name);
      assert.equal(lse.value[0], -Infinity, name);
      assert.equal(lse.sign[0], 0, name);
      assert.ok(sm.slice(3).every(Number.isFinite) && lse.value[1] > 3, name);
    }
  });

  test('masked entries take no part in the max: a masked +inf or NaN leaves the rest finite', () => {
    for (const { name, api } of builds) {
      const got = api.logSoftmax([Infinity, 0, NaN, Math.log(3)], { where: [false, true, false, true] });
      assert.deepEqual([...got].map(kind), ['-inf', 'finite', '-inf', 'finite'], name);
      assert.ok(Math.abs(got[1] - Math.log(1 / 4)) < 1e-15 && Math.abs(got[3] - Math.log(3 / 4)) < 1e-15, `${name}: ${got}`);
    }
  });

  test('unmasked entries keep scipy\'s rules: all -inf among them gives NaN there', () => {
    for (const { name, api } of builds) {
      const got = api.logSoftmax(new Float64Array([-Infinity, -Infinity, 5]), { where: [1, 1, 0] });
      assert.deepEqual([...got].map(kind), ['nan', 'nan', '-inf'], name);
    }
  });

  test('with b, a masked entry counts for nothing even where b is NaN or inf', () => {
    for (const { name, api } of builds) {
      const got = api.logSumExp(new Float64Array([0, 0, 1]), { b: new Float64Array([NaN, Infinity, 2]), where: [0, 0, 1] });
      assert.ok(Math.abs(got - (1 + Math.log(2))) < 1e-15, `${name}: ${got}`);
    }
  });
});

describe('where: the forms of a mask', () => {
  const x = new Float32Array([1, 2, 3, 4, 5, 6]);
  const shape = [2, 3];
  const expected = (api) => api.softmax(x, { shape, axis: -1, where: new Uint8Array([1, 0, 1, 1, 0, 1]) });
  test('Uint8Array (any nonzero keeps), booleans, numbers, nested arrays, a broadcast row, whereShape', () => {
    for (const { name, api } of builds) {
      const want = expected(api);
      const forms = [
        { where: new Uint8Array([9, 0, 255, 1, 0, 2]) },
        { where: [true, false, true, true, false, true], whereShape: [2, 3] },
        { where: [[1, 0, -2], [NaN, 0, 0.5]] }, // NaN is true, as NumPy's bool() has it
        { where: [[true, false, true]] },
        { where: [true, false, true] },
        { where: new Uint8Array([1, 0, 1]), whereShape: [3] },
        { where: new Uint8Array([1, 0, 1]), whereShape: [1, 1, 3].slice(1) },
      ];
      for (const f of forms) assert.deepEqual(api.softmax(x, { shape, axis: -1, ...f }), want, `${name} ${JSON.stringify(f)}`);
    }
  });

  test('a boolean: true masks nothing, false everything', () => {
    for (const { name, api } of builds) {
      assert.deepEqual(api.logSoftmax(x, { where: true }), api.logSoftmax(x), name);
      assert.deepEqual([...api.softmax(x, { where: false })], [0, 0, 0, 0, 0, 0], name);
      assert.equal(api.logSumExp(x, { where: false }), -Infinity, name);
    }
  });

  test('a column mask broadcasts along rows; a number x takes a boolean', () => {
    for (const { name, api } of builds) {
      const got = api.softmax(x, { shape, axis: 0, where: [[true], [false]] });
      assert.deepEqual([...got], [1, 1, 1, 0, 0, 0], name);
      assert.equal(api.logSoftmax(3, { where: false }), -Infinity, name);
      assert.equal(api.logSoftmax(3, { where: true }), 0, name);
    }
  });
});

describe('where: bad masks are refused and nothing is written', () => {
  const cases = [
    [{ where: new Float32Array(6) }, TypeError, /where must be a Uint8Array/],
    [{ where: 'yes' }, TypeError, /where must be/],
    [{ where: [[1, 0, 'a'], [1, 1, 1]] }, TypeError, /where\[0\]\[2\] must be a boolean or a number/],
    [{ where: [[1, 0], [1, 1]] }, RangeError, /cannot broadcast/],
    [{ where: new Uint8Array(12), whereShape: [2, 2, 3] }, RangeError, /cannot broadcast/],
    [{ where: new Uint8Array(4) }, RangeError, /give whereShape/],
    [{ where: new Uint8Array(6), whereShape: [5] }, RangeError, /holds 5 elements/],
    [{ whereShape: [2, 3] }, TypeError, /whereShape was given without where/],
    [{ where: [[1, 0, 1], [1]] }, RangeError, /ragged/],
  ];
  for (const [opts, Err, message] of cases) {
    test(`${JSON.stringify(opts, (k, v) => (ArrayBuffer.isView(v) ? `${v.constructor.name}(${v.length})` : v))}`, () => {
      for (const { name, api } of builds) {
        for (const fn of ['logSoftmax', 'softmax', 'logSumExp']) {
          const x = new Float32Array([1, 2, 3, 4, 5, 6]);
          const out = new Float32Array(fn === 'logSumExp' ? 2 : 6).fill(42);
          assert.throws(() => api[fn](x, { shape: [2, 3], axis: -1, out, ...opts }), (err) => err instanceof Err && message.test(err.message),
            `${name} ${fn}`);
          assert.ok(out.every((v) => v === 42), `${name} ${fn}: out untouched`);
          assert.deepEqual([...x], [1, 2, 3, 4, 5, 6]);
        }
        // and the instance keeps working
        assert.ok(Math.abs(api.logSumExp(new Float64Array([0, 0])) - Math.LN2) < 1e-15, name);
      }
    });
  }
});
