// Smoke test of the browser benchmark (tests/bench/browser.html, driven by
// tests/bench/run-browser.js): the page loads every contender in headless
// Chromium, each one's logSoftmax matches the float64 reference, the peers
// run single-threaded, and one tiny timed run completes.  No timings are
// judged here (those belong to `node tests/bench/run-browser.js`); this only
// keeps the harness from rotting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { browserSkipReason } from './helpers/browser.js';
import { inBrowser } from './bench/run-browser.js';

const skip = browserSkipReason() ?? false;

test('browser bench: every contender loads in Chromium and its logSoftmax matches the float64 reference', { skip, timeout: 120_000 }, async () => {
  const { result } = await inBrowser(async () => {
    const smoke = await window.bench.smoke();
    const tiny = { cfg: { batchMs: 1, batches: 1, warmMs: 1 }, ops: ['softmax'], workloads: ['[1,10]'] };
    return { smoke, run: await window.bench.run(tiny) };
  }, null, { progress: false });
  const { smoke, run } = result;
  // Chromium runs all three builds; the first is the one compared with the peers.
  const ours = ['relaxed', 'simd', 'scalar'].flatMap((b) => [`ours-${b}-f32`, `ours-${b}-f32-out`]);
  const expected = [...ours, 'ours-relaxed-f32-inplace', 'ort-wasm', 'tfjs-wasm', 'tfjs-cpu', 'plain-js-f32'];
  assert.deepEqual([...smoke.ids].sort(), [...expected].sort());
  assert.deepEqual(smoke.errors, {});
  // One thread: TF.js's non-threaded SIMD build (the page is cross-origin
  // isolated, where TF.js would pick its threaded one) and ORT's one build.
  assert.ok(smoke.wasmFiles.includes('tfjs-backend-wasm-simd.wasm'), smoke.wasmFiles.join());
  assert.ok(!smoke.wasmFiles.includes('tfjs-backend-wasm-threaded-simd.wasm'), smoke.wasmFiles.join());
  assert.ok(smoke.wasmFiles.some((f) => f.startsWith('ort-wasm')), smoke.wasmFiles.join());
  // The timed path: a figure for every contender that has the op, none flagged.
  const row = run.results.softmax['[1,10]'];
  for (const id of expected) {
    const r = row[id];
    assert.ok(r, id);
    if (r.na) continue; // in place is timed on logSoftmax only
    assert.ok(r.gElemPerS > 0 && !r.inaccurate, `${id}: ${JSON.stringify(r)}`);
  }
});
