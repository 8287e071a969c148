// The wasm kernels for masks and 16-bit storage (c/where.h, c/convert.c),
// called directly in each build's memory: float16 and bfloat16 widened to
// float32 and narrowed back (round to nearest, ties to even), and the mask
// kernel x = mask ? x : fill.  The references are independent of the C:
// each format's values come from its definition, sign * 2^(e - bias) *
// (1 + m / 2^mbits), and the rounding cases from the sorted list of those
// values.  The builds must also agree with each other bit for bit.
// (c/test/convert.c checks every float32 bit pattern natively.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadKernelBuilds } from './helpers/builds.js';
import { CONVERSIONS, KERNELS } from '../js/exports.js';
import { seededRandom } from '../js/reference/random.js';

const builds = await loadKernelBuilds();

const FORMATS = {
  float16: { ebits: 5, mbits: 10 },
  bfloat16: { ebits: 8, mbits: 7 },
};

/** A 16-bit pattern's value by the format's definition (NaN for NaNs). */
function decode(h, { ebits, mbits }) {
  const bias = 2 ** (ebits - 1) - 1;
  const m = h & (2 ** mbits - 1), e = (h >> mbits) & (2 ** ebits - 1);
  const sign = h & 0x8000 ? -1 : 1;
  if (e === 2 ** ebits - 1) return m ? NaN : sign * Infinity;
  if (e === 0) return sign * 2 ** (1 - bias) * (m / 2 ** mbits);
  return sign * 2 ** (e - bias) * (1 + m / 2 ** mbits);
}

const f32 = new Float32Array(1), u32 = new Uint32Array(f32.buffer);
const bitsOf = (x) => ((f32[0] = x), u32[0]);
const ofBits = (u) => ((u32[0] = u), f32[0]);
const hex = (v, w) => `0x${v.toString(16).padStart(w, '0')}`;

/**
 * Runs a conversion in a build's memory: `src` (Uint16Array or Uint32Array
 * of float32 bits) in, the result's bits out (the other of the two), as one
 * call or, with `pieces`, as calls of those lengths in turn (the builds'
 * scalar tails).
 */
function convert(kernels, symbol, src, pieces = null) {
  const n = src.length;
  const widen = src instanceof Uint16Array;
  const inBytes = n * (widen ? 2 : 4), outBytes = n * (widen ? 4 : 2);
  const base = kernels.reserve(((inBytes + 15) & ~15) + outBytes);
  const pOut = base + ((inBytes + 15) & ~15);
  const buffer = kernels.memory.buffer;
  new Uint8Array(buffer, base, inBytes).set(new Uint8Array(src.buffer, src.byteOffset, inBytes));
  const [inSize, outSize] = widen ? [2, 4] : [4, 2];
  for (let at = 0, k = 0; at < n; k++) {
    const len = pieces ? Math.min(pieces[k % pieces.length], n - at) : n;
    kernels.exports[symbol](base + at * inSize, pOut + at * outSize, len);
    at += len;
  }
  return widen ? new Uint32Array(buffer.slice(pOut, pOut + outBytes)) : new Uint16Array(buffer.slice(pOut, pOut + outBytes));
}

const ALL16 = Uint16Array.from({ length: 65536 }, (_, h) => h);

// The SIMD builds test each step of 16 elements, and the scalar build each
// step of 8, and take a shorter sequence where all of them lie in the common
// range (c/convert.c), so that in one call most values meet only that one.
// Spread 7 to every 8, the 8th a filler from outside the range, every value
// goes through the sequence the filler sends its step to, in every build.
const spreadAt = (i) => Math.floor(i / 7) * 8 + (i % 7);
function spread(src, filler) {
  const out = new src.constructor(Math.ceil(src.length / 7) * 8).fill(filler);
  src.forEach((v, i) => (out[spreadAt(i)] = v));
  return out;
}
const unspread = (got, n) => got.constructor.from({ length: n }, (_, i) => got[spreadAt(i)]);

/** `convert` in one call, in short calls, and spread among each filler: [label, result] pairs. */
function layouts(kernels, symbol, src, pieces, fillers) {
  return [
    ['one call', convert(kernels, symbol, src)],
    ['short calls', convert(kernels, symbol, src, pieces)],
    ...fillers.map(([name, filler]) => [`spread among ${name}`, unspread(convert(kernels, symbol, spread(src, filler)), src.length)]),
  ];
}

/**
 * Narrowing cases from a format's values alone: every value (both signs),
 * and for each two neighbouring positive values a and b (b = 2^(emax+1),
 * past the largest, for the overflow), their midpoint, a tie that goes to
 * the one with the even pattern, and the float32 either side of it, which
 * go to the nearer one; negated, the same with the sign bit.  The midpoints
 * have one bit more than the format, so they are float32 values.
 * @returns {{input: Uint32Array, want: Uint16Array}}
 */
function narrowingCases(format) {
  const positives = [];
  for (let h = 0; h < 0x8000; h++) {
    const v = decode(h, format);
    if (Number.isFinite(v)) positives.push({ v, h });
  }
  positives.sort((p, q) => p.v - q.v);
  const inf = 0x7fff & ~(2 ** format.mbits - 1); // exponent all ones, mantissa 0
  positives.push({ v: 2 ** (2 ** (format.ebits - 1)), h: inf });
  const input = [], want = [];
  const add = (x, h) => {
    assert.equal(Math.fround(x), x, `${x} is a float32`);
    for (const sign of [0, 0x8000]) input.push((bitsOf(x) | (sign << 16)) >>> 0), want.push(h | sign);
  };
  for (const { v, h } of positives.slice(0, -1)) add(v, h);
  for (let i = 0; i + 1 < positives.length; i++) {
    const [a, b] = [positives[i], positives[i + 1]];
    const mid = (a.v + b.v) / 2;
    add(mid, a.h & 1 ? b.h : a.h);
    add(ofBits(bitsOf(mid) - 1), a.h);
    add(ofBits(bitsOf(mid) + 1), b.h);
  }
  return { input: Uint32Array.from(input), want: Uint16Array.from(want) };
}

/** The first mismatch of two arrays, as a message, or null. */
function firstMismatch(got, want, label) {
  for (let i = 0; i < want.length; i++) if (got[i] !== want[i]) return label(i);
  return null;
}

for (const { name, kernels } of builds) {
  for (const [dtype, format] of Object.entries(FORMATS)) {
    const { widen, narrow } = CONVERSIONS[dtype];

    test(`${name}: ${dtype} widens all 65536 patterns exactly, NaNs with their sign and payload`, () => {
      const shift = 23 - format.mbits;
      const inf = 0x7fff & ~(2 ** format.mbits - 1);
      for (const [layout, got] of layouts(kernels, widen, ALL16, [1, 2, 3, 4, 5, 6, 7], [['infs', inf], ['subnormals', 1]])) {
        for (let h = 0; h < 65536; h++) {
          const want = decode(h, format);
          const sign = got[h] >>> 31 === h >>> 15;
          if (Number.isNaN(want)) {
            const nan = ((got[h] >>> 23) & 0xff) === 0xff && (got[h] & 0x7fffff) === (h & (2 ** format.mbits - 1)) << shift;
            if (!sign || !nan) assert.fail(`${dtype} ${hex(h, 4)} (${layout}): got ${hex(got[h], 8)}, want NaN with its sign and payload`);
          } else if (!Object.is(ofBits(got[h]), want)) {
            assert.fail(`${dtype} ${hex(h, 4)} (${layout}): got ${ofBits(got[h])}, want ${want}`);
          }
        }
      }
    });

    test(`${name}: ${dtype} narrows every value exactly, ties to even, neighbours of ties to the nearer`, () => {
      const { input, want } = narrowingCases(format);
      for (const [layout, got] of layouts(kernels, narrow, input, [3, 1, 6, 2, 5], [['NaNs', 0x7fc00000]])) {
        const bad = firstMismatch(got, want, (i) =>
          `${dtype} ${hex(input[i], 8)} (${ofBits(input[i])}, ${layout}): got ${hex(got[i], 4)}, want ${hex(want[i], 4)}`);
        if (bad) assert.fail(bad);
      }
    });
  }

  test(`${name}: narrowing's edges: overflow, NaN, zeros, infinities, subnormals`, () => {
    const { narrow: f16 } = CONVERSIONS.float16, { narrow: bf16 } = CONVERSIONS.bfloat16;
    const cases = [
      // float32 bits, float16, bfloat16
      [bitsOf(65519.99609375), 0x7bff, 0x4780], // just below 65520: 65504; bfloat16 rounds to 2^16
      [bitsOf(65520), 0x7c00, 0x4780], // the tie above 65504 (odd) goes to inf
      [bitsOf(65536), 0x7c00, 0x4780],
      [bitsOf(-65520), 0xfc00, 0xc780],
      [bitsOf(3e38), 0x7c00, 0x7f62],
      [0x7f7fffff, 0x7c00, 0x7f80], // the largest float: bfloat16 overflows to inf
      [0x7f7f7fff, 0x7c00, 0x7f7f], // just below bfloat16's tie to inf
      [0x7f800000, 0x7c00, 0x7f80], [0xff800000, 0xfc00, 0xff80],
      [0x00000000, 0x0000, 0x0000], [0x80000000, 0x8000, 0x8000],
      [0x7fc00000, 0x7e00, 0x7fc0], [0xffc00000, 0xfe00, 0xffc0], // NaN: quiet, with its sign
      [0x7f800001, 0x7e00, 0x7fc0], [0xff812345, 0xfe00, 0xffc1], // signalling NaNs come out quiet
      [0x00000001, 0x0000, 0x0000], [0x80000001, 0x8000, 0x8000], // the smallest float32 subnormal
      [bitsOf(2 ** -25), 0x0000, 0x3300], // half float16's smallest subnormal: ties to 0
      [bitsOf(2 ** -25 * 1.0000001), 0x0001, 0x3300],
      [bitsOf(3 * 2 ** -25), 0x0002, 0x33c0], // 1.5 subnormal steps: ties to 2
      [bitsOf(2 ** -14 - 2 ** -26), 0x0400, 0x3880], // rounds up into the smallest normal
      [0x00400000, 0x0000, 0x0040], // a float32 subnormal stays a bfloat16 subnormal
      [0x00008000, 0x0000, 0x0000], [0x00018000, 0x0000, 0x0002], // bfloat16 subnormal ties
    ];
    const input = Uint32Array.from(cases, (c) => c[0] >>> 0);
    for (const [symbol, column] of [[f16, 1], [bf16, 2]]) {
      const got = convert(kernels, symbol, input);
      cases.forEach((c, i) => assert.equal(got[i], c[column],
        `${symbol}(${hex(c[0] >>> 0, 8)} = ${ofBits(c[0])}): got ${hex(got[i], 4)}, want ${hex(c[column], 4)}`));
    }
  });

  test(`${name}: bfloat16 narrows a large random sample to the nearer neighbour, ties to even`, () => {
    const rand = seededRandom(41);
    const n = 1 << 18;
    const input = new Uint32Array(n);
    for (let i = 0; i < n; i++) {
      // Uniform bits, and a quarter with the low 16 bits at or next to a tie.
      const hi = Math.floor(rand() * 65536), lo = rand() < 0.25 ? 0x8000 + Math.floor(rand() * 3) - 1 : Math.floor(rand() * 65536);
      input[i] = ((hi << 16) | lo) >>> 0;
    }
    const got = convert(kernels, CONVERSIONS.bfloat16.narrow, input, [5, 8, 1]);
    const format = FORMATS.bfloat16;
    for (let i = 0; i < n; i++) {
      const x = ofBits(input[i]), hi = input[i] >>> 16;
      let want;
      if (Number.isNaN(x)) want = hi | 0x40; // quiet, with its sign and payload's top bits
      else if (!Number.isFinite(x)) want = hi;
      else {
        // Between the truncation hi and the next value away from zero.
        const below = Math.abs(decode(hi, format));
        const above = (hi & 0x7fff) === 0x7f7f ? 2 ** 128 : Math.abs(decode(hi + 1, format));
        const down = Math.abs(x) - below, up = above - Math.abs(x);
        want = down < up ? hi : up < down ? hi + 1 : hi & 1 ? hi + 1 : hi;
      }
      if (got[i] !== want) assert.fail(`${hex(input[i], 8)} (${x}): got ${hex(got[i], 4)}, want ${hex(want, 4)}`);
    }
  });

  test(`${name}: where keeps x where the mask byte is nonzero, else writes fill, in place`, () => {
    const rand = seededRandom(7);
    const specials = [NaN, Infinity, -Infinity, 0, -0, 5e-324, 1e-45];
    for (const [dtype, Typed] of [['f32', Float32Array], ['f64', Float64Array]]) {
      const es = Typed.BYTES_PER_ELEMENT;
      for (let trial = 0; trial < 400; trial++) {
        const n = trial < 101 ? trial : Math.floor(rand() * 300);
        const x = Typed.from({ length: n }, () => (rand() < 0.3 ? specials[Math.floor(rand() * specials.length)] : (rand() - 0.5) * 100));
        // NaNs with payloads: the kernel copies bits, so they must survive.
        if (dtype === 'f32') for (let i = 0; i < n; i++) if (rand() < 0.05) new Uint32Array(x.buffer)[i] = 0x7f800001 + Math.floor(rand() * 0x7fffff);
        const mask = Uint8Array.from({ length: n }, () => (rand() < 0.5 ? 0 : 1 + Math.floor(rand() * 255)));
        const fill = [-Infinity, 0, -0, 2.5][trial % 4];
        // x after a guard of 16 elements, the mask at an odd address.
        const base = kernels.reserve((n + 32) * es + n + 32);
        const pX = base + 16 * es, pMask = base + (n + 32) * es + 1;
        const buffer = kernels.memory.buffer;
        const guard = Typed.from({ length: n + 32 }, (_, i) => i + 0.5);
        new Typed(buffer, base, n + 32).set(guard);
        new Typed(buffer, pX, n).set(x);
        new Uint8Array(buffer, pMask, n).set(mask);
        kernels.exports[KERNELS.where[dtype]](pX, pMask, n, fill);
        const want = new Typed(n + 32);
        want.set(guard), want.set(x, 16);
        for (let i = 0; i < n; i++) if (!mask[i]) want[16 + i] = fill;
        const got = new Uint8Array(buffer.slice(base, base + (n + 32) * es));
        const wantBytes = new Uint8Array(want.buffer);
        const bad = firstMismatch(got, wantBytes, (b) => `byte ${b} (element ${Math.floor(b / es) - 16})`);
        if (bad) assert.fail(`${dtype} n ${n} fill ${fill}: ${bad}`);
        assert.deepEqual(new Uint8Array(buffer, pMask, n), mask, 'the mask is left as it was');
      }
    }
  });
}

test('the builds agree bit for bit on random float32 and 16-bit patterns, NaNs included', { skip: builds.length < 2 && 'one build' }, () => {
  const rand = seededRandom(99);
  const n = 1 << 16;
  const words = Uint32Array.from({ length: n }, () => Math.floor(rand() * 2 ** 32) >>> 0);
  // Exponents all ones (inf and NaN) and zero (subnormals) more often.
  for (let i = 0; i < n; i += 7) words[i] = (words[i] | 0x7f800000) >>> 0;
  for (let i = 3; i < n; i += 11) words[i] = (words[i] & 0x807fffff) >>> 0;
  const halves = Uint16Array.from(words, (w) => w & 0xffff);
  const mask = Uint8Array.from(words, (w) => (w >>> 8) & (w >>> 16) & 0xff);
  const results = builds.map(({ name, kernels }) => {
    const out = Object.entries(CONVERSIONS).flatMap(([, { widen, narrow }]) => [
      convert(kernels, widen, halves, [13, 4, 1]), convert(kernels, narrow, words, [13, 4, 1]),
    ]);
    for (const [dtype, es] of [['f32', 4], ['f64', 8]]) {
      // The words' bytes as elements of the dtype, an odd count of them.
      const count = (n * 4) / es - 3, base = kernels.reserve(n * 4 + n);
      new Uint8Array(kernels.memory.buffer, base, n * 4).set(new Uint8Array(words.buffer));
      new Uint8Array(kernels.memory.buffer, base + n * 4, n).set(mask);
      kernels.exports[KERNELS.where[dtype]](base, base + n * 4, count, -Infinity);
      out.push(new Uint8Array(kernels.memory.buffer.slice(base, base + n * 4)));
    }
    return { name, out };
  });
  for (const { name, out } of results.slice(1)) {
    out.forEach((got, k) => {
      const bad = firstMismatch(got, results[0].out[k], (i) => `output ${k} [${i}]`);
      if (bad) assert.fail(`${name} and ${results[0].name} differ: ${bad}`);
    });
  }
});
