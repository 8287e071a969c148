#!/usr/bin/env node
// npm run bench [-- --quick] [-- --only=id,id,...] [-- --workloads=label;label...]
//
// `npm run bench` runs it through tests/with-relaxed-simd.js, which gives
// Node 20 the flag it needs to run the relaxed-SIMD build (later Node and
// browsers with relaxed SIMD run it by default); without it, that build's
// rows are left out.
//
// This library against the web peers, side by side in one Node process, one
// thread, identical inputs.  Prints tables of G elements/s and
// ratios, checks every contender's output against a float64 reference, and
// (full runs only) writes tests/bench/results.json and tests/bench/chart.svg.
import os from 'node:os';
import { readFileSync, writeFileSync } from 'node:fs';
import { WORKLOADS, makeInputs } from './workloads.js';
import { timeSideBySide } from './timing.js';
import { apiContender, kernelContender, limitContender, plainContender } from './ours.js';
import { relaxedSimdSupported } from '../../js/wasm.js';
import { onnxruntime, tfjsWasm, tfjsCpu, tfjsInfo } from './peers.js';
import * as plain from './plain.js';
import { targetReport } from './targets.js';
import { writeChart } from './chart.js';
import { checkOutput } from './check.js';

// The same workloads in headless Chromium: run-browser.js (it exits when done).
if (process.argv.includes('--browser')) await (await import('./run-browser.js')).main();

const QUICK = process.argv.includes('--quick');
const CFG = QUICK ? { batchMs: 3, batches: 7, warmMs: 15 } : { batchMs: 15, batches: 9, warmMs: 60 };
const OPS = ['logSoftmax', 'softmax', 'logSumExp'];

const ONLY = process.argv.find((a) => a.startsWith('--only='))?.slice(7).split(',');
// Labels as printed, e.g. --workloads='[1,10];[1000,64] ax0'; a subset writes nothing.
const SOME = process.argv.find((a) => a.startsWith('--workloads='))?.slice(12).split(';');
const RUN_WORKLOADS = SOME ? WORKLOADS.filter((w) => SOME.includes(w.label)) : WORKLOADS;

const RELAXED = relaxedSimdSupported();
const ifRelaxed = async (...make) => {
  const made = [];
  for (const f of RELAXED ? make : []) made.push(await f()); // one at a time, as the others
  return made;
};
const allContenders = [
  ...await ifRelaxed(() => apiContender('relaxed', 'f32'), () => kernelContender('relaxed', 'f32')),
  await apiContender('simd', 'f32'),
  await kernelContender('simd', 'f32'),
  await apiContender('scalar', 'f32'),
  onnxruntime,
  tfjsWasm,
  tfjsCpu,
  await plainContender('f32'),
  ...await ifRelaxed(() => apiContender('relaxed', 'f64'), () => kernelContender('relaxed', 'f64')),
  await apiContender('simd', 'f64'),
  await kernelContender('simd', 'f64'),
  await apiContender('scalar', 'f64'),
  await plainContender('f64'),
  // The limits do not depend on the op: measured with logSoftmax only.
  await limitContender('floor', 'f32'),
  await limitContender('expsum', 'f32'),
  ...await ifRelaxed(() => limitContender('expsum', 'f32', 'relaxed')),
  await limitContender('expsum_lean', 'f32'),
  ...await ifRelaxed(() => limitContender('expsum_lean', 'f32', 'relaxed')),
  await limitContender('floor', 'f64'),
  await limitContender('expsum', 'f64'),
  ...await ifRelaxed(() => limitContender('expsum', 'f64', 'relaxed')),
];
const contenders = ONLY ? allContenders.filter((c) => ONLY.includes(c.id)) : allContenders;

async function runCase(op, wl, data) {
  const ref = plain[op](data.x64, wl.outer, wl.n, wl.inner);
  const entries = [], row = {};
  for (const c of contenders) {
    if (c.kind === 'limit' && op !== 'logSoftmax') continue;
    if (wl.huge && !HUGE.has(c.id)) {
      row[c.id] = { na: 'not run on the 64 MB input, to keep the run short' };
      continue;
    }
    const prepared = await c.prepare(op, wl, data);
    if (prepared.na) {
      row[c.id] = { na: prepared.na };
      continue;
    }
    await prepared.before?.();
    const out = await prepared.call();
    const bad = prepared.noCheck ? null : checkOutput(op, prepared.output?.() ?? out, ref);
    // Timed all the same (it is what users of that library get), but flagged.
    entries.push({ ...prepared, id: c.id, inaccurate: bad ?? undefined });
  }
  const timed = await timeSideBySide(entries, CFG);
  entries.forEach((e, i) => {
    const { ms, reps } = timed[i];
    row[e.id] = { usPerCall: ms * 1e3, gElemPerS: wl.size / ms / 1e6, reps, inaccurate: e.inaccurate };
  });
  for (const e of entries) await e.release?.();
  return row;
}

const fmt = (v) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v >= 0.1 ? v.toFixed(2) : v.toPrecision(2));

function printTable(title, rowLabels, cell) {
  const cols = WORKLOADS.map((w) => w.label);
  const w0 = Math.max(...rowLabels.map((r) => r[1].length), title.length);
  const widths = cols.map((c) => Math.max(c.length, 7));
  const line = (first, cells) => first.padEnd(w0) + cells.map((c, i) => '  ' + c.padStart(widths[i])).join('');
  console.log('\n' + line(title, cols));
  for (const [id, label] of rowLabels) {
    const cells = WORKLOADS.map((wl) => cell(id, wl));
    if (cells.some((c) => c !== '')) console.log(line(label, cells));
  }
}

// The 64 MB input is there to measure memory speed: run for logSoftmax only, by these.
const HUGE = new Set(['ours-relaxed-f32', 'ours-relaxed-f32-kernel', 'ours-simd-f32', 'ours-simd-f32-kernel', 'ort-wasm',
  'tfjs-wasm', 'plain-js-f32', 'floor-f32', 'expsum-f32', 'expsum-f32-relaxed', 'expsum-lean-f32', 'expsum-lean-f32-relaxed']);

/** The README table: G elements/s, float32 unless marked, copies included. */
function markdownTable(res, meta) {
  const rows = [
    ['ours-relaxed-f32', 'this library, relaxed SIMD'], ['ours-relaxed-f32-kernel', 'this library, relaxed SIMD, kernel only'],
    ['ours-simd-f32', 'this library, SIMD'], ['ours-simd-f32-kernel', 'this library, SIMD, kernel only'],
    ['ours-scalar-f32', 'this library, scalar'], ['ort-wasm', 'onnxruntime-web (wasm, 1 thread)'],
    ['tfjs-wasm', 'TensorFlow.js wasm'], ['tfjs-cpu', 'TensorFlow.js cpu'], ['plain-js-f32', 'plain JS (Math.exp)'],
    ['ours-relaxed-f64', 'this library, relaxed SIMD, float64'], ['ours-simd-f64', 'this library, SIMD, float64'],
    ['plain-js-f64', 'plain JS, float64'],
  ];
  const wls = WORKLOADS.map((w) => w.label);
  const out = [];
  for (const op of OPS) {
    out.push(`| ${op} | ${wls.map((w) => w.replace('ax', 'axis ')).join(' | ')} |`, `|---|${wls.map(() => '---:').join('|')}|`);
    for (const [id, label] of rows) {
      const cells = wls.map((w) => {
        const r = res[op][w]?.[id];
        if (!r) return '';
        if (r.na) return r.na.startsWith('not run') ? '–' : 'n/a';
        return fmt(r.gElemPerS) + (r.inaccurate ? ' (!)' : '');
      });
      if (cells.some((c) => c)) out.push(`| ${label} | ${cells.join(' | ')} |`);
    }
    out.push('');
  }
  out.push(`${meta.machine.cpu} (${meta.machine.cores} cores), ${meta.machine.platform}, Node ${meta.node}; ` +
    `onnxruntime-web ${meta.peers['onnxruntime-web']}, TensorFlow.js ${meta.peers['@tensorflow/tfjs-core']}; ${meta.date.slice(0, 10)}.`);
  return out.join('\n') + '\n';
}

const results = {};
const t0 = performance.now();
const dataFor = new Map();
for (const op of OPS) {
  results[op] = {};
  for (const wl of RUN_WORKLOADS) {
    if (wl.huge && op !== 'logSoftmax') continue;
    const key = `${wl.size}/${wl.masked ?? 0}`;
    if (!dataFor.has(key)) dataFor.set(key, makeInputs(wl.size, wl.masked));
    process.stderr.write(`\r${op} ${wl.label}`.padEnd(40));
    results[op][wl.label] = await runCase(op, wl, dataFor.get(key));
  }
}
process.stderr.write('\r'.padEnd(41) + '\r');

const labels = contenders.map((c) => [c.id, c.label]);
for (const op of OPS) {
  printTable(`${op}: G elements/s`, labels, (id, wl) => {
    const r = results[op][wl.label]?.[id];
    return !r ? '' : r.na ? 'n/a' : fmt(r.gElemPerS) + (r.inaccurate ? '!' : '');
  });
}

const ratioRows = (RELAXED ? ['relaxed', 'simd'] : ['simd']).flatMap((build) => [
  [`ours-${build}-f32`, 'ort-wasm'], [`ours-${build}-f32`, 'tfjs-wasm'], [`ours-${build}-f32`, 'tfjs-cpu'],
  [`ours-${build}-f32`, 'plain-js-f32'], [`ours-${build}-f64`, 'plain-js-f64'],
]);
for (const op of OPS) {
  printTable(`${op}: ours / peer`, ratioRows.map(([a, b]) => [`${a}|${b}`, `${a} / ${b}`]), (key, wl) => {
    const [a, b] = key.split('|');
    const ra = results[op][wl.label]?.[a], rb = results[op][wl.label]?.[b];
    if (!ra || !rb) return '';
    return ra.na || rb.na ? 'n/a' : fmt(ra.gElemPerS / rb.gElemPerS) + 'x';
  });
}

const naNotes = new Set();
for (const op of OPS) for (const wl of WORKLOADS) for (const c of contenders) {
  const r = results[op][wl.label]?.[c.id];
  if (r?.na) naNotes.add(`${c.label}, ${op} ${wl.label}: ${r.na}`);
}
if (naNotes.size) console.log('\nn/a:\n  ' + [...naNotes].join('\n  '));
const inaccurate = [];
for (const op of OPS) for (const wl of WORKLOADS) for (const c of contenders) {
  const r = results[op][wl.label]?.[c.id];
  if (r?.inaccurate) inaccurate.push(`${c.label}, ${op} ${wl.label}: ${r.inaccurate}`);
}
if (inaccurate.length) console.log('\n! = output off the float64 reference by more than the sanity tolerance:\n  ' + inaccurate.join('\n  '));

const targets = {};
for (const build of RELAXED ? ['relaxed', 'simd'] : ['simd']) {
  targets[build] = targetReport(results, build);
  console.log(`\nSpeed targets, ${build} build:`);
  for (const t of targets[build]) console.log(`  ${t.met ? 'met    ' : 'NOT MET'}  ${t.what}: ${t.detail}`);
}

const memory = contenders.filter((c) => c.memoryBytes).map((c) => `${c.label}: ${c.memoryBytes()} bytes`);
const largest = (list) => Math.max(...list.map((w) => w.size));
const f32Bytes = largest(WORKLOADS) * 4, f64Bytes = largest(WORKLOADS.filter((w) => !w.huge)) * 8;
console.log(`\nwasm memory after all runs (largest inputs: ${f32Bytes} bytes float32, ${f64Bytes} bytes float64;` +
  ` the API computes in place):\n  ${memory.join('\n  ')}`);

const version = (name) => JSON.parse(readFileSync(new URL(`../../node_modules/${name}/package.json`, import.meta.url))).version;
const meta = {
  date: new Date().toISOString(),
  command: 'npm run bench',
  quick: QUICK,
  method: `${CFG.batches} timed batches of about ${CFG.batchMs} ms after ${CFG.warmMs} ms warm-up per contender, contenders taking turns; figure = median batch`,
  machine: { cpu: os.cpus()[0].model, cores: os.cpus().length, memGiB: Math.round(os.totalmem() / 2 ** 30), platform: `${os.type()} ${os.release()}` },
  node: process.version,
  v8: process.versions.v8,
  peers: {
    'onnxruntime-web': version('onnxruntime-web'),
    '@tensorflow/tfjs-core': version('@tensorflow/tfjs-core'),
    '@tensorflow/tfjs-backend-wasm': version('@tensorflow/tfjs-backend-wasm'),
    '@tensorflow/tfjs-backend-cpu': version('@tensorflow/tfjs-backend-cpu'),
    tfjsWasm: await tfjsInfo(),
  },
  seconds: Math.round((performance.now() - t0) / 1000),
};
console.log(`\n${meta.machine.cpu}, ${meta.machine.cores} cores, Node ${meta.node}; ${meta.seconds} s`);

if (QUICK || SOME) {
  console.log('(--quick or --workloads: nothing written)');
} else {
  const contenderList = contenders.map(({ id, label, dtype, kind }) => ({ id, label, dtype, kind: kind ?? 'contender' }));
  const json = { meta, workloads: WORKLOADS, contenders: contenderList, results, targets };
  writeFileSync(new URL('./results.json', import.meta.url), JSON.stringify(json, null, 1) + '\n');
  writeFileSync(new URL('./chart.svg', import.meta.url), writeChart(json));
  writeFileSync(new URL('./results.md', import.meta.url), markdownTable(results, meta));
  console.log('wrote tests/bench/results.json, results.md (the README table) and chart.svg');
}
process.exit(0); // onnxruntime keeps its worker machinery alive
