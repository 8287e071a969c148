// The benchmark, off the main thread: every backend at every size, timed by
// repeating the call until the time budget is spent.  Posts one message per
// measurement so the page can draw progress as it goes.  Each wasm build is
// timed both ways a user can call it: a fresh result array per call, and into
// an `out` array allocated once.  In a browser the difference is large: the
// pages of a fresh array fault on their first write (about half the time of a
// [64,1000] logSoftmax in Chromium), the `out` array's only once.
import { loadBackends } from './backends.js';
import { seededRandom, randomLogits } from '../js/reference/random.js';

let backendsPromise = null;

// The wasm builds' backend ids (backends.js): those take `out`.
const WASM = new Set(['relaxed', 'simd', 'scalar']);

self.onmessage = async ({ data: { fn, rowLength, sizes, budgetMs } }) => {
  try {
    backendsPromise ??= loadBackends();
    const backends = (await backendsPromise).filter((b) => b.has(fn));
    const series = backends.flatMap((b) => (WASM.has(b.id)
      ? [{ id: b.id, label: b.label, backend: b }, { id: `${b.id}-out`, label: `${b.label}, into out`, backend: b, out: true }]
      : [{ id: b.id, label: b.label, backend: b }]));
    self.postMessage({ type: 'start', backends: series.map(({ id, label }) => ({ id, label })) });
    const total = series.length * sizes.length;
    let done = 0;
    for (const size of sizes) {
      const x = Float32Array.from(randomLogits(seededRandom(size), size, { sd: 3 }));
      const shape = [size / rowLength, rowLength];
      const out = new Float32Array(fn === 'logSumExp' ? size / rowLength : size); // shared: one at a time
      for (const s of series) {
        const opts = s.out ? { shape, axis: -1, out } : { shape, axis: -1 };
        const rate = await measure(() => s.backend.run(fn, x, opts), size, budgetMs);
        self.postMessage({ type: 'result', backend: s.id, size, rate, done: ++done, total });
      }
    }
    self.postMessage({ type: 'done' });
  } catch (err) {
    self.postMessage({ type: 'error', message: `${err.name}: ${err.message}` });
  }
};

/** Elements per second of `call` (sync or async) over at least `budgetMs` and 3 calls, after a warm-up. */
async function measure(call, size, budgetMs) {
  await call();
  let reps = 0;
  const t0 = performance.now();
  let elapsed = 0;
  while (reps < 3 || elapsed < budgetMs) {
    await call();
    reps++;
    elapsed = performance.now() - t0;
  }
  return (size * reps) / (elapsed / 1000);
}
