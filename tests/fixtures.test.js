// The scipy/mpmath fixtures (tests/fixtures/*.json, written by
// tests/fixtures/gen_fixtures.py) against every wasm build and the public
// entry point.  Non-finite results, signs, dtypes, shapes and scalar-vs-array
// returns must match exactly; finite values must be within the accuracy the
// README promises, measured against 50-digit mpmath values:
//   float64  rtol 1e-13 ("strict" cases: scipy's own test inputs, and softmax);
//            |err| <= 1e-13 * max(1, |ref|) for the logs elsewhere, since
//            log(1 + tiny) cannot be relatively accurate in any float64 formula
//   float32  logSoftmax, logSumExp  |err| <= 2 ulp32(max(1, |ref|))
//            softmax  |err| <= 4 ulp32(ref) for normal outputs, 4 * 2^-149 below
import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { loadBuilds } from './helpers/builds.js';
import * as publicApi from '../js/index.js';
import { ulp32 } from '../js/reference/ulp.js';
import { fromFloat16Bits, fromBfloat16Bits } from '../js/reference/float16.js';
import { withinBound } from './helpers/bounds.js';
import { nest } from '../js/reference/shapes.js';

const load = (name) => JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')).cases;
const FIXTURES = {
  'semantics.json': load('semantics.json'), 'accuracy.json': load('accuracy.json'),
  // where masks (JAX's semantics) and half-precision inputs: tests/fixtures/gen_masked.py
  'masked.json': load('masked.json'), 'float16.json': load('float16.json'),
};
const HALF = { float16: { kind: 'f16bits', dtype: 'f16', decode: fromFloat16Bits }, bfloat16: { kind: 'bf16bits', dtype: 'bf16', decode: fromBfloat16Bits } };
const halfOf = (kind) => Object.entries(HALF).find(([, h]) => h.kind === kind);

const SPECIAL = { nan: NaN, inf: Infinity, '-inf': -Infinity };
const decode = (v) => (typeof v === 'string' ? SPECIAL[v] : v);
const sameShape = (p, q) => p.length === q.length && p.every((d, i) => d === q[i]);

// ------------------------------------------------------------- inputs ---

/** A fixture operand as the JS value a user would pass. */
function operand(spec) {
  const data = spec.data.map(decode);
  switch (spec.kind) {
    case 'number': return data[0];
    case 'f64': return Float64Array.from(data);
    case 'f32': return Float32Array.from(data);
    case 'plain': return nest(data, spec.shape);
    case 'f16bits': case 'bf16bits': return Uint16Array.from(data);
    default: throw new Error(`unknown operand kind ${spec.kind}`);
  }
}

const isTyped = (spec) => ['f64', 'f32', 'f16bits', 'bf16bits'].includes(spec.kind);

/** A fixture's mask as a user would pass it: a Uint8Array (with whereShape), nested booleans or numbers, or a boolean. */
function maskOf(spec, xShape) {
  if (spec.shape.length === 0) return { where: spec.data[0] };
  if (spec.kind === 'u8') {
    const where = Uint8Array.from(spec.data);
    return sameShape(spec.shape, xShape) ? { where } : { where, whereShape: spec.shape };
  }
  return { where: nest(spec.data.map(decode), spec.shape) };
}

/** The call a fixture describes: [function name, x, options]. */
function callOf(c) {
  const x = operand(c.x);
  const opts = {};
  // 1-D typed arrays rely on the default shape [x.length]; nested arrays on
  // the inferred one.
  if (isTyped(c.x) && c.x.shape.length !== 1) opts.shape = c.x.shape;
  if ('axis' in c) opts.axis = c.axis;
  if ('keepdims' in c) opts.keepdims = c.keepdims;
  if ('returnSign' in c) opts.returnSign = c.returnSign;
  if (halfOf(c.x.kind)) opts.dtype = halfOf(c.x.kind)[0];
  if (c.where) Object.assign(opts, maskOf(c.where, c.x.shape));
  if (c.b) {
    opts.b = operand(c.b);
    if (isTyped(c.b) && !(isTyped(c.x) && sameShape(c.b.shape, c.x.shape))) opts.bShape = c.b.shape;
  }
  const name = { log_softmax: 'logSoftmax', softmax: 'softmax', logsumexp: 'logSumExp' }[c.fn];
  return [name, x, opts];
}

// ----------------------------------------------------------- accuracy ---

/** Is a finite `got` close enough to the 50-digit reference `ref`? */
function close(c, dtype, got, ref) {
  if (HALF[dtype]) return withinBound(HALF[dtype].dtype, { log_softmax: 'logSoftmax', softmax: 'softmax', logsumexp: 'logSumExp' }[c.fn], got, ref);
  const err = Math.abs(got - ref);
  if (dtype === 'float32') {
    if (c.fn !== 'softmax') return err <= 2 * ulp32(Math.max(1, Math.abs(ref)));
    return Math.abs(ref) >= 2 ** -126 ? err <= 4 * ulp32(ref) : err <= 4 * 2 ** -149;
  }
  if (c.fn === 'softmax') return err <= 1e-13 * Math.abs(ref) + 2 ** -1074;
  if (c.strict) return err <= 1e-13 * Math.abs(ref);
  return err <= 1e-13 * Math.max(1, Math.abs(ref));
}

// ------------------------------------------------------------- checks ---

/**
 * Differences between a result and what the fixture expects, as messages
 * (empty when it matches).  `tolerant` values use `close`; signs are exact.
 */
function compare(c, got, want, dtype, tolerant) {
  const scalar = c.fn === 'logsumexp' ? c.expect.shape.length === 0 : c.x.kind === 'number';
  const Type = HALF[dtype] ? Uint16Array : dtype === 'float32' ? Float32Array : Float64Array;
  if (scalar) {
    if (typeof got !== 'number') return [`expected a number, got ${got?.constructor?.name ?? typeof got}`];
    got = [got];
  } else {
    if (!(got instanceof Type)) return [`expected a ${Type.name}, got ${got?.constructor?.name ?? typeof got}`];
    if (got.length !== want.length) return [`expected length ${want.length}, got ${got.length}`];
    if (HALF[dtype]) got = Array.from(got, HALF[dtype].decode); // bits, as the values they stand for
  }
  const problems = [];
  for (let i = 0; i < want.length; i++) {
    const [g, w] = [got[i], decode(want[i])];
    const ok = Number.isNaN(w) ? Number.isNaN(g)
      : !Number.isFinite(w) || !tolerant ? g === w
        : Number.isFinite(g) && close(c, dtype, g, w);
    if (!ok) problems.push(`[${i}] got ${g}, want ${w}${tolerant && Number.isFinite(w) ? ` (err ${Math.abs(g - w).toExponential(2)})` : ''}`);
  }
  return problems;
}

/** Runs one fixture case on `api`; returns what is wrong with the result. */
function runCase(api, c) {
  const [name, x, opts] = callOf(c);
  const original = ArrayBuffer.isView(x) ? x.slice() : null;
  if (c.expect.throws) {
    try {
      api[name](x, opts);
    } catch (err) {
      return err instanceof RangeError ? [] : [`threw ${err?.name}, want RangeError: ${err?.message}`];
    }
    return ['did not throw; want RangeError'];
  }
  let got;
  try {
    got = api[name](x, opts);
  } catch (err) {
    return [`threw ${err?.name}: ${err?.message}`];
  }
  const problems = [];
  if (original && !original.every((v, i) => Object.is(v, x[i]))) problems.push('modified its input');
  const { dtype, value, sign } = c.expect;
  if (c.returnSign) {
    if (got === null || typeof got !== 'object' || !('value' in got) || !('sign' in got)) {
      return [...problems, `expected {value, sign}, got ${got}`];
    }
    problems.push(...compare(c, got.value, value, dtype, true).map((p) => `value ${p}`));
    problems.push(...compare(c, got.sign, sign, dtype, false).map((p) => `sign ${p}`));
  } else {
    problems.push(...compare(c, got, value, dtype, true));
  }
  return problems;
}

/** Groups cases by the first two parts of their id ("axes/softmax", ...). */
function groups(cases) {
  const map = new Map();
  for (const c of cases) {
    const key = c.id.split('/').slice(0, 2).join('/');
    if (!map.has(key)) map.set(key, []);
    map.get(key).push(c);
  }
  return map;
}

/** One node:test test per group; it lists every failing case, not only the first. */
function fixtureTests(getApi) {
  for (const [file, cases] of Object.entries(FIXTURES)) {
    describe(file, () => {
      for (const [group, members] of groups(cases)) {
        test(`${group} (${members.length} cases)`, () => {
          const failures = [];
          for (const c of members) {
            const problems = runCase(getApi(), c);
            if (problems.length) failures.push(`${c.id}: ${problems.slice(0, 4).join('; ')}`);
          }
          assert.equal(failures.length, 0,
            `${failures.length} of ${members.length} cases fail:\n  ${failures.slice(0, 25).join('\n  ')}`);
        });
      }
    });
  }
}

// -------------------------------------------------------------- suites ---

test('the fixtures cover every kind of input the semantics table names', () => {
  const all = [...FIXTURES['semantics.json'], ...FIXTURES['accuracy.json']];
  const has = (pred) => all.some(pred);
  assert.ok(has((c) => c.x.kind === 'number'), '0-d inputs');
  assert.ok(has((c) => Array.isArray(c.axis) && c.axis.length === 0), 'axis []');
  assert.ok(has((c) => c.keepdims === true), 'keepdims');
  assert.ok(has((c) => c.returnSign === true && c.b), 'returnSign with b');
  assert.ok(has((c) => c.b?.kind === 'number'), 'scalar b');
  assert.ok(has((c) => c.x.shape.includes(0)), 'empty arrays');
  assert.ok(has((c) => c.expect.throws === 'RangeError'), 'zero-length reductions');
  assert.ok(has((c) => c.expect.dtype === 'float32'), 'float32');
  assert.ok(has((c) => c.strict), 'scipy test inputs');
  assert.ok(all.length > 800);
});

for (const { name, api } of await loadBuilds()) {
  describe(`fixtures, ${name} build`, () => {
    test('is the build it claims to be', () => {
      assert.equal(api.build, name);
    });
    fixtureTests(() => api);
  });
}

describe('fixtures, public index.js', () => {
  before(async () => {
    await publicApi.init();
  });
  fixtureTests(() => publicApi);
});
