// The WebGPU path: scipy.special's log_softmax, softmax and logsumexp as
// WGSL compute kernels (js/webgpu-wgsl.js), with the argument, shape and
// axis rules of the wasm API (js/plan.js).  A separate entry point
// (`logsoftmax/webgpu`), so wasm-only users never load it.
//
// Everything is float32 on the device.  Calls on one context run one after
// another (they share staging buffers); each resolves when its result is
// read back, or, for GPUBuffer input, as soon as the work is submitted and
// validated.
import {
  readArray, checkShape, normalizeAxes, planBlocks, planWeighted, broadcastShapes, broadcastStrides, shapeSize,
  describe,
} from './plan.js';
import { WG, mainKernel, weightedKernel } from './webgpu-wgsl.js';

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

const pow2Above = (n) => 2 ** Math.ceil(Math.log2(Math.max(1, n)));
const align = (n, a) => Math.ceil(n / a) * a;

/** dims [[size, stride...]...] of a plan's words from `at`, `width` words each. */
function planDims(words, at, count, width) {
  const dims = [];
  for (let d = 0; d < count; d++) dims.push(Array.from(words.subarray(at + d * width, at + (d + 1) * width)));
  return dims;
}

/** The uniform block: four header words, then one vec4u per dim. */
function paramsOf(header, dims) {
  const p = new Uint32Array(4 + 4 * Math.max(1, dims.length));
  p.set(header);
  dims.forEach((d, i) => p.set(d, 4 + 4 * i));
  return p;
}

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

  /** Reads `bytes` of each buffer back; never outlives the device. */
  async function readBack(buffers, bytes) {
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
    const out = buffers.map((_, i) => new Float32Array(range, i * stride, bytes / 4).slice());
    rb.unmap();
    return out;
  }

  /** Float32Array or GPUBuffer input, checked like the wasm API's. */
  function readInput(x, shapeOpt, name) {
    if (isGpuBuffer(x)) {
      if (!(x.usage & STORAGE)) throw new TypeError(`${name} is a GPUBuffer without STORAGE usage`);
      const shape = shapeOpt === undefined ? [Math.floor(x.size / 4)] : checkShape(shapeOpt, 'shape');
      const bytes = shapeSize(shape) * 4;
      if (x.size < bytes) {
        throw new RangeError(`${name} is a GPUBuffer of ${x.size} bytes; shape [${shape.join(', ')}] needs ${bytes}`);
      }
      return { buffer: x, shape, count: bytes / 4 };
    }
    if (!(x instanceof Float32Array)) {
      throw new TypeError(`the WebGPU path computes in float32: ${name} must be a Float32Array or a GPUBuffer; got ${describe(x)}`);
    }
    const { data, shape } = readArray(x, shapeOpt, name);
    return { data, shape, count: data.length };
  }

  function upload(role, input) {
    if (input.buffer) return input.buffer;
    const buf = stagingBuffer(role, input.count * 4, STORAGE | COPY_DST);
    device.queue.writeBuffer(buf, 0, input.data);
    return buf;
  }

  // COPY_DST: an empty reduction's -inf is written to them from the host.
  function resultBuffer(role, bytes, gpuOut) {
    if (!gpuOut) return stagingBuffer(role, bytes, STORAGE | COPY_SRC | COPY_DST);
    return device.createBuffer({ label: `logsoftmax ${role}`, size: align(Math.max(bytes, 4), 4), usage: STORAGE | COPY_SRC | COPY_DST });
  }

  function checkOut(out, input, count) {
    if (out === undefined) return;
    if (input.buffer) {
      if (!isGpuBuffer(out)) throw new TypeError(`out must be a GPUBuffer, as x is; got ${describe(out)}`);
      if (out === input.buffer) throw new RangeError('out is x: the WebGPU path does not work in place; pass another buffer');
      if (!(out.usage & STORAGE)) throw new TypeError('out is a GPUBuffer without STORAGE usage');
      if (out.size < count * 4) throw new RangeError(`out is a GPUBuffer of ${out.size} bytes; the result needs ${count * 4}`);
    } else {
      if (!(out instanceof Float32Array)) throw new TypeError(`out must be a Float32Array like the result; got ${describe(out)}`);
      if (out.length !== count) throw new RangeError(`out has length ${out.length}; the result has ${count}`);
    }
  }

  /** Encodes the main kernel for a planBlocks plan; returns nothing. */
  async function encodeMain(enc, op, plan, x, y, sign) {
    const [inner, run, nOuter, nRed] = plan;
    const dims = planDims(plan, 4, nOuter + nRed, 2);
    const nSlices = inner * shapeSize(dims.slice(0, nOuter).map((d) => d[0]));
    const len = run * shapeSize(dims.slice(nOuter).map((d) => d[0]));
    const cols = inner > 1;
    const G = threadsPerSlice(cols, len, inner);
    const sub = subgroups && G === WG;
    const online = passes === 'online';
    const key = `${op} ${cols ? 'cols' : 'rows'} G${G} o${nOuter} r${nRed}${sub ? ' sub' : ''}${online ? ' online' : ''}`;
    const pipe = await pipeline(key, mainKernel({ op, cols, G, nOuter, nRed, subgroups: sub, online }));
    const entries = [x, y, params(paramsOf([nSlices, len, inner, run], dims)), sign];
    dispatch(enc, pipe, entries, Math.ceil(nSlices / (WG / G)));
  }

  async function encodeWeighted(enc, plan, a, b, y, sign, wantSign) {
    const [nOuter, nRed] = plan;
    const dims = planDims(plan, 2, nOuter + nRed, 3);
    const nSlices = shapeSize(dims.slice(0, nOuter).map((d) => d[0]));
    const len = shapeSize(dims.slice(nOuter).map((d) => d[0]));
    const pipe = await pipeline(`weighted o${nOuter} r${nRed}`, weightedKernel({ nOuter, nRed }));
    // The header's third word carries returnSign (see weightedKernel).
    const entries = [a, y, params(paramsOf([nSlices, len, wantSign ? 1 : 0, 0], dims)), sign, b];
    dispatch(enc, pipe, entries, Math.ceil(nSlices / WG));
  }

  function params(words) {
    const buf = stagingBuffer('params', words.byteLength, UNIFORM | COPY_DST);
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

  function checkOptions(opts, fn) {
    if (opts === undefined) return {};
    if (opts === null || typeof opts !== 'object') throw new TypeError(`${fn} options must be an object; got ${describe(opts)}`);
    return opts;
  }

  // log_softmax and softmax share everything but the kernel.
  async function elementwise(x, opts, fn) {
    opts = checkOptions(opts, fn);
    const input = readInput(x, opts.shape, 'x');
    const { shape, count } = input;
    const axes = normalizeAxes(opts.axis, shape.length);
    if (shapeSize(axes.map((a) => shape[a])) === 0) {
      throw new RangeError(`${fn} reduces over a zero-length axis (shape [${shape.join(', ')}], axis ${describe(opts.axis ?? null)})`);
    }
    checkOut(opts.out, input, count);
    return serial(async () => {
      const gpuOut = Boolean(input.buffer);
      const y = opts.out && gpuOut ? opts.out : resultBuffer('y', count * 4, gpuOut);
      if (count > 0) {
        const xb = upload('x', input);
        await submit((enc) => encodeMain(enc, fn, planBlocks(shape, axes), xb, y, null));
      }
      if (gpuOut) return y;
      const out = opts.out ?? new Float32Array(count);
      if (count > 0) out.set((await readBack([y], count * 4))[0]);
      return out;
    });
  }

  function readWeights(opts, shape, count) {
    if (opts.b === undefined) {
      if (opts.bShape !== undefined) throw new TypeError('bShape was given without b');
      return null;
    }
    const b = opts.b;
    if (isGpuBuffer(b)) return readInput(b, opts.bShape ?? shape, 'b');
    // scipy promotes float32 a with float64 b (or a list) to float64; a
    // plain number is "weak" and stays float32.
    if (typeof b !== 'number' && !(b instanceof Float32Array)) {
      throw new TypeError(`the WebGPU path computes in float32: b must be a Float32Array, a number or a GPUBuffer; got ${describe(b)} ` +
        "(scipy's result for float64 weights is float64: use the wasm API, import { logSumExp } from 'logsoftmax')");
    }
    if (typeof b !== 'number' && opts.bShape === undefined && ArrayBuffer.isView(b) && b.length !== count) {
      throw new RangeError(`b has ${b.length} elements; give bShape, or as many as a (${count})`);
    }
    const w = readArray(b, opts.bShape ?? (ArrayBuffer.isView(b) ? shape : undefined), 'b', 'bShape');
    const data = w.data instanceof Float32Array ? w.data : Float32Array.from(w.data); // a number
    return { data, shape: w.shape.length === 0 ? [1] : w.shape, count: data.length };
  }

  async function logSumExp(a, opts) {
    opts = checkOptions(opts, 'logSumExp');
    const input = readInput(a, opts.shape, 'a');
    const shape = input.shape.length === 0 ? [1] : input.shape; // scipy works on at least 1-d
    for (const flag of ['keepdims', 'returnSign']) {
      if (opts[flag] !== undefined && typeof opts[flag] !== 'boolean') {
        throw new TypeError(`${flag} must be a boolean; got ${describe(opts[flag])}`);
      }
    }
    const weights = readWeights(opts, shape, input.count);
    const full = weights ? broadcastShapes(shape, weights.shape, 'a', 'b') : shape;
    const axes = normalizeAxes(opts.axis, full.length);
    const outShape = opts.keepdims ? full.map((d, i) => (axes.includes(i) ? 1 : d)) : full.filter((_, i) => !axes.includes(i));
    const nOut = shapeSize(outShape);
    checkOut(opts.out, input, nOut);

    return serial(async () => {
      const gpuOut = Boolean(input.buffer);
      const value = opts.out && gpuOut ? opts.out : resultBuffer('value', nOut * 4, gpuOut);
      const sign = resultBuffer('sign', nOut * 4, gpuOut && opts.returnSign);
      if (nOut > 0 && shapeSize(full) === 0) {
        // Empty reductions: -inf (scipy >= 1.14), sign -1 as the wasm path.
        device.queue.writeBuffer(value, 0, new Float32Array(nOut).fill(-Infinity));
        device.queue.writeBuffer(sign, 0, new Float32Array(nOut).fill(-1));
      } else if (nOut > 0) {
        const ab = upload('x', input);
        if (weights) {
          const bb = upload('b', weights);
          const plan = planWeighted(full, broadcastStrides(shape, full), broadcastStrides(weights.shape, full), axes);
          await submit((enc) => encodeWeighted(enc, plan, ab, bb, value, sign, Boolean(opts.returnSign)));
        } else {
          await submit((enc) => encodeMain(enc, 'logSumExp', planBlocks(full, axes), ab, value, sign));
        }
      }
      if (gpuOut) return opts.returnSign ? { value, sign } : value;
      let [v, s] = nOut > 0 ? await readBack([value, sign], nOut * 4) : [new Float32Array(0), new Float32Array(0)];
      if (opts.out) {
        opts.out.set(v);
        v = opts.out;
      }
      const scalar = outShape.length === 0;
      const result = scalar ? v[0] : v;
      return opts.returnSign ? { value: result, sign: scalar ? s[0] : s } : result;
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
    logSoftmax: (x, opts) => elementwise(x, opts, 'logSoftmax'),
    softmax: (x, opts) => elementwise(x, opts, 'softmax'),
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
