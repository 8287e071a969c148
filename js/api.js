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
function copyIn(h, at, data, n) {
  if (n > SMALL) h.set(data, at);
  else for (let i = 0; i < n; i++) h[at + i] = data[i];
}

/** n elements of h (float32 if f32, else float64) from `at`, into `out` or a fresh array like h. */
function copyOut(h, f32, at, n, out) {
  if (n > SMALL) {
    if (out === undefined) return h.slice(at, at + n);
    out.set(h.subarray(at, at + n));
    return out;
  }
  // The constructor named, not h.constructor: a property lookup, then a
  // construct call V8 cannot specialise.
  if (out === undefined) out = f32 ? new Float32Array(n) : new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = h[at + i];
  return out;
}

// The last `out` found in another buffer than its x, and that x.  A view's
// buffer never changes, so a call that repeats both skips reading the two
// buffers: about 35 ns in Node 20, where a [1, 10] call's kernel takes 80.
// Kept only where both buffers are small, since it keeps them alive until
// another `out` comes.
let apartOut = null, apartX = null;
const APART_BYTES = 1024;

/**
 * `out` the fast path takes: none, the input itself (in place, where the
 * result has x's length n), or a same-type array of the result's `length`
 * in another buffer.  Anything else goes through resolve(), which checks it.
 */
function fastOut(x, n, out, length) {
  if (out === undefined || (out === x && length === n)) return true;
  const Type = x instanceof Float32Array ? Float32Array : Float64Array;
  if (!(ArrayBuffer.isView(out) && out instanceof Type && out.length === length)) return false;
  if (out === apartOut && x === apartX) return true;
  const ob = out.buffer, xb = x.buffer;
  if (ob === xb) return false;
  if (ob.byteLength <= APART_BYTES && xb.byteLength <= APART_BYTES) apartOut = out, apartX = x;
  return true;
}

/**
 * Binds the functions to loaded kernels (see wasm.js).
 * @param {{exports: object, reserve: (bytes: number) => number, heap: () => object}} k
 */
export function bindApi(k) {
  const stream = bindStream(k);
  const { regions, put, take, takeInto } = stager(k);
  // The fast path's kernels, [float32, float64] for each op, looked up
  // once: a lookup by name on the exports object showed in a [1, 10] call.
  const fastKernels = (op) => [k.exports[KERNELS[op].f32], k.exports[KERNELS[op].f64]];
  const LOG_SOFTMAX = fastKernels('logSoftmax'), SOFTMAX = fastKernels('softmax'), LOG_SUM_EXP = fastKernels('logSumExp');
  /**
   * The plan of `rows` rows of `cols` in the fast path's slot (wasm.js),
   * written only where the slot holds another: calls tend to repeat a
   * shape, and rewriting it cost a [1, 10] call 8 ns.  Returns its address.
   * (A plan of two dims takes at most 6 words; the slot holds 8.)
   */
  function fastPlan(rows, cols) {
    const slot = k.plan;
    if (rows !== slot.rows || cols !== slot.cols) {
      k.heap().u32.set(encodeBlocks(planBlocks([rows, cols], [1])), slot.at >>> 2);
      slot.rows = rows;
      slot.cols = cols;
    }
    return slot.at;
  }

  /**
   * A fast-path call's operands: x's n elements (f32: float32, else
   * float64) at the arena base, with room for `outBytes` after them.
   * Returns the base.
   */
  function fastOperands(x, f32, n, outBytes) {
    const bytes = f32 ? 4 * n : 8 * n;
    const base = k.reserve(outBytes === 0 ? bytes : align16(bytes) + outBytes);
    const heap = k.heap();
    copyIn(f32 ? heap.f32 : heap.f64, f32 ? base / 4 : base / 8, x, n);
    return base;
  }

  // log_softmax and softmax run in place inside wasm memory: the kernel
  // overwrites the copy of x.  A mask sets the masked entries to -inf
  // before (so that they take no part in the max or the sum) and their
  // results to 0 or -inf after (unmask).
  //
  // The common call (fastRows) in memory at once is all of elementwise, so
  // that V8 inlines it into logSoftmax and softmax, and runRows into it; any
  // other call is elementwiseCall's.
  function elementwise(fn, kernels, x, opts) {
    const cols = fastRows(fn, x, opts);
    if (cols !== 0) {
      const given = opts?.out, n = x.length, f32 = x instanceof Float32Array;
      if (fastOut(x, n, given, n)) {
        if (!streams(f32 ? 4 * n : 8 * n)) return runRows(f32 ? kernels[0] : kernels[1], x, f32, n, cols, given);
        return elementwiseStream(fn, x, f32, n, Math.abs(cols), given);
      }
    }
    return elementwiseCall(fn, x, opts);
  }

  /** The common call in memory at once: one kernel over the rows of x, in place in wasm memory. */
  function runRows(kernel, x, f32, n, cols, out) {
    if (cols < 0) cols = -cols;
    const plan = fastPlan(n / cols, cols), base = fastOperands(x, f32, n, 0);
    kernel(base, base, plan);
    const heap = k.heap();
    return copyOut(f32 ? heap.f32 : heap.f64, f32, f32 ? base / 4 : base / 8, n, out);
  }

  function elementwiseStream(fn, x, f32, n, cols, given) {
    const out = given ?? new x.constructor(n);
    stream.run(fn, f32 ? 'f32' : 'f64', x, planBlocks([n / cols, cols], [1]), out);
    return out;
  }

  /** elementwise for any call but the common one (fastRows). */
  function elementwiseCall(fn, x, opts) {
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

  /** logsumexp of each row of a fast-path call (fastRows's `cols`): plan, data, then one result per row. */
  function rowsLogSumExp(x, f32, n, cols, out) {
    const scalar = cols < 0;
    if (scalar) cols = -cols;
    const rows = n / cols;
    if (streams(f32 ? 4 * n : 8 * n)) {
      const value = out ?? new x.constructor(rows);
      stream.run('logSumExp', f32 ? 'f32' : 'f64', x, planBlocks([rows, cols], [1]), value, null);
      return scalar ? value[0] : value;
    }
    const plan = fastPlan(rows, cols), base = fastOperands(x, f32, n, f32 ? 4 * rows : 8 * rows);
    const pOut = base + align16(f32 ? 4 * n : 8 * n);
    (f32 ? LOG_SUM_EXP[0] : LOG_SUM_EXP[1])(base, pOut, 0, plan);
    const heap = k.heap(), h = f32 ? heap.f32 : heap.f64, at = f32 ? pOut / 4 : pOut / 8;
    if (scalar && out === undefined) return h[at];
    const value = copyOut(h, f32, at, rows, out);
    return scalar ? value[0] : value;
  }

  function logSumExp(a, opts) {
    const cols = fastRows('logSumExp', a, opts);
    if (cols !== 0) {
      const given = opts?.out, n = a.length;
      if (fastOut(a, n, given, n / Math.abs(cols))) return rowsLogSumExp(a, a instanceof Float32Array, n, cols, given);
    }
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
    logSoftmax: (x, opts) => elementwise('logSoftmax', LOG_SOFTMAX, x, opts),
    softmax: (x, opts) => elementwise('softmax', SOFTMAX, x, opts),
    logSumExp,
  };
}
