// This library as contenders: the public API (copies in and out included),
// the kernels alone on data already in wasm memory, and the benchmark's two
// limit kernels (kernels/limits.h) for comparison.
import { readFileSync } from 'node:fs';
import { loadKernels } from '../../js/wasm.js';
import { planBlocks } from '../../js/plan.js';
import { BUILD_OPTIONS } from '../helpers/builds.js';

const ArrayType = { f32: Float32Array, f64: Float64Array };
const BUILD_LABEL = { relaxed: 'relaxed SIMD', simd: 'SIMD', scalar: 'scalar' };
const KERNEL = { logSoftmax: 'lsm_log_softmax', softmax: 'lsm_softmax', logSumExp: 'lsm_logsumexp' };
const align16 = (n) => (n + 15) & ~15;
const input = (data, dtype) => (dtype === 'f32' ? data.x32 : data.x64);

// Each API and plain-JS contender runs its own instance of its JS modules
// (the query string makes a separate module), as an app loads one.  Shared,
// V8's call-site feedback would see the float32 and float64 contenders and
// all three builds, and every call site would turn polymorphic: that slowed
// a 10-element call by 10-20% here, for us and plain JS alike.
const ownInstance = (path, id) => import(new URL(`${path}?contender=${id}`, import.meta.url).href);

/** The public API on one build ('relaxed', 'simd' or 'scalar'), as a user calls it. */
export async function apiContender(build, dtype) {
  const id = `ours-${build}-${dtype}`;
  const own = await ownInstance('../../js/wasm.js', id);
  const { bindApi } = await ownInstance('../../js/api.js', id);
  const k = await own.loadKernels(BUILD_OPTIONS[build]);
  const api = bindApi(() => k);
  return {
    id,
    label: `this library ${BUILD_LABEL[build]} ${dtype}`,
    dtype,
    memoryBytes: () => k.memory.buffer.byteLength,
    prepare(op, wl, data) {
      const x = input(data, dtype), opts = { shape: wl.shape, axis: wl.axis };
      return { call: () => api[op](x, opts) };
    },
  };
}

/**
 * The kernel export alone, out of place, on operands placed in wasm memory
 * once.  Its own instance, so no other contender moves its operands.
 */
export async function kernelContender(build, dtype) {
  const k = await loadKernels(BUILD_OPTIONS[build]);
  return {
    id: `ours-${build}-${dtype}-kernel`,
    label: `this library ${BUILD_LABEL[build]} ${dtype}, kernel only`,
    dtype,
    prepare(op, wl, data) {
      const x = input(data, dtype), Type = ArrayType[dtype];
      const nOut = op === 'logSumExp' ? wl.size / wl.n : wl.size;
      const plan = planBlocks(wl.shape, wl.axes);
      const sizes = [plan.byteLength, x.byteLength, nOut * Type.BYTES_PER_ELEMENT].map(align16);
      const pPlan = k.reserve(sizes[0] + sizes[1] + sizes[2]);
      const pX = pPlan + sizes[0], pY = pX + sizes[1];
      new Uint32Array(k.memory.buffer, pPlan, plan.length).set(plan);
      new Type(k.memory.buffer, pX, x.length).set(x);
      const fn = k.exports[`${KERNEL[op]}_${dtype}`];
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
  const k = await loadKernels({ module: bytes, simd: true, relaxed });
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
