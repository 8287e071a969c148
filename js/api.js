// The wasm back end: logSoftmax, softmax and logSumExp over one loaded
// instance (wasm.js).  resolve() decides what a call means; this file only
// lays the operands out in wasm memory, calls one kernel and copies out.
import { fastRows, resolve, readHost, shapeResult, resultType } from './resolve.js';
import { planBlocks, encodeBlocks, encodeWeighted } from './plan.js';
import { KERNELS } from './exports.js';
import { bindStream, streams } from './stream.js';
import { stager, align16, isHalf, BYTES } from './stage.js';

const HOST = { read: readHost };

// Up to this many elements, operands and results are copied by loop:
// TypedArray set and slice each cost a builtin call, and slice also looks
// up the species constructor, which a [1, 10] call notices (10-50 ns).
const SMALL = 32;

/** -inf and -1, an empty reduction's value and sign, in each half type's bits. */
const HALF_BITS = { f16: { [-Infinity]: 0xfc00, [-1]: 0xbc00 }, bf16: { [-Infinity]: 0xff80, [-1]: 0xbf80 } };

/** n elements of `data` into h from element index `at`. */
function copyIn(h, at, data) {
  const n = data.length;
  if (n > SMALL) h.set(data, at);
  else for (let i = 0; i < n; i++) h[at + i] = data[i];
}

/** n elements of h from `at`, into `out` or a fresh array like h. */
function copyOut(h, at, n, out) {
  if (n > SMALL) {
    if (out === undefined) return h.slice(at, at + n);
    out.set(h.subarray(at, at + n));
    return out;
  }
  if (out === undefined) out = new h.constructor(n);
  for (let i = 0; i < n; i++) out[i] = h[at + i];
  return out;
}

/**
 * `out` the fast path takes: none, the input itself (in place, where the
 * result has x's length), or a same-type array of the result's `length` in
 * another buffer.  Anything else goes through resolve(), which checks it.
 */
function fastOut(x, out, length = x.length) {
  if (out === undefined || (out === x && length === x.length)) return true;
  const Type = x instanceof Float32Array ? Float32Array : Float64Array;
  return ArrayBuffer.isView(out) && out instanceof Type && out.length === length && out.buffer !== x.buffer;
}

/**
 * Binds the functions to loaded kernels (see wasm.js).
 * @param {{exports: object, reserve: (bytes: number) => number, heap: () => object}} k
 */
export function bindApi(k) {
  const stream = bindStream(k);
  const { regions, put, take, takeInto } = stager(k);
  // The encoded plan of the last fast-path call: calls tend to repeat a shape.
  let lastRows = 0, lastCols = 0, lastWords = null;
  function rowsWords(rows, cols) {
    if (rows !== lastRows || cols !== lastCols) {
      lastWords = encodeBlocks(planBlocks([rows, cols], [1]));
      lastRows = rows;
      lastCols = cols;
    }
    return lastWords;
  }

  /** Plan words at the arena base, then `data`; returns data's element index in `h`. */
  function writeOperands(heap, h, base, pData, words, data) {
    const u32 = heap.u32, p = base >>> 2, at = (base + pData) / data.BYTES_PER_ELEMENT;
    for (let i = 0; i < words.length; i++) u32[p + i] = words[i];
    copyIn(h, at, data);
    return at;
  }

  // log_softmax and softmax run in place inside wasm memory: the kernel
  // overwrites the copy of x.  A mask sets the masked entries to -inf
  // before (so that they take no part in the max or the sum) and their
  // results to 0 or -inf after (unmask).
  function elementwise(fn, x, opts) {
    const fast = fastRows(fn, x, opts);
    if (fast && fastOut(x, opts?.out)) {
      if (!streams(x.byteLength)) return run(KERNELS[fn], rowsWords(fast.rows, fast.cols), x, opts?.out);
      const out = opts?.out ?? new x.constructor(x.length);
      stream.run(fn, x instanceof Float32Array ? 'f32' : 'f64', x, planBlocks([fast.rows, fast.cols], [1]), out);
      return out;
    }
    const call = resolve(fn, x, opts, HOST);
    const n = call.count, ct = call.ctype, half = isHalf(call.dtype);
    const Type = resultType(call.dtype, call.bits);
    let out = call.out;
    if (call.plan && streamable(call, call.x)) {
      out ??= new Type(n);
      stream.run(fn, ct, call.x.data, call.plan, out);
    } else if (call.plan) {
      const words = encodeBlocks(call.plan);
      const [pW, pX, pM, pH] = regions([words.byteLength, n * BYTES[ct], call.where ? n : 0, half ? 2 * n : 0]);
      const heap = k.heap();
      heap.u32.set(words, pW >>> 2);
      put(heap, call.x.data, call.x.dtype, ct, pX, pH);
      if (call.where) {
        heap.u8.set(call.where, pM);
        k.exports[KERNELS.where[ct]](pX, pM, n, -Infinity);
      }
      k.exports[KERNELS[fn][ct]](pX, pX, pW);
      if (call.where) unmask(fn, ct, pX, pM, n, call.plan);
      out = out ? takeInto(heap, ct, pX, n, call.dtype, pH, out) : take(heap, ct, pX, n, call.dtype, pH, Type);
    } else {
      out ??= new Type(n);
    }
    return call.scalar ? out[0] : out;
  }

  /**
   * Masked results to 0 (softmax) or -inf (log_softmax).  The kernels leave
   * them so already (exp(-inf) = 0, and -inf - log S = -inf) in every slice
   * whose result is defined; in a slice that is fully masked (all -inf:
   * scipy's result is NaN), or that holds a NaN, or for softmax a +inf,
   * log S or 1/S is -inf or NaN and every result of the slice is NaN.  So
   * where slices are contiguous runs, long enough for a check per slice to
   * be cheaper than a pass, only those whose first result is NaN take the
   * mask again (a masked [64, 1000] call ran a tenth faster); other
   * layouts take it whole.
   */
  function unmask(fn, ct, pX, pM, n, plan) {
    const where = k.exports[KERNELS.where[ct]], fill = fn === 'softmax' ? 0 : -Infinity;
    const run = plan.run, size = BYTES[ct];
    if (plan.inner !== 1 || plan.reduced.length > 0 || run < 64) return where(pX, pM, n, fill);
    const h = k.heap()[ct], at = pX / size;
    for (let s = 0; s < n; s += run) if (Number.isNaN(h[at + s])) where(pX + s * size, pM + s, run, fill);
  }

  /**
   * Whether a call takes the streamed path: large, unmasked, and its
   * operand a typed array of the compute type (masks, half precision and
   * conversions keep the one-call path, whose memory grows with them).
   */
  function streamable(call, o) {
    const Type = call.ctype === 'f32' ? Float32Array : Float64Array;
    return !call.where && o.dtype === call.ctype && o.data instanceof Type && streams(o.data.byteLength) &&
      resultType(call.dtype, call.bits) === Type && (call.out === undefined || call.out === null || call.out.buffer !== o.data.buffer || call.out === o.data);
  }

  function run(kernel, words, data, out) {
    const f32 = data instanceof Float32Array;
    const pData = align16(words.byteLength);
    const base = k.reserve(pData + data.byteLength);
    const heap = k.heap(), h = f32 ? heap.f32 : heap.f64;
    const at = writeOperands(heap, h, base, pData, words, data);
    k.exports[f32 ? kernel.f32 : kernel.f64](base + pData, base + pData, base);
    return copyOut(h, at, data.length, out);
  }

  /** logsumexp of each row of a fast-path call: plan, data, then one result per row. */
  function rowsLogSumExp(x, { rows, cols, scalar }, out) {
    const f32 = x instanceof Float32Array;
    if (streams(x.byteLength)) {
      const value = out ?? new x.constructor(rows);
      stream.run('logSumExp', f32 ? 'f32' : 'f64', x, planBlocks([rows, cols], [1]), value, null);
      return scalar ? value[0] : value;
    }
    const words = rowsWords(rows, cols);
    const pData = align16(words.byteLength), pOut = pData + align16(x.byteLength);
    const base = k.reserve(pOut + rows * x.BYTES_PER_ELEMENT);
    const heap = k.heap(), h = f32 ? heap.f32 : heap.f64;
    writeOperands(heap, h, base, pData, words, x);
    k.exports[f32 ? KERNELS.logSumExp.f32 : KERNELS.logSumExp.f64](base + pData, base + pOut, 0, base);
    const at = (base + pOut) / x.BYTES_PER_ELEMENT;
    if (scalar && out === undefined) return h[at];
    const value = copyOut(h, at, rows, out);
    return scalar ? value[0] : value;
  }

  function logSumExp(a, opts) {
    const fast = fastRows('logSumExp', a, opts);
    if (fast && fastOut(a, opts?.out, fast.rows)) return rowsLogSumExp(a, fast, opts?.out);
    const call = resolve('logSumExp', a, opts, HOST);
    const Type = resultType(call.dtype, call.bits), n = call.count, ct = call.ctype, size = BYTES[ct];
    const value = call.out ?? new Type(n), sign = call.returnSign ? new Type(n) : null;
    if (call.empty) {
      // scipy: -inf, and sign(-inf)
      const fill = (arr, v) => (call.bits ? arr.fill(HALF_BITS[call.dtype][v]) : arr.fill(v));
      fill(value, -Infinity);
      if (sign) fill(sign, -1);
    } else if (call.plan && !call.b && streamable(call, call.x)) {
      stream.run('logSumExp', ct, call.x.data, call.plan, value, sign);
    } else if (call.plan) {
      const { x: A, b: B } = call;
      const words = B ? encodeWeighted(call.plan) : encodeBlocks(call.plan);
      const scratch = 2 * Math.max(A.count, B?.count ?? 0, n) * Number(isHalf(call.dtype) || isHalf(A.dtype) || isHalf(B?.dtype));
      const [pW, pA, pB, pOut, pSign, pM, pH] = regions([words.byteLength, A.count * size, B ? B.count * size : 0,
        n * size, sign ? n * size : 0, call.where ? A.count : 0, scratch]);
      const heap = k.heap();
      heap.u32.set(words, pW >>> 2);
      // Operands in the compute type: a float32 a with float64 b runs in float64.
      put(heap, A.data, A.dtype, ct, pA, pH);
      if (B) {
        put(heap, B.data, B.dtype, ct, pB, pH);
        k.exports[KERNELS.logSumExpWeighted[ct]](pA, pB, pOut, sign ? pSign : 0, pW);
      } else {
        if (call.where) {
          heap.u8.set(call.where, pM);
          k.exports[KERNELS.where[ct]](pA, pM, A.count, -Infinity);
        }
        k.exports[KERNELS.logSumExp[ct]](pA, pOut, sign ? pSign : 0, pW);
      }
      takeInto(heap, ct, pOut, n, call.dtype, pH, value);
      if (sign) takeInto(heap, ct, pSign, n, call.dtype, pH, sign);
    }
    return shapeResult(call, value, sign);
  }

  return {
    logSoftmax: (x, opts) => elementwise('logSoftmax', x, opts),
    softmax: (x, opts) => elementwise('softmax', x, opts),
    logSumExp,
  };
}
