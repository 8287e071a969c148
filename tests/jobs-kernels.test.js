// Smoke tests of the jobs' raw kernels (c/topk.h, c/xent.h, c/sample.h) and
// of the sampler's generator (c/random.c), per build.  The thorough tests
// (references, chi-square) are tests/jobs-*.test.js.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { load } from '../js/index.js';
import { relaxedSimdSupported } from '../js/wasm.js';
import { RANDOM } from '../js/exports.js';

const BUILDS = ['scalar', 'simd', ...(relaxedSimdSupported() ? ['relaxed'] : [])];

// PCG32 as pcg_basic.c publishes it, in BigInt: an independent copy of c/random.c.
function pcg32Uniforms(seed, count) {
  const M = (1n << 64n) - 1n, MULT = 6364136223846793005n, INC = 0xda3e39cb94b95bdbn;
  let state = 0n;
  const next = () => {
    const old = state;
    state = (old * MULT + INC) & M;
    const x = Number((((old >> 18n) ^ old) >> 27n) & 0xffffffffn), rot = Number(old >> 59n);
    return ((x >>> rot) | (x << ((32 - rot) & 31))) >>> 0;
  };
  next();
  state = (state + BigInt(seed >>> 0)) & M;
  next();
  return Array.from({ length: count }, () => ((next() >>> 5) * 2 ** 26 + (next() >>> 6)) / 2 ** 53);
}

function rows(rng, count, scale = 8) {
  const x = new Float64Array(count);
  for (let i = 0; i < count; i++) x[i] = Math.round((rng() - 0.5) * scale * 16) / 16; // ties on purpose
  return x;
}

function lcg(seed) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

test('lsm_pcg32_uniforms is PCG32 (XSH RR, seeded as pcg32_srandom_r), 53 bits per uniform, on every build', async () => {
  for (const build of BUILDS) {
    const lsm = await load({ build });
    for (const seed of [0, 1, 42, 0xffffffff]) {
      const { sample } = lsm;
      const logits = new Float64Array(64 * 3).fill(0);
      // Uniform logits: the inverse CDF picks floor(u * 3) (all three masses 1).
      const got = sample(logits, { shape: [64, 3], seed: seed | 0 }).indices;
      const want = pcg32Uniforms(seed, 64).map((u) => Math.floor(u * 3));
      assert.deepEqual(Array.from(got), want, `${build}, seed ${seed}`);
    }
  }
  const first = pcg32Uniforms(42, 3);
  assert.ok(first.every((u) => u >= 0 && u < 1 && Number.isInteger(u * 2 ** 53)));
  assert.equal(typeof RANDOM.pcg32, 'string');
});

test('the scalar and SIMD128 builds agree bit for bit on all three jobs; relaxed SIMD picks the same indices', async () => {
  const [ref, ...others] = await Promise.all(BUILDS.map((build) => load({ build })));
  const rng = lcg(7);
  for (const [r, n] of [[3, 1], [5, 7], [4, 33], [2, 300], [1, 5000]]) {
    for (const Type of [Float32Array, Float64Array]) {
      const x = Type.from(rows(rng, r * n));
      const shape = [r, n], k = Math.max(1, n >> 2);
      const target = Int32Array.from({ length: r }, () => Math.floor(rng() * n));
      const calls = (l) => ({
        top: l.topK(x, k, { shape }),
        soft: l.topK(x, k, { shape, of: 'softmax', sorted: false }),
        logp: l.topK(x, k, { shape, of: 'logSoftmax' }),
        xent: l.crossEntropy(x, target, { shape, grad: true, labelSmoothing: 0.1, reduction: 'none' }),
        draw: l.sample(x, { shape, seed: 5, topK: k + 1, topP: 0.9, minP: 0.01, temperature: 0.7 }),
      });
      const want = calls(ref);
      for (const l of others) {
        const got = calls(l);
        const what = `${l.build} vs scalar, ${Type.name} [${shape}]`;
        assert.deepEqual(got.top, want.top, what);
        if (l.build === 'simd') assert.deepEqual(got, want, what);
        else assert.deepEqual(got.draw.indices, want.draw.indices, what);
      }
    }
  }
});

test('topK ranks NaN first and ties by index; softmax and logSoftmax values are the whole slice\'s', async () => {
  for (const build of BUILDS) {
    const l = await load({ build });
    const x = new Float32Array([1, NaN, 3, 3, -0, 0, NaN, -Infinity]);
    assert.deepEqual(Array.from(l.topK(x, 5).indices), [1, 6, 2, 3, 0]);
    assert.deepEqual(Array.from(l.topK(x, 5, { sorted: false }).indices), [0, 1, 2, 3, 6]);
    assert.deepEqual(Array.from(l.topK(new Float64Array([0, -0, 0]), 2).indices), [0, 1]);
    const y = new Float64Array([0, Math.log(3)]);
    const { values } = l.topK(y, 1, { of: 'softmax' });
    assert.ok(Math.abs(values[0] - 0.75) < 1e-15);
    assert.ok(Math.abs(l.topK(y, 1, { of: 'logSoftmax' }).values[0] - Math.log(0.75)) < 1e-15);
  }
});

test('bad arguments throw before anything is written, and the instance keeps working', async () => {
  const l = await load({ build: 'scalar' });
  const x = new Float32Array([1, 2, 3, 4]);
  assert.throws(() => l.topK(x, 0), RangeError);
  assert.throws(() => l.topK(x, 5), RangeError);
  assert.throws(() => l.topK(x, '2'), TypeError);
  assert.throws(() => l.topK(x, 2, { of: 'p' }), RangeError);
  assert.throws(() => l.crossEntropy(x, new Int32Array([4])), /target\[0\] = 4/);
  assert.throws(() => l.crossEntropy(x, new Float64Array(4)), TypeError);
  assert.throws(() => l.sample(x, { temperature: -1 }), RangeError);
  assert.throws(() => l.sample(x, { topP: 0 }), RangeError);
  assert.throws(() => l.sample(x, { topK: 0 }), RangeError);
  assert.throws(() => l.sample(x, { random: () => 1 }), /random\(\) returned 1/);
  assert.throws(() => l.sample(x, { seed: 1.5 }), RangeError);
  assert.deepEqual(Array.from(x), [1, 2, 3, 4]);
  assert.equal(l.sample(x, { temperature: 0 }).indices[0], 3);
});
