// Structured families of hostile inputs.  Each family turns a small set of
// parameters into a case deterministically (its own seeded PRNG), so the
// optimiser can search the parameters and a long case can be kept in the
// fixture as its parameters alone.
//
//   ties      a max, then k terms tied or nearly tied below it, the rest
//             -inf or far below: the float32 partial sums (4 terms a lane
//             before the flush to double) and the exps' own errors then all
//             round the same way.  The gap is drawn so that exps land just
//             above powers of two, or so that S or log S lands near a
//             binade edge; an offset moves the whole row (x - m rounding).
//             In float32 the ties can be steered (model.js) to where the
//             exp errs most one way, and the probes the other way.
//   random    normal logits, partly masked: background for the mutations.
//   longTail  [0, c, c, ...] and period-p variants at 2^20 elements and
//             more: plain double accumulation of ~2^17 equal terms a lane
//             (float64), or of every term in one accumulator (weighted
//             logsumexp, a column of a [n, 2] array).
//
// Layouts of the short families: 'row' (one slice, rows mode), 'column'
// ([n, 16] over axis 0: each lane one slice, neighbouring slices side by
// side) and 'short' ([16, n] over the last axis with n < 32: 16 rows side by
// side, one per lane).
import { seededRandom, randomLogits } from '../../js/reference/random.js';
import { worstNear } from './model.js';
import { stepUlps } from './float.js';

const LN2 = Math.LN2;
const LAYOUTS = ['row', 'row', 'column', 'short'];
const LANES_SIDE_BY_SIDE = 16;

const pick = (rand, list) => list[Math.floor(rand() * list.length)];
const int = (rand, lo, hi) => lo + Math.floor(rand() * (hi - lo + 1));
const roundTo = (dtype, v) => (dtype === 'f32' ? Math.fround(v) : v);

// ------------------------------------------------------------- layouts ---

/** Lays out `count` slices (arrays of equal length n) as one case. */
function layOut(dtype, layout, slices) {
  const n = slices[0].length, Type = dtype === 'f32' ? Float32Array : Float64Array;
  if (layout === 'row') return { dtype, shape: [n], axis: -1, data: Type.from(slices[0]) };
  const data = new Type(n * slices.length);
  if (layout === 'column') {
    slices.forEach((v, s) => v.forEach((x, i) => (data[i * slices.length + s] = x)));
    return { dtype, shape: [n, slices.length], axis: 0, data };
  }
  slices.forEach((v, s) => data.set(v, s * n));
  return { dtype, shape: [slices.length, n], axis: -1, data };
}

const slicesFor = (layout) => (layout === 'row' ? 1 : LANES_SIDE_BY_SIDE);
// Side by side only below 2 blocks (kernels.h, short rows).
const lengthFor = (layout, n) => (layout === 'short' ? Math.min(n, 31) : n);

// ----------------------------------------------------------------- ties ---

/**
 * The gap below the max: anywhere, or where exp(-gap) is just above 2^-j,
 * or where S = 1 + k e^-gap is near a power of two or e^(2^q) (log S near
 * a binade edge).
 */
function sampleGap(rand, k) {
  const how = rand();
  if (how < 0.3) return 8 * rand();
  if (how < 0.6) return int(rand, 1, 10) * LN2 * (1 - 1e-7 * rand());
  const S = rand() < 0.5 ? 2 ** int(rand, 1, 7) : Math.exp(2 ** int(rand, -1, 2));
  const share = (S * (1 + (rand() - 0.5) * 1e-6) - 1) / k;
  return share > 0 && share < 1 ? -Math.log(share) : 8 * rand();
}

function sampleOffset(rand, gap) {
  const how = rand();
  if (how < 0.35) return 0;
  if (how < 0.6) return (rand() - 0.5) * 4 * gap; // m and x of different magnitudes
  if (how < 0.8) return (rand() - 0.5) * 10 ** int(rand, 1, 5);
  return int(rand, -2000, 2000);
}

const ties = {
  sample(rand, dtype = rand() < 0.85 ? 'f32' : 'f64') {
    const layout = pick(rand, LAYOUTS);
    const n = lengthFor(layout, pick(rand, [int(rand, 2, 31), int(rand, 32, 80), int(rand, 60, 130), 64, 128, 256]));
    const k = int(rand, 1, n - 1);
    const gap = sampleGap(rand, k);
    return {
      dtype, layout, n, k, gap, offset: sampleOffset(rand, gap),
      jitter: pick(rand, [0, 0, 1, 1, 2, 4]), stride: pick(rand, [1, 1, 16, 17, 4, 5]),
      maxPos: int(rand, 0, n - 1), rest: pick(rand, ['-inf', '-inf', 'far', 'spread']), seed: int(rand, 0, 2 ** 31),
      // Probes: a few terms whose exps sit just above 2^-j, where an ulp is
      // relatively largest; their errors need not cancel the ties' in e / S.
      probes: pick(rand, [0, 0, 1, 2, 4]), probeGap: int(rand, 1, 6) * LN2 * (1 - 2 ** -int(rand, 20, 26)),
      // float32: ties (and, the other way, probes) where the exp model says
      // the exp errs most, within `span` ulps of the drawn gap.
      expSign: dtype === 'f32' ? pick(rand, [0, 1, -1, -1]) : 0, span: 2 ** int(rand, 4, 16),
    };
  },
  build(p) {
    const rand = seededRandom(p.seed);
    const slices = [];
    for (let s = 0; s < slicesFor(p.layout); s++) slices.push(tiedSlice(p, rand));
    return { ...layOut(p.dtype, p.layout, slices), family: 'ties', params: p };
  },
  nudge(p, rand) {
    const q = { ...p };
    const what = rand();
    if (what < 0.3) q.gap = p.gap * (1 + (rand() - 0.5) * 1e-3);
    else if (what < 0.45) q.gap = p.gap + (rand() - 0.5) * 2 ** -int(rand, 10, 22);
    else if (what < 0.6) q.k = Math.max(1, Math.min(p.n - 1, p.k + int(rand, -3, 3)));
    else if (what < 0.7) q.offset = p.offset + (rand() - 0.5) * 2 ** int(rand, -10, 4);
    else if (what < 0.8) q.seed = int(rand, 0, 2 ** 31);
    else if (what < 0.83) q.jitter = int(rand, 0, 4);
    else if (what < 0.85) q.expSign = p.dtype === 'f32' ? int(rand, -1, 1) : 0;
    else if (what < 0.9) q.probeGap = p.probeGap * (1 + (rand() - 0.5) * 2 ** -int(rand, 18, 24));
    else q.stride = int(rand, 1, 20);
    return q;
  },
};

/** t, or where the float32 exp errs most near it in direction `sign`. */
function steered(t, sign, p, rand) {
  return sign && p.dtype === 'f32' && t >= -87 ? worstNear(t, sign, p.span, rand) : t;
}

/** One slice of the ties family. */
function tiedSlice(p, rand) {
  const { dtype, n } = p;
  const m = roundTo(dtype, p.offset);
  const far = dtype === 'f32' ? 200 : 1000; // below exp's range: exp gives +0
  const v = new Array(n);
  for (let i = 0; i < n; i++) {
    v[i] = p.rest === '-inf' ? -Infinity : p.rest === 'far' ? roundTo(dtype, m - far) : roundTo(dtype, m - p.gap - 3 - 20 * rand());
  }
  v[p.maxPos % n] = m;
  const tie = roundTo(dtype, m + steered(-p.gap, p.expSign, p, rand));
  let placed = 0;
  for (let j = 1; placed < Math.min(p.k, n - 1) && j <= 4 * n; j++) {
    const i = (p.maxPos + j * p.stride) % n;
    if (i === p.maxPos % n || v[i] === tie || (v[i] > tie && v[i] !== m)) continue;
    // Jittered terms stay below the max, so m stays the max.
    const x = stepUlps(dtype, tie, int(rand, -p.jitter, p.jitter));
    v[i] = x < m ? x : tie;
    placed++;
  }
  const probe = roundTo(dtype, m + steered(-p.probeGap, -p.expSign, p, rand));
  for (let j = 0; j < p.probes; j++) {
    const i = int(rand, 0, n - 1);
    if (v[i] !== m) v[i] = probe < m ? probe : v[i];
  }
  return v;
}

// --------------------------------------------------------------- random ---

const random = {
  sample(rand, dtype = rand() < 0.8 ? 'f32' : 'f64') {
    const layout = pick(rand, LAYOUTS);
    return {
      dtype, layout, n: lengthFor(layout, pick(rand, [int(rand, 2, 31), int(rand, 32, 200)])),
      sd: pick(rand, [0.5, 2, 5, 20]), mean: sampleOffset(rand, 5), masked: pick(rand, [0, 0.3, 0.8]),
      seed: int(rand, 0, 2 ** 31),
    };
  },
  build(p) {
    const rand = seededRandom(p.seed);
    const slices = [];
    for (let s = 0; s < slicesFor(p.layout); s++) slices.push(Array.from(randomLogits(rand, p.n, p), (x) => roundTo(p.dtype, x)));
    return { ...layOut(p.dtype, p.layout, slices), family: 'random', params: p };
  },
  nudge(p, rand) {
    return { ...p, seed: int(rand, 0, 2 ** 31) };
  },
};

// ------------------------------------------------------------- longTail ---

const LONG_LENGTHS = [2 ** 20, 2 ** 20 + 17, 3 * 2 ** 19, 2 ** 21, 2 ** 22];
// A column case holds two columns: its n stops at 2^21 (32 MB of float64).
const longLength = (rand, layout) => pick(rand, layout === 'column' ? LONG_LENGTHS.slice(0, 4) : LONG_LENGTHS);

const longTail = {
  long: true,
  sample(rand) {
    const c = -12 * rand(), layout = pick(rand, ['row', 'row', 'column']);
    return {
      dtype: rand() < 0.8 ? 'f64' : 'f32', n: longLength(rand, layout), c, c2: c - 4 * rand(),
      period: pick(rand, [1, 1, 1, 2, 3, 16]), layout, weighted: rand() < 0.25,
    };
  },
  build(p) {
    const Type = p.dtype === 'f32' ? Float32Array : Float64Array;
    const at = (i) => (i === 0 ? 0 : i % p.period === 0 ? p.c2 : p.c);
    let c;
    if (p.layout === 'row') {
      const data = new Type(p.n);
      for (let i = 0; i < p.n; i++) data[i] = at(i);
      c = { dtype: p.dtype, shape: [p.n], axis: -1, data };
    } else {
      // Two columns, the second a step behind: each is one lane's sum.
      const data = new Type(2 * p.n);
      for (let i = 0; i < p.n; i++) data[2 * i] = at(i), (data[2 * i + 1] = at((i + 1) % p.n));
      c = { dtype: p.dtype, shape: [p.n, 2], axis: 0, data };
    }
    if (p.weighted) c.b = 1; // a number b takes the weighted kernel
    return { ...c, family: 'longTail', params: p };
  },
  nudge(p, rand) {
    const q = { ...p };
    const what = rand();
    if (what < 0.5) q.c = p.c + (rand() - 0.5) * 0.1;
    else if (what < 0.7) q.c2 = p.c2 + (rand() - 0.5);
    else if (what < 0.85) q.period = int(rand, 1, 20);
    else q.n = longLength(rand, p.layout);
    return q;
  },
};

export const FAMILIES = { ties, random, longTail };
