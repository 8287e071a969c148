// The independent float64 reference for scipy.special's log_softmax, softmax
// and logsumexp (scipy >= 1.16 semantics) that the tests judge the library
// against and the playground offers as a backend.  It is not part of the
// published package (package.json "files" takes only the top level of js/).
// Written from the math with plain loops over multi-indices, it shares no
// code with the rest of js/ or with c/, so a bug in the library's planning or
// kernels cannot hide in it.  Beside it: shapes.js (the shape helpers it and
// the tests use), random.js (seeded logits), ulp.js (float spacing and
// special-value classes, for measuring results against it) and float16.js
// (the 16-bit formats).  All three functions take JAX's `where` mask.
//
// Accuracy: every value is computed in float64 with compensated (Neumaier)
// sums, x - max kept exactly as a double-double, and the max terms of a
// log-sum split out through log1p.  Against float32 results its own error is
// negligible (~1e-16 relative); against float64 results it is a few float64
// ulps, so float64 comparisons need a tolerance of ~1e-14 relative or more.
import { size, axesOf } from './shapes.js';

// ---------------------------------------------------------------- shapes ---

/** C-order strides (in elements) of `shape`. */
function cStrides(shape) {
  const strides = new Array(shape.length);
  let s = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    strides[d] = s;
    s *= shape[d];
  }
  return strides;
}

/**
 * Every flat offset reached by the multi-indices over `dims` (in C order of
 * those dims), with the other dims at index 0.
 */
function offsetsOver(shape, strides, dims) {
  const idx = new Array(dims.length).fill(0);
  const out = new Float64Array(size(dims.map((d) => shape[d])));
  for (let k = 0; k < out.length; k++) {
    let off = 0;
    for (let j = 0; j < dims.length; j++) off += idx[j] * strides[dims[j]];
    out[k] = off;
    for (let j = dims.length - 1; j >= 0; j--) { // odometer step
      if (++idx[j] < shape[dims[j]]) break;
      idx[j] = 0;
    }
  }
  return out;
}

/**
 * The slices of a reduction: `outer[o] + inner[r]` is the flat offset of
 * element r of slice o.  Slices are numbered in C order of the kept dims.
 */
function slicesOf(shape, axes, strides = cStrides(shape)) {
  const kept = shape.map((_, d) => d).filter((d) => !axes.includes(d));
  return { outer: offsetsOver(shape, strides, kept), inner: offsetsOver(shape, strides, axes) };
}

/** NumPy broadcasting of two shapes (throws if they do not broadcast). */
function broadcast(aShape, bShape) {
  const nd = Math.max(aShape.length, bShape.length);
  const pad = (s) => [...Array(nd - s.length).fill(1), ...s];
  const [pa, pb] = [pad(aShape), pad(bShape)];
  const full = pa.map((a, k) => {
    const b = pb[k];
    if (a !== b && a !== 1 && b !== 1) throw new RangeError(`reference: [${aShape}] and [${bShape}] do not broadcast`);
    return a === 1 ? b : a;
  });
  // Strides of each operand seen through the full shape: 0 where broadcast.
  const through = (p) => {
    const own = cStrides(p);
    return p.map((d, k) => (d === 1 ? 0 : own[k]));
  };
  return { full, aStrides: through(pa), bStrides: through(pb) };
}

/**
 * Truth of one mask entry, as NumPy's bool(): 0 and false are false, any
 * other number (NaN included) and true are true.
 */
const truthy = (v) => !(v === 0 || v === false);

/**
 * A `where` mask as 0/1 flags over `shape` in C order, or null where there
 * is none (undefined or null).  `where` is a boolean or number (a 0-d mask) or C-order data of
 * shape `whereShape` (default: `shape`); it broadcasts to `shape` by NumPy's
 * rules and may not enlarge it.
 */
function maskOver(shape, where, whereShape) {
  if (where === undefined || where === null) return null;
  const scalar = typeof where === 'boolean' || typeof where === 'number';
  const data = scalar ? [where] : where;
  const wShape = scalar ? [] : whereShape ?? shape;
  if (data.length !== size(wShape)) throw new RangeError(`reference: where has ${data.length} values, not ${size(wShape)} for shape [${wShape}]`);
  const { full, bStrides } = broadcast(shape, wShape);
  if (full.length !== shape.length || full.some((d, k) => d !== shape[k])) {
    throw new RangeError(`reference: where of shape [${wShape}] would enlarge [${shape}] to [${full}]`);
  }
  const offsets = offsetsOver(full, bStrides, full.map((_, k) => k));
  return Uint8Array.from(offsets, (off) => (truthy(data[off]) ? 1 : 0));
}

// ------------------------------------------------------------ arithmetic ---

/**
 * Neumaier's compensated summation: add() terms, then total().  With an inf
 * or NaN among the terms the compensation is NaN; the plain sum then
 * already carries the IEEE answer, so total() returns that.
 */
function compensatedSum() {
  let s = 0, c = 0;
  return {
    add(v) {
      const t = s + v;
      c += Math.abs(s) >= Math.abs(v) ? (s - t) + v : (v - t) + s;
      s = t;
    },
    total: () => (Number.isFinite(s) ? s + c : s),
  };
}

/** Neumaier's compensated sum of an array-like of numbers. */
export function neumaierSum(terms) {
  const acc = compensatedSum();
  for (let i = 0; i < terms.length; i++) acc.add(terms[i]);
  return acc.total();
}

/**
 * The rounding error of hi = fl(x - m), so that x - m = hi + lo exactly
 * (Knuth's TwoSum on x + (-m)); 0 when hi is not finite.
 */
function diffError(x, m, hi) {
  if (!Number.isFinite(hi)) return 0;
  const bv = hi - x;
  const av = hi - bv;
  return (x - av) + (-m - bv);
}

/** exp(x - m), with x - m carried exactly: exp(hi)·(1 + lo) is right to O(lo²). */
function expDiff(x, m) {
  const hi = x - m;
  const e = Math.exp(hi);
  return e + e * diffError(x, m, hi);
}

/** Max with NaN propagation (np.amax): NaN if any element is NaN. */
function maxOf(values) {
  let m = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isNaN(v)) return NaN;
    if (v > m) m = v;
  }
  return m;
}

/** np.sign for real floats: NaN stays NaN, ±0 gives 0. */
const sign = (v) => (v > 0 ? 1 : v < 0 ? -1 : v === 0 ? 0 : NaN);

// ---------------------------------------------------- softmax family ---

/**
 * Runs fn(xs, ys) on every slice of the reduction over `axis`, with xs the
 * slice's unmasked entries (all of them without a mask) and ys their results.
 * A masked entry takes no part: its output is `fill`, as is every output of
 * a slice with no unmasked entry.
 */
function eachSlice(data, shape, axis, fn, { where, whereShape } = {}, fill = NaN) {
  const axes = axesOf(axis, shape.length);
  if (size(axes.map((a) => shape[a])) === 0) throw new RangeError('reference: reduction over a zero-length axis');
  const mask = maskOver(shape, where, whereShape);
  const out = new Float64Array(size(shape));
  const { outer, inner } = slicesOf(shape, axes);
  const xs = new Float64Array(inner.length);
  const ys = new Float64Array(inner.length);
  const kept = new Float64Array(inner.length); // slice positions of the unmasked entries
  for (const o of outer) {
    let k = 0;
    for (let r = 0; r < inner.length; r++) {
      if (mask && !mask[o + inner[r]]) out[o + inner[r]] = fill;
      else { kept[k] = r; xs[k++] = data[o + inner[r]]; }
    }
    if (k === 0) continue;
    fn(xs.subarray(0, k), ys.subarray(0, k));
    for (let j = 0; j < k; j++) out[o + inner[kept[j]]] = ys[j];
  }
  return out;
}

/** log of the sum of exp(x - m) over a slice whose max m is finite. */
function logSumShifted(xs, m) {
  // The terms at the max are exactly 1 each; log(c) + log1p(rest / c) keeps
  // the digits of a tiny rest that log(c + rest) would round away.
  let c = 0;
  const rest = compensatedSum();
  for (let i = 0; i < xs.length; i++) {
    if (xs[i] === m) c++;
    else rest.add(expDiff(xs[i], m));
  }
  return Math.log(c) + Math.log1p(rest.total() / c);
}

/**
 * The `where` option of refLogSoftmax and refSoftmax (JAX's `where=`): a mask
 * whose false entries take no part in the max or the sum of their slice.
 * scipy's rules then apply to the unmasked entries as to a slice of their
 * own; masked outputs are -inf (log_softmax) or 0 (softmax), and so is every
 * output of a slice that is masked entirely.  No NaN comes from a masked
 * entry, whatever it holds.  (Where a slice has unmasked entries and all
 * are finite, this equals replacing the masked entries by -inf, bit for
 * bit; with none, an unmasked inf or NaN, or a masked one, it does not.
 * tests/masked-reference.test.js checks both.)
 * @typedef {{where?: boolean|number|ArrayLike<number|boolean>, whereShape?: number[]}} WhereOptions
 *   `where` is a boolean or number (0-d) or C-order data of shape
 *   `whereShape` (default: `shape`), broadcast to `shape` (not enlarging
 *   it); an entry is true unless it is 0 or false.
 */

/**
 * scipy.special.log_softmax in float64.
 * @param {ArrayLike<number>} data C-order values
 * @param {number[]} shape
 * @param {null|undefined|number|number[]} axis null = all axes, [] = element-wise
 * @param {WhereOptions} [opts]
 * @returns {Float64Array}
 */
export function refLogSoftmax(data, shape, axis, opts) {
  return eachSlice(data, shape, axis, (xs, ys) => {
    const m = maxOf(xs);
    if (Number.isFinite(m)) {
      const L = logSumShifted(xs, m);
      for (let i = 0; i < xs.length; i++) {
        const hi = xs[i] - m;
        ys[i] = (hi - L) + diffError(xs[i], m, hi);
      }
    } else {
      // scipy replaces a non-finite max by 0 and lets IEEE arithmetic
      // produce the special values (inf - inf = NaN, and so on).
      let S = 0;
      for (let i = 0; i < xs.length; i++) S += Math.exp(xs[i]);
      for (let i = 0; i < xs.length; i++) ys[i] = xs[i] - Math.log(S);
    }
  }, opts, -Infinity);
}

/**
 * scipy.special.softmax in float64.
 * @param {ArrayLike<number>} data C-order values
 * @param {number[]} shape
 * @param {null|undefined|number|number[]} axis
 * @param {WhereOptions} [opts]
 * @returns {Float64Array}
 */
export function refSoftmax(data, shape, axis, opts) {
  return eachSlice(data, shape, axis, (xs, ys) => {
    // No guard for a non-finite max in scipy: x - m gives the NaNs.
    const m = maxOf(xs);
    for (let i = 0; i < xs.length; i++) ys[i] = expDiff(xs[i], m);
    const S = neumaierSum(ys);
    for (let i = 0; i < ys.length; i++) ys[i] /= S;
  }, opts, 0);
}

// -------------------------------------------------------------- logsumexp ---

/**
 * scipy's weighted logsumexp steps in float32 arithmetic, as scipy runs them
 * on float32 input: every operation rounded to float32, sums in index order.
 * Returns [value, sign].  Only its special values and signs are used: they
 * are float32's (terms underflow, sums overflow), not float64's.
 */
function lseSlice32(as, bs, returnSign) {
  const f = Math.fround;
  const exp = (v) => f(Math.exp(v)), log = (v) => f(Math.log(v));
  const masked = as.map((a, i) => (bs[i] === 0 ? -Infinity : a));
  const aMax = maxOf(masked);
  let m = 0, s = 0;
  for (let i = 0; i < masked.length; i++) {
    const atMax = masked[i] === aMax;
    m = f(m + bs[i] * (atMax ? 1 : 0)); // an infinite or NaN weight off the max: inf * 0 = NaN
    s = f(s + f(bs[i] * exp(f((atMax ? -Infinity : masked[i]) - aMax))));
  }
  if (s !== 0) s = f(s / m);
  const sgn = sign(f(s + 1)) * sign(m);
  if (s < -1) s = f(-s - 2);
  let value = f(f(f(Math.log1p(s)) + log(Math.abs(m))) + aMax);
  let valueSign = sgn;
  if (!returnSign && sgn < 0) value = NaN;
  if (!Number.isFinite(value)) {
    let direct = 0;
    for (let i = 0; i < as.length; i++) direct = f(direct + f(bs[i] * exp(as[i])));
    valueSign = sign(direct);
    value = log(returnSign ? Math.abs(direct) : direct);
  }
  return [value, valueSign];
}

/**
 * One slice of scipy's stable weighted logsumexp; returns [value, sign].
 * With `float32`, scipy's float32 steps decide the special values and the
 * sign; a finite result is the float64 one where that is finite with the
 * same sign (more accurate than float32's), else float32's.
 */
function lseSlice(as, bs, returnSign, float32 = false) {
  if (float32) {
    const [v32, s32] = lseSlice32(as, bs, returnSign);
    if (!Number.isFinite(v32)) return [v32, s32];
    const [v, s] = lseSlice(as, bs, returnSign);
    return Number.isFinite(v) && s === s32 ? [v, s] : [v32, s32];
  }
  // b == 0 masks an entry out of the stable formula, whatever a holds.
  const masked = as.map((a, i) => (bs[i] === 0 ? -Infinity : a));
  const aMax = maxOf(masked);
  // Terms at the max are split out: their weights sum to m, and the rest,
  // scaled by 1/m, go through log1p.
  let m = 0;
  const rest = compensatedSum();
  for (let i = 0; i < masked.length; i++) {
    if (masked[i] === aMax) m += bs[i];
    else rest.add(bs[i] * Math.exp(masked[i] - aMax));
  }
  let s = rest.total();
  if (s !== 0) s /= m;
  const sgn = sign(s + 1) * sign(m);
  if (s < -1) s = -s - 2; // log|1 + s| as log1p of a non-negative number
  let value = Math.log1p(s) + Math.log(Math.abs(m)) + aMax;
  let valueSign = sgn;
  if (!returnSign && sgn < 0) value = NaN;
  if (!Number.isFinite(value)) {
    // scipy's fallback: the direct sum over the original data, masked
    // entries included (0 * exp(inf) is NaN there).
    const direct = neumaierSum(as.map((a, i) => bs[i] * Math.exp(a)));
    valueSign = sign(direct);
    value = Math.log(returnSign ? Math.abs(direct) : direct);
  }
  return [value, valueSign];
}

/**
 * scipy.special.logsumexp in float64 (scipy >= 1.16 rules); with `float32`,
 * special values and signs as scipy's float32 arithmetic gives them.
 * With `where` (JAX's `where=`), only the entries where it is true take
 * part, as if the others were not in the slice at all: neither their a
 * (even inf or NaN) nor their b (even NaN) counts.  A slice with none gives
 * -inf with sign 0, the log of an empty sum.
 * @param {ArrayLike<number>} data C-order values of `a`
 * @param {number[]} shape shape of `a` ([] is treated as [1])
 * @param {{axis?: null|number|number[], keepdims?: boolean, b?: number|ArrayLike<number>,
 *          bShape?: number[], returnSign?: boolean, float32?: boolean,
 *          where?: boolean|number|ArrayLike<number|boolean>, whereShape?: number[]}} [opts]
 *   `b` is a number or C-order data of shape `bShape` (default: `shape`).
 *   `where` is a boolean or number (0-d) or C-order data of shape
 *   `whereShape` (default: the broadcast shape of a and b), broadcast to the
 *   broadcast shape of a and b without enlarging it.
 * @returns {{value: Float64Array, sign: Float64Array, shape: number[]}}
 *   `sign` is always filled; `value` is NaN where the sum is negative unless `returnSign`.
 */
export function refLogSumExp(data, shape, { axis = null, keepdims = false, b, bShape, returnSign = false, float32 = false, where, whereShape } = {}) {
  const aShape = shape.length === 0 ? [1] : shape;
  let bData, bShp;
  if (b === undefined) [bData, bShp] = [[1], [1]];
  else if (typeof b === 'number') [bData, bShp] = [[b], [1]];
  else [bData, bShp] = [b, bShape ?? aShape];
  if (bShp.length === 0) bShp = [1];
  const { full, aStrides, bStrides } = broadcast(aShape, bShp);
  const axes = axesOf(axis, full.length);
  const mask = maskOver(full, where, whereShape);
  const outShape = keepdims ? full.map((d, k) => (axes.includes(k) ? 1 : d))
    : full.filter((_, k) => !axes.includes(k));
  const nOut = size(outShape);
  const value = new Float64Array(nOut), sgn = new Float64Array(nOut);
  if (size(full) === 0) {
    value.fill(-Infinity);
    sgn.fill(-1);
    return { value, sign: sgn, shape: outShape };
  }
  const aS = slicesOf(full, axes, aStrides), bS = slicesOf(full, axes, bStrides);
  const mS = slicesOf(full, axes); // the mask is stored over the full shape
  const as = new Float64Array(aS.inner.length), bs = new Float64Array(aS.inner.length);
  for (let o = 0; o < aS.outer.length; o++) {
    let k = 0;
    for (let r = 0; r < as.length; r++) {
      if (mask && !mask[mS.outer[o] + mS.inner[r]]) continue;
      as[k] = data[aS.outer[o] + aS.inner[r]];
      bs[k++] = bData[bS.outer[o] + bS.inner[r]];
    }
    if (k === 0) {
      [value[o], sgn[o]] = [-Infinity, 0];
      continue;
    }
    [value[o], sgn[o]] = lseSlice(as.subarray(0, k), bs.subarray(0, k), returnSign, float32);
  }
  return { value, sign: sgn, shape: outShape };
}
