#!/usr/bin/env node
// node tests/bench/first-touch.js [--quick]
//
// What a fresh result array costs in Node and in headless Chromium, side by
// side per engine (first-touch-cases.js): each way of copying a result out of
// wasm memory into a new array, and logSoftmax with a fresh result against
// `out`.  Prints µs per call; writes tests/bench/first-touch.md (full runs).
import { writeFileSync } from 'node:fs';
import { firstTouch } from './first-touch-cases.js';
import { inBrowser, machineLine } from './run-browser.js';

const QUICK = process.argv.includes('--quick');
// Interleaved rounds (timing.js), more of them than the main run: the
// differences sought are tens of µs on a shared machine.
const CFG = QUICK ? { batchMs: 3, batches: 5, warmMs: 10 } : { batchMs: 20, batches: 15, warmMs: 60 };

const node = await firstTouch({ cfg: CFG });
const { result: chromium, meta } = await inBrowser((page, cfg) => window.bench.firstTouch({ cfg }), CFG);

const fmt = (v) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
const lines = [];
const table = (title, byKey, keyLabel) => {
  const keys = Object.keys(byKey.node), names = Object.keys(byKey.node[keys[0]]);
  lines.push(`| ${title} | ${keys.map((k) => `${keyLabel(k)} Chromium | Node`).join(' | ')} |`);
  lines.push(`|---|${keys.map(() => '---:|---:').join('|')}|`);
  for (const name of names) {
    lines.push(`| ${name} | ${keys.map((k) => `${fmt(byKey.chromium[k][name])} | ${fmt(byKey.node[k][name])}`).join(' | ')} |`);
  }
  lines.push('');
};
table('copy out of wasm memory, µs', { node: node.copies, chromium: chromium.copies }, (n) => `${+(Number(n) * 4 / 1024).toPrecision(3)} KiB`);
table('logSoftmax, µs per call', { node: node.calls, chromium: chromium.calls }, (s) => s);
lines.push(`${machineLine(meta)}; medians of ${CFG.batches} interleaved batches; ${meta.date.slice(0, 10)}.`);
const md = lines.join('\n') + '\n';
console.log('\n' + md);
if (!QUICK) {
  writeFileSync(new URL('./first-touch.md', import.meta.url), md);
  console.log('wrote tests/bench/first-touch.md');
}
process.exit(0);
