// The WebGPU path: scipy.special's log_softmax, softmax and logsumexp as
// WGSL compute kernels (js/webgpu-wgsl.js).  Calls are checked and planned by
// the wasm API's own resolver (js/resolve.js); this file reads GPU buffers,
// moves data and encodes the plans as uniforms.  A separate entry point
// (`logsoftmax/webgpu`), so wasm-only users never load it.
//
// The kernels compute in float32.  Half-precision operands (float16,
// bfloat16) are widened on the device and half-precision results rounded
// there once, by small element-wise passes that also apply `where` masks;
// calls that use neither run exactly the float32 work they always did.
// Calls on one context run one after another (they share staging buffers);
// each resolves when its result is read back, or, for GPUBuffer input, as
// soon as the work is submitted and validated.
import { resolve, readHost, checkShape, shapeSize, shapeResult, resultType, describe } from './resolve.js';
import { WG, mainKernel, weightedKernel, prepKernel, finishKernel } from './webgpu-wgsl.js';
import { bitsOf } from './stage.js';

// GPUBufferUsage / GPUMapMode values, spelled out so that this module also
// loads where the WebGPU globals are missing (it then rejects clearly).
const MAP_READ = 0x1, COPY_SRC = 0x4, COPY_DST = 0x8, UNIFORM = 0x40, STORAGE = 0x80;

// Compiled pipelines per device, shared by every context on that device
// (compiling is the slow part of a first call: ~0.1-1 s each on SwiftShader).
const pipelineCache = new WeakMap();

/** An Error with a `name` callers can test: 'GpuUnavailableError', 'GpuDeviceLostError'. */
function gpuError(name, message) {
  const err = new Error(message);
  err.name = name;
  return err;
}

/** True for the error a call rejects with once the device is lost: fall back to wasm then. */
export function isDeviceLost(err) {
  return err instanceof Error && err.name === 'GpuDeviceLostError';
}

const PASSES = ['three', 'online'];

/**
 * Creates a WebGPU context for logSoftmax, softmax and logSumExp.
 * @param {{device?: GPUDevice, subgroups?: boolean, maxWorkgroupsPerDimension?: number,
 *          passes?: 'three'|'online'}} [options]
 *   `device`: use this device (it is not destroyed by destroy()); left out,
 *   one is requested (with the `subgroups` feature where the adapter has it).
 *   `subgroups: false` forces the workgroup-memory reductions.
 *   `maxWorkgroupsPerDimension` lowers the point where dispatches split
 *   (default: the device's limit, usually 65,535); tests use it.
 *   `passes`: the unweighted kernels' variant: 'three' (default: max, sum,
 *   write) or 'online' (running max and sum in one pass, then the write).
 *   On SwiftShader 'three' was faster for every shape measured (README,
 *   ## WebGPU); 'online' reads x once less, which may pay off on a GPU
 *   whose memory bandwidth is the limit.
 * @returns {Promise<object>} see js/webgpu.d.ts
 */
export async function createGpu(options = {}) {
  if (options === null || typeof options !== 'object') {
    throw new TypeError(`createGpu options must be an object; got ${describe(options)}`);
  }
  if (options.subgroups !== undefined && typeof options.subgroups !== 'boolean') {
    throw new TypeError(`createGpu option subgroups must be a boolean; got ${describe(options.subgroups)}`);
  }
  const split = options.maxWorkgroupsPerDimension;
  if (split !== undefined && !(Number.isInteger(split) && split >= 1)) {
    throw new RangeError(`createGpu option maxWorkgroupsPerDimension must be a positive integer; got ${describe(split)}`);
  }
  const passes = options.passes ?? 'three';
  if (!PASSES.includes(passes)) {
    throw new RangeError(`createGpu option passes must be one of ${PASSES.map((p) => `'${p}'`).join(', ')}; got ${describe(passes)}`);
  }
  const { device, owned } = await openDevice(options.device);
  const limit = Math.min(split ?? Infinity, device.limits.maxComputeWorkgroupsPerDimension);
  return makeGpu(device, owned, options.subgroups !== false && device.features.has('subgroups'), limit, passes);
}

async function openDevice(given) {
  if (given !== undefined) {
    if (given === null || typeof given !== 'object' || typeof given.createComputePipeline !== 'function') {
      throw new TypeError(`createGpu option device must be a GPUDevice; got ${describe(given)}`);
    }
    return { device: given, owned: false };
  }
  const gpu = globalThis.navigator?.gpu;
  if (!gpu) {
    throw gpuError('GpuUnavailableError',
      'WebGPU is not available: navigator.gpu is missing (no WebGPU in this browser or context; it needs a secure ' +
      'context such as https or localhost). Use the wasm API from "logsoftmax" instead.');
  }
  let adapter = null;
  try {
    adapter = await gpu.requestAdapter();
  } catch (err) {
    throw gpuError('GpuUnavailableError', `WebGPU is not available: navigator.gpu.requestAdapter() failed: ${err.message}`);
  }
  if (!adapter) {
    throw gpuError('GpuUnavailableError',
      'WebGPU is not available: navigator.gpu.requestAdapter() found no adapter (no usable GPU, or WebGPU is disabled)');
  }
  try {
    const device = await adapter.requestDevice({
      requiredFeatures: adapter.features.has('subgroups') ? ['subgroups'] : [],
      // Large inputs need more than the 128 MiB default binding size.
      requiredLimits: {
        maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
        maxBufferSize: adapter.limits.maxBufferSize,
      },
    });
    return { device, owned: true };
  } catch (err) {
    throw gpuError('GpuUnavailableError', `WebGPU is not available: adapter.requestDevice() failed: ${err.message}`);
  }
}

function isGpuBuffer(v) {
  return v !== null && typeof v === 'object' && typeof v.mapAsync === 'function' && typeof v.usage === 'number';
}

const Float16 = globalThis.Float16Array;

/** The resolver's half-precision dtypes, and their names in messages. */
const HALF = { f16: 'float16', bf16: 'bfloat16' };


/** Bytes of n results of `dtype` on the device: half-precision ones packed, in whole words. */
const deviceBytes = (dtype, n) => (HALF[dtype] ? align(2 * n, 4) : 4 * n);

/** float32 bits of what a masked-out entry's result becomes. */
const FILL = { softmax: 0, logSoftmax: 0xff800000 };

const pow2Above = (n) => 2 ** Math.ceil(Math.log2(Math.max(1, n)));
const align = (n, a) => Math.ceil(n / a) * a;

/** The uniform block (PARAMS in webgpu-wgsl.js): four header words, then one vec4u per dim. */
function paramsOf(header, dims) {
  const p = new Uint32Array(4 + 4 * Math.max(1, dims.length));
  p.set(header);
  dims.forEach((d, i) => p.set(d, 4 + 4 * i));
  return p;
}

/** A block plan's uniforms: slices, length, inner, run; (size, stride) per dim. */
const blockParams = (p) => paramsOf([p.slices, p.length, p.inner, p.run], [...p.outer, ...p.reduced].map((d) => [d.size, d.stride]));

/** A weighted plan's uniforms: slices, length, whether to return the sign; (size, strideA, strideB) per dim. */
const weightedParams = (p, wantSign) => paramsOf([p.slices, p.length, wantSign ? 1 : 0, 0],
  [...p.outer, ...p.reduced].map((d) => [d.size, d.strideA, d.strideB]));

/** Workgroups per dimension for `n` of them: y only where x would pass `limit`. */
function splitGroups(n, limit) {
  const gy = Math.ceil(n / limit);
  if (gy > limit) throw new RangeError(`the work needs ${n} workgroups, more than ${limit}^2`);
  return [Math.ceil(n / gy), gy];
}

/**
 * Threads per slice: about 4 elements a thread, at most a workgroup; in
 * column mode at most what leaves room for the neighbouring columns.
 */
function threadsPerSlice(cols, len, inner) {
  const want = Math.min(WG, pow2Above(Math.ceil(len / 4)));
  return cols ? Math.min(want, Math.max(1, WG / pow2Above(inner))) : want;
}

function makeGpu(device, owned, subgroups, groupLimit, passes) {
  let destroyed = false;
  let lostInfo = null;
  const lost = device.lost.then((info) => {
    lostInfo = { reason: info.reason, message: info.message };
    return lostInfo;
  });
  if (!pipelineCache.has(device)) pipelineCache.set(device, new Map());
  const pipelines = pipelineCache.get(device);
  const staging = new Map(); // role -> GPUBuffer, grown as needed and reused
  let queue = Promise.resolve();

  const lostError = () => gpuError('GpuDeviceLostError',
    `the WebGPU device was lost (${lostInfo?.reason ?? 'unknown'}${lostInfo?.message ? `: ${lostInfo.message}` : ''}); ` +
    'create a new context with createGpu(), or fall back to the wasm API from "logsoftmax"');

  function checkAlive() {
    if (destroyed) throw new Error('this WebGPU context was destroyed; create a new one with createGpu()');
    if (lostInfo) throw lostError();
  }

  // One call at a time: they share the staging buffers.
  function serial(fn) {
    const run = queue.then(() => {
      checkAlive();
      return fn();
    });
    queue = run.catch(() => {});
    return run;
  }

  function stagingBuffer(role, bytes, usage) {
    const have = staging.get(role);
    if (have && have.size >= bytes) return have;
    have?.destroy();
    const buf = device.createBuffer({ label: `logsoftmax ${role}`, size: align(Math.max(bytes, 2 * (have?.size ?? 0), 16), 16), usage });
    staging.set(role, buf);
    return buf;
  }

  function pipeline(key, code) {
    let p = pipelines.get(key);
    if (!p) {
      p = device.createComputePipelineAsync({
        label: `logsoftmax ${key}`,
        layout: 'auto',
        compute: { module: device.createShaderModule({ label: `logsoftmax ${key}`, code }), entryPoint: 'main' },
      });
      pipelines.set(key, p);
      p.catch(() => pipelines.delete(key));
    }
    return p;
  }

  /** Runs encoded work under error scopes; rejects with what WebGPU reported. */
  async function submit(encode) {
    device.pushErrorScope('out-of-memory');
    device.pushErrorScope('validation');
    const enc = device.createCommandEncoder();
    await encode(enc);
    device.queue.submit([enc.finish()]);
    const [validation, memory] = [await device.popErrorScope(), await device.popErrorScope()];
    if (lostInfo) throw lostError();
    if (memory) throw new RangeError(`WebGPU ran out of memory: ${memory.message}`);
    if (validation) throw new Error(`WebGPU rejected the work: ${validation.message}`);
  }

  /**
   * Reads n elements of `Type` (Float32Array, or Uint16Array for packed
   * halves) from each buffer; never outlives the device.
   */
  async function readBack(buffers, n, Type = Float32Array) {
    const bytes = align(n * Type.BYTES_PER_ELEMENT, 4);
    const stride = align(bytes, 8);
    const rb = stagingBuffer('readback', stride * buffers.length, MAP_READ | COPY_DST);
    await submit((enc) => buffers.forEach((b, i) => enc.copyBufferToBuffer(b, 0, rb, i * stride, bytes)));
    try {
      await Promise.race([rb.mapAsync(1 /* GPUMapMode.READ */, 0, stride * buffers.length),
        lost.then(() => Promise.reject(lostError()))]);
    } catch (err) {
      if (lostInfo || isDeviceLost(err)) throw lostError();
      throw err;
    }
    const range = rb.getMappedRange(0, stride * buffers.length);
    const out = buffers.map((_, i) => new Type(range, i * stride, n).slice());
    rb.unmap();
    return out;
  }

  /**
   * The resolver's reader for this back end: a GPUBuffer (read in place,
   * flat like a typed array: float32, or packed float16 / bfloat16 values
   * when `half`, the dtype option, says which), or a Float32Array, a
   * Float16Array or a Uint16Array of half-precision bits; b may also be a
   * number.  The kernels compute in float32.
   */
  function read(v, name, shapeOpt, shapeName, like, half) {
    if (isGpuBuffer(v)) {
      if (!(v.usage & STORAGE)) throw new TypeError(`${name} is a GPUBuffer without STORAGE usage`);
      const size = half ? 2 : 4;
      const shape = shapeOpt === undefined ? like ?? [Math.floor(v.size / size)] : checkShape(shapeOpt, shapeName);
      const count = shapeSize(shape);
      // Storage bindings are whole 4-byte words: an odd count of halves needs the padding.
      const bytes = deviceBytes(half ?? 'f32', count);
      if (v.size < bytes) {
        throw new RangeError(`${name} is a GPUBuffer of ${v.size} bytes; shape [${shape.join(', ')}] needs ${bytes}` +
          (half ? ` (${count} packed ${HALF[half]} values, in whole 4-byte words)` : ''));
      }
      return { data: v, shape, count, dtype: half ?? 'f32', isNumber: false, bits: Boolean(half), device: true };
    }
    const typed = v instanceof Float32Array || (Float16 && v instanceof Float16) || v instanceof Uint16Array;
    const kinds = `a Float32Array, ${Float16 ? 'a Float16Array, ' : ''}a Uint16Array of float16 or bfloat16 bits (with dtype)`;
    if (name === 'b' && typeof v !== 'number' && !typed) {
      throw new TypeError(`the WebGPU path computes in float32: b must be ${kinds}, a number or a GPUBuffer; got ${describe(v)} ` +
        "(scipy's result for float64 weights is float64: use the wasm API, import { logSumExp } from 'logsoftmax')");
    }
    if (name !== 'b' && !typed) {
      throw new TypeError(`the WebGPU path computes in float32: ${name} must be ${kinds} or a GPUBuffer; got ${describe(v)}`);
    }
    const o = readHost(v, name, shapeOpt, shapeName, like, half);
    // A number b is weak (scipy keeps float32): it is uploaded as float32.
    return o.isNumber ? { ...o, data: Float32Array.from(o.data), dtype: 'f32' } : o;
  }

  /** A GPUBuffer `out`; `Type` is the result's array type (Uint16Array: packed halves). */
  function checkDeviceOut(out, input, count, Type) {
    if (!isGpuBuffer(out)) throw new TypeError(`out must be a GPUBuffer, as x is; got ${describe(out)}`);
    if (out === input.data) throw new RangeError('out is x: the WebGPU path does not work in place; pass another buffer');
    if (!(out.usage & STORAGE)) throw new TypeError('out is a GPUBuffer without STORAGE usage');
    const bytes = Type === Uint16Array ? align(2 * count, 4) : count * 4;
    if (out.size < bytes) {
      throw new RangeError(`out is a GPUBuffer of ${out.size} bytes; the result needs ${bytes}` +
        (Type === Uint16Array ? ` (${count} packed half-precision values, in whole 4-byte words)` : ''));
    }
  }

  const io = { read, checkDeviceOut };

  function upload(role, input) {
    if (input.device) return input.data;
    if (HALF[input.dtype]) return uploadPadded(role, bitsOf(input.data));
    const buf = stagingBuffer(role, input.count * 4, STORAGE | COPY_DST);
    device.queue.writeBuffer(buf, 0, input.data);
    return buf;
  }

  /** Host data of any element size, padded to whole words (writeBuffer moves multiples of 4 bytes). */
  function uploadPadded(role, data) {
    const bytes = align(data.byteLength, 4);
    const buf = stagingBuffer(role, bytes, STORAGE | COPY_DST);
    if (data.byteLength !== bytes) {
      const padded = new Uint8Array(bytes);
      padded.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
      data = padded;
    }
    device.queue.writeBuffer(buf, 0, data);
    return buf;
  }

  /**
   * An operand as the kernels read it: float32, with -inf where `where` is 0.
   * Plain float32 goes as it is (uploaded, or the caller's buffer); otherwise
   * a pass widens and masks it into a staging buffer (the caller's buffer is
   * never written).  `mask` is the uploaded mask or null.
   */
  async function operand(enc, role, o, mask) {
    const src = upload(role, o);
    if (!HALF[o.dtype] && !mask) return src;
    const dst = stagingBuffer(`${role} f32`, o.count * 4, STORAGE);
    const pipe = await pipeline(`prep ${o.dtype}${mask ? ' mask' : ''}`, prepKernel({ src: HALF[o.dtype] ? o.dtype : 'f32', mask: Boolean(mask) }));
    dispatch(enc, pipe, [src, dst, params(new Uint32Array([o.count, 0, 0, 0]), `params ${role}`), mask], Math.ceil(o.count / WG));
    return dst;
  }

  /**
   * Writes n float32 results from `src` to `dst` as `dtype`, setting masked
   * entries to the float32 bits `fill` first; for float32 src is dst and the
   * pass only masks.
   */
  async function finish(enc, role, src, dst, dtype, n, mask, fill) {
    const half = Boolean(HALF[dtype]);
    const pipe = await pipeline(`finish ${dtype}${mask ? ' mask' : ''}`, finishKernel({ dst: half ? dtype : 'f32', mask: Boolean(mask) }));
    const words = params(new Uint32Array([n, fill, 0, 0]), `params ${role}`);
    dispatch(enc, pipe, [half ? src : null, dst, words, mask], Math.ceil((half ? Math.ceil(n / 2) : n) / WG));
  }

  /** A result read back as the call's array type: Float32Array, Float16Array, or Uint16Array bits. */
  async function readResults(call, buffers, n) {
    if (!HALF[call.dtype]) return readBack(buffers, n);
    const bits = await readBack(buffers, n, Uint16Array);
    return call.bits ? bits : bits.map((b) => new Float16(b.buffer, b.byteOffset, b.length));
  }

  /** Copies a result into the caller's host `out`: bit for bit for half precision. */
  function intoOut(out, v) {
    if (out instanceof Float32Array) out.set(v);
    else bitsOf(out).set(bitsOf(v));
    return out;
  }

  // COPY_DST: an empty reduction's -inf is written to them from the host.
  function resultBuffer(role, bytes, gpuOut) {
    if (!gpuOut) return stagingBuffer(role, bytes, STORAGE | COPY_SRC | COPY_DST);
    return device.createBuffer({ label: `logsoftmax ${role}`, size: align(Math.max(bytes, 4), 4), usage: STORAGE | COPY_SRC | COPY_DST });
  }

  /** Encodes the main kernel for a block plan. */
  async function encodeMain(enc, op, plan, x, y, sign) {
    const nOuter = plan.outer.length, nRed = plan.reduced.length;
    const cols = plan.inner > 1;
    const G = threadsPerSlice(cols, plan.length, plan.inner);
    const sub = subgroups && G === WG;
    const online = passes === 'online';
    const key = `${op} ${cols ? 'cols' : 'rows'} G${G} o${nOuter} r${nRed}${sub ? ' sub' : ''}${online ? ' online' : ''}`;
    const pipe = await pipeline(key, mainKernel({ op, cols, G, nOuter, nRed, subgroups: sub, online }));
    dispatch(enc, pipe, [x, y, params(blockParams(plan)), sign], Math.ceil(plan.slices / (WG / G)));
  }

  async function encodeWeighted(enc, plan, a, b, y, sign, wantSign) {
    const nOuter = plan.outer.length, nRed = plan.reduced.length;
    const pipe = await pipeline(`weighted o${nOuter} r${nRed}`, weightedKernel({ nOuter, nRed }));
    dispatch(enc, pipe, [a, y, params(weightedParams(plan, wantSign)), sign, b], Math.ceil(plan.slices / WG));
  }

  // One buffer per role: the uniforms of every dispatch in a submission
  // are written before it runs.
  function params(words, role = 'params') {
    const buf = stagingBuffer(role, words.byteLength, UNIFORM | COPY_DST);
    device.queue.writeBuffer(buf, 0, words);
    return buf;
  }

  function dispatch(enc, pipe, buffers, groups) {
    const entries = [];
    buffers.forEach((buffer, binding) => buffer && entries.push({ binding, resource: { buffer } }));
    const pass = enc.beginComputePass();
    pass.setPipeline(pipe);
    pass.setBindGroup(0, device.createBindGroup({ layout: pipe.getBindGroupLayout(0), entries }));
    pass.dispatchWorkgroups(...splitGroups(groups, groupLimit));
    pass.end();
  }

  /** The mask uploaded as bytes, four to a word, or null. */
  const uploadMask = (where) => (where ? uploadPadded('where', where) : null);

  // log_softmax and softmax share everything but the kernel.  With a mask,
  // masked entries become -inf before the kernel and their results 0 or
  // -inf after it, whatever it made of them: a slice masked out entirely
  // comes out as that too, not NaN.
  async function elementwise(fn, x, opts) {
    const call = resolve(fn, x, opts, io);
    const input = call.x, count = call.count;
    const half = Boolean(HALF[call.dtype]);
    return serial(async () => {
      const gpuOut = Boolean(input.device);
      const y = call.out && gpuOut ? call.out : resultBuffer('y', deviceBytes(call.dtype, count), gpuOut);
      if (call.plan && !half && !call.where) {
        const xb = upload('x', input);
        await submit((enc) => encodeMain(enc, fn, call.plan, xb, y, null));
      } else if (call.plan) {
        const mask = uploadMask(call.where);
        const yf = half ? stagingBuffer('y f32', count * 4, STORAGE) : y;
        await submit(async (enc) => {
          const xb = await operand(enc, 'x', input, mask);
          await encodeMain(enc, fn, call.plan, xb, yf, null);
          await finish(enc, 'y', yf, y, call.dtype, count, mask, FILL[fn]);
        });
      }
      if (gpuOut) return y;
      if (half) {
        const out = call.out ?? new (resultType(call.dtype, call.bits))(count);
        return count > 0 ? intoOut(out, (await readResults(call, [y], count))[0]) : out;
      }
      const out = call.out ?? new Float32Array(count);
      if (count > 0) out.set((await readBack([y], count))[0]);
      return out;
    });
  }

  async function logSumExp(a, opts) {
    // The resolver masks a weighted sum on the host (a = -inf, b = 0 where
    // the mask is false, both broadcast to the full shape), which it cannot
    // do to a GPUBuffer.
    if (opts !== null && typeof opts === 'object' && opts.b !== undefined && opts.where !== undefined && opts.where !== true &&
        (isGpuBuffer(opts.b) || isGpuBuffer(a))) {
      throw new TypeError('where with b cannot be combined with GPUBuffer operands on the WebGPU path: the mask of a weighted ' +
        'sum is applied to a and b on the host. Pass a and b as arrays, or set a = -inf and b = 0 at the masked entries ' +
        'yourself and leave out where');
    }
    const call = resolve('logSumExp', a, opts, io);
    const nOut = call.count;
    const half = Boolean(HALF[call.dtype]);
    if (half || call.where || (call.b && HALF[call.b.dtype]) || HALF[call.x.dtype]) return logSumExpConverted(call);
    return serial(async () => {
      const gpuOut = Boolean(call.x.device);
      const value = call.out && gpuOut ? call.out : resultBuffer('value', nOut * 4, gpuOut);
      const sign = resultBuffer('sign', nOut * 4, gpuOut && call.returnSign);
      if (nOut > 0 && call.empty) {
        // Empty reductions: -inf (scipy >= 1.14), sign -1 as the wasm path.
        device.queue.writeBuffer(value, 0, new Float32Array(nOut).fill(-Infinity));
        device.queue.writeBuffer(sign, 0, new Float32Array(nOut).fill(-1));
      } else if (call.plan) {
        const ab = upload('x', call.x);
        if (call.b) {
          const bb = upload('b', call.b);
          await submit((enc) => encodeWeighted(enc, call.plan, ab, bb, value, sign, call.returnSign));
        } else {
          await submit((enc) => encodeMain(enc, 'logSumExp', call.plan, ab, value, sign));
        }
      }
      if (gpuOut) return call.returnSign ? { value, sign } : value;
      let [v, s] = nOut > 0 ? await readBack([value, sign], nOut) : [new Float32Array(0), new Float32Array(0)];
      if (call.out) {
        call.out.set(v);
        v = call.out;
      }
      return shapeResult(call, v, s);
    });
  }

  /**
   * logSumExp with a mask or half-precision operands or result: operands
   * widened (and a masked out to -inf) first; a half-precision value and
   * sign computed into float32 staging buffers and rounded once.  A masked
   * weighted call has its mask in a and b already (-inf and 0, from the
   * resolver).
   */
  function logSumExpConverted(call) {
    const nOut = call.count;
    const half = Boolean(HALF[call.dtype]);
    return serial(async () => {
      const gpuOut = Boolean(call.x.device);
      const bytes = deviceBytes(call.dtype, nOut);
      const value = call.out && gpuOut ? call.out : resultBuffer('value', bytes, gpuOut);
      const sign = resultBuffer('sign', bytes, gpuOut && call.returnSign);
      const vf = half ? stagingBuffer('value f32', nOut * 4, STORAGE | COPY_DST) : value;
      const sf = half ? stagingBuffer('sign f32', nOut * 4, STORAGE | COPY_DST) : sign;
      const round = async (enc) => {
        if (!half) return;
        await finish(enc, 'value', vf, value, call.dtype, nOut, null, 0);
        if (call.returnSign) await finish(enc, 'sign', sf, sign, call.dtype, nOut, null, 0);
      };
      if (nOut > 0 && call.empty) {
        // Empty reductions: -inf (scipy >= 1.14), sign -1 as the wasm path.
        device.queue.writeBuffer(vf, 0, new Float32Array(nOut).fill(-Infinity));
        device.queue.writeBuffer(sf, 0, new Float32Array(nOut).fill(-1));
        if (half) await submit(round);
      } else if (call.plan) {
        const mask = uploadMask(call.where);
        await submit(async (enc) => {
          const ab = await operand(enc, 'x', call.x, mask);
          if (call.b) {
            const bb = await operand(enc, 'b', call.b, null);
            await encodeWeighted(enc, call.plan, ab, bb, vf, sf, call.returnSign);
          } else {
            await encodeMain(enc, 'logSumExp', call.plan, ab, vf, sf);
          }
          await round(enc);
        });
      }
      if (gpuOut) return call.returnSign ? { value, sign } : value;
      const Type = resultType(call.dtype, call.bits);
      let [v, s] = nOut > 0 ? await readResults(call, [value, sign], nOut) : [new Type(0), new Type(0)];
      if (call.out) v = intoOut(call.out, v);
      return shapeResult(call, v, s);
    });
  }

  return {
    /** Whether reductions of whole workgroups use subgroup operations. */
    subgroups,
    /** The kernel variant: 'three' or 'online' (createGpu's `passes`). */
    passes,
    /** The device in use. */
    device,
    /** Resolves with {reason, message} when the device is lost (destroy() of an owned device included). */
    lost,
    logSoftmax: (x, opts) => elementwise('logSoftmax', x, opts),
    softmax: (x, opts) => elementwise('softmax', x, opts),
    logSumExp,
    /** Releases the staging buffers and pipelines (and the device, if createGpu requested it). */
    destroy() {
      if (destroyed) return;
      destroyed = true;
      for (const buf of staging.values()) buf.destroy();
      staging.clear();
      pipelineCache.delete(device); // other contexts on a given device recompile on demand
      if (owned) device.destroy();
    },
  };
}
