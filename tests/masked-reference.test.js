// The references the `where` and half-precision tests judge the library by
// (js/reference/float64.js with its `where` option, js/reference/float16.js)
// against the fixtures written independently from scipy and 50-digit mpmath
// by tests/fixtures/gen_masked.py: masked.json and float16.json.
//
// Every finite fixture value must be within a few float64 ulps of the
// reference (relative to |ref| for softmax, to max(1, |ref|) for the logs:
// see js/reference/float64.js on its accuracy); after rounding the
// reference to the case's output type (float32, float16, bfloat16), its
// non-finite values, logsumexp signs and shapes must be identical; and
// the cases that must throw, throw.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { refLogSoftmax, refSoftmax, refLogSumExp } from '../js/reference/float64.js';
import { fromFloat16Bits, fromBfloat16Bits, roundFloat16, roundBfloat16 } from '../js/reference/float16.js';
import { ulp64, kind } from '../js/reference/ulp.js';
import { seededRandom, randomLogits } from '../js/reference/random.js';
import { size } from '../js/reference/shapes.js';

const load = (name) => JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')).cases;
const FIXTURES = { 'masked.json': load('masked.json'), 'float16.json': load('float16.json') };

const SPECIAL = { nan: NaN, inf: Infinity, '-inf': -Infinity };
const decode = (v) => (typeof v === 'string' ? SPECIAL[v] : v);

/** A fixture operand's values as float64, flat in C order. */
function values(spec) {
  switch (spec.kind) {
    case 'f16bits': return spec.data.map(fromFloat16Bits);
    case 'bf16bits': return spec.data.map(fromBfloat16Bits);
    default: return spec.data.map(decode);
  }
}

/** The rounding of a float64 result to the case's output type. */
const ROUND = { float64: (v) => v, float32: Math.fround, float16: roundFloat16, bfloat16: roundBfloat16 };

/** Float64 ulps the reference may be off the 50-digit value. */
const ULPS = 4;

/** Runs the reference on a fixture case: {value, sign?, shape}. */
function reference(c) {
  const data = values(c.x), shape = c.x.shape;
  const opts = {};
  if (c.where) {
    // A 0-d mask goes in as the bare boolean (the form users write); the
    // others as flat data with their shape.
    if (c.where.shape.length === 0) opts.where = c.where.data[0];
    else [opts.where, opts.whereShape] = [c.where.data, c.where.shape];
  }
  if (c.fn === 'logsumexp') {
    if ('axis' in c) opts.axis = c.axis;
    if (c.keepdims) opts.keepdims = true;
    if (c.returnSign) opts.returnSign = true;
    if (c.b) [opts.b, opts.bShape] = c.b.kind === 'number' ? [decode(c.b.data[0])] : [values(c.b), c.b.shape];
    opts.float32 = c.expect.dtype === 'float32';
    return refLogSumExp(data, shape, opts);
  }
  const fn = c.fn === 'softmax' ? refSoftmax : refLogSoftmax;
  return { value: fn(data, shape, c.axis, opts), shape };
}

/** What is wrong with the reference on one case (empty when nothing). */
function problemsOf(c) {
  if (c.expect.throws) {
    try {
      reference(c);
    } catch (err) {
      return err instanceof RangeError ? [] : [`threw ${err?.name}, want RangeError`];
    }
    return ['did not throw'];
  }
  const got = reference(c);
  const { value, sign, shape, dtype } = c.expect;
  const problems = [];
  if (JSON.stringify(got.shape) !== JSON.stringify(shape)) problems.push(`shape [${got.shape}], want [${shape}]`);
  if (got.value.length !== value.length) return [...problems, `length ${got.value.length}, want ${value.length}`];
  for (let i = 0; i < value.length; i++) {
    const want = decode(value[i]), ref = got.value[i];
    const rounded = ROUND[dtype](ref);
    if (kind(want) !== 'finite' || kind(rounded) !== 'finite') {
      if (!Object.is(rounded, want) && !(Number.isNaN(want) && Number.isNaN(rounded))) {
        problems.push(`[${i}] ${ref} (${dtype} ${rounded}), want ${want}`);
      }
      continue;
    }
    const scale = c.fn === 'softmax' ? Math.abs(want) : Math.max(1, Math.abs(want));
    if (!(Math.abs(ref - want) <= ULPS * ulp64(scale))) {
      problems.push(`[${i}] ${ref}, want ${want} (${(Math.abs(ref - want) / ulp64(scale)).toFixed(1)} ulp64)`);
    }
  }
  if (sign) {
    for (let i = 0; i < sign.length; i++) {
      if (!Object.is(got.sign[i], decode(sign[i])) && !(Number.isNaN(got.sign[i]) && sign[i] === 'nan')) {
        problems.push(`sign [${i}] ${got.sign[i]}, want ${sign[i]}`);
      }
    }
  }
  return problems;
}

for (const [file, cases] of Object.entries(FIXTURES)) {
  describe(`reference against ${file}`, () => {
    const groups = new Map();
    for (const c of cases) {
      const key = c.id.split('/').slice(0, 2).join('/');
      if (!groups.has(key)) groups.set(key, []);
      groups.get(key).push(c);
    }
    for (const [group, members] of groups) {
      test(`${group} (${members.length} cases)`, () => {
        const failures = [];
        for (const c of members) {
          const p = problemsOf(c);
          if (p.length) failures.push(`${c.id}: ${p.slice(0, 4).join('; ')}`);
        }
        assert.equal(failures.length, 0, `${failures.length} of ${members.length} fail:\n  ${failures.slice(0, 20).join('\n  ')}`);
      });
    }
  });
}

test('the fixtures cover what the semantics name', () => {
  const m = FIXTURES['masked.json'], h = FIXTURES['float16.json'];
  const has = (cases, pred, what) => assert.ok(cases.some(pred), what);
  for (const k of ['u8', 'bool', 'plain']) has(m, (c) => c.where?.kind === k, `where kind ${k}`);
  has(m, (c) => c.where?.shape.length === 0 && c.where.data[0] === false, 'a 0-d false mask');
  has(m, (c) => c.where && c.where.shape.length < c.x.shape.length, 'a lower-rank mask');
  has(m, (c) => c.where?.shape.includes(1) && !c.x.shape.includes(1), 'a mask with size-1 dims');
  has(m, (c) => c.where?.data.some((v) => v !== 0 && v !== 1 && typeof v === 'number'), 'non-0/1 mask values');
  has(m, (c) => c.b && c.where && c.returnSign, 'b with where and returnSign');
  has(m, (c) => c.where && c.keepdims, 'keepdims');
  has(m, (c) => c.where && Array.isArray(c.axis) && c.axis.length === 0, 'axis []');
  has(m, (c) => c.where && Array.isArray(c.axis) && c.axis.some((a) => a < 0), 'negative axes in a list');
  has(m, (c) => c.expect.throws && c.where, 'masks that must be refused');
  has(m, (c) => c.expect.sign?.includes(0) && c.expect.value.includes('-inf'), 'a fully masked logsumexp (sign 0)');
  has(m, (c) => c.fn === 'log_softmax' && c.expect.value?.includes('nan') && c.expect.value.includes('-inf') && c.where, 'unmasked all -inf');
  has(m, (c) => c.x.data.includes('nan') && c.expect.value && !c.expect.value.includes('nan'), 'a masked NaN');
  has(m, (c) => c.expect.dtype === 'float32', 'float32');
  has(h, (c) => c.x.kind === 'f16bits' && c.expect.dtype === 'float16', 'float16');
  has(h, (c) => c.x.kind === 'bf16bits' && c.expect.dtype === 'bfloat16', 'bfloat16');
  has(h, (c) => c.fn === 'softmax' && c.expect.value.some((v) => typeof v === 'number' && v > 0 && v < 2 ** -14), 'float16 subnormal outputs');
  has(h, (c) => c.fn === 'softmax' && c.expect.value.some((v) => typeof v === 'number' && v > 0 && v < 2 ** -25), 'outputs that round to 0');
  has(h, (c) => c.x.data.includes(0x7bff), 'the largest float16');
  has(h, (c) => c.fn === 'log_softmax' && c.expect.value.includes('-inf') && !c.x.data.some((b) => (b & 0x7fff) >= 0x7c00), 'a finite value that overflows float16');
  has(h, (c) => c.where && c.x.kind === 'f16bits', 'float16 with a mask');
  assert.ok(m.length > 500 && h.length > 100);
});

// The masked reference follows the definition: masked entries are left out
// of the slice.  Where a slice's unmasked entries are all finite this is the
// same as setting the masked ones to -inf (they then add exp(-inf) = 0 to
// the sum, exactly, and come out -inf or 0), so the two must agree bit for
// bit there; on the fixtures' specials (masked inf or NaN, unmasked -inf
// only) they differ, which the fixtures above check.
test('where the unmasked entries are finite, a mask is the same as -inf at the masked entries', () => {
  const rand = seededRandom(7);
  for (const [shape, axis] of [[[64], 0], [[5, 33], 1], [[5, 33], 0], [[3, 4, 5], [0, 2]], [[3, 4, 5], null]]) {
    const x = randomLogits(rand, size(shape), { sd: 6 });
    const mask = Uint8Array.from(x, () => (rand() < 0.6 ? 1 : 0));
    for (let i = 0; i < mask.length; i += 17) mask[i] = 0;
    const hidden = Float64Array.from(x, (v, i) => (mask[i] ? v : -Infinity));
    // Garbage under the mask must change nothing.
    const garbage = Float64Array.from(x, (v, i) => (mask[i] ? v : [Infinity, NaN, -Infinity, 1e308][i % 4]));
    const same = (p, q, what) => assert.ok(p.every((v, i) => Object.is(v, q[i])), `${what} shape [${shape}] axis ${axis}`);
    // A slice masked entirely stays all -inf / 0 either way, except that
    // -inf substitution makes scipy's NaN there: compare the others only.
    const alsoAllMasked = refLogSoftmax(hidden, shape, axis).map((v) => (Number.isNaN(v) ? -Infinity : v));
    same(refLogSoftmax(garbage, shape, axis, { where: mask }), alsoAllMasked, 'log_softmax');
    const sm = refSoftmax(hidden, shape, axis).map((v) => (Number.isNaN(v) ? 0 : v));
    same(refSoftmax(garbage, shape, axis, { where: mask }), sm, 'softmax');
    const lse = refLogSumExp(hidden, shape, { axis });
    const lseMasked = refLogSumExp(garbage, shape, { axis, where: mask });
    same(lseMasked.value, lse.value, 'logsumexp');
    // ... and where a mask is all true it is no mask at all.
    const ones = new Uint8Array(x.length).fill(1);
    same(refLogSoftmax(x, shape, axis, { where: ones }), refLogSoftmax(x, shape, axis), 'all-true log_softmax');
    same(refLogSumExp(x, shape, { axis, where: true }).value, refLogSumExp(x, shape, { axis }).value, 'all-true logsumexp');
  }
});

test('where broadcasts to x and may not enlarge it', () => {
  const x = [1, 2, 3, 4, 5, 6];
  // [1, 3] and [2, 1] both broadcast against [2, 3]; a mask can hide a row or a column.
  assert.deepEqual([...refSoftmax(x, [2, 3], 1, { where: [1, 1, 0], whereShape: [1, 3] })].slice(2, 4), [0, refSoftmax([4, 5], [2], 0)[0]]);
  assert.deepEqual([...refLogSoftmax(x, [2, 3], 1, { where: [false, true], whereShape: [2, 1] })].slice(0, 3), [-Infinity, -Infinity, -Infinity]);
  assert.throws(() => refSoftmax(x, [2, 3], 1, { where: [1, 1], whereShape: [2] }), RangeError);
  assert.throws(() => refSoftmax(x, [2, 3], 1, { where: new Uint8Array(12), whereShape: [2, 2, 3] }), RangeError);
  assert.throws(() => refSoftmax(x, [2, 3], 1, { where: [1, 0, 1] }), RangeError, 'data of the wrong length for the default shape');
  assert.throws(() => refLogSumExp([1, 2, 3], [3], { where: [1, 0, 1, 1, 1, 1], whereShape: [2, 3] }), RangeError);
  // With b, the mask may take the broadcast shape of a and b.
  const r = refLogSumExp([0, 0, 0], [3], { axis: 1, b: [1, 1, 1, 2, 2, 2], bShape: [2, 3], where: [1, 0, 0, 1, 1, 0], whereShape: [2, 3] });
  assert.deepEqual(r.shape, [2]);
  assert.equal(r.value[0], 0);
  assert.ok(Math.abs(r.value[1] - Math.log(4)) <= 2 * ulp64(Math.log(4)));
  // Existing calls without the options are unchanged.
  assert.deepEqual([...refSoftmax([0, 0], [2], 0)], [0.5, 0.5]);
});
