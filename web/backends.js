// The backends the playground compares, behind one async interface:
// backend.run(fn, x, opts) → result, for fn in logSoftmax | softmax | logSumExp.
// Used by the page and by the benchmark worker alike.
import { load } from '../js/index.js';
import { readHost } from '../js/resolve.js';
import { refLogSoftmax, refSoftmax, refLogSumExp } from '../js/reference/float64.js';

/** The float64 reference (js/reference/float64.js) with the library's calling convention. */
export const referenceApi = {
  logSoftmax: (x, { shape, axis, where } = {}) => refLogSoftmax(...dataAndShape(x, shape), axis, maskOf(where)),
  softmax: (x, { shape, axis, where } = {}) => refSoftmax(...dataAndShape(x, shape), axis, maskOf(where)),
  logSumExp(a, opts = {}) {
    const r = referenceLogSumExp(a, opts);
    const pick = (v) => (r.shape.length === 0 ? v[0] : v);
    return opts.returnSign ? { value: pick(r.value), sign: pick(r.sign) } : pick(r.value);
  },
};

/**
 * The reference logsumexp for library-style arguments, with its result shape.
 * @returns {{value: Float64Array, sign: Float64Array, shape: number[]}}
 */
export function referenceLogSumExp(a, { shape, axis, keepdims, b, bShape, returnSign, where } = {}) {
  const [data, aShape] = dataAndShape(a, shape, 'a');
  const weights = b === undefined || typeof b === 'number' ? b : readHost(b, 'b', bShape, 'bShape');
  return refLogSumExp(data, aShape, { axis, keepdims, returnSign, b: weights?.data ?? weights, bShape: weights?.shape, ...maskOf(where) });
}

/** A mask as the reference takes it: flat values and their shape (nested arrays or a boolean). */
function maskOf(where) {
  if (where === undefined || typeof where === 'boolean') return { where };
  const { data, shape } = readHost(where, 'where');
  return { where: data, whereShape: shape };
}

// The reference takes flat data and a shape; the library's own reader turns
// nested arrays and numbers into that (and rejects what the library rejects).
function dataAndShape(x, shape, name = 'x') {
  const r = readHost(x, name, shape);
  return [r.data, r.shape];
}

async function tryWebGpu() {
  if (typeof navigator === 'undefined' || !navigator.gpu) return null;
  try {
    const { createGpu } = await import('../js/webgpu.js');
    return await createGpu();
  } catch {
    return null; // no adapter, or js/webgpu.js is not there
  }
}

/**
 * Loads every backend this browser supports.
 * @returns {Promise<{id: string, label: string, float32Only?: boolean, has: (fn: string) => boolean,
 *                    run: (fn: string, x: any, opts: object) => Promise<any>}[]>}
 */
export async function loadBackends({ webgpu = true } = {}) {
  const wrap = (id, label, api, extra = {}) => ({
    id, label, ...extra,
    has: (fn) => typeof api[fn] === 'function',
    run: async (fn, x, opts) => api[fn](x, opts),
  });
  const list = [];
  // Each build this engine runs: relaxed SIMD (FMA) and SIMD128 can be missing.
  for (const [build, label] of [['relaxed', 'wasm relaxed SIMD'], ['simd', 'wasm SIMD'], ['scalar', 'wasm scalar']]) {
    const lsm = await load({ build }).catch((err) => {
      if (build === 'scalar') throw err; // every engine runs it
      return null;
    });
    if (lsm) list.push(wrap(build, label, lsm));
  }
  const gpu = webgpu ? await tryWebGpu() : null;
  if (gpu) list.push(wrap('webgpu', 'WebGPU', gpu, { float32Only: true }));
  list.push(wrap('reference', 'JS reference (float64)', referenceApi));
  return list;
}
