// Side-by-side timing: every contender is warmed up and calibrated, then the
// contenders take turns batch by batch, so that a slow drift of the machine
// (frequency, other load) touches all of them alike.

const now = () => performance.now();

// A timing loop of its own for each contender: `new Function` compiles a
// fresh function each time (closures of one literal would share V8's call-site
// feedback), so every loop calls one callee and stays monomorphic, whoever
// else is timed in the process.
const LOOP_SOURCE = `return async function runBatch(call, isAsync, reps) {
  const t0 = now();
  if (isAsync) for (let i = 0; i < reps; i++) await call();
  else for (let i = 0; i < reps; i++) call();
  return (now() - t0) / reps;
}`;

/** Runs the entry's `call` `reps` times; awaits only if the contender is asynchronous. */
function runBatch(entry, reps) {
  entry.loop ??= new Function('now', LOOP_SOURCE)(now);
  return entry.loop(entry.call, entry.isAsync, reps);
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};

/**
 * Times prepared contenders side by side.
 * @param {{call: Function, before?: Function}[]} entries
 * @param {{batchMs: number, batches: number, warmMs: number}} cfg
 * @returns {Promise<{ms: number, batchMs: number[], reps: number}[]>} ms per call: the median over batches
 */
export async function timeSideBySide(entries, { batchMs, batches, warmMs }) {
  for (const e of entries) {
    await e.before?.();
    const first = e.call();
    e.isAsync = typeof first?.then === 'function';
    if (e.isAsync) await first;
    // Warm up: let the JIT tier up and the caches fill; also calibrate.
    let calls = 0, t0 = now();
    while (calls < 3 || now() - t0 < warmMs) await runBatch(e, 1), calls++;
    const perCall = await runBatch(e, Math.max(1, Math.ceil(calls / 4)));
    e.reps = Math.max(1, Math.round(batchMs / Math.max(perCall, 1e-6)));
    e.times = [];
  }
  // One untimed round of batches: the contenders warmed up first had their
  // code optimised before the others ran, and shared code (this loop's call
  // site, for one) is re-optimised as more contenders reach it.  Without
  // this round the first contender of a [1,10] case measured 10-40% slower
  // than the same code placed second.
  for (const e of entries) await e.before?.(), await runBatch(e, e.reps);
  // Each round starts with the next contender, so that no contender always
  // runs first (right after the previous case) or right after the same one.
  for (let b = 0; b < batches; b++) {
    for (let j = 0; j < entries.length; j++) {
      const e = entries[(b + j) % entries.length];
      await e.before?.();
      e.times.push(await runBatch(e, e.reps));
    }
  }
  return entries.map((e) => ({ ms: median(e.times), batchMs: e.times, reps: e.reps }));
}
