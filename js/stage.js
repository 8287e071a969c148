// Staging for the kernels' calls that take the general path (js/api.js's
// resolved calls, and the jobs: topK, crossEntropy, sample): regions of wasm
// memory for one call, operands in as the compute type (half-precision
// widened by the CONVERSIONS kernels), results out (narrowed back).  Copies
// are TypedArray set/slice: bit for bit, NaN payloads included.
import { CONVERSIONS } from './exports.js';

const HALF = { f16: CONVERSIONS.float16, bf16: CONVERSIONS.bfloat16 };
export const BYTES = { f32: 4, f64: 8 };
export const isHalf = (dtype) => Object.hasOwn(HALF, dtype);

/** The 16-bit patterns of a half-precision array (a Float16Array, or bits already). */
export const bitsOf = (a) => (a instanceof Uint16Array ? a : new Uint16Array(a.buffer, a.byteOffset, a.length));

/** An integer view of a float array's bits (float64 as it is: its copies keep every bit). */
const Float16 = globalThis.Float16Array;
const bitView = (a) => (a instanceof Float32Array ? new Uint32Array(a.buffer, a.byteOffset, a.length)
  : Float16 && a instanceof Float16 ? bitsOf(a) : a);

/** `fn` (gatherRows or scatterRows) on the bits of `a`, a result of a's type: bit for bit, as JS numbers may not carry NaN payloads. */
export function onBits(fn, a, g) {
  if (g.inner === 1) return a;
  const r = fn(bitView(a), g);
  return r.constructor === a.constructor ? r : new a.constructor(r.buffer);
}

// Arithmetic, not `& ~15`: byte counts reach 2^32, past 32-bit bitwise ops.
export const align16 = (n) => Math.ceil(n / 16) * 16;

/** @param {{exports: object, reserve: (bytes: number) => number, heap: () => object}} k */
export function stager(k) {
  /** Consecutive regions of `sizes` bytes, each from a 16-byte boundary: their addresses. */
  function regions(sizes) {
    let end = 0;
    const offsets = sizes.map((n) => ((end += align16(n)), end - align16(n)));
    const base = k.reserve(end);
    return offsets.map((o) => base + o);
  }

  /**
   * `data` (elements of `dtype`) at address p as the compute type ct.  Halves
   * go to `scratch` first and the kernel widens them: into p, or, in the rare
   * call that promotes them to float64 (half a with float64 b), into p's
   * upper half and then on to float64.  float32 <-> float64 is set()'s.
   */
  function put(heap, data, dtype, ct, p, scratch) {
    if (isHalf(dtype)) {
      const n = data.length, to = ct === 'f32' ? p : p + 4 * n;
      heap.u16.set(bitsOf(data), scratch >>> 1);
      k.exports[HALF[dtype].widen](scratch, to, n);
      if (ct === 'f64') heap.f64.set(heap.f32.subarray(to >>> 2, (to >>> 2) + n), p >>> 3);
    } else {
      heap[ct].set(data, p / BYTES[ct]);
    }
  }

  /** n results of the compute type at p, as a view of wasm memory: halves narrowed to `dtype`'s bits at `scratch`. */
  function results(heap, ct, p, n, dtype, scratch) {
    if (!isHalf(dtype)) return heap[ct].subarray(p / BYTES[ct], p / BYTES[ct] + n);
    k.exports[HALF[dtype].narrow](p, scratch, n);
    return heap.u16.subarray(scratch >>> 1, (scratch >>> 1) + n);
  }

  /** The results into `out`; returns out. */
  function takeInto(heap, ct, p, n, dtype, scratch, out) {
    (isHalf(dtype) ? bitsOf(out) : out).set(results(heap, ct, p, n, dtype, scratch));
    return out;
  }

  /**
   * The same into a new array of `Type`, by slice(): new memory written
   * once, where a zeroed array and set() wrote it twice (a [64, 1000]
   * float32 result took 15-20 us longer, a float16 one 60).  A Float16Array
   * takes the sliced bits' buffer.
   */
  function take(heap, ct, p, n, dtype, scratch, Type) {
    const r = results(heap, ct, p, n, dtype, scratch);
    if (r.constructor === Type) return r.slice();
    return isHalf(dtype) ? new Type(r.slice().buffer) : new Type(r);
  }

  /** n int32s at p, as a new Int32Array. */
  const takeInt32 = (heap, p, n) => new Int32Array(heap.u32.buffer, p, n).slice();

  return { regions, put, take, takeInto, takeInt32 };
}
