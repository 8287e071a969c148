#!/usr/bin/env node
// node tests/bench/run-browser.js [--quick] [--only=id,...] [--workloads='label;label']
// (or npm run bench -- --browser [--quick])
//
// The benchmark in headless Chromium (Debian's, through playwright-core):
// serves the repository (web/serve.js, cross-origin isolated), opens
// tests/bench/browser.html and times this library (with and without `out`),
// onnxruntime-web (wasm, 1 thread), TensorFlow.js (wasm, cpu) and plain JS
// side by side in that one page, on the Node run's workloads but the 64 MB
// one.  Prints G elements/s and ratios; full runs write results-browser.md
// and results-browser.json.
import os from 'node:os';
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer } from '../../web/serve.js';
import { launchBrowser, browserSkipReason } from '../helpers/browser.js';

const version = (name) => JSON.parse(readFileSync(new URL(`../../node_modules/${name}/package.json`, import.meta.url))).version;

/** The machine and software line of the tables: hardware and versions only. */
export const machineLine = (meta) => `${meta.machine.cpu} (${meta.machine.cores} cores), ${meta.machine.platform}, ` +
  `Chromium ${meta.chromium}, Node ${meta.node}; onnxruntime-web ${meta.peers['onnxruntime-web']}, TensorFlow.js ${meta.peers['@tensorflow/tfjs-core']}`;

/**
 * Opens the benchmark page in headless Chromium and evaluates `fn(page, arg)` in it.
 * @returns {Promise<{result: any, meta: object}>}
 */
export async function inBrowser(fn, arg, { progress = true } = {}) {
  const why = browserSkipReason();
  if (why) throw new Error(why);
  const server = await startServer({ port: 0 });
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage();
    page.on('pageerror', (err) => console.error('page error:', err.message));
    // The page logs each case as it finishes (its other messages, such as a
    // missing favicon, are not progress).
    if (progress) page.on('console', (msg) => msg.type() === 'log' && process.stderr.write(`\r${msg.text()}`.padEnd(48)));
    await page.goto(`${server.url}tests/bench/browser.html`);
    await page.waitForFunction(() => window.bench?.ready);
    const result = await page.evaluate(([source, a]) => (0, eval)(`(${source})`)(null, a), [fn.toString(), arg]);
    if (progress) process.stderr.write('\r'.padEnd(49) + '\r');
    const meta = {
      date: new Date().toISOString(),
      machine: { cpu: os.cpus()[0].model, cores: os.cpus().length, platform: `${os.type()} ${os.release()}` },
      chromium: browser.version(),
      node: process.version,
      peers: { 'onnxruntime-web': version('onnxruntime-web'), '@tensorflow/tfjs-core': version('@tensorflow/tfjs-core') },
    };
    return { result, meta };
  } finally {
    await browser.close();
    await server.close();
  }
}

const OPS = ['logSoftmax', 'softmax', 'logSumExp'];
const fmt = (v) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v >= 0.1 ? v.toFixed(2) : v.toPrecision(2));

// The rows compared with each peer: our best build, fresh and with `out`.
const peers = [['ort-wasm', 'onnxruntime-web (wasm, 1 thread)'], ['tfjs-wasm', 'TensorFlow.js wasm'],
  ['tfjs-cpu', 'TensorFlow.js cpu'], ['plain-js-f32', 'plain JS']];

function ratio(results, op, wl, a, b) {
  const ra = results[op][wl]?.[a], rb = results[op][wl]?.[b];
  return !ra || !rb || ra.na || rb.na ? null : ra.gElemPerS / rb.gElemPerS;
}

/** G elements/s per contender, then ours ÷ peer for the best build, fresh and `out`. */
function tables(run, markdown) {
  const { results, workloads, contenders, info } = run;
  const best = info.builds[0];
  const out = [];
  const row = (cells) => (markdown ? `| ${cells.join(' | ')} |` : cells.map((c, i) => (i ? c.padStart(12) : c.padEnd(46))).join(''));
  const rule = () => markdown && out.push(`|---|${workloads.map(() => '---:').join('|')}|`);
  for (const op of OPS) {
    if (!results[op]) continue;
    out.push(row([`${op}, G elements/s`, ...workloads])), rule();
    for (const c of contenders) {
      const cells = workloads.map((w) => {
        const r = results[op][w]?.[c.id];
        return !r ? '' : r.na ? (r.na.startsWith('in place') ? '' : 'n/a') : fmt(r.gElemPerS) + (r.inaccurate ? ' (!)' : '');
      });
      if (cells.some((x) => x)) out.push(row([c.label, ...cells]));
    }
    out.push('');
  }
  for (const op of OPS) {
    if (!results[op]) continue;
    out.push(row([`${op}, ours (${best}) ÷ peer`, ...workloads])), rule();
    for (const [form, suffix] of [['fresh', ''], ['`out`', '-out']]) {
      for (const [peer, label] of peers) {
        const cells = workloads.map((w) => {
          const r = ratio(results, op, w, `ours-${best}-f32${suffix}`, peer);
          return r === null ? 'n/a' : fmt(r) + '×';
        });
        out.push(row([`${form} ÷ ${label}`, ...cells]));
      }
    }
    out.push(row(['`out` ÷ fresh', ...workloads.map((w) => {
      const r = ratio(results, op, w, `ours-${best}-f32-out`, `ours-${best}-f32`);
      return r === null ? 'n/a' : fmt(r) + '×';
    })]));
    out.push('');
  }
  return out.join('\n');
}

/** The README's summary: ranges of ours ÷ peer over rows of 1,000 to 262,144. */
function summary(run) {
  const rows = ['[1,1000]', '[64,1000]', '[8,32000]', '[1,262144]'];
  const best = run.info.builds[0], lines = [];
  const range = (op, a, b) => {
    const rs = rows.map((w) => ratio(run.results, op, w, a, b)).filter((r) => r !== null);
    return rs.length ? `${fmt(Math.min(...rs))}–${fmt(Math.max(...rs))}×` : 'n/a';
  };
  for (const op of OPS) for (const [peer, label] of peers) {
    lines.push(`${op} ÷ ${label}: fresh ${range(op, `ours-${best}-f32`, peer)}, out ${range(op, `ours-${best}-f32-out`, peer)}`);
  }
  for (const op of OPS) lines.push(`${op}: out ÷ fresh ${range(op, `ours-${best}-f32-out`, `ours-${best}-f32`)}`);
  return lines.join('\n');
}

export async function main() {
  const argv = process.argv;
  const QUICK = argv.includes('--quick');
  const cfg = QUICK ? { batchMs: 3, batches: 7, warmMs: 15 } : { batchMs: 15, batches: 9, warmMs: 60 };
  const only = argv.find((a) => a.startsWith('--only='))?.slice(7).split(',');
  const workloads = argv.find((a) => a.startsWith('--workloads='))?.slice(12).split(';');
  const t0 = performance.now();
  const { result: run, meta } = await inBrowser((page, req) => window.bench.run(req), { cfg, ops: OPS, only, workloads });
  meta.seconds = Math.round((performance.now() - t0) / 1000);
  meta.method = `${cfg.batches} timed batches of about ${cfg.batchMs} ms after ${cfg.warmMs} ms warm-up per contender, contenders taking turns; figure = median batch`;
  console.log(tables(run, false));
  console.log(summary(run));
  const flagged = [];
  for (const op of OPS) for (const w of run.workloads) for (const c of run.contenders) {
    const r = run.results[op][w]?.[c.id];
    if (r?.inaccurate) flagged.push(`${c.label}, ${op} ${w}: ${r.inaccurate}`);
  }
  if (flagged.length) console.log('\n(!) off the float64 reference by more than the sanity tolerance:\n  ' + flagged.join('\n  '));
  console.log(`\n${run.info.userAgent}\npeers' wasm: ${run.info.wasmFiles.join(', ')}; TF.js wasm SIMD ${run.info.tfjsWasmSimd}, threads ${run.info.tfjsWasmThreads}`);
  console.log(`${machineLine(meta)}; ${meta.seconds} s`);
  if (QUICK || only || workloads) {
    console.log('(--quick, --only or --workloads: nothing written)');
  } else {
    const md = `${tables(run, true)}\n${machineLine(meta)}; ${meta.date.slice(0, 10)}.\n`;
    writeFileSync(new URL('./results-browser.md', import.meta.url), md);
    writeFileSync(new URL('./results-browser.json', import.meta.url), JSON.stringify({ meta, ...run }, null, 1) + '\n');
    console.log('wrote tests/bench/results-browser.md and results-browser.json');
  }
  process.exit(0);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
