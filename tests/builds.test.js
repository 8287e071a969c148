// The SIMD and scalar builds are one source with the same lanes and the same
// order of rounding, so their results must agree bit for bit (NaN payloads
// and the sign of zero included) on every shape, axis, dtype and input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadBuilds } from './helpers/builds.js';
import { seededRandom, randomLogits } from '../js/reference/random.js';
import { size } from '../js/reference/shapes.js';

// Not the relaxed build: whether it fuses is the engine's choice (README).
const [simd, scalar] = (await loadBuilds(['simd', 'scalar'])).map((b) => b.api);

const SHAPES = [
  [1], [7], [16], [17], [33], [1000], [4097],
  [3, 5], [5, 17], [17, 5], [1, 1000], [64, 3],
  [4, 33, 3], [9, 1, 16], [2, 16, 16], [2, 3, 4, 5], [3, 1, 7, 18],
];

/** null, [], every single axis (as written and negative) and every pair. */
function axesFor(rank) {
  const out = [null, []];
  for (let a = 0; a < rank; a++) out.push(a, a - rank);
  for (let a = 0; a < rank; a++) for (let b = a + 1; b < rank; b++) out.push([a, b]);
  if (rank >= 3) out.push([rank - 1, 0]);
  return out;
}

const DATA = {
  logits: (rand, n) => randomLogits(rand, n, { sd: 5 }),
  masked: (rand, n) => randomLogits(rand, n, { sd: 5, masked: 0.4 }),
  offset: (rand, n) => randomLogits(rand, n, { sd: 3, mean: 1000 }),
  wide: (rand, n) => randomLogits(rand, n, { sd: 60 }), // subnormal and underflowing exps
  special: (rand, n) => randomLogits(rand, n, { sd: 5 }).map((v) => {
    const u = rand();
    return u < 0.05 ? NaN : u < 0.1 ? Infinity : u < 0.2 ? -Infinity : v;
  }),
};

const elements = (v) => (typeof v === 'number' ? Float64Array.of(v) : v);

/** The bytes of element i of a typed array. */
const bitsAt = (v, i) => new Uint8Array(v.buffer, v.byteOffset + i * v.BYTES_PER_ELEMENT, v.BYTES_PER_ELEMENT);

/**
 * Asserts bit-identical results.  NaNs are the one exception: wasm leaves
 * the sign and payload of a NaN result nondeterministic (the spec lets
 * engines propagate either operand's NaN or a canonical one), and V8's SIMD
 * and scalar instructions do differ there, so a NaN only has to meet a NaN.
 */
function assertSameBits(a, b, what) {
  if (a !== null && typeof a === 'object' && 'value' in a) {
    assertSameBits(a.value, b.value, `${what} value`);
    assertSameBits(a.sign, b.sign, `${what} sign`);
    return;
  }
  const [x, y] = [elements(a), elements(b)];
  assert.equal(x.length, y.length, `${what}: lengths`);
  for (let i = 0; i < x.length; i++) {
    if (Number.isNaN(x[i]) && Number.isNaN(y[i])) continue;
    const [p, q] = [bitsAt(x, i), bitsAt(y, i)];
    if (!p.every((v, k) => v === q[k])) assert.fail(`${what}: builds differ at [${i}]: simd ${x[i]}, scalar ${y[i]}`);
  }
}

for (const dtype of [Float32Array, Float64Array]) {
  test(`logSoftmax, softmax and logSumExp agree bit for bit between builds (${dtype.name})`, () => {
    const rand = seededRandom(dtype === Float32Array ? 11 : 12);
    let cases = 0;
    for (const shape of SHAPES) {
      const n = size(shape);
      for (const [kind, make] of Object.entries(DATA)) {
        const x = dtype.from(make(rand, n));
        for (const axis of axesFor(shape.length)) {
          const what = `${dtype.name} ${kind} shape [${shape}] axis ${JSON.stringify(axis)}`;
          for (const fn of ['logSoftmax', 'softmax']) {
            assertSameBits(simd[fn](x, { shape, axis }), scalar[fn](x, { shape, axis }), `${fn} ${what}`);
          }
          const opts = { shape, axis, keepdims: rand() < 0.5, returnSign: rand() < 0.5 };
          assertSameBits(simd.logSumExp(x, opts), scalar.logSumExp(x, opts), `logSumExp ${what}`);
          cases++;
        }
      }
    }
    assert.ok(cases > 500);
  });
}

const WEIGHTS = {
  positive: (rand) => 0.25 + 2 * rand(),
  zeros: (rand) => (rand() < 0.4 ? 0 : 1),
  signed: (rand) => [1, -1, 2, -0.5, 0][Math.floor(rand() * 5)],
};

/** b shapes that broadcast against `shape`: itself, its last dim, a column, a scalar-like [1]. */
function bShapesFor(shape) {
  const out = [shape, [shape[shape.length - 1]], [1]];
  if (shape.length >= 2) out.push([...shape.slice(0, -1), 1]);
  return out;
}

for (const dtype of [Float32Array, Float64Array]) {
  test(`weighted logSumExp agrees bit for bit between builds (${dtype.name})`, () => {
    const rand = seededRandom(dtype === Float32Array ? 21 : 22);
    for (const shape of SHAPES) {
      const n = size(shape);
      for (const [kind, make] of Object.entries(DATA)) {
        const a = dtype.from(make(rand, n));
        for (const bShape of bShapesFor(shape)) {
          for (const [wKind, weight] of Object.entries(WEIGHTS)) {
            const b = dtype.from({ length: size(bShape) }, () => weight(rand));
            for (const axis of [null, -1, 0, []]) {
              for (const returnSign of [false, true]) {
                const opts = { shape, axis, b, bShape, returnSign };
                const what = `${dtype.name} ${kind} shape [${shape}] b ${wKind} [${bShape}] axis ${JSON.stringify(axis)} returnSign ${returnSign}`;
                assertSameBits(simd.logSumExp(a, opts), scalar.logSumExp(a, opts), `logSumExp ${what}`);
              }
            }
          }
        }
      }
    }
    // A number as b.
    const a = dtype.from(DATA.special(rand, 99));
    for (const b of [2, -1, 0, 0.5]) {
      const opts = { shape: [9, 11], axis: 1, b, returnSign: true };
      assertSameBits(simd.logSumExp(a, opts), scalar.logSumExp(a, opts), `logSumExp b=${b}`);
    }
  });
}
