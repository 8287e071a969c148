// Public API: scipy.special's log_softmax, softmax and logsumexp over typed
// arrays with shape and axis metadata.  init() loads the WebAssembly kernels
// once; after that every function is synchronous.
import { describe } from './plan.js';
import { loadKernels } from './wasm.js';
import { bindApi } from './api.js';

let ready = null;
let kernels = null;

/**
 * Loads the WebAssembly kernels.  Idempotent: every call returns the same
 * promise, and the first call's options decide the build.
 * @param {{simd?: boolean, relaxed?: boolean, module?: WebAssembly.Module | BufferSource | string | URL | Response | Promise<Response>}} [options]
 *   `simd: false` forces the scalar build, `simd: true` a SIMD build;
 *   `relaxed: true` the relaxed-SIMD build (FMA), `relaxed: false` plain SIMD128;
 *   left out, SIMD is used where the engine validates it.  `module`
 *   self-hosts one of the published .wasm files.
 * @returns {Promise<{simd: boolean, relaxed: boolean}>}
 */
export function init(options = {}) {
  if (options === null || typeof options !== 'object') {
    return Promise.reject(new TypeError(`init options must be an object; got ${describe(options)}`));
  }
  for (const key of ['simd', 'relaxed']) {
    if (options[key] !== undefined && typeof options[key] !== 'boolean') {
      return Promise.reject(new TypeError(`init option ${key} must be a boolean; got ${describe(options[key])}`));
    }
  }
  if (options.simd === false && options.relaxed === true) {
    return Promise.reject(new TypeError('init options simd: false and relaxed: true contradict each other (relaxed is a SIMD build)'));
  }
  ready ??= loadKernels(options).then(
    (k) => {
      kernels = k;
      return { simd: k.simd, relaxed: k.relaxed };
    },
    (err) => {
      ready = null; // let a later call retry
      throw err;
    });
  return ready;
}

function need() {
  if (!kernels) throw new Error('logsoftmax is not initialised: call `await init()` first');
  return kernels;
}

const api = bindApi(need);

/**
 * scipy.special.log_softmax: x - max - log(sum(exp(x - max))) over `axis`.
 * @param {Float32Array|Float64Array|number[]|number} x
 * @param {{shape?: number[], axis?: number|number[]|null, out?: Float32Array|Float64Array}} [opts]
 * @returns {Float32Array|Float64Array|number} same type and length as x (a number for a number)
 */
export function logSoftmax(x, opts) {
  return api.logSoftmax(x, opts);
}

/**
 * scipy.special.softmax: exp(x - max) / sum(exp(x - max)) over `axis`.
 * @param {Float32Array|Float64Array|number[]|number} x
 * @param {{shape?: number[], axis?: number|number[]|null, out?: Float32Array|Float64Array}} [opts]
 * @returns {Float32Array|Float64Array|number}
 */
export function softmax(x, opts) {
  return api.softmax(x, opts);
}

/**
 * scipy.special.logsumexp: log(sum(b * exp(a))) over `axis`, computed stably.
 * @param {Float32Array|Float64Array|number[]|number} a
 * @param {{shape?: number[], axis?: number|number[]|null, keepdims?: boolean,
 *          b?: number|number[]|Float32Array|Float64Array, bShape?: number[], returnSign?: boolean}} [opts]
 * @returns {number|Float32Array|Float64Array|{value: any, sign: any}}
 */
export function logSumExp(a, opts) {
  return api.logSumExp(a, opts);
}
