// The argument rules of logSoftmax, softmax and logSumExp, for every back end,
// and those the jobs (topK, crossEntropy, sample) share.
// resolve() checks a call and turns it into a plan; the back ends (api.js for
// wasm, webgpu.js) only move data.  Every error is a TypeError or RangeError
// naming the argument and the value, thrown before anything is written.
import { planBlocks, planWeighted } from './plan.js';
import { rowGeometry } from './rows.js';

const MAX_DIMS = 64; // NumPy's limit, and the C kernels' cursor size

/** Short, readable description of any value for an error message. */
export function describe(v) {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (typeof v === 'number') return Object.is(v, -0) ? '-0' : String(v);
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v);
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'symbol' || typeof v === 'boolean') return String(v);
  if (typeof v === 'function') return 'a function';
  if (ArrayBuffer.isView(v)) return `${v.constructor.name}(${isDetached(v) ? 'detached' : v.length})`;
  if (Array.isArray(v)) {
    const items = v.slice(0, 6).map((e) => (Array.isArray(e) ? '[…]' : describe(e)));
    return `[${items.join(', ')}${v.length > 6 ? ', …' : ''}]`;
  }
  const name = Object.getPrototypeOf(v)?.constructor?.name;
  return name && name !== 'Object' ? `a ${name}` : 'an object';
}

function isDetached(view) {
  try {
    // Constructing a view over a detached buffer throws; nothing else does.
    new Uint8Array(view.buffer, 0, 0);
    return false;
  } catch {
    return true;
  }
}

export function shapeSize(shape) {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function checkShape(shape, name) {
  if (!Array.isArray(shape)) throw new TypeError(`${name} must be an array of integers; got ${describe(shape)}`);
  if (shape.length > MAX_DIMS) throw new RangeError(`${name} has ${shape.length} dimensions; at most ${MAX_DIMS} are supported`);
  let n = 1;
  shape.forEach((d, i) => {
    if (typeof d !== 'number') throw new TypeError(`${name}[${i}] must be an integer; got ${describe(d)}`);
    if (!Number.isInteger(d) || d < 0) {
      throw new RangeError(`${name}[${i}] must be a non-negative integer; got ${describe(d)}`);
    }
    n *= d;
  });
  if (n > Number.MAX_SAFE_INTEGER) throw new RangeError(`${name} [${shape.join(', ')}] has more than 2^53 elements`);
  return shape.slice();
}

/** Normalises `axis` (null/undefined, an int, or an array of ints) to a sorted list. */
export function normalizeAxes(axis, ndim, name = 'axis') {
  if (axis === null || axis === undefined) return [...Array(ndim).keys()];
  const list = Array.isArray(axis) ? axis : [axis];
  if (!Array.isArray(axis) && typeof axis !== 'number') {
    throw new TypeError(`${name} must be null, an integer or an array of integers; got ${describe(axis)}`);
  }
  const seen = new Set();
  list.forEach((a, i) => {
    const where = Array.isArray(axis) ? `${name}[${i}]` : name;
    if (typeof a !== 'number') throw new TypeError(`${where} must be an integer; got ${describe(a)}`);
    if (!Number.isInteger(a)) throw new RangeError(`${where} must be an integer; got ${describe(a)}`);
    if (Object.is(a, -0)) throw new RangeError(`${where} is -0, which is ambiguous; use 0 or -1`);
    if (a < -ndim || a >= ndim) {
      throw new RangeError(`${where} = ${a} is out of range for an array of ${ndim} dimension${ndim === 1 ? '' : 's'}`);
    }
    const k = a < 0 ? a + ndim : a;
    if (seen.has(k)) throw new RangeError(`${name} repeats dimension ${k}: ${describe(axis)}`);
    seen.add(k);
  });
  return [...seen].sort((p, q) => p - q);
}

/** NumPy broadcasting of two shapes; throws a RangeError naming `bName`. */
function broadcastShapes(aShape, bShape, aName, bName) {
  const nd = Math.max(aShape.length, bShape.length);
  const out = [];
  for (let k = 0; k < nd; k++) {
    const a = aShape[aShape.length - nd + k] ?? 1;
    const b = bShape[bShape.length - nd + k] ?? 1;
    if (a !== b && a !== 1 && b !== 1) {
      throw new RangeError(
        `${bName} of shape [${bShape.join(', ')}] cannot broadcast against ${aName} of shape [${aShape.join(', ')}]`);
    }
    out.push(a === 1 ? b : a);
  }
  return out;
}

/** C-order strides of `shape` seen through `full` (0 where broadcast). */
function broadcastStrides(shape, full) {
  const strides = new Array(full.length).fill(0);
  let stride = 1;
  for (let k = shape.length - 1; k >= 0; k--) {
    const d = full.length - shape.length + k;
    strides[d] = shape[k] === 1 ? 0 : stride;
    stride *= shape[k];
  }
  return strides;
}

/**
 * @typedef {'f16'|'bf16'|'f32'|'f64'} Dtype
 * @typedef {{data: any, shape: number[], count: number, dtype: Dtype, isNumber: boolean, bits?: boolean, device?: boolean}} Operand
 *   An input as a back end reads it: host data (a typed array, or a
 *   Float64Array copy of a number or nested arrays), or a device buffer.
 *   Half-precision data is a Float16Array, or a Uint16Array of the bits
 *   (`bits`), as runtimes without Float16Array and onnxruntime-web hand
 *   them out.
 */

/** The `dtype` option's names for the half-precision bit patterns a Uint16Array may hold. */
export const HALF_DTYPES = { float16: 'f16', bfloat16: 'bf16' };
const Float16 = globalThis.Float16Array;

/** Reads the `dtype` option: undefined, or the element type of Uint16Array operands. */
export function readDtype(dtype) {
  if (dtype === undefined) return undefined;
  if (typeof dtype !== 'string') throw new TypeError(`dtype must be 'float16' or 'bfloat16'; got ${describe(dtype)}`);
  if (!Object.hasOwn(HALF_DTYPES, dtype)) throw new RangeError(`dtype must be 'float16' or 'bfloat16'; got ${describe(dtype)}`);
  return HALF_DTYPES[dtype];
}

/**
 * Reads a host input: a Float32Array, a Float64Array, a Float16Array, a
 * Uint16Array of half-precision bits when `half` (the dtype option) says
 * which, nested arrays of numbers, or a number.  A typed array is flat: its
 * shape is `shapeOpt`, else `like` (the shape it is meant to match), else
 * its length.
 * @returns {Operand}
 */
export function readHost(x, name, shapeOpt, shapeName = 'shape', like = undefined, half = undefined) {
  let data, inferred, isNumber = false, dtype = 'f64', bits = false;
  const typed = x instanceof Float32Array || x instanceof Float64Array || (Float16 && x instanceof Float16) || x instanceof Uint16Array;
  if (typeof x === 'number') {
    data = new Float64Array([x]);
    inferred = [];
    isNumber = true;
  } else if (typed) {
    // A Proxy of a typed array (or an object with its prototype) passes
    // instanceof but has no buffer to copy from.
    if (!ArrayBuffer.isView(x)) {
      throw new TypeError(`${name} has a typed-array prototype but is not a typed array (a Proxy?); pass the array itself`);
    }
    if (isDetached(x)) throw new TypeError(`${name} is backed by a detached ArrayBuffer`);
    if (x instanceof Uint16Array) {
      if (half === undefined) {
        throw new TypeError(`${name} is a Uint16Array: give dtype 'float16' or 'bfloat16' to read it as half-precision bits`);
      }
      dtype = half;
      bits = true;
    } else {
      dtype = x instanceof Float32Array ? 'f32' : x instanceof Float64Array ? 'f64' : 'f16';
    }
    data = x;
    inferred = like ?? [x.length];
  } else if (Array.isArray(x)) {
    inferred = nestedShape(x, name);
    data = flattenNested(x, inferred, name);
  } else {
    throw new TypeError(`${name} must be a Float32Array, a Float64Array, a Float16Array, a Uint16Array with dtype, ` +
      `an array of numbers or a number; got ${describe(x)}`);
  }
  const shape = shapeOpt === undefined ? inferred : checkShape(shapeOpt, shapeName);
  const count = shapeSize(shape);
  if (count !== data.length) {
    throw new RangeError(`${shapeName} [${shape.join(', ')}] holds ${count} elements but ${name} has ${data.length}`);
  }
  return { data, shape, count, dtype, isNumber, bits };
}

function nestedShape(x, name) {
  const shape = [];
  for (let level = x; Array.isArray(level); level = level[0]) {
    shape.push(level.length);
    if (shape.length > MAX_DIMS) throw new RangeError(`${name} is nested more than ${MAX_DIMS} deep`);
    if (level.length === 0) break;
  }
  return shape;
}

function flattenNested(x, shape, name) {
  const out = new Float64Array(shapeSize(shape));
  let k = 0;
  const walk = (v, depth, path) => {
    if (depth === shape.length) {
      if (typeof v !== 'number') {
        throw new TypeError(`${name}${path} must be a number; got ${describe(v)}`);
      }
      out[k++] = v;
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[depth]) {
      throw new RangeError(
        `${name} is ragged: ${name}${path} should be an array of length ${shape[depth]}; got ${describe(v)}`);
    }
    for (let i = 0; i < v.length; i++) walk(v[i], depth + 1, `${path}[${i}]`);
  };
  walk(x, 0, '');
  return out;
}

export const ArrayType = { f32: Float32Array, f64: Float64Array };

/** The array type of a result of element type `dtype`: bits in a Uint16Array where the input was. */
export function resultType(dtype, bits) {
  if (dtype === 'f32' || dtype === 'f64') return ArrayType[dtype];
  return bits ? Uint16Array : Float16;
}

// Order of promotion, as NumPy 2 promotes: float16 and bfloat16 meet in
// float32, which neither holds the other's values exactly.
const RANK = { f16: 1, bf16: 1, f32: 2, f64: 3 };

/** The result's element type for a and b, as scipy (NumPy) promotes; a number b is weak. */
function promote(a, b) {
  if (!b || b.isNumber || b.dtype === a.dtype) return a.dtype;
  if (RANK[a.dtype] === RANK[b.dtype]) return 'f32';
  return RANK[a.dtype] > RANK[b.dtype] ? a.dtype : b.dtype;
}

/** A host `out`: a typed array of the result's type and length, not partly over the input. */
function checkHostOut(out, Type, count, input) {
  if (!(out instanceof Type)) {
    throw new TypeError(`out must be a ${Type.name} like the result; got ${describe(out)}`);
  }
  if (!ArrayBuffer.isView(out)) {
    throw new TypeError('out has a typed-array prototype but is not a typed array (a Proxy?); pass the array itself');
  }
  if (isDetached(out)) throw new TypeError('out is backed by a detached ArrayBuffer');
  if (out.length !== count) throw new RangeError(`out has length ${out.length}; the result has ${count}`);
  // Whole overlap is in place, which the back ends support: they read all
  // of the input before writing.  A partial one is a caller's slip.
  if (ArrayBuffer.isView(input) && out.buffer === input.buffer && out.byteOffset !== input.byteOffset) {
    const [s, e] = [out.byteOffset, out.byteOffset + out.byteLength];
    if (s < input.byteOffset + input.byteLength && input.byteOffset < e) {
      throw new RangeError('out partially overlaps the input; pass the input itself to compute in place');
    }
  }
}

/**
 * @typedef {object} Call  A checked call, all a back end needs.
 * @property {'logSoftmax'|'softmax'|'logSumExp'} fn
 * @property {Operand} x         the input (x, or logSumExp's a)
 * @property {Operand|null} b    logSumExp's weights; with a mask, 0 where it is false (see maskWeights)
 * @property {Dtype} dtype       the result's element type
 * @property {'f32'|'f64'} ctype the type the kernels compute in: float32 for the half types
 * @property {boolean} bits      the result is half-precision bits in a Uint16Array
 * @property {Uint8Array|null} where  the mask over x's elements (C order, nonzero keeps), for
 *                               the unweighted calls; null when every element counts
 * @property {number} count      the result's element count
 * @property {boolean} empty     a reduction over no elements: logSumExp gives -inf, sign -1
 * @property {import('./plan.js').BlockPlan|import('./plan.js').WeightedPlan|null} plan
 *                               null when there is nothing to compute (count 0, or empty)
 * @property {boolean} scalar    the result is one number rather than an array
 * @property {boolean} returnSign
 * @property {any} out
 */

/**
 * Checks a call of `fn` and plans it.
 * @param {{read: (v: any, name: string, shapeOpt: any, shapeName: string, like?: number[], half?: 'f16'|'bf16') => Operand,
 *          checkDeviceOut?: (out: any, x: Operand, count: number, type: Function) => void}} io
 *   how the back end reads its inputs (readHost, or device buffers too).
 * @returns {Call}
 */
export function resolve(fn, x, opts, io) {
  if (opts === undefined) opts = {};
  else if (opts === null || typeof opts !== 'object') throw new TypeError(`${fn} options must be an object; got ${describe(opts)}`);
  const half = readDtype(opts.dtype);
  const name = fn === 'logSumExp' ? 'a' : 'x';
  const input = io.read(x, name, opts.shape, 'shape', undefined, half);
  if (half !== undefined && !input.bits) {
    throw new TypeError(`dtype '${opts.dtype}' says how to read a Uint16Array of bits; ${name} is ${describe(x)}, which needs no dtype`);
  }
  if (fn !== 'logSumExp') return resolveElementwise(fn, input, opts, io);

  const a = input;
  const shape = a.shape.length === 0 ? [1] : a.shape; // scipy works on at least 1-d
  for (const flag of ['keepdims', 'returnSign']) {
    if (opts[flag] !== undefined && typeof opts[flag] !== 'boolean') {
      throw new TypeError(`${flag} must be a boolean; got ${describe(opts[flag])}`);
    }
  }
  let b = null;
  if (opts.b !== undefined) {
    if (ArrayBuffer.isView(opts.b) && opts.bShape === undefined && opts.b.length !== a.count) {
      throw new RangeError(`b has ${opts.b.length} elements; give bShape, or as many as a (${a.count})`);
    }
    // A flat b (typed array or buffer) is a's shape unless bShape says otherwise.
    b = io.read(opts.b, 'b', opts.bShape, 'bShape', shape, half);
    if (b.shape.length === 0) b.shape = [1];
  } else if (opts.bShape !== undefined) {
    throw new TypeError('bShape was given without b');
  }
  const full = b ? broadcastShapes(shape, b.shape, 'a', 'b') : shape;
  const where = readWhere(opts.where, opts.whereShape, full, b ? 'the broadcast of a and b' : 'a');
  const axes = normalizeAxes(opts.axis, full.length);
  const outShape = opts.keepdims ? full.map((d, i) => (axes.includes(i) ? 1 : d)) : full.filter((_, i) => !axes.includes(i));
  // As scipy promotes: float32 stays float32 only if b is float32 too (a
  // plain number b is "weak" and never promotes).
  const dtype = promote(a, b);
  const bits = a.bits && (dtype === 'f16' || dtype === 'bf16');
  const count = shapeSize(outShape);
  checkOut(opts.out, a, count, resultType(dtype, bits), io);
  const empty = shapeSize(full) === 0;
  // A masked entry of a weighted sum gets weight 0 and a = -inf: scipy
  // leaves a zero weight out of the stable sum, and its fallback, the direct
  // sum of b * exp(a), then adds 0 * 0 for it rather than 0 * exp(inf).
  let operand = a;
  if (b && where) [operand, b] = [maskOperand(a, full, where, -Infinity), maskOperand(b, full, where, 0)];
  let plan = null;
  if (!empty && count > 0) {
    plan = b ? planWeighted(full, broadcastStrides(operand.shape, full), broadcastStrides(b.shape, full), axes) : planBlocks(full, axes);
  }
  return {
    fn, x: operand, b, dtype, ctype: computeType(dtype), bits, where: b ? null : where, count, empty, plan,
    scalar: outShape.length === 0, returnSign: Boolean(opts.returnSign), out: opts.out,
  };
}

// log_softmax and softmax: one result per element.
function resolveElementwise(fn, input, opts, io) {
  const { shape, count } = input;
  const where = readWhere(opts.where, opts.whereShape, shape, 'x');
  const axes = normalizeAxes(opts.axis, shape.length);
  if (shapeSize(axes.map((a) => shape[a])) === 0) {
    throw new RangeError(`${fn} reduces over a zero-length axis (shape [${shape.join(', ')}], axis ${describe(opts.axis ?? null)})`);
  }
  checkOut(opts.out, input, count, resultType(input.dtype, input.bits), io);
  return {
    fn, x: input, b: null, dtype: input.dtype, ctype: computeType(input.dtype), bits: input.bits, where, count,
    empty: false, plan: count > 0 ? planBlocks(shape, axes) : null, scalar: input.isNumber, returnSign: false, out: opts.out,
  };
}

const computeType = (dtype) => (dtype === 'f64' ? 'f64' : 'f32');

function checkOut(out, input, count, Type, io) {
  if (out === undefined) return;
  if (input.device) io.checkDeviceOut(out, input, count, Type);
  else checkHostOut(out, Type, count, input.data);
}

// ------------------------------------------------------------------ where ---

/**
 * Reads the `where` mask: a Uint8Array (nonzero keeps), an array of
 * booleans or numbers (nested or flat, with `whereShape`), or a boolean.
 * It broadcasts to `full` (the shape of x, or of a and b) without enlarging
 * it.  Returns one byte per element of `full`, or null when nothing is
 * masked out (`where: true`, or left out).
 */
export function readWhere(where, whereShape, full, against) {
  if (where === undefined) {
    if (whereShape !== undefined) throw new TypeError('whereShape was given without where');
    return null;
  }
  let data, inferred;
  if (typeof where === 'boolean') {
    if (whereShape !== undefined) throw new TypeError('whereShape was given with a boolean where');
    return where ? null : new Uint8Array(shapeSize(full));
  } else if (where instanceof Uint8Array) {
    if (!ArrayBuffer.isView(where)) {
      throw new TypeError('where has a typed-array prototype but is not a typed array (a Proxy?); pass the array itself');
    }
    if (isDetached(where)) throw new TypeError('where is backed by a detached ArrayBuffer');
    if (whereShape === undefined && where.length !== shapeSize(full)) {
      throw new RangeError(`where has ${where.length} elements; give whereShape, or as many as ${against} (${shapeSize(full)})`);
    }
    data = where;
    inferred = full;
  } else if (Array.isArray(where)) {
    inferred = nestedShape(where, 'where');
    data = flattenMask(where, inferred);
  } else {
    throw new TypeError(`where must be a Uint8Array, an array of booleans or numbers, or a boolean; got ${describe(where)}`);
  }
  const shape = whereShape === undefined ? inferred : checkShape(whereShape, 'whereShape');
  if (shapeSize(shape) !== data.length) {
    throw new RangeError(`whereShape [${shape.join(', ')}] holds ${shapeSize(shape)} elements but where has ${data.length}`);
  }
  const fits = shape.length <= full.length &&
    shape.every((d, k) => d === 1 || d === full[full.length - shape.length + k]);
  if (!fits) {
    throw new RangeError(`where of shape [${shape.join(', ')}] cannot broadcast to the shape of ${against}, [${full.join(', ')}]`);
  }
  return shapeSize(shape) === shapeSize(full) ? data : expand(data, shape, full, Uint8Array);
}

/** Nested (or flat) booleans and numbers as bytes; a number counts as true where NumPy's bool() says so (nonzero, NaN too). */
function flattenMask(where, shape) {
  const out = new Uint8Array(shapeSize(shape));
  let k = 0;
  const walk = (v, depth, path) => {
    if (depth === shape.length) {
      if (typeof v !== 'boolean' && typeof v !== 'number') {
        throw new TypeError(`where${path} must be a boolean or a number; got ${describe(v)}`);
      }
      out[k++] = v ? 1 : Number.isNaN(v) ? 1 : 0;
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[depth]) {
      throw new RangeError(`where is ragged: where${path} should be an array of length ${shape[depth]}; got ${describe(v)}`);
    }
    for (let i = 0; i < v.length; i++) walk(v[i], depth + 1, `${path}[${i}]`);
  };
  walk(where, 0, '');
  return out;
}

/**
 * `data` of `shape` broadcast to `full` (which it fits), in C order, as a
 * new array of `Type`.  The innermost run is copied or filled at once.
 */
function expand(data, shape, full, Type) {
  const out = new Type(shapeSize(full));
  const strides = broadcastStrides(shape, full);
  const nd = full.length, last = full[nd - 1] ?? 1, step = strides[nd - 1] ?? 0;
  const idx = new Array(nd).fill(0);
  for (let at = 0; at < out.length; at += last) {
    let from = 0;
    for (let d = 0; d < nd - 1; d++) from += idx[d] * strides[d];
    if (step === 0) out.fill(data[from], at, at + last);
    else out.set(data.subarray(from, from + last), at);
    for (let d = nd - 2; d >= 0 && ++idx[d] === full[d]; d--) idx[d] = 0;
  }
  return out;
}

/**
 * Operand `o` broadcast to `full`, `fill` where the mask is false: a float
 * operand of the shape `full` (float32 for the half types, whose values it
 * holds exactly).
 */
function maskOperand(o, full, where, fill) {
  const Type = o.dtype === 'f64' ? Float64Array : Float32Array;
  const src = o.bits ? halfBitsToArray(o.data, o.dtype) : o.data;
  const data = expand(src instanceof Type ? src : Type.from(src), o.shape, full, Type);
  for (let i = 0; i < data.length; i++) if (!where[i]) data[i] = fill;
  return { data, shape: full, count: data.length, dtype: o.dtype === 'f64' ? 'f64' : 'f32', isNumber: o.isNumber, bits: false };
}

// ------------------------------------------------------------ half bits ---

const f32Of = new Float32Array(1), u32Of = new Uint32Array(f32Of.buffer);

/** The value of half-precision bits `h`: exact, as every float16 and bfloat16 value is a float32. */
export function halfBitsToNumber(h, dtype) {
  if (dtype === 'bf16') {
    u32Of[0] = h << 16;
    return f32Of[0];
  }
  const e = (h >> 10) & 31, m = h & 1023, s = h & 0x8000 ? -1 : 1;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (e ? 2 ** (e - 15) * (1 + m / 1024) : 2 ** -14 * (m / 1024));
}

function halfBitsToArray(bits, dtype) {
  return Float32Array.from(bits, (h) => halfBitsToNumber(h, dtype));
}

/** The value a call returns, from its result arrays: a number for a scalar result, {value, sign} with returnSign. */
export function shapeResult(call, value, sign) {
  const first = (arr) => (call.bits ? halfBitsToNumber(arr[0], call.dtype) : arr[0]);
  const v = call.scalar ? first(value) : value;
  if (!call.returnSign) return v;
  return { value: v, sign: call.scalar ? first(sign) : sign };
}

/**
 * The common call, recognised before resolve() at the cost of a few
 * comparisons: a non-empty typed array reduced over its last axis (1-D, or
 * 2-D with axis -1) or over everything, with no options beyond shape, axis
 * (and an `out` the caller checks).  Whatever
 * this does not recognise goes through resolve(), which also reports every
 * error.
 * @returns {number} 0 for any other call; else the length of its rows
 *   (x.length / rows), negative where the result is one number (logSumExp
 *   over everything).  A number rather than an object: a [1, 10] call
 *   noticed the allocation.
 */
export function fastRows(fn, x, opts) {
  // isView: a Proxy of a typed array passes instanceof but not this.
  if (!ArrayBuffer.isView(x) || !(x instanceof Float32Array || x instanceof Float64Array)) return 0;
  const n = x.length;
  if (n === 0) return 0;
  if (opts === undefined) return -n;
  if (opts === null || typeof opts !== 'object') return 0;
  if (opts.where !== undefined || opts.whereShape !== undefined || opts.dtype !== undefined) return 0;
  if (fn === 'logSumExp' && (opts.b !== undefined || opts.bShape !== undefined || opts.keepdims !== undefined ||
      opts.returnSign !== undefined)) return 0;
  const shape = opts.shape, axis = opts.axis;
  const all = axis === undefined || axis === null;
  // Object.is: axis -0 is an error, which resolve() reports.
  if (shape === undefined) return all || axis === -1 || Object.is(axis, 0) ? -n : 0;
  if (!Array.isArray(shape) || shape.length !== 2) return 0;
  const r = shape[0], c = shape[1];
  if (!(Number.isInteger(r) && Number.isInteger(c) && r > 0 && c > 0 && r * c === n)) return 0;
  if (all) return -n;
  return axis === -1 || axis === 1 ? c : 0;
}

// ------------------------------------------------------------------- jobs ---
// The argument rules that topK, crossEntropy and sample share: one input
// sliced along one axis into rows (js/rows.js), and plain option values.

/** A job's options: undefined is {}, anything but an object a TypeError. */
export function readOptions(opts, fn) {
  if (opts === undefined) return {};
  if (opts === null || typeof opts !== 'object') throw new TypeError(`${fn} options must be an object; got ${describe(opts)}`);
  return opts;
}

/** An integer in [lo, hi]: a TypeError for anything but a number, a RangeError for any other number. */
export function readInteger(v, name, lo, hi, range = `in ${lo}..${hi}`) {
  if (typeof v !== 'number') throw new TypeError(`${name} must be an integer ${range}; got ${describe(v)}`);
  if (!Number.isInteger(v) || v < lo || v > hi) throw new RangeError(`${name} must be an integer ${range}; got ${describe(v)}`);
  return v;
}

/** A number for which ok(v) holds (NaN never does), as `range` says. */
export function readNumber(v, name, ok, range) {
  if (typeof v !== 'number') throw new TypeError(`${name} must be a number ${range}; got ${describe(v)}`);
  if (!ok(v)) throw new RangeError(`${name} must be a number ${range}; got ${describe(v)}`);
  return v;
}

export function readBoolean(v, name) {
  if (typeof v !== 'boolean') throw new TypeError(`${name} must be a boolean; got ${describe(v)}`);
  return v;
}

/** One of the strings `choices`. */
export function readChoice(v, name, choices) {
  const list = choices.map((c) => `'${c}'`).join(', ');
  if (typeof v !== 'string') throw new TypeError(`${name} must be one of ${list}; got ${describe(v)}`);
  if (!choices.includes(v)) throw new RangeError(`${name} must be one of ${list}; got ${describe(v)}`);
  return v;
}

/**
 * A job's input (`name`), read as readHost reads it (with `dtype` for a
 * Uint16Array of half bits), sliced along the one axis `opts.axis`
 * (default -1) of length n >= 1.
 * @returns {{x: Operand, shape: number[], axis: number, g: {rows: number, n: number, outer: number, inner: number},
 *            ctype: 'f32'|'f64'}}
 */
export function readSlices(fn, x, opts, name) {
  const half = readDtype(opts.dtype);
  if (typeof x === 'number') throw new TypeError(`${fn}'s ${name} must be an array, not a number`);
  const input = readHost(x, name, opts.shape, 'shape', undefined, half);
  if (half !== undefined && !input.bits) {
    throw new TypeError(`dtype '${opts.dtype}' says how to read a Uint16Array of bits; ${name} is ${describe(x)}, which needs no dtype`);
  }
  const { shape } = input;
  if (shape.length === 0) throw new RangeError(`${fn}'s ${name} must have at least one dimension`);
  const axisOpt = opts.axis ?? -1;
  if (typeof axisOpt !== 'number') throw new TypeError(`axis must be an integer; got ${describe(axisOpt)}`);
  const [axis] = normalizeAxes(axisOpt, shape.length);
  const g = rowGeometry(shape, axis);
  if (g.n === 0) throw new RangeError(`${fn} slices along a zero-length axis (shape [${shape.join(', ')}], axis ${axisOpt})`);
  return { x: input, shape, axis, g, ctype: computeType(input.dtype) };
}
