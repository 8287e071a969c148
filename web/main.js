// The playground page: tabs, the environment line, and the four panels,
// each set up the first time its tab is opened.
import { init } from '../js/index.js';
import { loadBackends } from './backends.js';
import { setupExplore } from './explore.js';
import { setupBenchmark } from './bench.js';
import { setupClassifier } from './classifier.js';
import { setupSampling } from './sampling.js';
import { $ } from './dom.js';

const PANELS = { explore: null, benchmark: null, classifier: null, sampling: null };

async function main() {
  const [{ simd, relaxed }, backends] = await Promise.all([init(), loadBackends()]);
  const gpu = backends.some((b) => b.id === 'webgpu');
  $('env').textContent = [
    relaxed ? 'wasm relaxed SIMD' : simd ? 'wasm SIMD' : 'wasm scalar (no SIMD here)',
    gpu ? 'WebGPU available' : 'no WebGPU',
    self.crossOriginIsolated ? 'cross-origin isolated' : 'not isolated',
  ].join(' · ');
  const setups = { explore: () => setupExplore(backends), benchmark: setupBenchmark, classifier: setupClassifier, sampling: setupSampling };
  const show = () => {
    const id = location.hash.slice(1) in PANELS ? location.hash.slice(1) : 'explore';
    for (const name of Object.keys(PANELS)) {
      $(name).hidden = name !== id;
      $(`tab-${name}`).setAttribute('aria-selected', String(name === id));
    }
    PANELS[id] ??= setups[id]() ?? true;
  };
  addEventListener('hashchange', show);
  show();
  document.body.dataset.ready = 'true';
}

main().catch((err) => {
  $('env').textContent = `failed to start: ${err.message}`;
  throw err;
});
