// The wasm back end: logSoftmax, softmax and logSumExp over one loaded
// instance (wasm.js).  resolve() decides what a call means; this file only
// lays the operands out in wasm memory, calls one kernel and copies out.
import { fastRows, resolve, readHost, shapeResult, ArrayType } from './resolve.js';
import { planBlocks, encodeBlocks, encodeWeighted } from './plan.js';
import { KERNELS } from './exports.js';

const HOST = { read: readHost };

// Arithmetic, not `& ~15`: byte counts reach 2^32, past 32-bit bitwise ops.
const align16 = (n) => Math.ceil(n / 16) * 16;

// Up to this many elements, operands and results are copied by loop:
// TypedArray set and slice each cost a builtin call, and slice also looks
// up the species constructor, which a [1, 10] call notices (10-50 ns).
const SMALL = 32;

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

/** `out` the fast path takes: the input itself (in place), or a same-type array in another buffer. */
function fastOut(x, out) {
  if (out === undefined || out === x) return true;
  const Type = x instanceof Float32Array ? Float32Array : Float64Array;
  return ArrayBuffer.isView(out) && out instanceof Type && out.length === x.length && out.buffer !== x.buffer;
}

/**
 * Binds the functions to loaded kernels (see wasm.js).
 * @param {{exports: object, reserve: (bytes: number) => number, heap: () => object}} k
 */
export function bindApi(k) {
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
  // overwrites the copy of x.
  function elementwise(fn, x, opts) {
    const fast = fastRows(fn, x, opts);
    if (fast && fastOut(x, opts?.out)) return run(KERNELS[fn], rowsWords(fast.rows, fast.cols), x, opts?.out);
    const call = resolve(fn, x, opts, HOST);
    const out = call.out ?? new ArrayType[call.dtype](call.count);
    if (call.plan) run(KERNELS[fn], encodeBlocks(call.plan), call.x.data, out);
    return call.scalar ? out[0] : out;
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
  function rowsLogSumExp(x, { rows, cols, scalar }) {
    const f32 = x instanceof Float32Array;
    const words = rowsWords(rows, cols);
    const pData = align16(words.byteLength), pOut = pData + align16(x.byteLength);
    const base = k.reserve(pOut + rows * x.BYTES_PER_ELEMENT);
    const heap = k.heap(), h = f32 ? heap.f32 : heap.f64;
    writeOperands(heap, h, base, pData, words, x);
    k.exports[f32 ? KERNELS.logSumExp.f32 : KERNELS.logSumExp.f64](base + pData, base + pOut, 0, base);
    const at = (base + pOut) / x.BYTES_PER_ELEMENT;
    return scalar ? h[at] : copyOut(h, at, rows, undefined);
  }

  function logSumExp(a, opts) {
    const fast = fastRows('logSumExp', a, opts);
    if (fast) return rowsLogSumExp(a, fast);
    const call = resolve('logSumExp', a, opts, HOST);
    const Type = ArrayType[call.dtype], size = Type.BYTES_PER_ELEMENT;
    const value = call.out ?? new Type(call.count), sign = call.returnSign ? new Type(call.count) : null;
    if (call.empty) {
      value.fill(-Infinity);
      sign?.fill(-1); // scipy: sign(-inf)
    } else if (call.plan) {
      // Operands in the result's type: a float32 a with float64 b runs in float64.
      const as = (o) => (o.dtype === call.dtype ? o.data : Type.from(o.data));
      const aData = as(call.x), bData = call.b && as(call.b);
      const words = bData ? encodeWeighted(call.plan) : encodeBlocks(call.plan);
      // words, a, b, value, sign: each from a 16-byte boundary.
      const bytes = [words.byteLength, aData.byteLength, bData?.byteLength ?? 0, call.count * size, sign ? call.count * size : 0];
      const offsets = [];
      let end = 0;
      for (const n of bytes) offsets.push(end), (end += align16(n));
      const base = k.reserve(end);
      const [, pA, pB, pOut, pSign] = offsets.map((o) => base + o);
      const heap = k.heap(), h = heap[call.dtype];
      heap.u32.set(words, base >>> 2);
      h.set(aData, pA / size);
      if (bData) {
        h.set(bData, pB / size);
        k.exports[KERNELS.logSumExpWeighted[call.dtype]](pA, pB, pOut, sign ? pSign : 0, base);
      } else {
        k.exports[KERNELS.logSumExp[call.dtype]](pA, pOut, sign ? pSign : 0, base);
      }
      value.set(h.subarray(pOut / size, pOut / size + call.count));
      sign?.set(h.subarray(pSign / size, pSign / size + call.count));
    }
    return shapeResult(call, value, sign);
  }

  return {
    logSoftmax: (x, opts) => elementwise('logSoftmax', x, opts),
    softmax: (x, opts) => elementwise('softmax', x, opts),
    logSumExp,
  };
}
