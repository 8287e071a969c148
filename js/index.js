// Public API: scipy.special's log_softmax, softmax and logsumexp over typed
// arrays with shape and axis metadata, and three jobs around them: topK,
// crossEntropy (with its gradient) and sample.  load() gives an instance of a build;
// init() loads the one that the top-level functions share.  After that every
// function is synchronous.
import { describe } from './resolve.js';
import { BUILDS, loadKernels, relaxedSimdSupported } from './wasm.js';
import { bindApi } from './api.js';
import { bindTopK } from './topk.js';
import { bindCrossEntropy } from './cross-entropy.js';
import { bindSample } from './sample.js';

const BUILD_NAMES = ['auto', ...BUILDS];

/** The builds that `build` ('auto' or a name) accepts, best first; `fn` names the caller in the error. */
function buildsOf(build, fn) {
  if (!BUILD_NAMES.includes(build)) {
    throw new RangeError(`${fn} option build must be one of ${BUILD_NAMES.map((b) => `'${b}'`).join(', ')}; got ${describe(build)}`);
  }
  return build === 'auto' ? BUILDS : [build];
}

/**
 * Compiles a build into a new instance with its own memory.
 * @param {{build?: 'auto'|'relaxed'|'simd'|'scalar', module?: WebAssembly.Module | BufferSource | string | URL | Response | Promise<Response>}} [options]
 *   `build`: 'auto' (default) takes the best this engine runs: relaxed SIMD,
 *   then SIMD128, then scalar.  `module` self-hosts one of the published
 *   .wasm files; its build is read from the module itself, and must be
 *   `build` unless that is 'auto'.
 * @returns {Promise<{build: string, memory: WebAssembly.Memory, logSoftmax: Function, softmax: Function, logSumExp: Function,
 *   topK: Function, crossEntropy: Function, sample: Function}>}
 */
export async function load(options = {}) {
  if (options === null || typeof options !== 'object') {
    throw new TypeError(`load options must be an object; got ${describe(options)}`);
  }
  return instantiate(buildsOf(options.build ?? 'auto', 'load'), options.module);
}

async function instantiate(builds, module) {
  const k = await loadKernels({ build: builds, module });
  return Object.freeze({ build: k.build, memory: k.memory, ...bindApi(k), ...bindTopK(k), ...bindCrossEntropy(k), ...bindSample(k) });
}

let ready = null;
let shared = null;

/**
 * Loads the build the top-level functions share.  Idempotent: every call
 * returns the same promise, and the first call's options decide the build.
 * @param {{build?: string, simd?: boolean, relaxed?: boolean, module?: any}} [options]
 *   `build` as load()'s.  Or the older flags: `simd: false` forces the
 *   scalar build, `simd: true` a SIMD build; `relaxed: true` the relaxed-SIMD
 *   build, `relaxed: false` anything else; each left out is detected.
 * @returns {Promise<{simd: boolean, relaxed: boolean}>}
 */
export function init(options = {}) {
  let builds;
  try {
    builds = initBuilds(options);
  } catch (err) {
    return Promise.reject(err);
  }
  if (ready) return ready; // the first call's options decide the build
  if (options.relaxed === true && options.module === undefined && !relaxedSimdSupported()) {
    return Promise.reject(new Error('logsoftmax: relaxed: true, but this engine does not support relaxed SIMD'));
  }
  ready = instantiate(builds, options.module).then(
    (lsm) => {
      shared = lsm;
      return { simd: lsm.build !== 'scalar', relaxed: lsm.build === 'relaxed' };
    },
    (err) => {
      ready = null; // let a later call retry
      throw err;
    });
  return ready;
}

/** The builds init's options accept, best first. */
function initBuilds(options) {
  if (options === null || typeof options !== 'object') {
    throw new TypeError(`init options must be an object; got ${describe(options)}`);
  }
  const { simd, relaxed, build } = options;
  for (const [key, v] of [['simd', simd], ['relaxed', relaxed]]) {
    if (v !== undefined && typeof v !== 'boolean') throw new TypeError(`init option ${key} must be a boolean; got ${describe(v)}`);
  }
  if (simd === false && relaxed === true) {
    throw new TypeError('init options simd: false and relaxed: true contradict each other (relaxed is a SIMD build)');
  }
  if (build !== undefined) {
    if (simd !== undefined || relaxed !== undefined) throw new TypeError('init takes build, or simd and relaxed, not both');
    return buildsOf(build, 'init');
  }
  return BUILDS.filter((b) => (simd === undefined || simd === (b !== 'scalar')) && (relaxed === undefined || relaxed === (b === 'relaxed')));
}

function need() {
  if (!shared) throw new Error('logsoftmax is not initialised: call `await init()` first');
  return shared;
}

/**
 * scipy.special.log_softmax: x - max - log(sum(exp(x - max))) over `axis`.
 * @param {Float32Array|Float64Array|number[]|number} x
 * @param {{shape?: number[], axis?: number|number[]|null, out?: Float32Array|Float64Array}} [opts]
 * @returns {Float32Array|Float64Array|number} same type and length as x (a number for a number)
 */
export function logSoftmax(x, opts) {
  return need().logSoftmax(x, opts);
}

/**
 * scipy.special.softmax: exp(x - max) / sum(exp(x - max)) over `axis`.
 * @param {Float32Array|Float64Array|number[]|number} x
 * @param {{shape?: number[], axis?: number|number[]|null, out?: Float32Array|Float64Array}} [opts]
 * @returns {Float32Array|Float64Array|number}
 */
export function softmax(x, opts) {
  return need().softmax(x, opts);
}

/**
 * scipy.special.logsumexp: log(sum(b * exp(a))) over `axis`, computed stably.
 * @param {Float32Array|Float64Array|number[]|number} a
 * @param {{shape?: number[], axis?: number|number[]|null, keepdims?: boolean, out?: Float32Array|Float64Array,
 *          b?: number|number[]|Float32Array|Float64Array, bShape?: number[], returnSign?: boolean}} [opts]
 * @returns {number|Float32Array|Float64Array|{value: any, sign: any}}
 */
export function logSumExp(a, opts) {
  return need().logSumExp(a, opts);
}

/**
 * The k largest entries along `axis` (torch.topk: NaN ranks first, ties to
 * the lower index), or their softmax or log_softmax over the whole slice.
 * @param {Float32Array|Float64Array|number[]|any} x
 * @param {number} k  1..n, n the slice length
 * @param {{shape?: number[], axis?: number, of?: 'x'|'softmax'|'logSoftmax', sorted?: boolean, dtype?: string}} [opts]
 * @returns {{indices: Int32Array, values: Float32Array|Float64Array|any}}
 */
export function topK(x, k, opts) {
  return need().topK(x, k, opts);
}

/**
 * torch.nn.functional.cross_entropy along `axis`, optionally with d loss / d logits.
 * @param {Float32Array|Float64Array|number[]|any} logits
 * @param {any} target  class indices or probabilities
 * @param {{shape?: number[], axis?: number, reduction?: 'mean'|'sum'|'none', labelSmoothing?: number,
 *          ignoreIndex?: number, weight?: Float32Array|Float64Array|number[], grad?: boolean, dtype?: string}} [opts]
 * @returns {number|Float32Array|Float64Array|{loss: any, grad: any}}
 */
export function crossEntropy(logits, target, opts) {
  return need().crossEntropy(logits, target, opts);
}

/**
 * One draw per slice after temperature, top-k, top-p and min-p, in that order.
 * @param {Float32Array|Float64Array|number[]|any} logits
 * @param {{shape?: number[], axis?: number, temperature?: number, topK?: number, topP?: number, minP?: number,
 *          seed?: number, random?: () => number, dtype?: string}} [opts]
 * @returns {{indices: Int32Array, logProbs: Float32Array|Float64Array|any}}
 */
export function sample(logits, opts) {
  return need().sample(logits, opts);
}
