// The wasm builds under test, each in its own instance and API binding.
// The relaxed-SIMD build needs an engine with relaxed SIMD: in Node 20 only
// with --experimental-wasm-relaxed-simd, which `npm test` passes through
// tests/with-relaxed-simd.js.  Without it that build is left out of the
// tests, except under CI, where its absence is an error rather than a
// silent skip.
import { loadKernels, relaxedSimdSupported } from '../../js/wasm.js';
import { bindApi } from '../../js/api.js';

const relaxedAvailable = relaxedSimdSupported();
if (!relaxedAvailable && process.env.CI) {
  throw new Error('relaxed SIMD is unavailable: run the tests with node --experimental-wasm-relaxed-simd (npm test does)');
}

/** loadKernels options that pick each build (the benchmark uses them too). */
export const BUILD_OPTIONS = { relaxed: { relaxed: true }, simd: { simd: true, relaxed: false }, scalar: { simd: false } };

/**
 * @param {string[]} [names] builds to load, of 'relaxed', 'simd', 'scalar'
 * @returns {Promise<{name: string, kernels: object, api: object}[]>}
 */
export async function loadBuilds(names = ['relaxed', 'simd', 'scalar']) {
  const builds = [];
  for (const name of names) {
    if (name === 'relaxed' && !relaxedAvailable) continue;
    const kernels = await loadKernels(BUILD_OPTIONS[name]);
    builds.push({ name, kernels, api: bindApi(() => kernels) });
  }
  return builds;
}
