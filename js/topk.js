// topK: the k largest entries along an axis, by the lsm_topk kernels
// (c/topk.h): selection, then a sort of the k alone.
import { readOptions, readSlices, readInteger, readBoolean, readChoice, resultType } from './resolve.js';
import { gatherRows, scatterRows } from './rows.js';
import { JOBS } from './exports.js';
import { stager, BYTES, isHalf, bitsOf, onBits } from './stage.js';

// The kernel's `of` codes (c/topk.h's TOPK_OF_*).
const OF = { x: 0, softmax: 1, logSoftmax: 2 };

/** Binds topK to loaded kernels (wasm.js). */
export function bindTopK(k) {
  const s = stager(k);

  /**
   * @param {any} x
   * @param {number} count  k, in 1..n
   * @param {{shape?: number[], axis?: number, of?: 'x'|'softmax'|'logSoftmax', sorted?: boolean, dtype?: string}} [opts]
   * @returns {{indices: Int32Array, values: any}} shaped as x with the axis replaced by k, C order
   */
  function topK(x, count, opts) {
    opts = readOptions(opts, 'topK');
    const sl = readSlices('topK', x, opts, 'x');
    const { rows, n } = sl.g;
    readInteger(count, 'k', 1, n, `in 1..${n} (the slice length)`);
    const of = readChoice(opts.of ?? 'x', 'of', Object.keys(OF));
    const sorted = readBoolean(opts.sorted ?? true, 'sorted');
    const { dtype, bits } = sl.x, ct = sl.ctype, Type = resultType(dtype, bits), half = isHalf(dtype);
    const out = { ...sl.g, n: count }; // the results' geometry: the axis holds k
    if (rows === 0) return { indices: new Int32Array(0), values: new Type(0) };
    const data = onBits(gatherRows, sl.x.data, sl.g);
    const [pX, pI, pV, pK, pH] = s.regions([rows * n * BYTES[ct], rows * count * 4, rows * count * BYTES[ct],
      2 * BYTES[ct] * n + 32768, half ? 2 * rows * n : 0]);
    const heap = k.heap();
    s.put(heap, data, dtype, ct, pX, pH);
    k.exports[JOBS.topK[ct]](pX, pI, pV, pK, rows, n, count, OF[of] | (sorted ? 4 : 0));
    const indices = s.takeInt32(heap, pI, rows * count);
    let values;
    if (half && of === 'x') {
      // The entries' own bits, not a round trip through float32 (which quiets signalling NaNs).
      const src = bitsOf(data), v = new Uint16Array(rows * count);
      for (let r = 0, at = 0; r < rows; r++) for (let j = 0; j < count; j++, at++) v[at] = src[r * n + indices[at]];
      values = Type === Uint16Array ? v : new Type(v.buffer);
    } else {
      values = s.take(heap, ct, pV, rows * count, dtype, pH, Type);
    }
    return { indices: onBits(scatterRows, indices, out), values: onBits(scatterRows, values, out) };
  }

  return { topK };
}
