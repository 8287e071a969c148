// The benchmark, off the main thread: every backend at every size, timed by
// repeating the call until the time budget is spent.  Posts one message per
// measurement so the page can draw progress as it goes.
import { loadBackends } from './backends.js';
import { seededRandom, randomLogits } from '../js/reference/random.js';

let backendsPromise = null;

self.onmessage = async ({ data: { fn, rowLength, sizes, budgetMs } }) => {
  try {
    backendsPromise ??= loadBackends();
    const backends = (await backendsPromise).filter((b) => b.has(fn));
    self.postMessage({ type: 'start', backends: backends.map(({ id, label }) => ({ id, label })) });
    const total = backends.length * sizes.length;
    let done = 0;
    for (const size of sizes) {
      const x = Float32Array.from(randomLogits(seededRandom(size), size, { sd: 3 }));
      const shape = [size / rowLength, rowLength];
      for (const backend of backends) {
        const rate = await measure(() => backend.run(fn, x, { shape, axis: -1 }), size, budgetMs);
        self.postMessage({ type: 'result', backend: backend.id, size, rate, done: ++done, total });
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
