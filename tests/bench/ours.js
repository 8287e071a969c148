// This library as contenders: the public API (copies in and out included),
// the kernels alone on data already in wasm memory, and the benchmark's two
// limit kernels (kernels/limits.h) for comparison.
import { readFileSync } from 'node:fs';
import { register } from 'node:module';
import { loadKernels } from '../../js/wasm.js';
import { planBlocks, encodeBlocks } from '../../js/plan.js';
import { KERNELS } from '../../js/exports.js';

const ArrayType = { f32: Float32Array, f64: Float64Array };
const BUILD_LABEL = { relaxed: 'relaxed SIMD', simd: 'SIMD', scalar: 'scalar' };
const align16 = (n) => (n + 15) & ~15;
const input = (data, dtype) => (dtype === 'f32' ? data.x32 : data.x64);

// Each API and plain-JS contender runs its own instance of its JS modules
// (the query string makes a separate module, and isolate-hooks.js passes
// it on to what that module imports), as an app loads one.  Shared, V8's
// call-site feedback would see the float32 and float64 contenders and all
// three builds, and every call site would turn polymorphic: that slowed a
// 10-element call by 10-20% here, for us and plain JS alike.
register('./isolate-hooks.js', import.meta.url);
const ownInstance = (path, id) => import(new URL(`${path}?contender=${id}`, import.meta.url).href);

/** The public API on one build ('relaxed', 'simd' or 'scalar'), as a user calls it. */
export async function apiContender(build, dtype) {
  const id = `ours-${build}-${dtype}`;
  const { load } = await ownInstance('../../js/index.js', id);
  const api = await load({ build });
  return {
    id,
    label: `this library ${BUILD_LABEL[build]} ${dtype}`,
    dtype,
    memoryBytes: () => api.memory.buffer.byteLength,
    prepare(op, wl, data) {
      const x = input(data, dtype), opts = { shape: wl.shape, axis: wl.axis };
      return { call: () => api[op](x, opts) };
    },
  };
}

/**
 * The kernel export alone, out of place, on operands placed in wasm memory
 * once.  Its own instance, so no other contender moves its operands; the
 * loader's own, since the public API does not hand out the raw exports.
 */
export async function kernelContender(build, dtype) {
  const k = await loadKernels({ build: [build] });
  return {
    id: `ours-${build}-${dtype}-kernel`,
    label: `this library ${BUILD_LABEL[build]} ${dtype}, kernel only`,
    dtype,
    prepare(op, wl, data) {
      const x = input(data, dtype), Type = ArrayType[dtype];
      const nOut = op === 'logSumExp' ? wl.size / wl.n : wl.size;
      const plan = encodeBlocks(planBlocks(wl.shape, wl.axes));
      const sizes = [plan.byteLength, x.byteLength, nOut * Type.BYTES_PER_ELEMENT].map(align16);
      const pPlan = k.reserve(sizes[0] + sizes[1] + sizes[2]);
      const pX = pPlan + sizes[0], pY = pX + sizes[1];
      new Uint32Array(k.memory.buffer, pPlan, plan.length).set(plan);
      new Type(k.memory.buffer, pX, x.length).set(x);
      const fn = k.exports[KERNELS[op][dtype]];
      const output = () => new Type(k.memory.buffer, pY, nOut).slice();
      const call = op === 'logSumExp' ? () => fn(pX, pY, 0, pPlan) : () => fn(pX, pY, pPlan);
      return { call, output };
    },
  };
}

const LIMIT_LABEL = {
  floor: (dtype) => `floor kernel ${dtype} (read twice, write once)`,
  expsum: (dtype) => `exp-sum-only pass ${dtype}`,
  expsum_lean: (dtype) => `lean exp-sum pass ${dtype} (XNNPACK-style exp)`,
};

/**
 * A reference pass ('floor', 'expsum', or 'expsum_lean', f32 only: kernels/) on
 * the 'simd' or 'relaxed' build, over the workload's contiguous slices.
 */
export async function limitContender(which, dtype, build = 'simd') {
  const relaxed = build === 'relaxed';
  const bytes = readFileSync(new URL(relaxed ? './limits-relaxed.wasm' : './limits.wasm', import.meta.url));
  const k = await limitKernels(bytes);
  return {
    id: `${which.replace('_', '-')}-${dtype}${relaxed ? '-relaxed' : ''}`,
    label: LIMIT_LABEL[which](dtype) + (relaxed ? ', relaxed SIMD' : ''),
    dtype,
    kind: 'limit',
    prepare(op, wl, data) {
      const x = input(data, dtype);
      const pX = k.reserve(2 * align16(x.byteLength));
      const pY = pX + align16(x.byteLength);
      new ArrayType[dtype](k.memory.buffer, pX, x.length).set(x);
      const rows = wl.outer, n = wl.n * wl.inner; // contiguous slices
      const fn = k.exports[`bench_${which}_${dtype}`];
      const call = which === 'floor' ? () => fn(pX, pY, rows, n) : () => fn(pX, rows, n);
      return { call, noCheck: true };
    },
  };
}

/** The limit kernels' instance, with room for operands from its heap base. */
async function limitKernels(bytes) {
  const { instance } = await WebAssembly.instantiate(bytes, {});
  const ex = instance.exports;
  ex._initialize?.();
  const memory = ex.memory, base = align16(ex.lsm_heap_base());
  const reserve = (n) => {
    const short = base + n - memory.buffer.byteLength;
    if (short > 0) memory.grow(Math.ceil(short / 65536));
    return base;
  };
  return { exports: ex, memory, reserve };
}

/** The plain-JS three-pass version (plain.js) on the same typed array. */
export async function plainContender(dtype) {
  const id = `plain-js-${dtype}`;
  const plain = await ownInstance('./plain.js', id);
  return {
    id,
    label: `plain JS, Math.exp, ${dtype}`,
    dtype,
    prepare(op, wl, data) {
      const x = input(data, dtype);
      return { call: () => plain[op](x, wl.outer, wl.n, wl.inner) };
    },
  };
}
