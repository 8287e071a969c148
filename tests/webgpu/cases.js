// Shared by the two WebGPU implementations under test: the Chromium page
// (index.html) and the Deno runner (deno-runner.js) make the same contexts
// and run case lists the same way, and the Deno runner's messages go
// through encode/decode (JSON that keeps typed arrays, NaN, ±inf and -0).
// Half-precision data travels as Uint16Array bits both ways: a case with
// `float16: true` is turned into Float16Arrays here, in the runtime under
// test, and Float16Array results back into bits.
import { HALF_BITS } from '../../js/webgpu-wgsl.js';

/** The four contexts every case runs on: both kernel variants, each with and without subgroups. */
export async function makeContexts(createGpu) {
  const subgroups = await createGpu();
  const { device } = subgroups;
  // The shared contexts split dispatches of more than 128 workgroups over y.
  const shared = { device, subgroups: false, maxWorkgroupsPerDimension: 128 };
  return {
    subgroups,
    shared: await createGpu(shared),
    online: await createGpu({ device, passes: 'online' }),
    onlineShared: await createGpu({ ...shared, passes: 'online' }),
  };
}

/**
 * Runs `{fn, data, opts}` cases on the named back ends of `apis`; each result
 * is {value, sign?} or {error} (the error's name and message).
 */
export async function runCases(apis, cases, backends) {
  const out = [];
  for (const c of cases) {
    const { fn } = c;
    const data = c.float16 ? asFloat16(c.data) : c.data;
    const opts = c.float16 && c.opts?.b instanceof Uint16Array ? { ...c.opts, b: asFloat16(c.opts.b) } : c.opts;
    const results = {};
    for (const name of backends) {
      try {
        const r = await apis[name][fn](data, opts);
        // type: the result's array type, before half-precision results become bits.
        results[name] = typeof r === 'object' && !ArrayBuffer.isView(r)
          ? { value: asBits(r.value), sign: asBits(r.sign), type: r.value?.constructor?.name }
          : { value: asBits(r), type: r?.constructor?.name };
      } catch (err) {
        results[name] = { error: `${err.name}: ${err.message}` };
      }
    }
    out.push(results);
  }
  return out;
}

/** A Float16Array over the same bits (this runtime must have Float16Array). */
const asFloat16 = (bits) => new globalThis.Float16Array(bits.buffer, bits.byteOffset, bits.length);

/** A Float16Array's bits as a Uint16Array; anything else as it is. */
function asBits(v) {
  return globalThis.Float16Array && v instanceof globalThis.Float16Array ? new Uint16Array(v.buffer, v.byteOffset, v.length) : v;
}

const SENTINEL = 0xa5;
const USAGE = 0x80 | 0x4 | 0x8; // STORAGE | COPY_SRC | COPY_DST
const align4 = (n) => Math.ceil(n / 4) * 4;

/** A buffer holding `data`, then 16 sentinel bytes. */
function bufferOf(device, data) {
  const bytes = new Uint8Array(align4(data.byteLength) + 16).fill(SENTINEL);
  bytes.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  const buf = device.createBuffer({ size: bytes.length, usage: USAGE });
  device.queue.writeBuffer(buf, 0, bytes);
  return { buf, bytes };
}

async function readBytes(device, buf) {
  const rb = device.createBuffer({ size: buf.size, usage: 0x1 | 0x8 }); // MAP_READ | COPY_DST
  const enc = device.createCommandEncoder();
  enc.copyBufferToBuffer(buf, 0, rb, 0, buf.size);
  device.queue.submit([enc.finish()]);
  await rb.mapAsync(1);
  const out = new Uint8Array(rb.getMappedRange().slice(0));
  rb.destroy();
  return out;
}

const sameBytes = (a, b) => a.length === b.length && a.every((v, i) => v === b[i]);

/**
 * Runs cases with GPUBuffer operands: `data` (and, with `bBuffer`, opts.b)
 * uploaded into buffers with 16 sentinel bytes after them; with `withOut`
 * a sentinel-filled `out` buffer 16 bytes longer than the result is given.
 * Returns per backend {value, sign?} read back (`count` elements: float32,
 * or half bits where opts.dtype is given), and whether the inputs and the
 * bytes past the result in `out` are untouched; or {error}.
 */
export async function runBufferCases(gpus, cases, backends) {
  const out = [];
  for (const { fn, data, opts = {}, count, bBuffer = false, withOut = false } of cases) {
    const results = {};
    for (const name of backends) {
      const { device } = gpus[name];
      const half = opts.dtype !== undefined;
      const resultBytes = half ? 2 * count : 4 * count;
      const made = [];
      try {
        const x = bufferOf(device, data);
        made.push(x.buf);
        const inputs = [x];
        const call = { ...opts };
        if (bBuffer) {
          const b = bufferOf(device, opts.b);
          made.push(b.buf);
          inputs.push(b);
          call.b = b.buf;
        }
        let outBuf = null;
        if (withOut) {
          outBuf = device.createBuffer({ size: align4(resultBytes) + 16, usage: USAGE });
          device.queue.writeBuffer(outBuf, 0, new Uint8Array(outBuf.size).fill(SENTINEL));
          made.push(outBuf);
          call.out = outBuf;
        }
        const r = await gpus[name][fn](x.buf, call);
        const value = r.value ?? r;
        const Type = half ? Uint16Array : Float32Array;
        const read = async (buf) => new Type((await readBytes(device, buf)).buffer, 0, count);
        const res = { value: await read(value), sameOut: !withOut || value === outBuf };
        if (r.sign) res.sign = await read(r.sign);
        if (withOut) res.outTail = Array.from((await readBytes(device, outBuf)).subarray(resultBytes));
        res.inputsIntact = true;
        for (const { buf, bytes } of inputs) res.inputsIntact &&= sameBytes(await readBytes(device, buf), bytes);
        for (const buf of [value, r.sign]) if (buf && buf !== outBuf) made.push(buf);
        results[name] = res;
      } catch (err) {
        results[name] = { error: `${err.name}: ${err.message}` };
      }
      for (const buf of made) buf.destroy();
    }
    out.push(results);
  }
  return out;
}

/**
 * Runs one of the library's WGSL bit conversions (HALF_BITS: f16ToF32,
 * bf16ToF32, f32ToF16, f32ToBf16) on every word of `input`.
 */
export async function convertOnDevice(device, fn, input) {
  const code = `${HALF_BITS}
@group(0) @binding(0) var<storage, read> src: array<u32>;
@group(0) @binding(1) var<storage, read_write> dst: array<u32>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 64u;
  if (i < arrayLength(&src)) { dst[i] = ${fn}(src[i]); }
}`;
  const pipe = await device.createComputePipelineAsync({ layout: 'auto', compute: { module: device.createShaderModule({ code }), entryPoint: 'main' } });
  const src = device.createBuffer({ size: input.byteLength, usage: USAGE });
  const dst = device.createBuffer({ size: input.byteLength, usage: USAGE });
  device.queue.writeBuffer(src, 0, input);
  const enc = device.createCommandEncoder();
  const pass = enc.beginComputePass();
  pass.setPipeline(pipe);
  pass.setBindGroup(0, device.createBindGroup({ layout: pipe.getBindGroupLayout(0), entries: [src, dst].map((buffer, binding) => ({ binding, resource: { buffer } })) }));
  const groups = Math.ceil(input.length / 64);
  const gy = Math.ceil(groups / 65535);
  pass.dispatchWorkgroups(Math.ceil(groups / gy), gy);
  pass.end();
  device.queue.submit([enc.finish()]);
  const out = new Uint32Array((await readBytes(device, dst)).buffer);
  src.destroy();
  dst.destroy();
  return out;
}

const TYPED = { Float32Array, Float64Array, Uint16Array, Uint8Array, Uint32Array };

export function encode(v) {
  return JSON.stringify(v, (_, x) => {
    if (typeof x === 'number' && (!Number.isFinite(x) || Object.is(x, -0))) return { $n: Object.is(x, -0) ? '-0' : String(x) };
    if (ArrayBuffer.isView(x)) return { $typed: x.constructor.name, values: Array.from(x) };
    return x;
  });
}

export function decode(text) {
  return JSON.parse(text, (_, x) => {
    if (x && typeof x === 'object' && '$n' in x) return x.$n === '-0' ? -0 : Number(x.$n);
    if (x && typeof x === 'object' && '$typed' in x) return TYPED[x.$typed].from(x.values);
    return x;
  });
}

/** Runs each named attempt; what each did: 'no error', or the error's name and message. */
export async function outcomes(attempts) {
  const out = {};
  for (const [name, f] of Object.entries(attempts)) {
    try {
      await f();
      out[name] = 'no error';
    } catch (err) {
      out[name] = `${err.name}: ${err.message}`;
    }
  }
  return out;
}
