#!/usr/bin/env node
// node tests/with-relaxed-simd.js tests/bench/jobs.js [--quick]
//
// The jobs built on the softmax family against what a web developer would
// otherwise call, side by side in one process (timing.js's timeSideBySide),
// one thread, float32, each call as a user makes it (tensors built and
// results read back inside the timed call, synchronous loops):
//   topK          ours topK(x, k)                 vs TF.js tf.topk (wasm backend)
//   crossEntropy  ours crossEntropy(.., {grad})   vs TF.js tf.losses.softmaxCrossEntropy
//                 (mean over the batch)              and its gradient by tf.valueAndGrads (wasm)
//   sample        ours sample(.., {topP: 0.9})     vs a plain-JS sampler as transformers.js
//                                                    writes one: softmax, a full sort, a
//                                                    cumulative sum to p, a draw
// Every contender's result is checked against the others before timing.
// Prints the table and the targets, and writes tests/bench/jobs-results.md.
import os from 'node:os';
import { writeFileSync } from 'node:fs';
import { register } from 'node:module';
import { load } from '../../js/index.js';
import { relaxedSimdSupported } from '../../js/wasm.js';
import { timeSideBySide } from './timing.js';
import { makeInputs } from './workloads.js';
import { seededRandom } from '../../js/reference/random.js';

// TF.js's gradients, registered as @tensorflow/tfjs registers them (see the hook).
register('./tfjs-grad-hooks.js', import.meta.url);
const tf = await import('@tensorflow/tfjs-core');
await import('@tensorflow/tfjs-core/dist/register_all_gradients.js');
await import('@tensorflow/tfjs-backend-wasm');

const QUICK = process.argv.includes('--quick');
const CFG = QUICK ? { batchMs: 3, batches: 7, warmMs: 15 } : { batchMs: 15, batches: 9, warmMs: 60 };
const BUILDS = [...(relaxedSimdSupported() ? ['relaxed'] : []), 'simd'];
const TARGETS = { topK: 3, crossEntropy: 3, sample: 10 };

await tf.setBackend('wasm');
await tf.ready();
const apis = {};
for (const b of BUILDS) apis[b] = await load({ build: b });

// ------------------------------------------------------------- peers ---

function tfTopK(x, shape, k) {
  const t = tf.tensor(x, shape, 'float32');
  const { values, indices } = tf.topk(t, k);
  const out = { values: values.dataSync(), indices: indices.dataSync() };
  t.dispose();
  values.dispose();
  indices.dispose();
  return out;
}

/** Mean cross-entropy and its gradient w.r.t. the logits, as TF.js users write it. */
function tfCrossEntropy(x, shape, targets) {
  return tf.tidy(() => {
    const logits = tf.tensor(x, shape, 'float32');
    const labels = tf.oneHot(tf.tensor1d(targets, 'int32'), shape[1]);
    const f = (z) => tf.losses.softmaxCrossEntropy(labels, z);
    const { value, grads } = tf.valueAndGrads(f)([logits]);
    return { loss: value.dataSync()[0], grad: grads[0].dataSync() };
  });
}

/**
 * Top-p sampling in plain JavaScript, the way transformers.js does it: the
 * softmax of the logits, every (probability, index) pair sorted in
 * descending order, the cumulative sum up to p, one draw from what is kept.
 */
function jsSampleTopP(logits, p, random = Math.random) {
  const { pairs, cut, cum } = jsTopP(logits, p);
  let u = random() * cum;
  for (let i = 0; i < cut; i++) {
    u -= pairs[i][0];
    if (u < 0) return { index: pairs[i][1], logProb: Math.log(pairs[i][0] / cum) };
  }
  return { index: pairs[cut - 1][1], logProb: Math.log(pairs[cut - 1][0] / cum) };
}

/** The sorted (probability, index) pairs, how many top-p keeps, and their mass. */
function jsTopP(logits, p) {
  const n = logits.length;
  let max = -Infinity;
  for (let i = 0; i < n; i++) if (logits[i] > max) max = logits[i];
  const probs = new Float32Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) sum += (probs[i] = Math.exp(logits[i] - max));
  const pairs = new Array(n);
  for (let i = 0; i < n; i++) pairs[i] = [probs[i] / sum, i];
  pairs.sort((a, b) => b[0] - a[0]);
  let cum = 0, cut = n;
  for (let i = 0; i < n; i++) {
    cum += pairs[i][0];
    if (cum >= p) {
      cut = i + 1;
      break;
    }
  }
  return { pairs, cut, cum };
}

// ------------------------------------------------------------ checks ---

function checkTopK(ours, theirs, what) {
  for (let i = 0; i < ours.indices.length; i++) {
    // TF.js breaks ties its own way; the values must agree exactly.
    if (ours.values[i] !== theirs.values[i]) throw new Error(`${what}: topK value ${i}: ${ours.values[i]} vs TF.js ${theirs.values[i]}`);
  }
}

function checkCrossEntropy(ours, theirs, what) {
  if (Math.abs(ours.loss - theirs.loss) > 1e-4 * Math.abs(theirs.loss)) throw new Error(`${what}: loss ${ours.loss} vs TF.js ${theirs.loss}`);
  for (let i = 0; i < ours.grad.length; i++) {
    if (Math.abs(ours.grad[i] - theirs.grad[i]) > 1e-6) throw new Error(`${what}: grad ${i}: ${ours.grad[i]} vs TF.js ${theirs.grad[i]}`);
  }
}

function checkSample(api, x, V, what) {
  // Every draw of ours is a token the plain sampler keeps, with the same
  // renormalised log-probability (its draws go in probability order, ours
  // in index order, so the same u need not give the same token).
  const { pairs, cut, cum } = jsTopP(x, 0.9);
  const kept = new Map(pairs.slice(0, cut).map(([q, j]) => [j, Math.log(q / cum)]));
  const { indices, logProbs } = api.sample(x, { shape: [1, V], topP: 0.9, seed: 1 });
  const draws = api.sample(Float32Array.from({ length: 50 * V }, (_, i) => x[i % V]), { shape: [50, V], topP: 0.9, seed: 2 });
  for (const [j, lp] of [[indices[0], logProbs[0]], ...Array.from(draws.indices, (j, r) => [j, draws.logProbs[r]])]) {
    if (!kept.has(j)) throw new Error(`${what}: ours drew ${j}, which top-p 0.9 leaves out`);
    if (Math.abs(lp - kept.get(j)) > 1e-4 * Math.max(1, Math.abs(lp))) throw new Error(`${what}: logProb of ${j}: ${lp} vs plain ${kept.get(j)}`);
  }
}

// --------------------------------------------------------------- run ---

const rows = [];
function record(job, workload, timings, names) {
  const [peer, ...ours] = timings.map((t) => t.ms);
  const row = { job, workload, peer: names[0], 'peer ms': peer.toFixed(3) };
  BUILDS.forEach((b, i) => {
    row[`ours ${b} ms`] = ours[i].toFixed(3);
    row[`ours ${b} ÷ peer`] = (peer / ours[i]).toFixed(1);
  });
  rows.push(row);
  console.log(row);
}

for (const shape of [[64, 1000], [8, 32000]]) {
  const { x32 } = makeInputs(shape[0] * shape[1]);
  const k = 40;
  for (const b of BUILDS) checkTopK(apis[b].topK(x32, k, { shape }), tfTopK(x32, shape, k), `${b} [${shape}]`);
  const entries = [
    { call: () => tfTopK(x32, shape, k), before: () => tf.setBackend('wasm') },
    ...BUILDS.map((b) => ({ call: () => apis[b].topK(x32, k, { shape }) })),
  ];
  record(`topK k=${k}`, `[${shape}]`, await timeSideBySide(entries, CFG), ['TF.js tf.topk (wasm)']);
}

for (const shape of [[64, 1000], [8, 32000]]) {
  const { x32 } = makeInputs(shape[0] * shape[1], 0, 777);
  const rand = seededRandom(8);
  const targets = Int32Array.from({ length: shape[0] }, () => Math.floor(rand() * shape[1]));
  for (const b of BUILDS) checkCrossEntropy(apis[b].crossEntropy(x32, targets, { shape, grad: true }), tfCrossEntropy(x32, shape, targets), `${b} [${shape}]`);
  const entries = [
    { call: () => tfCrossEntropy(x32, shape, targets), before: () => tf.setBackend('wasm') },
    ...BUILDS.map((b) => ({ call: () => apis[b].crossEntropy(x32, targets, { shape, grad: true }) })),
  ];
  record('crossEntropy + grad', `[${shape}]`, await timeSideBySide(entries, CFG), ['TF.js softmaxCrossEntropy + valueAndGrads (wasm)']);
}

for (const V of [32000, 128000, 256000]) {
  const { x32 } = makeInputs(V, 0, 4242);
  for (const b of BUILDS) checkSample(apis[b], x32, V, `${b} [1,${V}]`);
  const entries = [
    { call: () => jsSampleTopP(x32, 0.9) },
    ...BUILDS.map((b) => ({ call: () => apis[b].sample(x32, { shape: [1, V], topP: 0.9 }) })),
  ];
  record('sample top-p 0.9', `[1,${V}]`, await timeSideBySide(entries, CFG), ['plain JS (softmax, sort, cumsum)']);
}

// ---------------------------------------------------------- report ---

const best = BUILDS[0];
const targetLines = rows.map((r) => {
  const job = r.job.startsWith('topK') ? 'topK' : r.job.startsWith('cross') ? 'crossEntropy' : 'sample';
  const ratio = Number(r[`ours ${best} ÷ peer`]);
  return `- ${r.job} ${r.workload}: ${ratio}× (target ≥ ${TARGETS[job]}×: ${ratio >= TARGETS[job] ? 'met' : 'NOT met'})`;
});
console.table(rows);
console.log(targetLines.join('\n'));

const cpu = os.cpus()[0]?.model.trim() ?? 'unknown CPU';
const machine = `${new Date().toISOString().slice(0, 10)} on ${cpu} (${os.cpus().length} cores), Node ${process.version}, TensorFlow.js ${tf.version_core}; ${QUICK ? 'quick' : 'full'} timing, medians of ${CFG.batches} interleaved batches`;
const header = Object.keys(rows[0]);
const md = [
  '# Jobs benchmark',
  '',
  '`node tests/with-relaxed-simd.js tests/bench/jobs.js` (one thread, float32, copies included; ms per call, ratios = peer time ÷ ours).',
  '',
  `| ${header.join(' | ')} |`,
  `|${header.map(() => '---').join('|')}|`,
  ...rows.map((r) => `| ${header.map((h) => r[h]).join(' | ')} |`),
  '',
  `Targets (${best} build):`,
  ...targetLines,
  '',
  machine,
  '',
].join('\n');
writeFileSync(new URL('./jobs-results.md', import.meta.url), md);
console.log(machine);
