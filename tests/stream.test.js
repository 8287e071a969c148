// The streamed path (js/stream.js, c/stream.h): inputs above the threshold go
// through wasm memory a window at a time.  A small window (set through the
// test-only setStreamWindow) puts block edges everywhere on small inputs:
// results are checked against the one-call path (bit for bit where whole
// slices fit a block, so the kernels sum in the same order), against the
// float64 reference within the promised bounds, SIMD128 against scalar bit
// for bit, and scipy's special values in every block.  Last, memory stays
// bounded through a 256 MB call at the real window.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadBuilds } from './helpers/builds.js';
import { withinBound } from './helpers/bounds.js';
import { setStreamWindow, STATE, emptyStates, mergeStates } from '../js/stream.js';
import { refLogSoftmax, refSoftmax, refLogSumExp } from '../js/reference/float64.js';
import { seededRandom } from '../js/reference/random.js';
import { kind, ulp32 } from '../js/reference/ulp.js';

const builds = await loadBuilds();
const FNS = ['logSoftmax', 'softmax', 'logSumExp'];
const WINDOW = 1024; // bytes: 256 float32 or 128 float64 elements a block
const arr = (v) => (typeof v === 'number' ? [v] : v);

function logits(n, seed, Type = Float32Array) {
  const r = seededRandom(seed), x = new Type(n);
  for (let i = 0; i < n; i++) x[i] = (r() - 0.5) * 30;
  return x;
}

const reference = {
  logSoftmax: (x, shape, axis) => refLogSoftmax(x, shape, axis),
  softmax: (x, shape, axis) => refSoftmax(x, shape, axis),
  logSumExp: (x, shape, axis) => refLogSumExp(x, shape, { axis }).value,
};

/** fn of x, streamed (a small window) and not (the one-call path). */
function both(api, fn, x, shape, axis) {
  try {
    setStreamWindow(WINDOW, 0);
    const streamed = arr(api[fn](x, { shape, axis }));
    setStreamWindow(Infinity, Infinity);
    return { streamed, whole: arr(api[fn](x, { shape, axis })) };
  } finally {
    setStreamWindow();
  }
}

function checkAgainst(fn, got, ref, dtype, where) {
  assert.equal(got.length, ref.length, where);
  for (let i = 0; i < ref.length; i++) {
    assert.equal(kind(got[i]), kind(ref[i]), `${where} [${i}]: ${got[i]} vs ${ref[i]}`);
    if (kind(ref[i]) === 'finite') assert.ok(withinBound(dtype, fn, got[i], ref[i]), `${where} [${i}]: ${got[i]} vs ${ref[i]}`);
  }
}

// Row lengths around the window: +-1 block (16 lanes), +-1 element, and two windows.
const E = WINDOW / 4;
const LENGTHS = [E - 17, E - 16, E - 1, E, E + 1, E + 16, E + 17, 2 * E - 1, 2 * E, 2 * E + 1, 3 * E + 5];

for (const { name, api } of builds) {
  test(`${name}: rows around the window: the one-call path's bits where whole rows fit a block, else within the bounds`, () => {
    for (const n of LENGTHS) {
      for (const rows of [1, 3]) {
        const shape = [rows, n], x = logits(rows * n, n * 7 + rows);
        for (const fn of FNS) {
          const { streamed, whole } = both(api, fn, x, shape, -1);
          const where = `${fn} [${shape}]`;
          checkAgainst(fn, streamed, reference[fn](x, shape, -1), 'f32', where);
          // A row that fits a block runs through the same kernel, summed in the same order.
          if (n <= E) assert.deepEqual(streamed, whole, where);
        }
      }
    }
  });

  test(`${name}: float64 rows around the window, within rtol 1e-13`, () => {
    for (const n of [E / 2 - 1, E / 2, E / 2 + 1, E + 3, 5 * E]) {
      const shape = [2, n], x = logits(2 * n, n, Float64Array);
      for (const fn of FNS) checkAgainst(fn, both(api, fn, x, shape, -1).streamed, reference[fn](x, shape, -1), 'f64', `${fn} f64 [${shape}]`);
    }
  });

  test(`${name}: axis 0, middle axes and tuples across block edges`, () => {
    const cases = [
      [[300, 40], 0], [[1000, 3], 0], [[5, 300], 0], [[3, 500, 20], 1], [[40, 7, 50], [0, 2]],
      [[20, 30, 40], null], [[6, 70, 5, 3], [1, 3]], [[17, 33], [0, 1]], [[2, 600, 33], 1],
    ];
    for (const [shape, axis] of cases) {
      const n = shape.reduce((a, b) => a * b, 1), x = logits(n, n);
      for (const fn of FNS) {
        const { streamed, whole } = both(api, fn, x, shape, axis);
        const where = `${fn} [${shape}] axis ${JSON.stringify(axis)}`;
        checkAgainst(fn, streamed, reference[fn](x, shape, axis), 'f32', where);
        assert.equal(streamed.length, whole.length, where);
      }
    }
  });

  test(`${name}: NaN, +inf, -inf and all -inf in the first, a middle and the last block: scipy's values`, () => {
    const n = 3 * E + 7;
    const spots = [0, E - 1, E, Math.floor(1.5 * E), 2 * E, n - 1];
    for (const [label, values] of [['NaN', [NaN]], ['+inf', [Infinity]], ['-inf', [-Infinity]], ['+inf, -inf', [Infinity, -Infinity]], ['NaN, +inf', [NaN, Infinity]]]) {
      for (const at of spots) {
        const x = logits(n, at);
        values.forEach((v, i) => { x[Math.min(n - 1, at + 5 * i)] = v; });
        for (const [shape, axis] of [[[1, n], -1], [[n, 1], 0]]) {
          for (const fn of FNS) {
            const { streamed, whole } = both(api, fn, x, shape, axis);
            const where = `${fn} ${label} at ${at}, axis ${axis}`;
            checkAgainst(fn, streamed, reference[fn](x, shape, axis), 'f32', where);
            assert.deepEqual(streamed.map(kind), whole.map(kind), where);
          }
        }
      }
    }
    // Rows of -inf alone, and a row whose only finite entry is in its last block.
    const x = new Float32Array(2 * n).fill(-Infinity);
    x[2 * n - 1] = 3;
    for (const fn of FNS) {
      const { streamed, whole } = both(api, fn, x, [2, n], -1);
      checkAgainst(fn, streamed, reference[fn](x, [2, n], -1), 'f32', `${fn} -inf rows`);
      assert.deepEqual(streamed.map(kind), whole.map(kind));
    }
  });

  // Streamed softmax of long rows stores each block's exps relative to the
  // block's own max m_b and rescales them by exp(m_b - m) / S afterwards
  // (lsm_state_store, lsm_state_rescale): the bound is c/README.md's
  // "Streaming" one, the same 4 ulp for normal outputs.
  test(`${name}: softmax from stored exps: block maxima far apart, rising, falling; subnormal outputs`, () => {
    const n = 4 * E + 3, ramp = (f) => { const x = logits(n, 5); for (let i = 0; i < n; i++) x[i] += f(Math.floor(i / E)); return x; };
    const rows = {
      rising: ramp((b) => 10 * b), // every merge raises the max: each block's e rescaled
      falling: ramp((b) => -10 * b),
      // Blocks 100 and 200 below the max: e normal, outputs subnormal or 0
      // (exp(m_b - m) is itself below float32's range, in double it is not).
      subnormal: ramp((b) => (b === 0 ? 0 : b === 1 ? -100 : b === 2 ? -200 : -90)),
      // Every block holds the max: then e = the one-call path's e, only S's order differs.
      tied: (() => { const x = logits(n, 6); for (let i = 0; i < n; i += E) x[i] = 20; return x; })(),
    };
    for (const [label, x] of Object.entries(rows)) {
      for (const rowsCount of [1, 2]) {
        const xs = new Float32Array(rowsCount * n);
        for (let r = 0; r < rowsCount; r++) xs.set(x, r * n);
        const shape = [rowsCount, n], { streamed, whole } = both(api, 'softmax', xs, shape, -1);
        const ref = refSoftmax(xs, shape, -1);
        checkAgainst('softmax', streamed, ref, 'f32', `softmax ${label} [${shape}]`);
        for (let i = 0; i < ref.length; i++) {
          // Subnormal outputs: within one spacing (2^-149) of the exact value (c/README.md), as the one-call path.
          if (ref[i] < 2 ** -126) assert.ok(Math.abs(streamed[i] - ref[i]) <= 2 ** -149, `${label} [${i}]: ${streamed[i]} vs ${ref[i]}`);
        }
        if (label === 'subnormal') assert.ok(streamed.some((v) => v > 0 && v < 2 ** -126), 'some outputs are subnormal');
        let worst = 0;
        for (let i = 0; i < ref.length; i++) worst = Math.max(worst, Math.abs(streamed[i] - whole[i]) / ulp32(ref[i]));
        // Both within their bound of ref, so within each other's reach.
        assert.ok(worst <= 8, `${label}: ${worst} ulp from the one-call path`);
      }
    }
  });

  test(`${name}: softmax from stored exps: a block of -inf, NaN or +inf between finite ones, float64`, () => {
    const n = 3 * E + 1;
    for (const [label, fill] of [['-inf block', -Infinity], ['NaN block', NaN], ['+inf block', Infinity]]) {
      const x = logits(n, 8);
      x.fill(fill, E, 2 * E); // exactly the second block
      const { streamed, whole } = both(api, 'softmax', x, [1, n], -1);
      checkAgainst('softmax', streamed, refSoftmax(x, [1, n], -1), 'f32', label);
      assert.deepEqual(streamed.map(kind), whole.map(kind), label);
    }
    const x = new Float32Array(n).fill(-Infinity);
    x[E + 3] = 1;
    assert.deepEqual(Array.from(both(api, 'softmax', x, [1, n], -1).streamed), Array.from(x, (v) => (v === 1 ? 1 : 0)));
    for (const m of [E / 2 + 1, 3 * E]) {
      const x64 = logits(m, m, Float64Array);
      for (let i = 0; i < m; i++) x64[i] += i % 200 < 100 ? -300 : 0;
      checkAgainst('softmax', both(api, 'softmax', x64, [1, m], -1).streamed, refSoftmax(x64, [1, m], -1), 'f64', `f64 [1, ${m}]`);
    }
  });

  test(`${name}: logSumExp's sign and a max repeated in many blocks`, () => {
    const n = 4 * E, x = logits(n, 3);
    for (let i = 0; i < n; i += 37) x[i] = 20; // ties at the max: scipy's log1p(s / k) + log k
    setStreamWindow(WINDOW, 0);
    try {
      const r = api.logSumExp(x, { returnSign: true });
      const ref = refLogSumExp(x, [n], { axis: null }).value[0];
      assert.ok(withinBound('f32', 'logSumExp', r.value, ref), `${r.value} vs ${ref}`);
      assert.equal(r.sign, 1);
      const empty = api.logSumExp(new Float32Array(n).fill(-Infinity), { returnSign: true });
      assert.deepEqual([empty.value, empty.sign], [-Infinity, 0]);
    } finally {
      setStreamWindow();
    }
  });
}

test('SIMD128 and scalar stream to the same bits', () => {
  const simd = builds.find((b) => b.name === 'simd').api, scalar = builds.find((b) => b.name === 'scalar').api;
  for (const [shape, axis] of [[[2, 3 * E + 1], -1], [[700, 9], 0], [[30, 7, 50], [0, 2]]]) {
    const x = logits(shape.reduce((a, b) => a * b, 1), 11);
    for (const fn of FNS) assert.deepEqual(both(simd, fn, x, shape, axis).streamed, both(scalar, fn, x, shape, axis).streamed, `${fn} [${shape}]`);
  }
});

test('mergeStates: any grouping of blocks, and the special states', () => {
  // States [m, k, s, comp] of three blocks of one slice.
  const blocks = [[1, 1, 0.5, 0], [3, 2, 0.25, 0], [-Infinity, 0, 0, 0]].map((s) => Float64Array.from(s));
  const S = (st) => st[1] + st[2] + st[3];
  const left = mergeStates(mergeStates(emptyStates(1), blocks[0]), mergeStates(Float64Array.from(blocks[1]), blocks[2]));
  const right = mergeStates(mergeStates(mergeStates(emptyStates(1), blocks[2]), blocks[1]), blocks[0]);
  for (const st of [left, right]) {
    assert.equal(st[0], 3);
    assert.equal(st[1], 2);
    assert.ok(Math.abs(S(st) - (2.25 + 1.5 * Math.exp(-2))) < 1e-15);
  }
  const nan = mergeStates(Float64Array.from([2, 1, NaN, 0]), Float64Array.from([Infinity, 0, Infinity, 0]));
  assert.equal(nan[0], Infinity);
  assert.ok(Number.isNaN(S(nan)));
  assert.equal(STATE, 4);
});

// The real window: a 256 MB input must not leave wasm memory holding 256 MB.
test('wasm memory stays bounded through a 256 MB call', async () => {
  const { load } = await import('../js/index.js');
  const api = await load({ build: 'simd' });
  const before = api.memory.buffer.byteLength;
  const x = new Float32Array(64 * 2 ** 20);
  for (let i = 0; i < x.length; i += 4096) x[i] = (i % 7) - 3;
  const lse = api.logSumExp(x);
  assert.ok(Number.isFinite(lse));
  api.logSoftmax(x, { out: x });
  const after = api.memory.buffer.byteLength;
  assert.ok(after - before <= 8 * 2 ** 20, `memory grew from ${before} to ${after} bytes`);
  assert.ok(Number.isFinite(x[0]) && Number.isFinite(x[x.length - 1]));
});
