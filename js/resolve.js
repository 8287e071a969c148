// The argument rules of logSoftmax, softmax and logSumExp, for every back end.
// resolve() checks a call and turns it into a plan; the back ends (api.js for
// wasm, webgpu.js) only move data.  Every error is a TypeError or RangeError
// naming the argument and the value, thrown before anything is written.
import { planBlocks, planWeighted } from './plan.js';

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
 * @typedef {{data: any, shape: number[], count: number, dtype: 'f32'|'f64', isNumber: boolean, device?: boolean}} Operand
 *   An input as a back end reads it: host data (a typed array, or a
 *   Float64Array copy of a number or nested arrays), or a device buffer.
 */

/**
 * Reads a host input: a Float32Array, a Float64Array, nested arrays of
 * numbers, or a number.  A typed array is flat: its shape is `shapeOpt`,
 * else `like` (the shape it is meant to match), else its length.
 * @returns {Operand}
 */
export function readHost(x, name, shapeOpt, shapeName = 'shape', like = undefined) {
  let data, inferred, isNumber = false;
  if (typeof x === 'number') {
    data = new Float64Array([x]);
    inferred = [];
    isNumber = true;
  } else if (x instanceof Float32Array || x instanceof Float64Array) {
    // A Proxy of a typed array (or an object with its prototype) passes
    // instanceof but has no buffer to copy from.
    if (!ArrayBuffer.isView(x)) {
      throw new TypeError(`${name} has a typed-array prototype but is not a typed array (a Proxy?); pass the array itself`);
    }
    if (isDetached(x)) throw new TypeError(`${name} is backed by a detached ArrayBuffer`);
    data = x;
    inferred = like ?? [x.length];
  } else if (Array.isArray(x)) {
    inferred = nestedShape(x, name);
    data = flattenNested(x, inferred, name);
  } else {
    throw new TypeError(
      `${name} must be a Float32Array, a Float64Array, an array of numbers or a number; got ${describe(x)}`);
  }
  const shape = shapeOpt === undefined ? inferred : checkShape(shapeOpt, shapeName);
  const count = shapeSize(shape);
  if (count !== data.length) {
    throw new RangeError(`${shapeName} [${shape.join(', ')}] holds ${count} elements but ${name} has ${data.length}`);
  }
  return { data, shape, count, dtype: data instanceof Float32Array ? 'f32' : 'f64', isNumber };
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
 * @property {Operand|null} b    logSumExp's weights
 * @property {'f32'|'f64'} dtype the result's element type
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
 * @param {{read: (v: any, name: string, shapeOpt: any, shapeName: string, like?: number[]) => Operand,
 *          checkDeviceOut?: (out: any, x: Operand, count: number) => void}} io
 *   how the back end reads its inputs (readHost, or device buffers too).
 * @returns {Call}
 */
export function resolve(fn, x, opts, io) {
  if (opts === undefined) opts = {};
  else if (opts === null || typeof opts !== 'object') throw new TypeError(`${fn} options must be an object; got ${describe(opts)}`);
  if (fn !== 'logSumExp') return resolveElementwise(fn, x, opts, io);

  const a = io.read(x, 'a', opts.shape, 'shape');
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
    b = io.read(opts.b, 'b', opts.bShape, 'bShape', shape);
    if (b.shape.length === 0) b.shape = [1];
  } else if (opts.bShape !== undefined) {
    throw new TypeError('bShape was given without b');
  }
  const full = b ? broadcastShapes(shape, b.shape, 'a', 'b') : shape;
  const axes = normalizeAxes(opts.axis, full.length);
  const outShape = opts.keepdims ? full.map((d, i) => (axes.includes(i) ? 1 : d)) : full.filter((_, i) => !axes.includes(i));
  // As scipy promotes: float32 stays float32 only if b is float32 too (a
  // plain number b is "weak" and never promotes).
  const dtype = b && !b.isNumber && b.dtype === 'f64' ? 'f64' : a.dtype;
  const count = shapeSize(outShape);
  checkOut(opts.out, a, count, dtype, io);
  const empty = shapeSize(full) === 0;
  let plan = null;
  if (!empty && count > 0) {
    plan = b ? planWeighted(full, broadcastStrides(shape, full), broadcastStrides(b.shape, full), axes) : planBlocks(full, axes);
  }
  return { fn, x: a, b, dtype, count, empty, plan, scalar: outShape.length === 0, returnSign: Boolean(opts.returnSign), out: opts.out };
}

// log_softmax and softmax: one result per element.
function resolveElementwise(fn, x, opts, io) {
  const input = io.read(x, 'x', opts.shape, 'shape');
  const { shape, count } = input;
  const axes = normalizeAxes(opts.axis, shape.length);
  if (shapeSize(axes.map((a) => shape[a])) === 0) {
    throw new RangeError(`${fn} reduces over a zero-length axis (shape [${shape.join(', ')}], axis ${describe(opts.axis ?? null)})`);
  }
  checkOut(opts.out, input, count, input.dtype, io);
  return {
    fn, x: input, b: null, dtype: input.dtype, count, empty: false, plan: count > 0 ? planBlocks(shape, axes) : null,
    scalar: input.isNumber, returnSign: false, out: opts.out,
  };
}

function checkOut(out, input, count, dtype, io) {
  if (out === undefined) return;
  if (input.device) io.checkDeviceOut(out, input, count);
  else checkHostOut(out, ArrayType[dtype], count, input.data);
}

/** The value a call returns, from its result arrays: a number for a scalar result, {value, sign} with returnSign. */
export function shapeResult(call, value, sign) {
  const v = call.scalar ? value[0] : value;
  if (!call.returnSign) return v;
  return { value: v, sign: call.scalar ? sign[0] : sign };
}

/**
 * The common call, recognised before resolve() at the cost of a few
 * comparisons: a non-empty typed array reduced over its last axis (1-D, or
 * 2-D with axis -1) or over everything, with no options beyond shape, axis
 * (and, for log_softmax and softmax, an `out` the caller checks).  Whatever
 * this does not recognise goes through resolve(), which also reports every
 * error.
 * @returns {{rows: number, cols: number, scalar: boolean} | null}
 */
export function fastRows(fn, x, opts) {
  // isView: a Proxy of a typed array passes instanceof but not this.
  if (!ArrayBuffer.isView(x) || !(x instanceof Float32Array || x instanceof Float64Array)) return null;
  const n = x.length;
  if (n === 0) return null;
  if (opts === undefined) return { rows: 1, cols: n, scalar: true };
  if (opts === null || typeof opts !== 'object') return null;
  if (fn === 'logSumExp' && (opts.b !== undefined || opts.bShape !== undefined || opts.keepdims !== undefined ||
      opts.returnSign !== undefined || opts.out !== undefined)) return null;
  const { shape, axis } = opts;
  const all = axis === undefined || axis === null;
  // Object.is: axis -0 is an error, which resolve() reports.
  if (shape === undefined) return all || axis === -1 || Object.is(axis, 0) ? { rows: 1, cols: n, scalar: true } : null;
  if (!Array.isArray(shape) || shape.length !== 2) return null;
  const [r, c] = shape;
  if (!(Number.isInteger(r) && Number.isInteger(c) && r > 0 && c > 0 && r * c === n)) return null;
  if (all) return { rows: 1, cols: n, scalar: true };
  return axis === -1 || axis === 1 ? { rows: r, cols: c, scalar: false } : null;
}
