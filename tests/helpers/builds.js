// The wasm builds under test, each a separate instance from the public
// load().  The relaxed-SIMD build needs an engine with relaxed SIMD: in Node
// 20 only with --experimental-wasm-relaxed-simd, which `npm test` passes
// through tests/with-relaxed-simd.js.  Without it that build is left out of
// the tests, except under CI, where its absence is an error rather than a
// silent skip.
import { load } from '../../js/index.js';
import { relaxedSimdSupported, loadKernels } from '../../js/wasm.js';

const relaxedAvailable = relaxedSimdSupported();
if (!relaxedAvailable && process.env.CI) {
  throw new Error('relaxed SIMD is unavailable: run the tests with node --experimental-wasm-relaxed-simd (npm test does)');
}

/**
 * @param {string[]} [names] builds to load, of 'relaxed', 'simd', 'scalar'
 * @returns {Promise<{name: string, api: object}[]>} `api` is load()'s instance
 */
export async function loadBuilds(names = ['relaxed', 'simd', 'scalar']) {
  const builds = [];
  for (const name of names) {
    if (name === 'relaxed' && !relaxedAvailable) continue;
    builds.push({ name, api: await load({ build: name }) });
  }
  return builds;
}

/**
 * The same builds as raw kernels, for tests that call exports directly.
 * @param {string[]} [names] builds to load, of 'relaxed', 'simd', 'scalar'
 * @returns {Promise<{name: string, kernels: object}[]>} `kernels` is
 *   js/wasm.js's: {build, exports, memory, reserve, heap}
 */
export async function loadKernelBuilds(names = ['relaxed', 'simd', 'scalar']) {
  const builds = [];
  for (const name of names) {
    if (name === 'relaxed' && !relaxedAvailable) continue;
    builds.push({ name, kernels: await loadKernels({ build: [name] }) });
  }
  return builds;
}
