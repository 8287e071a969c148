// logsoftmax/parallel against the single-thread API and onnxruntime-web
// with two threads, side by side in one process (tests/bench/timing.js):
//   node tests/with-relaxed-simd.js tests/bench/parallel.js [--quick] [--only=TEXT]
// (--only: the workloads whose label, e.g. "logSoftmax [1,16777216]", contains TEXT.)
// Contenders, float32, inputs of 1M elements and more:
//   sync        the synchronous API (load()), one thread
//   pool        createPool({ threads: 2 }), x in an ordinary ArrayBuffer
//               (copied into shared memory by the call)
//   pool-sab    the same pool, x already in a SharedArrayBuffer (no copy)
//   ort-2       onnxruntime-web, wasm EP, ort.env.wasm.numThreads = 2
// Each call returns its result as the user gets it (copies included).  The
// outputs are checked against each other first.  Prints a Markdown table of
// ms per call and the speed-ups.
import os from 'node:os';
import * as ort from 'onnxruntime-web';
import { load } from '../../js/index.js';
import { createPool } from '../../js/parallel.js';
import { timeSideBySide } from './timing.js';
import { softmaxModel, logSumExpModel } from './onnx-model.js';

const QUICK = process.argv.includes('--quick');
ort.env.wasm.numThreads = 2; // read once, when the first session is created
ort.env.logLevel = 'error';

const WORKLOADS = [
  ['logSoftmax', [1024, 1024]], ['softmax', [1024, 1024]], ['logSumExp', [1024, 1024]],
  ['logSoftmax', [64, 16384]], ['logSoftmax', [4096, 1024]], ['logSoftmax', [1024, 1024], 0],
  ['logSoftmax', [1, 1 << 20]], ['logSoftmax', [1, 1 << 24]],
];
const ONLY = process.argv.find((a) => a.startsWith('--only='))?.slice(7);

const sync = await load();
const pool = await createPool({ threads: 2 });

function input(n) {
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = Math.sin(i * 12.9898) * 20;
  return x;
}

async function ortContender(fn, shape, axis) {
  const bytes = fn === 'logSumExp' ? logSumExpModel(shape, [shape.length - 1])
    : softmaxModel(fn === 'softmax' ? 'Softmax' : 'LogSoftmax', shape, axis);
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
  return async (x) => (await session.run({ x: new ort.Tensor('float32', x, shape) })).y.data;
}

/** Largest |a - b| relative to max(1, |b|): the contenders must agree before they are timed. */
function maxDiff(a, b) {
  a = typeof a === 'number' ? [a] : a;
  b = typeof b === 'number' ? [b] : b;
  if (a.length !== b.length) return Infinity;
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i])));
  return d;
}

const rows = [];
for (const [fn, shape, axis = -1] of WORKLOADS) {
  if (ONLY !== undefined && !`${fn} [${shape}]`.includes(ONLY)) continue;
  const n = shape[0] * shape[1];
  const x = input(n);
  const xs = new Float32Array(new SharedArrayBuffer(n * 4));
  xs.set(x);
  const opts = { shape, axis };
  const runOrt = await ortContender(fn, shape, axis);
  const entries = [
    { id: 'sync', call: () => sync[fn](x, opts) },
    { id: 'pool', call: () => pool[fn](x, opts) },
    { id: 'pool-sab', call: () => pool[fn](xs, opts) },
    { id: 'ort-2', call: () => runOrt(x) },
  ];
  const want = sync[fn](x, opts);
  for (const e of entries.slice(1)) {
    const d = maxDiff(await e.call(), want);
    // onnxruntime-web sums a row in float32: over 16M elements its results
    // drift by ~1e-4 (README: peers are not within the bounds), still the same function.
    if (!(d < (e.id === 'ort-2' ? 1e-3 : 1e-5))) throw new Error(`${e.id} ${fn} [${shape}] differs from sync by ${d}`);
  }
  const times = await timeSideBySide(entries, QUICK ? { batchMs: 40, batches: 5, warmMs: 40 } : { batchMs: 150, batches: 11, warmMs: 300 });
  const ms = Object.fromEntries(entries.map((e, i) => [e.id, times[i].ms]));
  rows.push({ fn, shape, axis, ms });
  console.error(`${fn} [${shape}] axis ${axis}: ${entries.map((e) => `${e.id} ${ms[e.id].toFixed(3)} ms`).join(', ')}`);
}
pool.terminate();

const f = (v) => v.toFixed(2);
console.log('| call | sync ms | pool ms | pool, x shared, ms | ort-2 ms | pool ÷ sync | pool-sab ÷ sync | pool ÷ ort-2 | pool-sab ÷ ort-2 |');
console.log('|---|---|---|---|---|---|---|---|---|');
for (const { fn, shape, axis, ms } of rows) {
  console.log(`| ${fn} [${shape.join(', ')}] axis ${axis} | ${f(ms.sync)} | ${f(ms.pool)} | ${f(ms['pool-sab'])} | ${f(ms['ort-2'])} | ` +
    `${f(ms.sync / ms.pool)}× | ${f(ms.sync / ms['pool-sab'])}× | ${f(ms['ort-2'] / ms.pool)}× | ${f(ms['ort-2'] / ms['pool-sab'])}× |`);
}
console.log(`\n${os.cpus()[0]?.model ?? 'cpu'} (${os.cpus().length} cores), Node ${process.versions.node}, ` +
  `build ${sync.build}, onnxruntime-web ${ort.env.versions?.web ?? ''}; ${new Date().toISOString().slice(0, 10)}.`);
process.exit(0); // onnxruntime-web's thread pool keeps Node running
