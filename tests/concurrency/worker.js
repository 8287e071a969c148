// One of several workers calling the library at the same time: it loads its
// own instance (init), computes log_softmax, softmax and logsumexp on data
// of its own (seeded by its id) over varied shapes and axes, and reports
// how many results disagree with the float64 reference.  Runs as a Node
// worker_thread (tests/concurrency.test.js) and as a browser module Web
// Worker (tests/concurrency/index.html).
import { init, logSoftmax, softmax, logSumExp } from '../../js/index.js';
import { refLogSoftmax, refSoftmax, refLogSumExp } from '../../js/reference/float64.js';
import { seededRandom, randomLogits } from '../../js/reference/random.js';
import { kind } from '../../js/reference/ulp.js';
import { size } from '../../js/reference/shapes.js';
import { tolerance } from '../helpers/bounds.js';

const asList = (r) => (typeof r === 'number' ? [r] : r);
const SHAPES = [[[1000], -1], [[37, 41], 0], [[8, 9, 10], [0, 2]], [[3, 300], 1], [[64, 64], null]];

/** The same special values, and finite values within the promised bound (tests/helpers/bounds.js). */
function close(got, ref, dtype, fn) {
  for (let i = 0; i < ref.length; i++) {
    const g = got[i], r = ref[i];
    if (kind(g) !== kind(r)) return false;
    if (kind(r) !== 'finite') continue;
    if (!(Math.abs(g - r) <= tolerance(dtype, fn, r))) return false;
  }
  return true;
}

export async function work(id, rounds) {
  await init();
  const rand = seededRandom(1000 + id);
  let calls = 0;
  const wrong = [];
  for (let round = 0; round < rounds; round++) {
    const [shape, axis] = SHAPES[(round + id) % SHAPES.length];
    const values = randomLogits(rand, size(shape), { sd: 5, mean: 100 * id, masked: 0.05 });
    for (const Type of [Float32Array, Float64Array]) {
      const x = Type.from(values), v = Array.from(x);
      const dtype = Type === Float32Array ? 'f32' : 'f64';
      const checks = [
        ['logSoftmax', logSoftmax(x, { shape, axis }), refLogSoftmax(v, shape, axis)],
        ['softmax', softmax(x, { shape, axis }), refSoftmax(v, shape, axis)],
        ['logSumExp', asList(logSumExp(x, { shape, axis })), refLogSumExp(v, shape, { axis }).value],
      ];
      for (const [fn, got, ref] of checks) {
        calls++;
        if (!close(Array.from(got), ref, dtype, fn)) wrong.push(`${fn} ${Type.name} [${shape}] axis ${axis} round ${round}`);
      }
    }
  }
  return { id, calls, wrong };
}

// Wiring: Node worker_threads, or a browser Web Worker.
if (typeof self !== 'undefined' && typeof self.postMessage === 'function' && typeof window === 'undefined') {
  self.onmessage = async ({ data }) => self.postMessage(await work(data.id, data.rounds));
} else if (typeof process !== 'undefined') {
  const { parentPort, workerData } = await import('node:worker_threads');
  if (parentPort) {
    // Start together: wait until every worker has loaded, then run.
    const gate = new Int32Array(workerData.gate);
    Atomics.add(gate, 0, 1);
    while (Atomics.load(gate, 0) < workerData.count) Atomics.wait(gate, 0, Atomics.load(gate, 0), 5);
    parentPort.postMessage(await work(workerData.id, workerData.rounds));
  }
}
