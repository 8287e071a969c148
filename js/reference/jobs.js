// Independent float64 references for the jobs built on the softmax family:
// top-k, cross-entropy (loss and gradient) and the filtered distribution a
// sampler draws from.  Plain loops written from the definitions (torch.topk,
// torch.nn.functional.cross_entropy, Hugging Face's logits warpers), sharing
// no code with the library; only ./float64.js's refLogSoftmax, refSoftmax and
// refLogSumExp, themselves checked against scipy and mpmath.  Not part of the
// published package (package.json "files" takes only the top level of js/).
import { refLogSoftmax, refSoftmax, refLogSumExp } from './float64.js';
import { size, axesOf } from './shapes.js';

// ---------------------------------------------------------------- slices ---

/**
 * The slices along one axis: slice s (numbered in C order of the other dims)
 * has element j at flat offset base[s] + j * stride.
 */
function slicesAlong(shape, axis) {
  const [ax] = axesOf(axis, shape.length);
  const n = shape[ax];
  let stride = 1;
  for (let d = shape.length - 1; d > ax; d--) stride *= shape[d];
  const count = size(shape) / n;
  const base = new Float64Array(count);
  for (let s = 0; s < count; s++) base[s] = Math.floor(s / stride) * stride * n + (s % stride);
  return { ax, n, stride, count, base };
}

/** Shape of a result that has the axis replaced by `k` (k = null: removed). */
function shapeWith(shape, ax, k) {
  return k === null ? shape.filter((_, d) => d !== ax) : shape.map((d, i) => (i === ax ? k : d));
}

/**
 * torch.topk's order: NaN above everything, then descending; equal values
 * (and NaNs among themselves) by lower index first.  Returns < 0 if
 * element (a, i) ranks before (b, j).
 */
function rank(a, i, b, j) {
  const na = Number.isNaN(a), nb = Number.isNaN(b);
  if (na !== nb) return na ? -1 : 1;
  if (!na && a !== b) return a > b ? -1 : 1;
  return i - j;
}

// ----------------------------------------------------------------- top-k ---

/**
 * torch.topk along one axis, in float64.
 * Ranking is by x itself: softmax and logSoftmax are increasing in x, so the
 * k largest of them are those of x (and NaN, which poisons the whole slice's
 * softmax, ranks first as in x).  The values are then read from the whole
 * slice's softmax or logSoftmax (not renormalised over the k).
 * @param {ArrayLike<number>} data C-order values
 * @param {number[]} shape
 * @param {number} k
 * @param {{axis?: number, of?: 'x'|'softmax'|'logSoftmax', sorted?: boolean}} [opts]
 * @returns {{indices: Int32Array, values: Float64Array, shape: number[]}}
 */
export function refTopK(data, shape, k, { axis = -1, of = 'x', sorted = true } = {}) {
  const { ax, n, stride, count, base } = slicesAlong(shape, axis);
  if (!Number.isInteger(k) || k < 1 || k > n) throw new RangeError(`reference: k = ${k} not in 1..${n}`);
  const source = of === 'x' ? data
    : of === 'softmax' ? refSoftmax(data, shape, ax)
      : refLogSoftmax(data, shape, ax);
  const outShape = shapeWith(shape, ax, k);
  const indices = new Int32Array(count * k), values = new Float64Array(count * k);
  for (let s = 0; s < count; s++) {
    const at = (j) => base[s] + j * stride;
    const order = [...Array(n).keys()].sort((i, j) => rank(data[at(i)], i, data[at(j)], j));
    const chosen = order.slice(0, k);
    if (!sorted) chosen.sort((i, j) => i - j);
    // Output slice s has the same outer/inner position, with k along the axis.
    const outBase = Math.floor(s / stride) * stride * k + (s % stride);
    chosen.forEach((j, r) => {
      indices[outBase + r * stride] = j;
      values[outBase + r * stride] = source[at(j)];
    });
  }
  return { indices, values, shape: outShape };
}

// --------------------------------------------------------- cross-entropy ---

/**
 * torch.nn.functional.cross_entropy in float64, with its gradient.
 *
 * Each slice's loss is Σ_j c_j·(lse − x_j), with coefficients
 *   class indices t:   c_j = (1−ε)·w[t]·[j = t] + (ε/n)·w[j]
 *   probabilities p:   c_j = w[j]·((1−ε)·p_j + ε/n)
 * (terms with c_j = 0 are left out, so a −inf logit off the target adds
 * nothing rather than 0·inf).  d loss/d x_k = (Σ_j c_j)·softmax_k − c_k.
 * 'mean' divides by Σ w[t] over the non-ignored slices (indices) or by the
 * number of slices (probabilities); an ignored slice has loss 0, gradient 0.
 * 'none''s gradient is that of the sum of its losses.
 *
 * @param {ArrayLike<number>} logits C-order values
 * @param {number[]} shape
 * @param {ArrayLike<number>} target class indices (shape without the axis) or probabilities (shape of logits)
 * @param {{axis?: number, reduction?: 'mean'|'sum'|'none', labelSmoothing?: number,
 *          ignoreIndex?: number, weight?: ArrayLike<number>, probabilities?: boolean}} [opts]
 * @returns {{loss: number|Float64Array, grad: Float64Array, perSlice: Float64Array,
 *            coef: Float64Array, denominator: number, lossShape: number[]}}
 *   perSlice and coef (the c_j, laid out as logits) are for the tests' error bounds.
 */
export function refCrossEntropy(logits, shape, target, { axis = -1, reduction = 'mean', labelSmoothing: eps = 0, ignoreIndex, weight, probabilities = false } = {}) {
  const { ax, n, stride, count, base } = slicesAlong(shape, axis);
  const w = (j) => (weight ? weight[j] : 1);
  const lse = refLogSumExp(logits, shape, { axis: ax }).value;
  const sm = refSoftmax(logits, shape, ax);
  const perSlice = new Float64Array(count), coef = new Float64Array(size(shape));
  const grad = new Float64Array(size(shape));
  let denominator = probabilities ? count : 0;
  for (let s = 0; s < count; s++) {
    const at = (j) => base[s] + j * stride;
    if (!probabilities) {
      const t = target[s];
      if (t === ignoreIndex) continue;
      if (!Number.isInteger(t) || t < 0 || t >= n) throw new RangeError(`reference: target ${t} out of range`);
      denominator += w(t);
      for (let j = 0; j < n; j++) coef[at(j)] = (eps / n) * w(j);
      coef[at(t)] += (1 - eps) * w(t);
    } else {
      for (let j = 0; j < n; j++) coef[at(j)] = w(j) * ((1 - eps) * target[at(j)] + eps / n);
    }
    let loss = 0, C = 0;
    for (let j = 0; j < n; j++) {
      const c = coef[at(j)];
      if (c === 0) continue;
      loss += c * (lse[s] - logits[at(j)]);
      C += c;
    }
    perSlice[s] = loss;
    for (let j = 0; j < n; j++) grad[at(j)] = C * sm[at(j)] - coef[at(j)];
  }
  let loss;
  if (reduction === 'none') loss = perSlice;
  else {
    let sum = 0;
    for (const v of perSlice) sum += v;
    loss = reduction === 'sum' ? sum : sum / denominator;
    if (reduction === 'mean') for (let i = 0; i < grad.length; i++) grad[i] /= denominator;
  }
  return { loss, grad, perSlice, coef, denominator, lossShape: shapeWith(shape, ax, null) };
}

// ------------------------------------------------------------- sampling ---

/**
 * The distribution a sampler draws one slice from, exactly, in float64:
 * softmax(x / T), then each filter in turn on what the previous one left,
 * renormalised (as Hugging Face's logits warpers chain):
 *   topK  keep the k most probable (ties: lower index first); k ≥ n keeps all
 *   topP  keep the smallest set, in descending probability (ties lower index
 *         first), whose mass reaches p; at least one token
 *   minP  keep p ≥ minP · max p
 * T = 0 is the argmax (lower index on ties), probability 1.
 * @param {ArrayLike<number>} row one slice's logits
 * @returns {Float64Array} probabilities, 0 outside the kept set, summing to 1
 */
export function refFilteredDistribution(row, { temperature = 1, topK, topP, minP } = {}) {
  const n = row.length;
  let p = new Float64Array(n);
  if (temperature === 0) {
    let best = 0;
    for (let j = 1; j < n; j++) if (rank(row[j], j, row[best], best) < 0) best = j;
    p[best] = 1;
    return p;
  }
  p = refSoftmax(Float64Array.from(row, (v) => v / temperature), [n], -1);
  const byProbability = () => [...Array(n).keys()].sort((i, j) => rank(p[i], i, p[j], j));
  const keepOnly = (kept) => {
    let total = 0;
    for (let j = 0; j < n; j++) if (kept[j]) total += p[j];
    for (let j = 0; j < n; j++) p[j] = kept[j] ? p[j] / total : 0;
  };
  if (topK !== undefined && topK < n) {
    const kept = new Uint8Array(n);
    for (const j of byProbability().slice(0, topK)) kept[j] = 1;
    keepOnly(kept);
  }
  if (topP !== undefined) {
    const kept = new Uint8Array(n);
    let mass = 0;
    for (const j of byProbability()) {
      kept[j] = 1;
      mass += p[j];
      if (mass >= topP) break;
    }
    keepOnly(kept);
  }
  if (minP !== undefined) {
    let max = 0;
    for (const v of p) max = Math.max(max, v);
    keepOnly(Uint8Array.from(p, (v) => (v >= minP * max ? 1 : 0)));
  }
  return p;
}

/**
 * How close a filter setting is to a decision boundary: the smallest
 * relative gap, over the top-p cut and the min-p threshold, between the
 * quantity compared and its threshold.  A test whose case has a margin far
 * above float32 rounding (1e-4 say) cannot flip a token in or out by the
 * library's float32 arithmetic.
 */
export function filterMargin(row, { temperature = 1, topK, topP, minP } = {}) {
  let margin = Infinity;
  if (topP !== undefined) {
    const before = refFilteredDistribution(row, { temperature, topK });
    const order = [...before.keys()].filter((j) => before[j] > 0).sort((i, j) => rank(before[i], i, before[j], j));
    let mass = 0;
    for (const [r, j] of order.entries()) {
      mass += before[j];
      // Reaching p at the last token of the support cuts nothing: a sum
      // that rounds below p goes on to tokens of probability 0 only.
      if (mass >= topP && r === order.length - 1) break;
      margin = Math.min(margin, Math.abs(mass - topP) / topP);
      if (mass >= topP) break;
    }
  }
  if (minP !== undefined) {
    const before = refFilteredDistribution(row, { temperature, topK, topP });
    const max = Math.max(...before);
    for (const v of before) if (v > 0) margin = Math.min(margin, Math.abs(v - minP * max) / (minP * max));
  }
  return margin;
}

/**
 * The token inverse-CDF sampling picks for a uniform u in [0, 1): the first
 * kept token, in index order, whose cumulative probability exceeds u.
 */
export function inverseCdf(p, u) {
  let cum = 0, last = -1;
  for (let j = 0; j < p.length; j++) {
    if (p[j] <= 0) continue;
    cum += p[j];
    last = j;
    if (u < cum) return j;
  }
  return last; // u within rounding of 1
}

// ------------------------------------------------------------ chi-square ---

/** log Γ(a) for a > 0 (Lanczos, g = 7, 9 terms; ~1e-15 relative). */
function logGamma(a) {
  const g = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
    -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  if (a < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * a)) - logGamma(1 - a);
  a -= 1;
  let s = g[0];
  for (let i = 1; i < 9; i++) s += g[i] / (a + i);
  const t = a + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (a + 0.5) * Math.log(t) - t + Math.log(s);
}

/**
 * The regularised upper incomplete gamma Q(a, x) = Γ(a, x)/Γ(a): the series
 * for P below x < a + 1, Lentz's continued fraction above (Numerical
 * Recipes' gser/gcf), each to 1e-15.
 */
export function gammaQ(a, x) {
  if (x <= 0) return 1;
  const front = Math.exp(-x + a * Math.log(x) - logGamma(a));
  if (x < a + 1) {
    let term = 1 / a, sum = term;
    for (let k = 1; k < 10000 && Math.abs(term) > Math.abs(sum) * 1e-16; k++) sum += (term *= x / (a + k));
    return Math.max(0, 1 - sum * front);
  }
  const tiny = 1e-300;
  let b = x + 1 - a, c = 1 / tiny, d = 1 / b, h = d;
  for (let i = 1; i < 10000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return front * h;
}

/**
 * Pearson's χ² goodness of fit of `counts` to probabilities `p` (categories
 * with expected count below 5 pooled into one, as the approximation needs).
 * @returns {{chi2: number, df: number, pValue: number, outside: number}}
 *   outside: draws of categories with p = 0 (any is a failure of support)
 */
export function chiSquare(counts, p) {
  const N = counts.reduce((s, c) => s + c, 0);
  let chi2 = 0, df = -1, poolObs = 0, poolExp = 0, outside = 0;
  for (let j = 0; j < p.length; j++) {
    if (p[j] === 0) {
      outside += counts[j];
      continue;
    }
    const e = N * p[j];
    if (e < 5) {
      poolObs += counts[j];
      poolExp += e;
      continue;
    }
    chi2 += (counts[j] - e) ** 2 / e;
    df++;
  }
  if (poolExp > 0) {
    chi2 += (poolObs - poolExp) ** 2 / poolExp;
    df++;
  }
  return { chi2, df, pValue: df > 0 ? gammaQ(df / 2, chi2 / 2) : 1, outside };
}
