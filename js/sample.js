// sample: one draw per slice from softmax(logits / temperature) after the
// top-k, top-p and min-p filters, by the lsm_sample kernels (c/sample.h).
import { readOptions, readSlices, readInteger, readNumber, resultType, describe } from './resolve.js';
import { gatherRows } from './rows.js';
import { JOBS, RANDOM } from './exports.js';
import { stager, BYTES, isHalf, onBits } from './stage.js';

/** Binds sample to loaded kernels (wasm.js). */
export function bindSample(k) {
  const s = stager(k);

  /**
   * @param {any} logits
   * @param {{shape?: number[], axis?: number, temperature?: number, topK?: number, topP?: number, minP?: number,
   *          seed?: number, random?: () => number, dtype?: string}} [opts]
   * @returns {{indices: Int32Array, logProbs: any}} one per slice, shaped as logits without the axis
   */
  function sample(logits, opts) {
    opts = readOptions(opts, 'sample');
    const sl = readSlices('sample', logits, opts, 'logits');
    const { rows, n } = sl.g;
    const temperature = readNumber(opts.temperature ?? 1, 'temperature', (v) => v >= 0 && v < Infinity, '>= 0 (finite)');
    const topK = opts.topK === undefined ? 0 : readInteger(opts.topK, 'topK', 1, Infinity, '>= 1');
    const topP = opts.topP === undefined ? 1 : readNumber(opts.topP, 'topP', (v) => v > 0 && v <= 1, 'in (0, 1]');
    const minP = opts.minP === undefined ? 0 : readNumber(opts.minP, 'minP', (v) => v >= 0 && v <= 1, 'in [0, 1]');
    const { seed, random } = opts;
    if (seed !== undefined && random !== undefined) throw new TypeError('sample takes seed or random, not both');
    if (seed !== undefined) readInteger(seed, 'seed', -(2 ** 31), 2 ** 32 - 1, 'in -2^31..2^32-1 (32 bits)');
    if (random !== undefined && typeof random !== 'function') {
      throw new TypeError(`random must be a function returning numbers in [0, 1); got ${describe(random)}`);
    }
    // One uniform per slice, in slice order, drawn (and checked) before
    // anything is written.  temperature 0 is argmax and draws none.
    let u = null;
    if (temperature > 0 && seed === undefined && rows > 0) {
      const next = random ?? Math.random;
      u = new Float64Array(rows);
      for (let i = 0; i < rows; i++) {
        const v = next();
        if (typeof v !== 'number' || !(v >= 0 && v < 1)) {
          throw new RangeError(`random() returned ${describe(v)} for slice ${i}; it must return a number in [0, 1)`);
        }
        u[i] = v;
      }
    }
    const { dtype, bits } = sl.x, ct = sl.ctype, Type = resultType(dtype, bits), half = isHalf(dtype);
    if (rows === 0) return { indices: new Int32Array(0), logProbs: new Type(0) };
    const size = BYTES[ct];
    const [pX, pI, pL, pU, pWork, pScratch, pH] = s.regions([rows * n * size, rows * 4, rows * size, rows * 8,
      (2 * n + 16) * size, 16 * (n + 1) + 32768, half ? 2 * Math.max(rows * n, rows) : 0]);
    const heap = k.heap();
    s.put(heap, onBits(gatherRows, sl.x.data, sl.g), dtype, ct, pX, pH);
    if (u) heap.f64.set(u, pU >>> 3);
    else if (temperature > 0) k.exports[RANDOM.pcg32](seed >>> 0, pU, rows);
    k.exports[JOBS.sample[ct]](pX, pI, pL, pU, pWork, pScratch, rows, n, temperature, topK >= n ? 0 : topK, topP, minP);
    return { indices: s.takeInt32(heap, pI, rows), logProbs: s.take(heap, ct, pL, rows, dtype, pH, Type) };
  }

  return { sample };
}
