// The API over one loaded wasm instance.  index.js binds it to the shared
// instance that init() loads; tests bind the SIMD and scalar builds side by
// side to compare them.
import {
  readArray, normalizeAxes, planBlocks, planWeighted, broadcastShapes, broadcastStrides, shapeSize, describe, isDetached,
} from './plan.js';

const LOG_SOFTMAX = { f32: 'lsm_log_softmax_f32', f64: 'lsm_log_softmax_f64' };
const SOFTMAX = { f32: 'lsm_softmax_f32', f64: 'lsm_softmax_f64' };

/**
 * Binds the public functions to loaded kernels (see wasm.js).
 * @param {() => object} getKernels returns the kernels, or throws if there are none yet
 */
export function bindApi(getKernels) {
  // Arithmetic, not `& ~15`: byte counts reach 2^32, past 32-bit bitwise ops.
  const align16 = (n) => Math.ceil(n / 16) * 16;

  // The plan of the last fast-path call, since calls tend to repeat a shape.
  let lastRows = 0, lastCols = 0, lastPlan = null;
  function rowsPlan(rows, cols) {
    if (rows !== lastRows || cols !== lastCols) {
      lastPlan = planBlocks([rows, cols], [1]);
      lastRows = rows;
      lastCols = cols;
    }
    return lastPlan;
  }

  /**
   * The common call, recognised cheaply: a non-empty typed array, reduced
   * over its last axis (1-D, or 2-D with axis -1) or over everything.
   * Returns the rows, or null for the general path (which also reports
   * every error).  Options other than shape and axis are the caller's to check.
   * @returns {{rows: number, cols: number, scalar: boolean} | null}
   */
  function fastRows(x, opts) {
    // isView: a Proxy of a typed array passes instanceof but not this.
    if (!ArrayBuffer.isView(x) || !(x instanceof Float32Array || x instanceof Float64Array)) return null;
    const n = x.length;
    if (n === 0) return null;
    if (opts === undefined) return { rows: 1, cols: n, scalar: true };
    if (opts === null || typeof opts !== 'object') return null;
    const { shape, axis } = opts;
    const all = axis === undefined || axis === null;
    // Object.is: axis -0 is an error, which the general path reports.
    if (shape === undefined) return all || axis === -1 || Object.is(axis, 0) ? { rows: 1, cols: n, scalar: true } : null;
    if (!Array.isArray(shape) || shape.length !== 2) return null;
    const [r, c] = shape;
    if (!(Number.isInteger(r) && Number.isInteger(c) && r > 0 && c > 0 && r * c === n)) return null;
    if (all) return { rows: 1, cols: n, scalar: true };
    return axis === -1 || axis === 1 ? { rows: r, cols: c, scalar: false } : null;
  }

  /** logsumexp options beyond shape and axis, which only the general path handles. */
  function lseExtras(opts) {
    return opts !== undefined && (opts.b !== undefined || opts.bShape !== undefined ||
      opts.keepdims !== undefined || opts.returnSign !== undefined);
  }

  /** `out` the fast path takes: the input itself (in place), or a same-type array in another buffer. */
  function fastOut(x, out) {
    if (out === undefined || out === x) return true;
    const Type = x instanceof Float32Array ? Float32Array : Float64Array;
    return ArrayBuffer.isView(out) && out instanceof Type && out.length === x.length && out.buffer !== x.buffer;
  }

  // Up to this many elements, operands and results are copied by loop:
  // TypedArray set and slice each cost a builtin call, and slice also looks
  // up the species constructor, which a [1, 10] call notices (10-50 ns).
  const SMALL = 32;

  /** plan, then data, written from the arena base; returns data's element index. */
  function writeOperands(heap, h, base, pData, plan, data) {
    const u32 = heap.u32, p = base >>> 2, at = (base + pData) / data.BYTES_PER_ELEMENT, n = data.length;
    for (let i = 0; i < plan.length; i++) u32[p + i] = plan[i];
    if (n > SMALL) h.set(data, at);
    else for (let i = 0; i < n; i++) h[at + i] = data[i];
    return at;
  }

  /** n elements of h from at, into `out` or a fresh array like h. */
  function readResult(h, at, n, out) {
    if (n > SMALL) {
      if (out === undefined) return h.slice(at, at + n);
      out.set(h.subarray(at, at + n));
      return out;
    }
    if (out === undefined) out = h instanceof Float32Array ? new Float32Array(n) : new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = h[at + i];
    return out;
  }

  /**
   * log_softmax or softmax in place inside wasm memory: the plan, then the
   * data, which the kernel overwrites.  The result goes to `out`, or to a
   * fresh array when `out` is undefined.
   */
  function runInPlace(k, kernel, data, plan, out) {
    const f32 = data instanceof Float32Array;
    const pData = align16(plan.byteLength);
    const base = k.reserve(pData + data.byteLength);
    const heap = k.heap(), h = f32 ? heap.f32 : heap.f64;
    const at = writeOperands(heap, h, base, pData, plan, data);
    k.exports[f32 ? kernel.f32 : kernel.f64](base + pData, base + pData, base);
    return readResult(h, at, data.length, out);
  }

  /** logsumexp of each row: plan, data, then one result per row. */
  function runRowsLse(k, x, { rows, cols, scalar }) {
    const f32 = x instanceof Float32Array;
    const plan = rowsPlan(rows, cols);
    const pData = align16(plan.byteLength), pOut = pData + align16(x.byteLength);
    const base = k.reserve(pOut + rows * x.BYTES_PER_ELEMENT);
    const heap = k.heap(), h = f32 ? heap.f32 : heap.f64;
    writeOperands(heap, h, base, pData, plan, x);
    k.exports[f32 ? 'lsm_logsumexp_f32' : 'lsm_logsumexp_f64'](base + pData, base + pOut, 0, base);
    const at = (base + pOut) / x.BYTES_PER_ELEMENT;
    return scalar ? h[at] : readResult(h, at, rows, undefined);
  }

  function dtypeOf(data) {
    return data instanceof Float32Array ? 'f32' : 'f64';
  }

  const ArrayType = { f32: Float32Array, f64: Float64Array };

  function checkOptions(opts, fn) {
    if (opts === undefined) return {};
    if (opts === null || typeof opts !== 'object') throw new TypeError(`${fn} options must be an object; got ${describe(opts)}`);
    return opts;
  }

  function checkOut(out, data, Type) {
    if (out === undefined) return;
    if (!(out instanceof Type)) {
      throw new TypeError(`out must be a ${Type.name} like the result; got ${describe(out)}`);
    }
    if (!ArrayBuffer.isView(out)) {
      throw new TypeError('out has a typed-array prototype but is not a typed array (a Proxy?); pass the array itself');
    }
    if (isDetached(out)) throw new TypeError('out is backed by a detached ArrayBuffer');
    if (out.length !== data.length) throw new RangeError(`out has length ${out.length}; the result has ${data.length}`);
    if (out.buffer === data.buffer && out.byteOffset !== data.byteOffset) {
      const [s, e] = [out.byteOffset, out.byteOffset + out.byteLength];
      if (s < data.byteOffset + data.byteLength && data.byteOffset < e) {
        throw new RangeError('out partially overlaps the input; pass the input itself to compute in place');
      }
    }
  }

  // log_softmax and softmax share everything but the kernel.
  function elementwise(x, opts, fn, kernel) {
    const k = getKernels();
    const fast = fastRows(x, opts);
    if (fast && fastOut(x, opts?.out)) return runInPlace(k, kernel, x, rowsPlan(fast.rows, fast.cols), opts?.out);
    opts = checkOptions(opts, fn);
    const { data, shape, isNumber } = readArray(x, opts.shape, 'x');
    const axes = normalizeAxes(opts.axis, shape.length);
    const Type = ArrayType[dtypeOf(data)];
    checkOut(opts.out, data, Type);
    const reducedSize = shapeSize(axes.map((a) => shape[a]));
    if (reducedSize === 0) {
      throw new RangeError(`${fn} reduces over a zero-length axis (shape [${shape.join(', ')}], axis ${describe(opts.axis ?? null)})`);
    }
    const out = opts.out ?? new Type(data.length);
    if (data.length > 0) runInPlace(k, kernel, data, planBlocks(shape, axes), out);
    return isNumber ? out[0] : out;
  }

  // Documented in index.js and index.d.ts.
  function logSoftmax(x, opts) {
    return elementwise(x, opts, 'logSoftmax', LOG_SOFTMAX);
  }

  function softmax(x, opts) {
    return elementwise(x, opts, 'softmax', SOFTMAX);
  }

  function logSumExp(a, opts) {
    const k = getKernels();
    const fast = lseExtras(opts) ? null : fastRows(a, opts);
    if (fast) return runRowsLse(k, a, fast);
    opts = checkOptions(opts, 'logSumExp');
    let { data, shape } = readArray(a, opts.shape, 'a');
    if (shape.length === 0) shape = [1]; // scipy works on at least 1-d
    for (const flag of ['keepdims', 'returnSign']) {
      if (opts[flag] !== undefined && typeof opts[flag] !== 'boolean') {
        throw new TypeError(`${flag} must be a boolean; got ${describe(opts[flag])}`);
      }
    }
    let weights = null;
    if (opts.b !== undefined) {
      if (typeof opts.b !== 'number' && opts.bShape === undefined && ArrayBuffer.isView(opts.b) && opts.b.length !== data.length) {
        throw new RangeError(`b has ${opts.b.length} elements; give bShape, or as many as a (${data.length})`);
      }
      const bShapeDefault = ArrayBuffer.isView(opts.b) ? shape : undefined;
      weights = readArray(opts.b, opts.bShape ?? bShapeDefault, 'b', 'bShape');
      if (weights.shape.length === 0) weights.shape = [1];
    } else if (opts.bShape !== undefined) {
      throw new TypeError('bShape was given without b');
    }
    const full = weights ? broadcastShapes(shape, weights.shape, 'a', 'b') : shape;
    const axes = normalizeAxes(opts.axis, full.length);
    const keep = full.map((d, i) => (axes.includes(i) ? 1 : d));
    const outShape = opts.keepdims ? keep : full.filter((_, i) => !axes.includes(i));

    // dtype as scipy promotes: float32 stays float32 only if b is float32 too
    // (a plain number b is "weak" and never promotes).
    let dtype = dtypeOf(data);
    if (weights && !weights.isNumber && dtypeOf(weights.data) === 'f64') dtype = 'f64';
    const Type = ArrayType[dtype];
    const nOut = shapeSize(outShape);
    const value = new Type(nOut), sign = opts.returnSign ? new Type(nOut) : null;

    if (shapeSize(full) === 0) {
      value.fill(-Infinity);
      sign?.fill(-1); // scipy: sign(-inf)
    } else {
      const aData = dtypeOf(data) === dtype ? data : Float64Array.from(data);
      const bData = weights && (dtypeOf(weights.data) === dtype ? weights.data : Type.from(weights.data));
      const plan = weights
        ? planWeighted(full, broadcastStrides(shape, full), broadcastStrides(weights.shape, full), axes)
        : planBlocks(full, axes);
      const size = Type.BYTES_PER_ELEMENT;
      const layout = [plan.byteLength, aData.length * size, (bData?.length ?? 0) * size, nOut * size, sign ? nOut * size : 0];
      const offsets = [];
      let end = 0;
      for (const bytes of layout) offsets.push(end), (end += align16(bytes));
      const base = k.reserve(end);
      const [pPlan, pA, pB, pOut, pSign] = offsets.map((o) => base + o);
      const buf = k.memory.buffer;
      new Uint32Array(buf, pPlan, plan.length).set(plan);
      new Type(buf, pA, aData.length).set(aData);
      if (bData) {
        new Type(buf, pB, bData.length).set(bData);
        k.exports[`lsm_logsumexp_weighted_${dtype}`](pA, pB, pOut, sign ? pSign : 0, pPlan);
      } else {
        k.exports[`lsm_logsumexp_${dtype}`](pA, pOut, sign ? pSign : 0, pPlan);
      }
      value.set(new Type(buf, pOut, nOut));
      sign?.set(new Type(buf, pSign, nOut));
    }
    const scalar = outShape.length === 0;
    const v = scalar ? value[0] : value;
    if (!opts.returnSign) return v;
    return { value: v, sign: scalar ? sign[0] : sign };
  }

  return { logSoftmax, softmax, logSumExp };
}
