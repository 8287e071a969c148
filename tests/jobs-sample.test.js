// sample on every build and through the public API, against the exact
// filtered distribution of js/reference/jobs.js (refFilteredDistribution:
// softmax(x / T), then top-k, top-p, min-p, each on what the last left).
//
// Goodness of fit: 100,000 draws per setting and build in one call (a
// [100000, V] array of identical rows, one draw per row), Pearson's χ² over
// the kept tokens (expected counts below 5 pooled), its p-value the
// regularised upper incomplete gamma Q(df/2, χ²/2) computed in the reference
// (series and continued fraction).  A setting fails at p < 1e-6.  The seed
// is fixed, so the run is deterministic: a false alarm either happens on
// every run or never (none did when the test was written); under a correct
// sampler a fresh seed would raise one with probability 1e-6 per setting.
// Tokens outside the filtered support must never be drawn: checked exactly,
// apart from the χ².  The settings are kept away from the filters'
// thresholds (filterMargin ≥ 1e-3), so float32 arithmetic cannot move a
// token across a cut that float64 puts on the other side.
import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import { loadBuilds } from './helpers/builds.js';
import { tolerance } from './helpers/bounds.js';
import { refFilteredDistribution, filterMargin, inverseCdf, chiSquare, gammaQ } from '../js/reference/jobs.js';
import { refSoftmax } from '../js/reference/float64.js';
import { seededRandom } from '../js/reference/random.js';
import * as lib from '../js/index.js';

let builds;
before(async () => {
  builds = await loadBuilds();
  await lib.init();
  builds.push({ name: 'public', api: lib });
});

const N = 100_000;
const ALPHA = 1e-6;
const I = Infinity;
// Zipf-like logits over 16 tokens, with a tie (3 and 4, at the top-k cut
// below), two -inf tokens (never drawn, whatever the filters) and an outlier.
const ROW = Float32Array.from([2.5, 1.8, 1.2, 0.9, 0.9, 0.4, 0.1, -0.3, -0.6, -1.0, -I, -1.4, -2.0, -2.2, 1.0, -I]);
const V = ROW.length;

const SETTINGS = [
  { temperature: 1 },
  { temperature: 0.5 },
  { temperature: 2 },
  { topK: 5 }, // tokens 3 and 4 tie for the 5th place: index 3 is kept, 4 is not
  { topK: 100 }, // k > n keeps all
  { topP: 0.9 },
  { topP: 1 },
  { minP: 0.1 },
  { temperature: 0.7, topK: 8, topP: 0.9, minP: 0.05 },
  { temperature: 1.5, topP: 0.6 },
  { temperature: 2, topK: 6, minP: 0.3 },
];

/** A [rows, V] Float32Array of copies of `row`. */
function repeated(row, rows) {
  const x = new Float32Array(rows * row.length);
  for (let r = 0; r < rows; r++) x.set(row, r * row.length);
  return x;
}

const X = repeated(ROW, N);
const EXACT = SETTINGS.map((s) => refFilteredDistribution(Float64Array.from(ROW), s));

describe('sample: the draws follow the filtered distribution', () => {
  test('the settings are well away from the filters\' thresholds, and filter something', () => {
    for (const [i, s] of SETTINGS.entries()) {
      assert.ok(filterMargin(Float64Array.from(ROW), s) >= 1e-3, `setting ${JSON.stringify(s)}`);
      assert.ok(Math.abs(EXACT[i].reduce((a, b) => a + b, 0) - 1) < 1e-12);
    }
    assert.equal(EXACT[3][3] > 0 && EXACT[3][4] === 0, true, 'the top-k tie keeps the lower index');
  });

  test(`χ² goodness of fit over ${N} draws per setting (fails at p < ${ALPHA}); never outside the support`, () => {
    for (const { name, api } of builds) {
      for (const [i, s] of SETTINGS.entries()) {
        const { indices, logProbs } = api.sample(X, { shape: [N, V], ...s, seed: 1234 + i });
        assert.ok(indices instanceof Int32Array, `${name}: indices are an Int32Array`);
        assert.equal(indices.length, N, `${name}: one draw per slice`);
        assert.equal(logProbs.length, N, `${name}: one logProb per draw`);
        const counts = new Array(V).fill(0);
        for (const j of indices) counts[j]++;
        assert.equal(counts.reduce((a, b) => a + b, 0), N, `${name} ${JSON.stringify(s)}: every index in 0..V-1`);
        const fit = chiSquare(counts, EXACT[i]);
        assert.equal(fit.outside, 0, `${name} ${JSON.stringify(s)}: ${fit.outside} draws outside the filtered support (counts ${counts})`);
        assert.ok(fit.pValue >= ALPHA, `${name} ${JSON.stringify(s)}: χ² ${fit.chi2.toFixed(1)} on ${fit.df} df, p = ${fit.pValue} (counts ${counts})`);
      }
    }
  });

  test('the χ² test has power: the same draws against the unfiltered softmax, or T = 1 against T = 0.5, fail', () => {
    const api = builds[0].api;
    const counts = (s, seed) => {
      const c = new Array(V).fill(0);
      for (const j of api.sample(X, { shape: [N, V], ...s, seed }).indices) c[j]++;
      return c;
    };
    const unfiltered = refSoftmax(Float64Array.from(ROW), [V], -1);
    // top-p 0.9 leaves out ~5% of the mass: the unfiltered probabilities are
    // 5% off on every kept token, far beyond the noise of 10^5 draws.
    const topP = counts({ topP: 0.9 }, 5);
    assert.ok(chiSquare(topP, unfiltered).pValue < ALPHA, 'top-p 0.9 draws against the unfiltered softmax');
    assert.ok(chiSquare(counts({ temperature: 1 }, 6), EXACT[1]).pValue < ALPHA, 'T = 1 draws against the T = 0.5 distribution');
  });

  test('the reference\'s χ² survival function: Q(k/2, x/2) against scipy.stats.chi2.sf', () => {
    // Values from scipy 1.10's chi2.sf(x, k); Q(1, x) = e^-x exactly.
    const sf = [[3.841, 1, 0.050013683763956804], [18.307, 10, 0.05000058909139812], [6, 15, 0.9797477467178134],
      [40, 20, 0.0049954123083075785], [100, 60, 0.0009168288614560842]];
    for (const [x, k, want] of sf) assert.ok(Math.abs(gammaQ(k / 2, x / 2) - want) <= 1e-12 * want, `χ²(${k}) at ${x}`);
    assert.ok(Math.abs(gammaQ(1, 30) - Math.exp(-30)) <= 1e-12 * Math.exp(-30));
  });

  test('logProbs are log of the filtered, renormalised probability of each chosen token', () => {
    for (const { name, api } of builds) {
      for (const [i, s] of SETTINGS.entries()) {
        const { indices, logProbs } = api.sample(X.subarray(0, 2000 * V), { shape: [2000, V], ...s, seed: 99 });
        assert.ok(logProbs instanceof Float32Array, `${name}: logProbs have the logits' type`);
        const T = s.temperature ?? 1;
        const zMax = Math.max(...ROW) / T;
        for (let r = 0; r < indices.length; r++) {
          const j = indices[r], want = Math.log(EXACT[i][j]);
          // The logSoftmax bound, plus the rounding of x / T in float32
          // (one ulp of each |z| that enters: the token's and the max).
          const tol = tolerance('f32', 'logSoftmax', want) + 2 ** -24 * (Math.abs(ROW[j] / T) + Math.abs(zMax)) * 2;
          assert.ok(Math.abs(logProbs[r] - want) <= tol, `${name} ${JSON.stringify(s)} token ${j}: ${logProbs[r]} vs ${want}`);
        }
      }
    }
  });

  test('float64 logits: the same fit, logProbs in float64', () => {
    const x64 = Float64Array.from(X.subarray(0, 50_000 * V));
    for (const { name, api } of builds) {
      const s = { temperature: 0.8, topP: 0.9 };
      const exact = refFilteredDistribution(Float64Array.from(ROW), s);
      const { indices, logProbs } = api.sample(x64, { shape: [50_000, V], ...s, seed: 77 });
      assert.ok(logProbs instanceof Float64Array, name);
      const counts = new Array(V).fill(0);
      for (const j of indices) counts[j]++;
      const fit = chiSquare(counts, exact);
      assert.equal(fit.outside, 0, name);
      assert.ok(fit.pValue >= ALPHA, `${name}: p = ${fit.pValue}`);
      for (let r = 0; r < 500; r++) assert.ok(Math.abs(logProbs[r] - Math.log(exact[indices[r]])) < 1e-12, `${name} [${r}]`);
    }
  });
});

describe('sample on long rows: top-p\'s window, its fallbacks, min-p and top-k', () => {
  // Rows of 70001, long enough for the kernel's window on top-p (c/sample.h):
  // a guess from every 17th logit, then one pass listing the candidates
  // around it.  `smooth` is the usual case; `fooledUp` puts a middling logit
  // at every sampled position and a few large ones elsewhere, so that the
  // guess lies below the threshold for small p and above it for large p;
  // `fooledDown` puts the large logits at the sampled positions only, so
  // that the guess lies above the threshold for large p; `spiky` has a few
  // logits far above a broad bulk, as language models' rows do.
  const n = 70001, s = Math.floor(n / 4096), rng = seededRandom(3);
  const gauss = () => Math.sqrt(-2 * Math.log(rng() + 2 ** -33)) * Math.cos(2 * Math.PI * rng());
  const ROWS = {
    smooth: Float32Array.from({ length: n }, () => 3 * gauss()),
    fooledUp: Float32Array.from({ length: n }, (_, i) => (i % s === 0 ? 3 : i % 1000 === 1 ? 9 + rng() : 0)),
    fooledDown: Float32Array.from({ length: n }, (_, i) => (i % s === 0 ? 6 + rng() : 4 * (rng() - 0.5))),
    spiky: Float32Array.from({ length: n }, (_, i) => (i % 9973 === 7 ? 18 + 4 * rng() : 2 * gauss())),
  };
  const LONG = [{}, { topP: 0.1 }, { topP: 0.3 }, { topP: 0.9 }, { topP: 0.99 }, { topP: 0.9, minP: 0.02 },
    { topK: 1000, topP: 0.9 }, { topK: 50, topP: 0.5 }, { minP: 0.3 }, { temperature: 0.7, topP: 0.8 }];
  const R = 16;

  test('every build draws the same tokens (and scalar and SIMD128 the same logProbs), all inside the exact filtered support, with its log-probability', () => {
    for (const [rowName, row] of Object.entries(ROWS)) {
      const x = repeated(row, R);
      for (const [i, settings] of LONG.entries()) {
        const exact = refFilteredDistribution(Float64Array.from(row), settings);
        const draws = builds.map(({ name, api }) => ({ name, ...api.sample(x, { shape: [R, n], ...settings, seed: 500 + i }) }));
        const what = `${rowName} ${JSON.stringify(settings)}`;
        const scalar = draws.find((d) => d.name === 'scalar'), simd = draws.find((d) => d.name === 'simd');
        assert.deepEqual(simd.logProbs, scalar.logProbs, `${what}: simd vs scalar logProbs`);
        for (const d of draws) {
          assert.deepEqual(d.indices, draws[0].indices, `${what}: ${d.name} vs ${draws[0].name}`);
          for (let r = 0; r < R; r++) {
            const j = d.indices[r], want = Math.log(exact[j]);
            assert.ok(exact[j] > 0, `${what}: ${d.name} drew ${j}, outside the filtered support`);
            assert.ok(Math.abs(d.logProbs[r] - want) <= 1e-5 * Math.max(1, Math.abs(want)), `${what}: ${d.name} token ${j}: ${d.logProbs[r]} vs ${want}`);
          }
        }
      }
    }
  });
});

describe('sample: generators, order, temperature 0', () => {
  test('a seed gives the same draws on every build and every call; other seeds differ', () => {
    const x = X.subarray(0, 5000 * V);
    const draws = builds.map(({ api }) => Array.from(api.sample(x, { shape: [5000, V], topP: 0.9, seed: 42 }).indices));
    for (let b = 1; b < builds.length; b++) assert.deepEqual(draws[b], draws[0], `${builds[b].name} vs ${builds[0].name}`);
    assert.deepEqual(Array.from(builds[0].api.sample(x, { shape: [5000, V], topP: 0.9, seed: 42 }).indices), draws[0], 'the same call again');
    const other = Array.from(builds[0].api.sample(x, { shape: [5000, V], topP: 0.9, seed: 43 }).indices);
    assert.ok(other.some((v, i) => v !== draws[0][i]), 'seed 43 differs from 42');
  });

  test('random: called once per slice, in C order, and inverse CDF over the kept tokens in index order picks the token', () => {
    // u at the middle of each kept token's CDF interval, so that rounding
    // cannot move it to a neighbour: the expected token is then exact.
    for (const { name, api } of builds) {
      for (const [i, s] of SETTINGS.entries()) {
        const p = EXACT[i];
        const kept = [...p.keys()].filter((j) => p[j] > 0);
        let cum = 0;
        const us = kept.map((j) => {
          const mid = cum + p[j] / 2;
          cum += p[j];
          return mid;
        });
        let calls = 0;
        const random = () => us[calls++];
        const x = X.subarray(0, us.length * V);
        const { indices } = api.sample(x, { shape: [us.length, V], ...s, random });
        assert.equal(calls, us.length, `${name} ${JSON.stringify(s)}: random called once per slice`);
        assert.deepEqual(Array.from(indices), kept, `${name} ${JSON.stringify(s)}`);
        assert.deepEqual(kept, us.map((u) => inverseCdf(p, u)), 'the reference\'s inverse CDF agrees');
      }
    }
  });

  test('Math.random is the default generator', () => {
    const saved = Math.random;
    let calls = 0;
    Math.random = () => (calls++, 0.999999);
    try {
      for (const { name, api } of builds) {
        calls = 0;
        const { indices } = api.sample(X.subarray(0, 3 * V), { shape: [3, V] });
        assert.equal(calls, 3, `${name}: Math.random once per slice`);
        assert.deepEqual(Array.from(indices), [14, 14, 14], `${name}: u near 1 picks the last kept token (15 is -inf)`);
      }
    } finally {
      Math.random = saved;
    }
  });

  test('axis 0 and 3-D shapes: one draw per slice, in C order of the other dims', () => {
    // Each slice's argmax is at a different place; temperature 0 takes it.
    const shape = [4, 5, 3]; // axis 1: 4*3 slices of 5
    const x = new Float64Array(60);
    const want = [];
    for (let a = 0; a < 4; a++) {
      for (let c = 0; c < 3; c++) {
        const hot = (a * 3 + c) % 5;
        want.push(hot);
        for (let b = 0; b < 5; b++) x[a * 15 + b * 3 + c] = b === hot ? 3 : -b;
      }
    }
    for (const { name, api } of builds) {
      const got = api.sample(x, { shape, axis: 1, temperature: 0 });
      assert.deepEqual(Array.from(got.indices), want, name);
      assert.deepEqual(Array.from(got.logProbs), want.map(() => 0), `${name}: argmax has logProb 0`);
      // The same with a sharp but non-zero temperature and a seed.
      assert.deepEqual(Array.from(api.sample(x, { shape, axis: 1, temperature: 0.01, seed: 3 }).indices), want, `${name} T = 0.01`);
      const t = new Float64Array(60);
      for (let a = 0; a < 4; a++) for (let b = 0; b < 5; b++) for (let c = 0; c < 3; c++) t[b * 12 + a * 3 + c] = x[a * 15 + b * 3 + c];
      assert.deepEqual(Array.from(api.sample(t, { shape: [5, 4, 3], axis: 0, temperature: 0 }).indices), want, `${name} axis 0`);
    }
  });

  test('temperature 0 is the argmax (lower index on ties), with logProb 0, whatever the generator', () => {
    const x = Float32Array.from([1, 3, -I, 3, 2, 0, 5, 5, -1, 5, 0, 0]);
    for (const { name, api } of builds) {
      const random = () => 0.999;
      for (const opts of [{ seed: 1 }, { random }, {}]) {
        const got = api.sample(x, { shape: [2, 6], temperature: 0, ...opts });
        assert.deepEqual(Array.from(got.indices), [1, 0], name);
        assert.deepEqual(Array.from(got.logProbs), [0, 0], name);
      }
    }
  });
});

describe('sample bad input', () => {
  const x = Float32Array.from([1, 5, 3, 2, 8, 0]);
  const shape = [2, 3];
  const snapshot = Float32Array.from(x);
  const BAD = [
    [RangeError, { temperature: -1 }],
    [RangeError, { topK: 0 }],
    [RangeError, { topK: -3 }],
    [RangeError, { topP: 0 }],
    [RangeError, { topP: 1.01 }],
    [RangeError, { topP: -0.5 }],
    [RangeError, { random: () => 1 }],
    [RangeError, { random: () => -0.1 }],
    [RangeError, { random: () => NaN }],
    [null, { temperature: NaN }],
    [null, { topK: 1.5 }],
    [null, { topP: NaN }],
    [null, { minP: -0.1 }],
    [null, { minP: 1.5 }],
    [null, { seed: 1.5 }],
    [null, { random: 'nope' }],
    [null, { shape: [4, 2] }],
    [null, { axis: 2 }],
  ];

  test('each bad call throws its error class, writes nothing, and the next call is right', () => {
    for (const { name, api } of builds) {
      for (const [i, [Err, opts]] of BAD.entries()) {
        assert.throws(() => api.sample(x, { shape, ...opts }), (e) => (Err ? e instanceof Err : e instanceof TypeError || e instanceof RangeError),
          `${name} bad call ${i} ${JSON.stringify(opts)} throws ${Err?.name ?? 'TypeError or RangeError'}`);
        assert.deepEqual(x, snapshot, `${name} bad call ${i} wrote nothing to the logits`);
        assert.deepEqual(Array.from(api.sample(x, { shape, temperature: 0 }).indices), [1, 1], `${name} after bad call ${i}`);
        const us = [0.1, 0.9];
        const good = api.sample(x, { shape, random: () => us.shift() });
        const p0 = refFilteredDistribution(Float64Array.from(x.subarray(0, 3)));
        const p1 = refFilteredDistribution(Float64Array.from(x.subarray(3, 6)));
        assert.deepEqual(Array.from(good.indices), [inverseCdf(p0, 0.1), inverseCdf(p1, 0.9)], `${name} after bad call ${i}`);
      }
    }
    for (const bad of ['abc', null, new BigInt64Array(6)]) {
      assert.throws(() => builds[0].api.sample(bad, { shape }), (e) => e instanceof TypeError || e instanceof RangeError);
    }
  });
});
