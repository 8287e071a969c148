// What an adversarial case is, how it is scored on the wasm builds, and how
// kept cases are written to and read from tests/fixtures/adversarial.json.
//
// A case is { dtype: 'f32'|'f64', shape, axis, data, b? }.  It is judged
// only against the independent float64 reference (js/reference/float64.js) with
// the promised bounds (tests/helpers/bounds.js), never against the library.
import { refLogSoftmax, refSoftmax, refLogSumExp } from '../../js/reference/float64.js';
import { kind } from '../../js/reference/ulp.js';
import { BOUND32, RTOL64, ulpError, withinBound } from '../helpers/bounds.js';
import { FAMILIES } from './families.js';

export const FUNCTIONS = ['logSoftmax', 'softmax', 'logSumExp'];
export const ARRAY = { f32: Float32Array, f64: Float64Array };

/** The float64 reference of one function on a case. */
export function reference(fn, c) {
  if (fn === 'logSoftmax') return refLogSoftmax(c.data, c.shape, c.axis);
  if (fn === 'softmax') return refSoftmax(c.data, c.shape, c.axis);
  return refLogSumExp(c.data, c.shape, { axis: c.axis, b: c.b }).value;
}

function run(api, fn, c) {
  const opts = { shape: c.shape, axis: c.axis };
  // b only for logsumexp: it sends the call down the weighted kernel.
  if (fn === 'logSumExp' && c.b !== undefined) opts.b = c.b;
  const got = api[fn](c.data, opts);
  return typeof got === 'number' ? [got] : got;
}

/**
 * One element's error as a fraction of its bound (> 1 breaks it), and the
 * figure to report: ulps for float32, relative error for float64.
 */
function errorOf(dtype, fn, got, ref) {
  if (dtype === 'f32') {
    const u = ulpError('f32', fn, got, ref);
    return Number.isNaN(u) ? null : { ratio: u / BOUND32[fn], err: u };
  }
  const scale = fn === 'softmax' ? Math.abs(ref) : Math.max(1, Math.abs(ref));
  if (scale === 0) return got === 0 ? null : { ratio: Infinity, err: Infinity };
  const rel = Math.abs(got - ref) / scale;
  return { ratio: rel / RTOL64, err: rel };
}

/**
 * Scores one function of a case on every build.  `refs` may carry the
 * reference already computed (the climber reuses it across builds).
 * @returns {{build: string, fn: string, ratio: number, err: number, index: number,
 *            got: number, ref: number, ok: boolean, why?: string}[]}
 */
export function score(builds, fn, c, ref = reference(fn, c)) {
  const out = [];
  for (const { name, api } of builds) {
    const got = run(api, fn, c);
    const worst = { build: name, fn, ratio: 0, err: 0, index: -1, got: NaN, ref: NaN, ok: true };
    for (let i = 0; i < ref.length; i++) {
      const g = got[i], r = ref[i];
      if (kind(g) !== kind(r)) {
        Object.assign(worst, { ratio: Infinity, err: Infinity, index: i, got: g, ref: r, ok: false, why: 'special value' });
        break;
      }
      if (kind(r) !== 'finite') continue;
      const e = errorOf(c.dtype, fn, g, r);
      const ok = withinBound(c.dtype, fn, g, r);
      if (e && (e.ratio > worst.ratio || (!ok && worst.ok))) Object.assign(worst, e, { index: i, got: g, ref: r });
      if (!ok && worst.ok) Object.assign(worst, { ok: false, why: 'bound', index: i, got: g, ref: r });
    }
    out.push(worst);
  }
  return out;
}

// ------------------------------------------------------------ fixture I/O ---

const f32 = new Float32Array(1), u32 = new Uint32Array(f32.buffer);
const f64 = new Float64Array(1), u64 = new BigUint64Array(f64.buffer);

function hexOf(dtype, v) {
  if (dtype === 'f32') return (f32[0] = v, u32[0].toString(16).padStart(8, '0'));
  return (f64[0] = v, u64[0].toString(16).padStart(16, '0'));
}

function valueOf(dtype, hex) {
  if (dtype === 'f32') return (u32[0] = parseInt(hex, 16), f32[0]);
  return (u64[0] = BigInt(`0x${hex}`), f64[0]);
}

/** Bit patterns in hex, runs of one pattern written as "hex*count": masked rows stay short. */
export function encodeData(dtype, data) {
  const out = [];
  for (let i = 0; i < data.length;) {
    let j = i + 1;
    while (j < data.length && Object.is(data[j], data[i])) j++;
    const hex = hexOf(dtype, data[i]);
    out.push(j - i > 1 ? `${hex}*${j - i}` : hex);
    i = j;
  }
  return out;
}

export function decodeData(dtype, tokens) {
  const values = [];
  for (const t of tokens) {
    const [hex, count = '1'] = t.split('*');
    const v = valueOf(dtype, hex);
    for (let k = 0; k < Number(count); k++) values.push(v);
  }
  return ARRAY[dtype].from(values);
}

/**
 * A fixture entry for a case: short data as exact bit patterns; a case
 * built by a long family as that family's name and parameters, which
 * regenerate it exactly.
 */
export function encodeCase(c, found) {
  const where = { dtype: c.dtype, shape: c.shape, axis: c.axis };
  if (c.b !== undefined) where.b = c.b;
  const body = c.family && FAMILIES[c.family].long ? { family: c.family, params: c.params } : { data: encodeData(c.dtype, c.data) };
  return { ...where, ...body, found };
}

export function decodeCase(entry) {
  if (entry.family) return FAMILIES[entry.family].build(entry.params);
  const c = { dtype: entry.dtype, shape: entry.shape, axis: entry.axis, data: decodeData(entry.dtype, entry.data) };
  if (entry.b !== undefined) c.b = entry.b;
  return c;
}

/**
 * The case with every slice but the one holding element `index` replaced by
 * [0, -inf, -inf, ...]: slices side by side share only their lanes' code
 * path, so the kept slice's error usually survives, and the runs of -inf
 * keep the fixture entry short.  2-D short cases only (a long family's case
 * is kept as its parameters); others come back as they are.
 */
export function isolateSlice(c, index) {
  if (c.shape.length !== 2 || c.b !== undefined || (c.family && FAMILIES[c.family].long)) return c;
  const [rows, cols] = c.shape, column = c.axis === 0;
  const sliceOf = (i) => (column ? i % cols : Math.floor(i / cols));
  const firstOf = (i) => (column ? Math.floor(i / cols) === 0 : i % cols === 0);
  const keep = sliceOf(index), data = c.data.slice();
  for (let i = 0; i < rows * cols; i++) if (sliceOf(i) !== keep) data[i] = firstOf(i) ? 0 : -Infinity;
  return { ...c, data, family: undefined, params: undefined };
}
