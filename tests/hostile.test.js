// Hostile input, on every wasm build:
//  1. property tests over random shapes up to rank 5 and axis sets, with
//     inf, -inf, NaN, subnormals, +-3e38 and +-1e308 injected, against the
//     float64 reference (js/reference/float64.js);
//  2. a table of bad calls, each with its exact error type and message, each
//     followed by a valid call that must still be right, and none of which
//     may write to `out`.
// Choices made here (README "Reliability"): SharedArrayBuffer-backed inputs
// and outputs are accepted and computed like any other (the data is copied
// into wasm memory first); frozen arrays and Proxies of plain arrays are
// read like arrays; a Proxy of a typed array is refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { loadBuilds } from './helpers/builds.js';
import { tolerance } from './helpers/bounds.js';
import { refLogSoftmax, refSoftmax, refLogSumExp } from '../js/reference/float64.js';
import { kind } from '../js/reference/ulp.js';
import { size } from '../js/reference/shapes.js';

const builds = await loadBuilds();

// ------------------------------------------------------------ comparison ---

/**
 * `got` against the float64 reference: the reference is first rounded to
 * the result's dtype (a float32 result of -6e38 is -inf), then NaN and
 * infinities must match exactly and finite values be within the promised
 * bound (tests/helpers/bounds.js).
 */
function assertMatches(got, ref, fn, dt, what) {
  const round = dt === 'f32' ? Math.fround : (v) => v;
  for (let i = 0; i < ref.length; i++) {
    const g = got[i], r = ref[i], rr = round(r);
    const ok = kind(g) === kind(rr) && (kind(rr) !== 'finite' || g === rr || Math.abs(g - r) <= tolerance(dt, fn, r));
    if (!ok) assert.fail(`${what}: [${i}] got ${g}, reference ${r}`);
  }
}

// ------------------------------------------------------ property tests ---

const HOSTILE = [Infinity, -Infinity, NaN, 3e38, -3e38, 1e308, -1e308, 1e-40, -1e-40, 5e-324, 1e-310, 0, -0];

const caseArb = fc.integer({ min: 0, max: 5 }).chain((rank) => fc.record({
  shape: fc.array(fc.integer({ min: 1, max: rank > 3 ? 3 : 6 }), { minLength: rank, maxLength: rank }),
  axis: fc.oneof(fc.constant(null), fc.subarray([...Array(rank).keys()]),
    ...(rank > 0 ? [fc.integer({ min: -rank, max: rank - 1 })] : [])),
  dtype: fc.constantFrom('f32', 'f64', 'plain'),
  // Per element: a logit, or one of the hostile values.
  picks: fc.array(fc.oneof(fc.double({ min: -50, max: 50, noNaN: true }), fc.constantFrom(...HOSTILE)),
    { minLength: 1, maxLength: 729 }),
}));

function valuesOf(c) {
  const v = Float64Array.from({ length: size(c.shape) }, (_, i) => c.picks[i % c.picks.length]);
  // A float32 input is judged on the values it actually holds.
  return c.dtype === 'f32' ? Float64Array.from(Float32Array.from(v)) : v;
}

function inputOf(values, c) {
  if (c.dtype === 'plain') return c.shape.length === 0 ? values[0] : Array.from(values);
  return c.dtype === 'f32' ? Float32Array.from(values) : Float64Array.from(values);
}

const asList = (v) => (typeof v === 'number' ? [v] : v);

for (const { name, api } of builds) {
  test(`hostile values on random shapes and axes match the reference (${name} build)`, () => {
    fc.assert(fc.property(caseArb, (c) => {
      const values = valuesOf(c);
      const x = inputOf(values, c);
      const opts = c.dtype === 'plain' && c.shape.length === 0 ? { axis: c.axis } : { shape: c.shape, axis: c.axis };
      const dt = c.dtype === 'f32' ? 'f32' : 'f64';
      const what = (fn) => `${fn} ${JSON.stringify({ ...c, picks: undefined })} on ${Array.from(values).slice(0, 8)}`;
      assertMatches(asList(api.logSoftmax(x, opts)), refLogSoftmax(values, c.shape, c.axis), 'logSoftmax', dt, what('logSoftmax'));
      assertMatches(asList(api.softmax(x, opts)), refSoftmax(values, c.shape, c.axis), 'softmax', dt, what('softmax'));
      const lse = refLogSumExp(values, c.shape, { axis: c.axis });
      assertMatches(asList(api.logSumExp(x, opts)), lse.value, 'logSumExp', dt, what('logSumExp'));
    }), { seed: 6, numRuns: 400 });
  });
}

// ------------------------------------------------------------ bad calls ---

const x6 = () => new Float32Array([1, 2, 3, 4, 5, 6]);
const detached = () => {
  const a = new Float32Array([1, 2, 3, 4, 5, 6]);
  structuredClone(a.buffer, { transfer: [a.buffer] }); // what postMessage(…, [buffer]) does
  return a;
};
const GOT_TYPES = 'must be a Float32Array, a Float64Array, a Float16Array, a Uint16Array with dtype, an array of numbers or a number; got';

/**
 * [description, call(api, out), error class, message].  `out` is a
 * Float32Array(6) full of a sentinel: calls that take it must leave it so.
 * The last column is matched as a regular expression.
 */
const BAD_CALLS = [
  // wrong types everywhere
  ['x is a string', (api) => api.logSoftmax('123'), TypeError, `^x ${GOT_TYPES} "123"$`],
  ['x is an object', (api, out) => api.softmax({ length: 6 }, { out }), TypeError, `^x ${GOT_TYPES} an object$`],
  ['x is a BigInt64Array', (api) => api.logSoftmax(new BigInt64Array(6)), TypeError, `^x ${GOT_TYPES} BigInt64Array\\(6\\)$`],
  ['x is an Int32Array', (api, out) => api.softmax(new Int32Array(6), { out }), TypeError, `^x ${GOT_TYPES} Int32Array\\(6\\)$`],
  ['x is null', (api) => api.logSoftmax(null), TypeError, `^x ${GOT_TYPES} null$`],
  ['x is undefined', (api) => api.softmax(undefined), TypeError, `^x ${GOT_TYPES} undefined$`],
  ['a is a BigInt', (api) => api.logSumExp(5n), TypeError, `^a ${GOT_TYPES} 5n$`],
  ['options is a string', (api) => api.logSoftmax(x6(), 'axis'), TypeError, '^logSoftmax options must be an object; got "axis"$'],
  ['shape is a string', (api, out) => api.logSoftmax(x6(), { shape: '6', out }), TypeError, '^shape must be an array of integers; got "6"$'],
  ['shape holds a string', (api) => api.softmax(x6(), { shape: ['6'] }), TypeError, '^shape\\[0\\] must be an integer; got "6"$'],
  ['shape holds a BigInt', (api) => api.softmax(x6(), { shape: [6n] }), TypeError, '^shape\\[0\\] must be an integer; got 6n$'],
  ['axis is a string', (api, out) => api.logSoftmax(x6(), { axis: '0', out }), TypeError, '^axis must be null, an integer or an array of integers; got "0"$'],
  ['axis is an object', (api) => api.softmax(x6(), { axis: {} }), TypeError, '^axis must be null, an integer or an array of integers; got an object$'],
  ['axis holds null', (api) => api.logSumExp(x6(), { axis: [null] }), TypeError, '^axis\\[0\\] must be an integer; got null$'],
  ['out is a string', (api) => api.logSoftmax(x6(), { out: 'y' }), TypeError, '^out must be a Float32Array like the result; got "y"$'],
  ['out of the wrong type', (api) => api.softmax(x6(), { out: new Float64Array(6) }), TypeError, '^out must be a Float32Array like the result; got Float64Array\\(6\\)$'],
  ['out of the wrong length', (api) => api.logSoftmax(x6(), { out: new Float32Array(5) }), RangeError, '^out has length 5; the result has 6$'],
  ['b is a string', (api) => api.logSumExp(x6(), { b: 'w' }), TypeError, `^b ${GOT_TYPES} "w"$`],
  ['keepdims is a string', (api) => api.logSumExp(x6(), { keepdims: 'yes' }), TypeError, '^keepdims must be a boolean; got "yes"$'],
  ['non-numeric entry in a nested array', (api) => api.logSoftmax([[1, 2], [3, '4']]), TypeError, '^x\\[1\\]\\[1\\] must be a number; got "4"$'],
  ['null entry in a plain array', (api) => api.softmax([1, null]), TypeError, '^x\\[1\\] must be a number; got null$'],
  ['ragged nested array', (api) => api.logSoftmax([[1, 2], [3]]), RangeError, '^x is ragged: x\\[1\\] should be an array of length 2; got \\[3\\]$'],
  // shapes
  ['shape product differs from the length', (api, out) => api.logSoftmax(x6(), { shape: [2, 2], out }), RangeError, '^shape \\[2, 2\\] holds 4 elements but x has 6$'],
  ['negative dimension', (api) => api.softmax(x6(), { shape: [-2, -3] }), RangeError, '^shape\\[0\\] must be a non-negative integer; got -2$'],
  ['non-integer dimension', (api) => api.softmax(x6(), { shape: [1.5, 4] }), RangeError, '^shape\\[0\\] must be a non-negative integer; got 1.5$'],
  ['NaN in shape', (api) => api.logSoftmax(x6(), { shape: [NaN, 6] }), RangeError, '^shape\\[0\\] must be a non-negative integer; got NaN$'],
  ['Infinity in shape', (api) => api.logSumExp(x6(), { shape: [6, Infinity] }), RangeError, '^shape\\[1\\] must be a non-negative integer; got Infinity$'],
  ['shape product over 2^53', (api) => api.logSoftmax(x6(), { shape: [2 ** 30, 2 ** 30, 2 ** 30] }), RangeError, '^shape \\[1073741824, 1073741824, 1073741824\\] has more than 2\\^53 elements$'],
  ['shape product over 2^32', (api) => api.softmax(x6(), { shape: [2 ** 16, 2 ** 16] }), RangeError, '^shape \\[65536, 65536\\] holds 4294967296 elements but x has 6$'],
  // axes
  ['axis out of range', (api, out) => api.logSoftmax(x6(), { shape: [2, 3], axis: 2, out }), RangeError, '^axis = 2 is out of range for an array of 2 dimensions$'],
  ['negative axis out of range', (api) => api.logSumExp(x6(), { axis: -2 }), RangeError, '^axis = -2 is out of range for an array of 1 dimension$'],
  ['duplicated axis', (api) => api.softmax(x6(), { shape: [2, 3], axis: [1, -1] }), RangeError, '^axis repeats dimension 1: \\[1, -1\\]$'],
  ['NaN axis', (api) => api.logSoftmax(x6(), { axis: NaN }), RangeError, '^axis must be an integer; got NaN$'],
  ['Infinity axis', (api) => api.softmax(x6(), { axis: [Infinity] }), RangeError, '^axis\\[0\\] must be an integer; got Infinity$'],
  ['float axis', (api, out) => api.logSoftmax(x6(), { axis: 0.5, out }), RangeError, '^axis must be an integer; got 0.5$'],
  ['axis -0', (api) => api.logSoftmax(x6(), { axis: -0 }), RangeError, '^axis is -0, which is ambiguous; use 0 or -1$'],
  // aliasing, buffers
  ['out partially overlaps x', (api) => {
    const host = new Float32Array(8);
    return api.logSoftmax(host.subarray(1, 7), { out: host.subarray(0, 6) });
  }, RangeError, '^out partially overlaps the input; pass the input itself to compute in place$'],
  // The fast path remembers an out it found in another buffer than x
  // (js/api.js); another out, over x's own buffer, is still checked.
  ['out partially overlaps x, after calls with the same x and an out apart', (api) => {
    const host = new Float32Array(8), x = host.subarray(1, 7), apart = new Float32Array(6);
    api.logSoftmax(x, { out: apart });
    api.logSoftmax(x, { out: apart });
    return api.logSoftmax(x, { out: host.subarray(0, 6) });
  }, RangeError, '^out partially overlaps the input; pass the input itself to compute in place$'],
  ['x detached (transferred)', (api, out) => api.softmax(detached(), { out }), TypeError, '^x is backed by a detached ArrayBuffer$'],
  ['out detached (transferred)', (api) => api.logSoftmax(x6(), { out: detached() }), TypeError, '^out is backed by a detached ArrayBuffer$'],
  ['x is a Proxy of a Float32Array', (api, out) => api.logSoftmax(new Proxy(x6(), {}), { out }), TypeError, '^x has a typed-array prototype but is not a typed array \\(a Proxy\\?\\); pass the array itself$'],
  // weights
  ['b that cannot broadcast', (api) => api.logSumExp(x6(), { shape: [2, 3], b: [1, 2], bShape: [2] }), RangeError, '^b of shape \\[2\\] cannot broadcast against a of shape \\[2, 3\\]$'],
  ['bShape without b', (api) => api.logSumExp(x6(), { bShape: [6] }), TypeError, '^bShape was given without b$'],
  // zero-length reduction
  ['softmax over a zero-length axis', (api) => api.softmax(new Float32Array(0), { shape: [2, 0], axis: 1 }), RangeError, '^softmax reduces over a zero-length axis'],
];

const SENTINEL = -12345.5;

/** A valid call after each error: must be right (reference), whichever it is. */
const VALID = [
  (api) => assertMatches(api.logSoftmax(new Float32Array([1, 2, 3, 1000])), refLogSoftmax([1, 2, 3, 1000], [4], null), 'logSoftmax', 'f32', 'logSoftmax after an error'),
  (api) => assertMatches(api.softmax(new Float64Array([0.5, -Infinity, 2, 7]), { shape: [2, 2], axis: 0 }),
    refSoftmax([0.5, -Infinity, 2, 7], [2, 2], 0), 'softmax', 'f64', 'softmax after an error'),
  (api) => assertMatches([api.logSumExp([[0, -40], [1, 2]])], refLogSumExp([0, -40, 1, 2], [2, 2]).value, 'logSumExp', 'f64', 'logSumExp after an error'),
];

test(`the table holds at least 30 bad calls (${BAD_CALLS.length})`, () => {
  assert.ok(BAD_CALLS.length >= 30);
});

for (const { name, api } of builds) {
  test(`bad calls throw the exact error, write nothing, and leave the library working (${name} build)`, () => {
    BAD_CALLS.forEach(([what, call, Type, message], i) => {
      const out = new Float32Array(6).fill(SENTINEL);
      assert.throws(() => call(api, out), (err) => {
        assert.equal(err.constructor, Type, `${what}: ${err.constructor.name}: ${err.message}`);
        assert.match(err.message, new RegExp(message), what);
        return true;
      }, what);
      assert.deepEqual(out, new Float32Array(6).fill(SENTINEL), `${what}: out was written`);
      VALID[i % VALID.length](api);
    });
  });
}

// ------------------------------------------- accepted unusual inputs ---

for (const { name, api } of builds) {
  test(`SharedArrayBuffer input and output, frozen arrays and Proxies of arrays are computed right (${name} build)`, () => {
    const values = [3, -1, 0.5, 1e-40, 8, -Infinity];
    const ref = refLogSoftmax(values, [2, 3], 1);
    const shared = new Float64Array(new SharedArrayBuffer(48));
    shared.set(values);
    const sharedOut = new Float64Array(new SharedArrayBuffer(48));
    assertMatches(api.logSoftmax(shared, { shape: [2, 3], axis: 1, out: sharedOut }), ref, 'logSoftmax', 'f64', 'SharedArrayBuffer');
    assert.deepEqual(Array.from(shared), values, 'a shared input is left as it was');
    const frozen = Object.freeze([Object.freeze(values.slice(0, 3)), Object.freeze(values.slice(3))]);
    assertMatches(api.logSoftmax(frozen, { axis: 1 }), ref, 'logSoftmax', 'f64', 'frozen nested array');
    const proxied = new Proxy(values.slice(), {});
    assertMatches(api.logSoftmax(proxied, { shape: [2, 3], axis: -1 }), ref, 'logSoftmax', 'f64', 'Proxy of an array');
  });
}

// ------------------------------------- more than wasm memory can hold ---

// Plain float32 inputs stream through a window (js/stream.js), whatever their
// size; weighted logsumexp still copies its operands whole, so it meets the limit.
test('an input larger than wasm32 memory, on a path that copies it whole, is a RangeError, after which calls work', (t) => {
  let huge;
  try {
    huge = new Float32Array(2 ** 30 + 4); // 4 GiB + 16 bytes: more than wasm32 addresses
  } catch {
    t.skip('this machine cannot allocate a 4 GiB ArrayBuffer');
    return;
  }
  for (const { api } of builds) {
    for (const call of [() => api.logSumExp(huge, { b: 2 }), () => api.logSumExp(huge, { shape: [2, 2 ** 29 + 2], axis: 0, b: 2 })]) {
      assert.throws(call, (err) => err instanceof RangeError && /wasm32 memory can address|could not grow wasm memory/.test(err.message));
      VALID.forEach((v) => v(api));
    }
  }
});
