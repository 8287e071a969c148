// The module's exports are listed once, in c/exports.h; build.sh derives the
// wasm builds' export lists and js/exports.js from it.  Each committed build
// must export exactly that list (and what its toolchain adds, named below),
// js/exports.js must say what the header says (KERNELS, JOBS, CONVERSIONS,
// STREAM, RANDOM and BUILD_IDS), and lsm_build() must name the build it is in.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { relaxedSimdSupported } from '../js/wasm.js';
import { KERNELS, JOBS, STREAM, CONVERSIONS, RANDOM, BUILD_IDS } from '../js/exports.js';

const header = readFileSync(new URL('../c/exports.h', import.meta.url), 'utf8');

/** The entries of the X-macro `name` in c/exports.h, each as its arguments. */
function listOf(name) {
  const m = header.match(new RegExp(`^#define ${name}\\((\\w+)\\)((?:.*\\\\\\n)*.*)$`, 'm'));
  assert.ok(m, `c/exports.h defines ${name}`);
  const [, param, body] = m;
  const entries = [...body.matchAll(new RegExp(`\\b${param}\\(([^)]*)\\)`, 'g'))].map((e) => e[1].split(',').map((a) => a.trim()));
  assert.ok(entries.length > 0, `${name} lists something`);
  return entries;
}

const kernels = listOf('LSM_KERNELS').map(([op, symbol, shape]) => ({ op, symbol, shape }));
const jobs = listOf('LSM_JOBS').map(([op, symbol, shape]) => ({ op, symbol, shape }));
const stream = listOf('LSM_STREAM').map(([op, symbol, shape]) => ({ op, symbol, shape }));
const random = listOf('LSM_RANDOM').map(([name, symbol]) => ({ name, symbol }));
const support = listOf('LSM_SUPPORT').map(([symbol]) => symbol);
const conversions = listOf('LSM_CONVERSIONS').map(([dtype, widen, narrow]) => ({ dtype, widen, narrow }));
const builds = listOf('LSM_BUILDS').map(([name]) => name);
const DTYPES = ['f32', 'f64'];
const listed = [
  ...support,
  ...[...kernels, ...jobs, ...stream].flatMap(({ symbol }) => DTYPES.map((d) => `${symbol}_${d}`)),
  ...conversions.flatMap(({ widen, narrow }) => [widen, narrow]),
  ...random.map(({ symbol }) => symbol),
];

// What each toolchain adds.  build.sh links the SIMD128 and scalar builds with
// Emscripten (STANDALONE_WASM), which exports its runtime's entry points too;
// the relaxed-SIMD build is linked by wasm-ld alone (c/build-relaxed.sh),
// which exports only what it is asked to, and the memory.
const EMSCRIPTEN = [
  ['_initialize', 'function'], ['__errno_location', 'function'], ['stackSave', 'function'],
  ['stackRestore', 'function'], ['stackAlloc', 'function'], ['__indirect_function_table', 'table'],
];
const EXTRAS = { relaxed: [], simd: EMSCRIPTEN, scalar: EMSCRIPTEN };

// Without relaxed SIMD (Node 20 without --experimental-wasm-relaxed-simd,
// which `npm test` adds) the relaxed build cannot compile: skipped, but not
// under CI.
const relaxed = relaxedSimdSupported();
if (!relaxed && process.env.CI) throw new Error('relaxed SIMD is unavailable: run with node --experimental-wasm-relaxed-simd (npm test does)');

const compile = (name) => new WebAssembly.Module(readFileSync(new URL(`../js/logsoftmax-${name}.wasm`, import.meta.url)));
const skipOf = (name) => (name === 'relaxed' && !relaxed ? 'this engine has no relaxed SIMD' : false);

test('c/exports.h lists the builds that are committed, each with its toolchain\'s extras', () => {
  assert.deepEqual([...builds].sort(), Object.keys(EXTRAS).sort());
});

for (const name of builds) {
  test(`the ${name} build exports exactly c/exports.h's list, its memory and its toolchain's extras`, { skip: skipOf(name) }, () => {
    const got = WebAssembly.Module.exports(compile(name)).map((e) => `${e.name} ${e.kind}`).sort();
    const want = [...listed.map((s) => `${s} function`), 'memory memory', ...EXTRAS[name].map(([n, k]) => `${n} ${k}`)].sort();
    assert.deepEqual(got, want);
  });

  test(`the ${name} build's lsm_build() is ${builds.indexOf(name)}, its place in LSM_BUILDS`, { skip: skipOf(name) }, async () => {
    const module = compile(name);
    assert.deepEqual(WebAssembly.Module.imports(module), [], 'a bare module');
    const { exports } = await WebAssembly.instantiate(module, {});
    assert.equal(exports.lsm_build(), builds.indexOf(name));
  });
}

test('js/exports.js is c/exports.h: KERNELS by op and dtype, in the list\'s order, and BUILD_IDS', () => {
  const want = Object.fromEntries(kernels.map(({ op, symbol }) => [op, Object.fromEntries(DTYPES.map((d) => [d, `${symbol}_${d}`]))]));
  assert.deepEqual(KERNELS, want);
  assert.deepEqual(Object.keys(KERNELS), kernels.map(({ op }) => op));
  assert.deepEqual(BUILD_IDS, builds);
});

test('js/exports.js is c/exports.h: CONVERSIONS by dtype, each a widen and a narrow symbol, in the list\'s order', () => {
  assert.deepEqual(CONVERSIONS, Object.fromEntries(conversions.map(({ dtype, widen, narrow }) => [dtype, { widen, narrow }])));
  assert.deepEqual(Object.keys(CONVERSIONS), conversions.map(({ dtype }) => dtype));
});

test('js/exports.js is c/exports.h: JOBS by op and dtype and RANDOM by name, in the lists\' order', () => {
  assert.deepEqual(JOBS, Object.fromEntries(jobs.map(({ op, symbol }) => [op, Object.fromEntries(DTYPES.map((d) => [d, `${symbol}_${d}`]))])));
  assert.deepEqual(Object.keys(JOBS), jobs.map(({ op }) => op));
  assert.deepEqual(RANDOM, Object.fromEntries(random.map(({ name, symbol }) => [name, symbol])));
});

test('js/exports.js is c/exports.h: STREAM by op and dtype, in the list\'s order', () => {
  assert.deepEqual(STREAM, Object.fromEntries(stream.map(({ op, symbol }) => [op, Object.fromEntries(DTYPES.map((d) => [d, `${symbol}_${d}`]))])));
  assert.deepEqual(Object.keys(STREAM), stream.map(({ op }) => op));
});
