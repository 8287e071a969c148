// crossEntropy: torch.nn.functional.cross_entropy along an axis, with its
// gradient, by the lsm_cross_entropy kernels (c/xent.h).
import {
  readOptions, readSlices, readInteger, readNumber, readBoolean, readChoice, readHost, resultType, describe, halfBitsToNumber,
} from './resolve.js';
import { gatherRows, scatterRows } from './rows.js';
import { JOBS } from './exports.js';
import { stager, BYTES, isHalf, onBits } from './stage.js';

const INTEGER_ARRAYS = [Int8Array, Int16Array, Int32Array, Uint8Array, Uint8ClampedArray, Uint16Array, Uint32Array];
const FloatArray = { f32: Float32Array, f64: Float64Array };

/** Whether two shapes are the same. */
const sameShape = (a, b) => a.length === b.length && a.every((d, i) => d === b[i]);

/**
 * The target: class indices (one per slice) or probabilities (logits'
 * shape), told apart by type and shape.  Indices are checked against
 * [0, n) and ignoreIndex.
 * @returns {{index: Int32Array} | {prob: Float64Array}} in the order of the slices (rows)
 */
function readTarget(target, sl, ignore) {
  const { rows, n } = sl.g, count = rows * n;
  const kept = sl.shape.filter((_, d) => d !== sl.axis);
  let values, probs = false;
  if (INTEGER_ARRAYS.some((T) => target instanceof T)) {
    if (!ArrayBuffer.isView(target)) throw new TypeError('target has a typed-array prototype but is not a typed array (a Proxy?)');
    if (target.length !== rows) {
      throw new RangeError(`target holds ${target.length} class indices; the logits have ${rows} slices (shape [${kept.join(', ')}])`);
    }
    values = target;
  } else if (ArrayBuffer.isView(target) && !(target instanceof DataView) && !(target instanceof BigInt64Array) &&
      !(target instanceof BigUint64Array)) {
    // A float typed array holds probabilities, of the logits' compute type.
    const Type = FloatArray[sl.ctype];
    if (target.length !== count) {
      throw new (target.length === rows ? TypeError : RangeError)(`target is a ${describe(target)}: class indices must be an ` +
        `integer typed array or plain integers, probabilities a ${Type.name} of the logits' ${count} elements`);
    }
    if (!(target instanceof Type)) {
      throw new TypeError(`target probabilities must be a ${Type.name} like the logits (or plain numbers); got ${describe(target)}`);
    }
    values = target;
    probs = true;
  } else if (Array.isArray(target) || typeof target === 'number') {
    const t = readHost(target, 'target');
    if (sameShape(t.shape, sl.shape) && !(rows === count && t.shape.length <= 1)) probs = true;
    else if (t.count === rows && (sameShape(t.shape, kept) || t.shape.length <= 1)) probs = false;
    else if (t.shape.length === 1 && t.count === count) probs = true;
    else {
      throw new RangeError(`target of shape [${t.shape.join(', ')}] fits neither class indices (shape [${kept.join(', ')}]) ` +
        `nor probabilities (shape [${sl.shape.join(', ')}])`);
    }
    values = t.data;
  } else {
    throw new TypeError(`target must be class indices (an integer typed array, integers) or probabilities (a float typed array, ` +
      `numbers); got ${describe(target)}`);
  }
  if (probs) return { prob: Float64Array.from(onBits(gatherRows, values, sl.g)) };
  const index = new Int32Array(rows);
  for (let i = 0; i < rows; i++) {
    const t = values[i];
    if (t === ignore) index[i] = -1;
    else if (Number.isInteger(t) && t >= 0 && t < n) index[i] = t;
        else {
      throw new RangeError(`target[${i}] = ${describe(t)} is out of range for ${n} classes (0..${n - 1}` +
        `${ignore === undefined ? '' : `, or ignoreIndex ${ignore}`})`);
    }
  }
  return { index };
}

/** Per-class weights: n finite-or-not numbers, as a Float64Array. */
function readWeight(weight, n) {
  if (weight === undefined) return null;
  let data;
  if (weight instanceof Float32Array || weight instanceof Float64Array) data = weight;
  else if (Array.isArray(weight)) data = readHost(weight, 'weight').data;
  else throw new TypeError(`weight must be a Float32Array, a Float64Array or an array of numbers; got ${describe(weight)}`);
  if (data.length !== n) throw new RangeError(`weight has ${data.length} elements; the logits have ${n} classes`);
  return Float64Array.from(data);
}

/** Binds crossEntropy to loaded kernels (wasm.js). */
export function bindCrossEntropy(k) {
  const s = stager(k);

  /**
   * @param {any} logits
   * @param {any} target  class indices (shape of logits without the axis) or probabilities (logits' shape)
   * @param {object} [opts]  shape, axis, reduction, labelSmoothing, ignoreIndex, weight, grad, dtype
   * @returns {number|any|{loss: any, grad: any}}
   */
  function crossEntropy(logits, target, opts) {
    opts = readOptions(opts, 'crossEntropy');
    const sl = readSlices('crossEntropy', logits, opts, 'logits');
    const { rows, n } = sl.g;
    const reduction = readChoice(opts.reduction ?? 'mean', 'reduction', ['mean', 'sum', 'none']);
    const eps = readNumber(opts.labelSmoothing ?? 0, 'labelSmoothing', (v) => v >= 0 && v <= 1, 'in [0, 1]');
    const wantGrad = readBoolean(opts.grad ?? false, 'grad');
    const ignore = opts.ignoreIndex === undefined ? undefined
      : readInteger(opts.ignoreIndex, 'ignoreIndex', -Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, '(a safe integer)');
    const weight = readWeight(opts.weight, n);
    const t = readTarget(target, sl, ignore);
    const { dtype, bits } = sl.x, ct = sl.ctype, Type = resultType(dtype, bits), half = isHalf(dtype);

    // 'mean': over the weights of the counted targets (indices), or the slices (probabilities).
    let denom = rows;
    if (t.index) {
      denom = 0;
      for (let i = 0; i < rows; i++) if (t.index[i] >= 0) denom += weight ? weight[t.index[i]] : 1;
    }
    const scale = reduction === 'mean' ? 1 / denom : 1;

    const size = BYTES[ct];
    const [pX, pT, pP, pW, pL, pG, pWork, pH] = s.regions([rows * n * size, t.index ? rows * 4 : 0,
      t.prob ? rows * n * 8 : 0, weight ? n * 8 : 0, Math.max(rows, 1) * 8, wantGrad ? rows * n * size : 0,
      wantGrad ? 0 : n * size, half ? 2 * Math.max(rows * n, 16) : 32]);
    const heap = k.heap();
    s.put(heap, onBits(gatherRows, sl.x.data, sl.g), dtype, ct, pX, pH);
    if (t.index) heap.u32.set(t.index, pT >>> 2);
    if (t.prob) heap.f64.set(t.prob, pP >>> 3);
    if (weight) heap.f64.set(weight, pW >>> 3);
    // No target matches -1 once readTarget has mapped ignoreIndex to it.
    k.exports[JOBS.crossEntropy[ct]](pX, t.index ? pT : 0, t.prob ? pP : 0, weight ? pW : 0, pL, wantGrad ? pG : 0, pWork,
      rows, n, -1, eps, scale);

    const perRow = heap.f64.slice(pL >>> 3, (pL >>> 3) + rows);
    let loss;
    if (reduction === 'none') {
      if (!half) {
        loss = ct === 'f64' ? perRow : Float32Array.from(perRow);
      } else {
        heap.f32.set(perRow, pL >>> 2); // through float32, narrowed by the kernel
        loss = s.take(heap, 'f32', pL, rows, dtype, pH, Type);
      }
    } else {
      let sum = 0;
      for (let i = 0; i < rows; i++) sum += perRow[i];
      const v = reduction === 'mean' ? sum / denom : sum;
      loss = half ? halfValue(v, dtype, heap, pL, pH) : dtype === 'f64' ? v : Math.fround(v);
    }
    if (!wantGrad) return loss;
    const grad = s.take(heap, ct, pG, rows * n, dtype, pH, Type);
    return { loss, grad: onBits(scatterRows, grad, sl.g) };
  }

  /** v rounded to a half type, as a number: through float32 and the narrowing kernel. */
  function halfValue(v, dtype, heap, p, scratch) {
    heap.f32[p >>> 2] = v;
    const [h] = s.take(heap, 'f32', p, 1, dtype, scratch, Uint16Array);
    return halfBitsToNumber(h, dtype);
  }

  return { crossEntropy };
}
