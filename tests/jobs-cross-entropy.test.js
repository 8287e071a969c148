// crossEntropy (torch.nn.functional.cross_entropy's semantics) on every build
// and through the public API, against js/reference/jobs.js's refCrossEntropy:
// loss and gradient, every option (weight, ignoreIndex, labelSmoothing,
// probability targets, reductions, integer target kinds), special values, and
// bad input.
//
// The tolerance, derived from the promised bounds (tests/helpers/bounds.js):
// a slice's loss is Σ_j c_j·(lse − x_j) over the terms with c_j ≠ 0 (m of
// them; c_j the coefficients refCrossEntropy returns).  Each lse − x_j may be
// computed as logSumExp less x_j or as −logSoftmax_j, so each carries at most
// the logSumExp bound at lse plus the logSoftmax bound at x_j − lse; the
// weighted sum of m terms adds at most (m + 2)·u of Σ|c_j·(lse − x_j)| (one
// rounding per product and per addition, u the unit roundoff: 2^-24 float32,
// 2^-53 float64).  'sum' adds the per-slice tolerances and (S + 1)·u of
// Σ|loss_s| over S slices; 'mean' divides that by the denominator D and
// adds (S + 1)·u relative for D's own sum and one rounding of the quotient.
// A gradient element (C·softmax_k − c_k)/D, C = Σ_j c_j, gets C times the
// softmax bound at softmax_k plus (m + 3)·u of (|C|·softmax_k + |c_k|) (C's
// sum, the product, the subtraction of the one-hot, which is exact for
// softmax_k ≥ 1/2 and one rounding below), then (S + 2)·u relative for
// 'mean''s division.  Weights here are exact in float32, so that no
// rounding of them is needed in the bound.
import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import { loadBuilds } from './helpers/builds.js';
import { tolerance } from './helpers/bounds.js';
import { refCrossEntropy } from '../js/reference/jobs.js';
import { refLogSumExp, refSoftmax } from '../js/reference/float64.js';
import { seededRandom, randomLogits } from '../js/reference/random.js';
import { size } from '../js/reference/shapes.js';
import * as lib from '../js/index.js';

let builds;
before(async () => {
  builds = await loadBuilds();
  await lib.init();
  builds.push({ name: 'public', api: lib });
});

const U = { f32: 2 ** -24, f64: 2 ** -53 };
const FLOAT = { f32: Float32Array, f64: Float64Array };

/** The slices along `axis`: offsets of slice s's element j. */
function slicing(shape, axis) {
  const ax = axis < 0 ? axis + shape.length : axis;
  const n = shape[ax];
  let stride = 1;
  for (let d = shape.length - 1; d > ax; d--) stride *= shape[d];
  const count = size(shape) / n;
  const at = (s, j) => Math.floor(s / stride) * stride * n + (s % stride) + j * stride;
  return { ax, n, count, at };
}

/** Tolerances of the loss (per slice, and reduced) and of each gradient element; see the header. */
function tolerances(dt, x, shape, axis, ref, reduction) {
  const { ax, n, count, at } = slicing(shape, axis);
  const u = U[dt];
  const lse = refLogSumExp(x, shape, { axis: ax }).value;
  const sm = refSoftmax(x, shape, ax);
  const slice = new Float64Array(count), grad = new Float64Array(size(shape));
  let sumTol = 0, sumAbs = 0;
  for (let s = 0; s < count; s++) {
    let m = 0, abs = 0, err = 0, C = 0;
    for (let j = 0; j < n; j++) {
      const c = ref.coef[at(s, j)];
      if (c === 0) continue;
      const d = lse[s] - x[at(s, j)];
      m++;
      C += c;
      abs += Math.abs(c * d);
      err += Math.abs(c) * (tolerance(dt, 'logSumExp', lse[s]) + tolerance(dt, 'logSoftmax', -d));
    }
    slice[s] = err + (m + 2) * u * abs;
    sumTol += slice[s];
    sumAbs += Math.abs(ref.perSlice[s]);
    for (let j = 0; j < n; j++) {
      const k = at(s, j), p = sm[k], c = ref.coef[k];
      grad[k] = Math.abs(C) * tolerance(dt, 'softmax', p) + (m + 3) * u * (Math.abs(C) * p + Math.abs(c));
    }
  }
  let loss;
  if (reduction === 'none') loss = slice;
  else if (reduction === 'sum') loss = sumTol + (count + 1) * u * sumAbs;
  else {
    const D = Math.abs(ref.denominator);
    loss = (sumTol + (count + 1) * u * sumAbs) / D + (count + 2) * u * Math.abs(ref.loss);
    for (let k = 0; k < grad.length; k++) grad[k] = grad[k] / D + (count + 2) * u * Math.abs(ref.grad[k]);
  }
  return { loss, grad };
}

function close(got, want, tol, what) {
  if (!Number.isFinite(want)) assert.ok(Object.is(got, want), `${what}: ${got} vs ${want} (exact)`);
  else assert.ok(Math.abs(got - want) <= tol, `${what}: ${got} vs ${want}, |err| ${Math.abs(got - want)} > tol ${tol}`);
}

/**
 * One call with and without grad, against the reference.  `target` is what
 * the library gets; `refTarget` the same as numbers (probabilities as stored).
 */
function check(api, dt, x, shape, target, opts, label) {
  const { axis = -1, reduction = 'mean' } = opts;
  const probabilities = target instanceof Float32Array || target instanceof Float64Array;
  const refTarget = probabilities ? Float64Array.from(target) : Array.from(target, Number);
  const xs = Float64Array.from(x);
  const ref = refCrossEntropy(xs, shape, refTarget, { ...opts, probabilities });
  const tol = tolerances(dt, xs, shape, axis, ref, reduction);
  const plain = api.crossEntropy(x, target, { shape, ...opts });
  const withGrad = api.crossEntropy(x, target, { shape, ...opts, grad: true });
  for (const [how, loss] of [['loss', plain], ['loss with grad', withGrad.loss]]) {
    if (reduction === 'none') {
      assert.ok(loss instanceof FLOAT[dt], `${label}: 'none' gives a ${FLOAT[dt].name}`);
      assert.equal(loss.length, ref.loss.length, `${label}: 'none' has one loss per slice`);
      ref.loss.forEach((v, s) => close(loss[s], v, tol.loss[s], `${label} ${how} [${s}]`));
    } else {
      assert.equal(typeof loss, 'number', `${label}: '${reduction}' gives a number`);
      close(loss, ref.loss, tol.loss, `${label} ${how}`);
    }
  }
  const { grad } = withGrad;
  assert.ok(grad instanceof FLOAT[dt], `${label}: grad has the logits' type`);
  assert.equal(grad.length, x.length, `${label}: grad is shaped like the logits`);
  ref.grad.forEach((v, k) => close(grad[k], v, tol.grad[k], `${label} grad [${k}]`));
}

const CASES = [
  { shape: [6, 5], axis: -1 },
  { shape: [5, 6], axis: 0 },
  { shape: [2, 7, 3], axis: 1 },
  { shape: [3, 1000], axis: -1 },
];
const WEIGHTS = (n) => Array.from({ length: n }, (_, j) => ((j * 5) % 7 + 1) / 4); // 0.25..1.75, exact in float32

/** Random class indices for the slices, some of them `ignore` if given. */
function indices(rand, count, n, ignore) {
  return Array.from({ length: count }, (_, s) => (ignore !== undefined && s % 3 === 1 ? ignore : Math.floor(rand() * n)));
}

/** Random probability rows (a few exact zeros), laid out like the logits. */
function probabilities(rand, shape, axis, dt) {
  const { n, count, at } = slicing(shape, axis);
  const p = new FLOAT[dt](size(shape));
  for (let s = 0; s < count; s++) {
    const raw = Array.from({ length: n }, () => (rand() < 0.2 ? 0 : rand()));
    const total = raw.reduce((a, b) => a + b, 0) || 1;
    raw.forEach((v, j) => (p[at(s, j)] = v / total));
  }
  return p;
}

describe('crossEntropy against the reference', () => {
  test('class indices: every reduction, weight, ignoreIndex, labelSmoothing; float32 and float64; every axis', () => {
    const rand = seededRandom(31);
    for (const { name, api } of builds) {
      for (const { shape, axis } of CASES) {
        const { n, count } = slicing(shape, axis);
        for (const dt of ['f32', 'f64']) {
          const x = FLOAT[dt].from(randomLogits(rand, size(shape), { sd: 3 }));
          for (const reduction of ['mean', 'sum', 'none']) {
            for (const weight of [undefined, WEIGHTS(n)]) {
              for (const labelSmoothing of [0, 0.1, 0.25]) {
                for (const ignoreIndex of [undefined, -100, 2]) {
                  const target = Int32Array.from(indices(rand, count, n, ignoreIndex));
                  const opts = { axis, reduction, labelSmoothing, ...(weight && { weight }), ...(ignoreIndex !== undefined && { ignoreIndex }) };
                  check(api, dt, x, shape, target, opts, `${name} [${shape}] axis ${axis} ${dt} ${JSON.stringify({ ...opts, weight: !!weight })}`);
                }
              }
            }
          }
        }
      }
    }
  });

  test('probability targets: every reduction, weight, labelSmoothing; float32 and float64', () => {
    const rand = seededRandom(37);
    for (const { name, api } of builds) {
      for (const { shape, axis } of CASES) {
        const { n } = slicing(shape, axis);
        for (const dt of ['f32', 'f64']) {
          const x = FLOAT[dt].from(randomLogits(rand, size(shape), { sd: 3 }));
          const target = probabilities(rand, shape, axis, dt);
          for (const reduction of ['mean', 'sum', 'none']) {
            for (const weight of [undefined, WEIGHTS(n)]) {
              for (const labelSmoothing of [0, 0.1]) {
                const opts = { axis, reduction, labelSmoothing, ...(weight && { weight }) };
                check(api, dt, x, shape, target, opts, `${name} [${shape}] axis ${axis} ${dt} probabilities ${JSON.stringify({ ...opts, weight: !!weight })}`);
              }
            }
          }
        }
      }
    }
  });

  test('defaults: mean over the last axis, no smoothing; matches the textbook -log softmax at the target', () => {
    const x = Float64Array.from([1, 2, 3, -1, 0, 4]);
    for (const { name, api } of builds) {
      const got = api.crossEntropy(x, [2, 0], { shape: [2, 3] });
      const l0 = Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3)) - 3;
      const l1 = Math.log(Math.exp(-1) + Math.exp(0) + Math.exp(4)) + 1;
      assert.ok(Math.abs(got - (l0 + l1) / 2) < 1e-14, `${name}: ${got}`);
    }
  });

  test('every integer target kind and plain ints give the same result', () => {
    const rand = seededRandom(41);
    const shape = [9, 6];
    const x = Float32Array.from(randomLogits(rand, 54, { sd: 2 }));
    const t = indices(rand, 9, 6);
    const kinds = [Int32Array, Uint8Array, Int8Array, Uint16Array, Int16Array, Uint32Array, Array];
    for (const { name, api } of builds) {
      for (const Kind of kinds) {
        const target = Kind === Array ? t.slice() : Kind.from(t);
        check(api, 'f32', x, shape, target, { reduction: 'none' }, `${name} ${Kind.name}`);
        check(api, 'f32', x, shape, target, { labelSmoothing: 0.1, weight: WEIGHTS(6) }, `${name} ${Kind.name} weighted`);
      }
    }
  });

  test('every slice ignored: mean is NaN (0/0), sum is 0, none is zeros, the gradient is zero', () => {
    const x = Float32Array.from([1, 2, 3, 4, 5, 6]);
    const target = Int32Array.from([-100, -100]);
    for (const { name, api } of builds) {
      assert.ok(Number.isNaN(api.crossEntropy(x, target, { shape: [2, 3], ignoreIndex: -100 })), `${name} mean`);
      assert.ok(Number.isNaN(api.crossEntropy(x, target, { shape: [2, 3], ignoreIndex: -100, grad: true }).loss), `${name} mean with grad`);
      assert.equal(api.crossEntropy(x, target, { shape: [2, 3], ignoreIndex: -100, reduction: 'sum' }), 0, `${name} sum`);
      assert.deepEqual(Array.from(api.crossEntropy(x, target, { shape: [2, 3], ignoreIndex: -100, reduction: 'none' })), [0, 0], `${name} none`);
      const { grad } = api.crossEntropy(x, target, { shape: [2, 3], ignoreIndex: -100, reduction: 'sum', grad: true });
      assert.deepEqual(Array.from(grad), [0, 0, 0, 0, 0, 0], `${name} grad`);
    }
  });

  test('special values: -inf at the target is +inf; NaN poisons its slice only; -inf elsewhere is harmless', () => {
    const I = Infinity;
    const x = [
      -I, 1, 2, 3, // target 0 at -inf: +inf loss
      1, NaN, 2, 3, // NaN in the slice: NaN
      5, -I, -I, 4, // -inf off the target: finite
      -I, -I, 7, -I, // only the target finite: loss 0
      -I, -I, -I, -I, // all -inf: NaN (-inf - -inf)
      1e30, 0, -1e30, 2, // huge logits, float64 only
    ];
    const target = [0, 2, 3, 2, 1, 3];
    for (const { name, api } of builds) {
      for (const dt of ['f32', 'f64']) {
        const rows = dt === 'f32' ? 5 : 6;
        const xs = FLOAT[dt].from(x.slice(0, rows * 4));
        const t = Int32Array.from(target.slice(0, rows));
        for (const reduction of ['none', 'sum', 'mean']) {
          check(api, dt, xs, [rows, 4], t, { reduction }, `${name} ${dt} special ${reduction}`);
        }
        const none = api.crossEntropy(xs, t, { shape: [rows, 4], reduction: 'none' });
        assert.equal(none[0], Infinity, `${name} ${dt}: -inf at the target`);
        assert.ok(Number.isNaN(none[1]), `${name} ${dt}: NaN in the slice`);
        assert.ok(Number.isFinite(none[2]), `${name} ${dt}: -inf off the target`);
        assert.equal(none[3], 0, `${name} ${dt}: the only finite logit is the target`);
      }
    }
  });

  test('labelSmoothing with a -inf logit anywhere in the slice gives +inf (it is in every term)', () => {
    const x = Float32Array.from([0, 1, -Infinity, 2]);
    for (const { name, api } of builds) {
      assert.equal(api.crossEntropy(x, [1], { shape: [1, 4], labelSmoothing: 0.1 }), Infinity, name);
      check(api, 'f32', x, [1, 4], [1], { labelSmoothing: 0.1, reduction: 'sum' }, `${name} smoothing -inf`);
    }
  });

  test('the reference: its gradient is the derivative of its loss (central differences)', () => {
    // Guards the reference itself, which the tests above trust.
    const rand = seededRandom(43);
    const shape = [3, 5];
    const x = Array.from(randomLogits(rand, 15, { sd: 1 }));
    const t = [1, 4, 0];
    const p = Array.from(probabilities(rand, shape, -1, 'f64'));
    for (const [target, extra] of [[t, {}], [t, { ignoreIndex: 4 }], [p, { probabilities: true }]]) {
      for (const opts of [{}, { labelSmoothing: 0.2, weight: WEIGHTS(5) }, { reduction: 'sum', weight: WEIGHTS(5) }]) {
        const all = { ...opts, ...extra };
        const { grad } = refCrossEntropy(x, shape, target, all);
        x.forEach((_, i) => {
          const h = 1e-6, up = x.slice(), down = x.slice();
          up[i] += h;
          down[i] -= h;
          const fd = (refCrossEntropy(up, shape, target, all).loss - refCrossEntropy(down, shape, target, all).loss) / (2 * h);
          assert.ok(Math.abs(fd - grad[i]) < 1e-7, `${JSON.stringify(all)} [${i}]: ${grad[i]} vs ${fd}`);
        });
      }
    }
  });
});

describe('crossEntropy bad input', () => {
  const x = Float32Array.from([1, 5, 3, 2, 8, 0]);
  const shape = [2, 3];
  const snapshot = Float32Array.from(x);
  const BAD = [
    [RangeError, () => [x, [0, 3], { shape }], /\b3\b/], // index n: out of range, named
    [RangeError, () => [x, [-1, 0], { shape }], /-1/],
    [RangeError, () => [x, Int32Array.from([0, -100]), { shape }], /-100/], // -100 is not ignored unless asked
    [RangeError, () => [x, [0, 7], { shape, ignoreIndex: -100 }], /\b7\b/],
    [null, () => [x, [0], { shape }]], // one target for two slices
    [null, () => [x, [0, 1, 2], { shape }]],
    [null, () => [x, [0, 1.5], { shape }]],
    [null, () => [x, Float32Array.from([1, 0, 0]), { shape }]], // probabilities must have the logits' shape
    [null, () => [x, [0, 1], { shape, reduction: 'avg' }]],
    [null, () => [x, [0, 1], { shape, weight: [1, 2] }]], // a weight per class: 3
    [null, () => [x, [0, 1], { shape, labelSmoothing: 1.5 }]],
    [null, () => [x, [0, 1], { shape, labelSmoothing: -0.1 }]],
    [null, () => [x, [0, 1], { shape, axis: 2 }]],
    [null, () => ['abc', [0, 1], { shape }]],
    [null, () => [x, 'ab', { shape }]],
    [null, () => [x, null, { shape }]],
  ];

  test('each bad call throws its error class (out-of-range indices named), writes nothing, and the next call is right', () => {
    for (const { name, api } of builds) {
      for (const [i, [Err, args, message]] of BAD.entries()) {
        for (const grad of [false, true]) {
          const [a, b, opts] = args();
          const targetBefore = b && typeof b === 'object' ? Array.from(b) : b;
          assert.throws(() => api.crossEntropy(a, b, { ...opts, grad }), (e) => {
            const classOk = Err ? e instanceof Err : e instanceof TypeError || e instanceof RangeError;
            return classOk && (!message || message.test(e.message));
          }, `${name} bad call ${i} (grad ${grad}) throws ${Err?.name ?? 'TypeError or RangeError'} ${message ?? ''}`);
          assert.deepEqual(x, snapshot, `${name} bad call ${i} wrote nothing to the logits`);
          if (b && typeof b === 'object') assert.deepEqual(Array.from(b), targetBefore, `${name} bad call ${i} wrote nothing to the target`);
          check(api, 'f32', x, shape, [2, 0], { labelSmoothing: 0.1 }, `${name} after bad call ${i}`);
        }
      }
    }
  });
});
