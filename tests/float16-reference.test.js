// Self-test of the 16-bit float reference (js/reference/float16.js) and its
// spacings (ulp16, ulpBf16 in js/reference/ulp.js): the half-precision tests
// judge the library by these, so they are checked here against the formats'
// definitions and, independently, against the engine: Math.f16round where
// the runtime has it (Node 20 does not) and float32's own rounding, read off
// a Float32Array's bits, for bfloat16.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  toFloat16Bits, fromFloat16Bits, roundFloat16,
  toBfloat16Bits, fromBfloat16Bits, roundBfloat16,
  FLOAT16_MAX, FLOAT16_MIN_NORMAL,
} from '../js/reference/float16.js';
import { ulp16, ulpBf16 } from '../js/reference/ulp.js';
import { seededRandom } from '../js/reference/random.js';

const dv = new DataView(new ArrayBuffer(8));
/** The next double above / below a finite x (by its bits, not arithmetic). */
function nextUp(x) {
  if (x === 0) return 2 ** -1074;
  dv.setFloat64(0, x);
  dv.setBigUint64(0, dv.getBigUint64(0) + (x > 0 ? 1n : -1n));
  return dv.getFloat64(0);
}
const nextDown = (x) => -nextUp(-x);
const doubleSign = (x) => {
  dv.setFloat64(0, x);
  return dv.getUint8(0) >> 7;
};
const hex = (h) => `0x${h.toString(16).padStart(4, '0')}`;

const FORMATS = [
  { name: 'float16', to: toFloat16Bits, from: fromFloat16Bits, round: roundFloat16, ulp: ulp16, m: 10, inf: 0x7c00 },
  { name: 'bfloat16', to: toBfloat16Bits, from: fromBfloat16Bits, round: roundBfloat16, ulp: ulpBf16, m: 7, inf: 0x7f80 },
];
const isNaNBits = (f, h) => (h & 0x7fff) > f.inf;

for (const f of FORMATS) {
  test(`${f.name}: every one of the 65536 bit patterns decodes and encodes back`, () => {
    const bad = [];
    for (let h = 0; h < 0x10000; h++) {
      const v = f.from(h);
      const back = f.to(v);
      if (isNaNBits(f, h)) {
        // Any NaN comes back quiet (top fraction bit set), with h's sign
        // where the engine kept it on the double.
        const quiet = f.inf | (1 << (f.m - 1));
        const want = (doubleSign(v) ? 0x8000 : 0) | quiet;
        if (!Number.isNaN(v) || back !== want) bad.push(`${hex(h)} -> ${v} -> ${hex(back)}`);
      } else if (back !== h) {
        bad.push(`${hex(h)} -> ${v} -> ${hex(back)}`);
      }
      if (bad.length > 10) break;
    }
    assert.deepEqual(bad, []);
  });

  test(`${f.name}: positive values increase with their bits and are spaced by the ulp helper`, () => {
    // Each step of the bit pattern is one spacing: this ties decode to the
    // format's layout and checks the ulp helper everywhere at once.
    let prev = f.from(0);
    assert.ok(Object.is(prev, 0));
    assert.ok(Object.is(f.from(0x8000), -0));
    for (let h = 1; h < f.inf; h++) {
      const v = f.from(h);
      assert.equal(v - prev, f.ulp(prev), `${hex(h - 1)} to ${hex(h)}`);
      assert.equal(f.from(h | 0x8000), -v);
      prev = v;
    }
    assert.equal(f.from(f.inf), Infinity);
    assert.equal(f.from(f.inf | 0x8000), -Infinity);
  });

  test(`${f.name}: at every midpoint ties go to even; one double either side goes to the nearer`, () => {
    const bad = [];
    // From 0 up to the midpoint between the largest finite value and the
    // first power of two beyond it (float16: 65520), which ties to infinity's
    // even bits: overflow is round to nearest too.
    for (let h = 0; h < f.inf; h++) {
      const lo = f.from(h);
      const mid = lo + f.ulp(lo) / 2; // exact: 12 (or 9) significant bits
      const even = h % 2 === 0 ? h : h + 1;
      for (const s of [0, 0x8000]) {
        const sg = s ? -1 : 1;
        const got = [f.to(sg * mid), f.to(sg * nextDown(mid)), f.to(sg * nextUp(mid))];
        const want = [even | s, h | s, (h + 1) | s];
        if (got.some((g, i) => g !== want[i])) bad.push(`${hex(h)}: mid ${sg * mid} -> ${got.map(hex)}, want ${want.map(hex)}`);
      }
      if (bad.length > 10) break;
    }
    assert.deepEqual(bad, []);
  });

  test(`${f.name}: special values, and NaN is quiet with its sign`, () => {
    assert.equal(f.to(Infinity), f.inf);
    assert.equal(f.to(-Infinity), f.inf | 0x8000);
    assert.equal(f.to(0), 0);
    assert.equal(f.to(-0), 0x8000);
    assert.equal(f.to(Number.MAX_VALUE), f.inf);
    assert.equal(f.to(-Number.MAX_VALUE), f.inf | 0x8000);
    assert.equal(f.to(2 ** -1074), 0); // far below half the smallest subnormal
    assert.equal(f.to(-(2 ** -1074)), 0x8000);
    const quiet = f.inf | (1 << (f.m - 1));
    assert.equal(f.to(NaN), quiet);
    dv.setUint32(0, 0xfff80000); // a negative quiet double NaN
    dv.setUint32(4, 1);
    const negNaN = dv.getFloat64(0);
    if (doubleSign(negNaN)) assert.equal(f.to(negNaN), quiet | 0x8000);
    assert.ok(Number.isNaN(f.round(NaN)));
  });
}

test('float16: anchors of the format', () => {
  const cases = [
    [0x3c00, 1], [0xc000, -2], [0x7bff, FLOAT16_MAX], [0x0400, FLOAT16_MIN_NORMAL],
    [0x0001, 2 ** -24], [0x03ff, 2 ** -14 - 2 ** -24], [0x3555, 0.333251953125],
    [0x3bff, 1 - 2 ** -11], [0x3c01, 1 + 2 ** -10], [0x7800, 32768],
  ];
  for (const [h, v] of cases) {
    assert.equal(fromFloat16Bits(h), v, hex(h));
    assert.equal(toFloat16Bits(v), h, String(v));
  }
});

test('float16: rounds the exact double, not its float32 rounding', () => {
  // 1 + 2^-11 + 2^-40 is above the midpoint between 1 and 1 + 2^-10; in
  // float32 it becomes the midpoint itself, which ties down to 1.
  const v = 1 + 2 ** -11 + 2 ** -40;
  assert.equal(toFloat16Bits(v), 0x3c01);
  assert.equal(toFloat16Bits(Math.fround(v)), 0x3c00, 'the double rounding this guards against');
  assert.equal(toFloat16Bits(-v), 0xbc01);
  // The same hazard in the subnormal range: 2^-25 + 2^-60 is above half the
  // smallest subnormal.
  assert.equal(toFloat16Bits(2 ** -25 + 2 ** -60), 0x0001);
  assert.equal(toFloat16Bits(Math.fround(2 ** -25 + 2 ** -60)), 0x0000);
  assert.equal(toBfloat16Bits(1 + 2 ** -8 + 2 ** -40), 0x3f81);
  assert.equal(toBfloat16Bits(Math.fround(1 + 2 ** -8 + 2 ** -40)), 0x3f80);
});

test('float16: overflow threshold 65520 and the subnormal boundaries', () => {
  assert.equal(toFloat16Bits(65519.99999999999), 0x7bff);
  assert.equal(toFloat16Bits(nextDown(65520)), 0x7bff);
  assert.equal(toFloat16Bits(65520), 0x7c00);
  assert.equal(toFloat16Bits(-65520), 0xfc00);
  assert.equal(toFloat16Bits(65536), 0x7c00);
  assert.equal(toFloat16Bits(1e10), 0x7c00);
  assert.equal(roundFloat16(65510), 65504);
  // Subnormals are kept, with ties to even at their spacing 2^-24.
  assert.equal(toFloat16Bits(2 ** -25), 0x0000);
  assert.equal(toFloat16Bits(nextUp(2 ** -25)), 0x0001);
  assert.equal(toFloat16Bits(3 * 2 ** -25), 0x0002);
  assert.equal(toFloat16Bits(5 * 2 ** -25), 0x0002);
  assert.equal(toFloat16Bits(-3 * 2 ** -25), 0x8002);
  // Midpoint between the largest subnormal and the smallest normal.
  assert.equal(toFloat16Bits(2 ** -14 - 2 ** -25), 0x0400);
  assert.equal(toFloat16Bits(nextDown(2 ** -14 - 2 ** -25)), 0x03ff);
  assert.equal(toFloat16Bits(nextDown(2 ** -14)), 0x0400);
});

test('ulp16 and ulpBf16 at their edges', () => {
  assert.equal(ulp16(0), 2 ** -24);
  assert.equal(ulp16(2 ** -14), 2 ** -24);
  assert.equal(ulp16(nextDown(2 ** -14)), 2 ** -24);
  assert.equal(ulp16(1), 2 ** -10);
  assert.equal(ulp16(-3), 2 ** -9);
  assert.equal(ulp16(nextDown(1)), 2 ** -11);
  assert.equal(ulp16(FLOAT16_MAX), 32);
  assert.equal(ulp16(1e9), 32);
  assert.equal(ulp16(Infinity), Infinity);
  assert.ok(Number.isNaN(ulp16(NaN)));
  assert.equal(ulpBf16(0), 2 ** -133);
  assert.equal(ulpBf16(1), 2 ** -7);
  assert.equal(ulpBf16(2 ** -126), 2 ** -133);
  assert.equal(ulpBf16(3e38), 2 ** 120);
  assert.equal(ulpBf16(1e300), 2 ** 120);
});

test('bfloat16 of a float32 value is the float32 bits rounded to their top half', () => {
  // Independent of the reference: round-to-nearest-even on the float32 bit
  // pattern, the usual bias trick (add 0x7fff plus the kept low bit).  Every
  // top half with low halves at and around the tie point.
  const f32 = new Float32Array(1);
  const u32 = new Uint32Array(f32.buffer);
  const lows = [0x0000, 0x0001, 0x3fff, 0x7fff, 0x8000, 0x8001, 0xbfff, 0xffff];
  const rand = seededRandom(16);
  const bad = [];
  for (let hi = 0; hi < 0x10000; hi++) {
    for (const low of [...lows, Math.floor(rand() * 0x10000)]) {
      u32[0] = hi * 0x10000 + low;
      const u = u32[0];
      const v = f32[0];
      const got = toBfloat16Bits(v);
      // A NaN: bfloat16's quiet NaN, with the sign the double still carries.
      const want = Number.isNaN(v) ? (doubleSign(v) << 15) | 0x7fc0
        : Math.floor((u + 0x7fff + ((u >>> 16) & 1)) / 0x10000) % 0x10000;
      const ok = got === want;
      if (!ok) bad.push(`${u.toString(16)} (${v}) -> ${hex(got)}, want ${hex(want)}`);
    }
    if (bad.length > 10) break;
  }
  assert.deepEqual(bad, []);
});

test('float16 matches Math.f16round', { skip: typeof Math.f16round !== 'function' && 'this runtime has no Math.f16round' }, () => {
  const rand = seededRandom(2024);
  const bad = [];
  const values = [];
  for (let h = 0; h < 0x7c00; h++) {
    const lo = fromFloat16Bits(h), mid = lo + ulp16(lo) / 2;
    values.push(lo, mid, nextUp(mid), nextDown(mid));
  }
  for (let i = 0; i < 200000; i++) values.push((rand() - 0.5) * 2 ** (Math.floor(rand() * 60) - 30));
  for (const v of [...values, ...values.map((x) => -x), 65520, 1e300, Infinity, -Infinity, NaN, 0, -0]) {
    const got = roundFloat16(v), want = Math.f16round(v);
    if (!Object.is(got, want)) bad.push(`${v}: ${got}, Math.f16round ${want}`);
    if (bad.length > 10) break;
  }
  assert.deepEqual(bad, []);
});

test('the half-precision bounds of tests/helpers/bounds.js', async () => {
  const { BOUND16, BOUNDBF16, ulpError, tolerance, withinBound } = await import('./helpers/bounds.js');
  assert.deepEqual({ ...BOUND16 }, { logSoftmax: 1, softmax: 1, logSumExp: 1 });
  assert.deepEqual({ ...BOUNDBF16 }, { logSoftmax: 1, softmax: 1, logSumExp: 1 });
  // The logs: 1 ulp16 of max(1, |ref|).
  assert.equal(ulpError('f16', 'logSoftmax', -0.5 + 2 ** -10, -0.5), 1);
  assert.ok(withinBound('f16', 'logSoftmax', -0.5 + 2 ** -10, -0.5));
  assert.ok(!withinBound('f16', 'logSoftmax', -0.5 + 2 ** -9, -0.5));
  assert.ok(withinBound('f16', 'logSumExp', 65504, 65504 + 31));
  assert.ok(!withinBound('f16', 'logSumExp', 65504, 65504 + 33));
  // softmax: 1 ulp16 of ref where ref is a normal float16 ...
  assert.ok(withinBound('f16', 'softmax', 0.25 + 2 ** -12, 0.25));
  assert.ok(!withinBound('f16', 'softmax', 0.25 + 2 ** -11, 0.25));
  // ... and 2^-24 absolute below 2^-14, where the ulp measure stops.
  assert.ok(Number.isNaN(ulpError('f16', 'softmax', 1e-6, 1e-6 + 1e-9)));
  assert.equal(tolerance('f16', 'softmax', 1e-6), 2 ** -24);
  assert.ok(withinBound('f16', 'softmax', 0, 2 ** -24));
  assert.ok(!withinBound('f16', 'softmax', 0, 2 ** -23));
  // bfloat16: 1 ulp of bfloat16 by the same measures.
  assert.ok(withinBound('bf16', 'logSoftmax', -3 + 2 ** -6, -3));
  assert.ok(!withinBound('bf16', 'logSoftmax', -3 + 2 ** -5, -3));
  assert.ok(!withinBound('bf16', 'softmax', 0, 2 ** -132));
  // float32 and float64 keep their bounds.
  assert.equal(tolerance('f32', 'logSoftmax', 1), 2 * 2 ** -23);
  assert.ok(withinBound('f32', 'softmax', 0, 1e-40), 'float32 subnormal softmax outputs are not measured');
  assert.equal(tolerance('f64', 'softmax', 0.5), 1e-13 * 0.5);
});
