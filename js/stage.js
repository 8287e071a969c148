// Staging for the jobs' kernels (topK, crossEntropy, sample): regions of
// wasm memory for one call, rows in as the compute type (half-precision
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
const align16 = (n) => Math.ceil(n / 16) * 16;

/** @param {{exports: object, reserve: (bytes: number) => number, heap: () => object}} k */
export function stager(k) {
  /** Consecutive regions of `sizes` bytes, each from a 16-byte boundary: their addresses. */
  function regions(sizes) {
    let end = 0;
    const offsets = sizes.map((n) => ((end += align16(n)), end - align16(n)));
    const base = k.reserve(end);
    return offsets.map((o) => base + o);
  }

  /** `data` (elements of `dtype`) at address p as the compute type ct; halves go through `scratch`. */
  function put(heap, data, dtype, ct, p, scratch) {
    if (isHalf(dtype)) {
      heap.u16.set(bitsOf(data), scratch >>> 1);
      k.exports[HALF[dtype].widen](scratch, p, data.length);
    } else {
      heap[ct].set(data, p / BYTES[ct]);
    }
  }

  /** n results of the compute type at p, as a new array of `Type` (narrowed to `dtype` through `scratch`). */
  function take(heap, ct, p, n, dtype, scratch, Type) {
    if (isHalf(dtype)) {
      k.exports[HALF[dtype].narrow](p, scratch, n);
      const bits = heap.u16.slice(scratch >>> 1, (scratch >>> 1) + n);
      return Type === Uint16Array ? bits : new Type(bits.buffer);
    }
    return heap[ct].slice(p / BYTES[ct], p / BYTES[ct] + n);
  }

  /** n int32s at p, as a new Int32Array. */
  const takeInt32 = (heap, p, n) => new Int32Array(heap.u32.buffer, p, n).slice();

  return { regions, put, take, takeInt32 };
}
