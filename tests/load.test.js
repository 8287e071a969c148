// load(): a build by name, each call a new instance with its own memory, and
// self-hosted modules that say which build they are.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { inflateSync } from 'node:zlib';
import { load, init } from '../js/index.js';
import { relaxedSimdSupported } from '../js/wasm.js';

const bytes = (build) => readFileSync(new URL(`../js/logsoftmax-${build}.wasm`, import.meta.url));
const BUILDS = relaxedSimdSupported() ? ['relaxed', 'simd', 'scalar'] : ['simd', 'scalar'];

test('load({ build }) gives that build, and auto the best this engine runs', async () => {
  for (const build of BUILDS) {
    const lsm = await load({ build });
    assert.equal(lsm.build, build);
    assert.deepEqual(Array.from(lsm.logSoftmax(new Float32Array([1000, 1]))), [0, -999]);
  }
  assert.equal((await load()).build, BUILDS[0]);
  assert.equal((await load({ build: 'auto' })).build, BUILDS[0]);
});

test('each load() is an independent instance with its own memory', async () => {
  const [p, q] = await Promise.all([load({ build: 'scalar' }), load({ build: 'scalar' })]);
  assert.notEqual(p.memory, q.memory);
  const before = q.memory.buffer.byteLength;
  p.softmax(new Float64Array(1 << 17)); // 1 MiB: more than the initial memory
  assert.ok(p.memory.buffer.byteLength > before);
  assert.equal(q.memory.buffer.byteLength, before);
  assert.ok(Object.isFrozen(p));
});

test('a self-hosted module is the build it says it is', async () => {
  for (const build of BUILDS) {
    assert.equal((await load({ module: bytes(build) })).build, build);
    const compiled = new WebAssembly.Module(bytes(build));
    const lsm = await load({ build, module: compiled });
    assert.equal(lsm.build, build);
    assert.ok(Math.abs(lsm.logSumExp([0, 0]) - Math.LN2) < 1e-15);
  }
  await assert.rejects(load({ build: 'simd', module: bytes('scalar') }),
    { name: 'TypeError', message: 'module is the scalar build, not the simd build' });
  await assert.rejects(init({ simd: true, relaxed: false, module: bytes('scalar') }),
    { name: 'TypeError', message: 'module is the scalar build, not the simd build' });
  // A valid module that is not one of ours: (module (memory 1) (export "memory" (memory 0)))
  const foreign = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 5, 3, 1, 0, 1, 7, 10, 1, 6, 109, 101, 109, 111, 114, 121, 2, 0]);
  await assert.rejects(load({ module: foreign }), { name: 'TypeError', message: /not a build of this version of logsoftmax/ });
});

test('bad load options are rejected', async () => {
  await assert.rejects(load(null), { name: 'TypeError', message: 'load options must be an object; got null' });
  await assert.rejects(load({ build: 'gpu' }),
    { name: 'RangeError', message: `load option build must be one of 'auto', 'relaxed', 'simd', 'scalar'; got "gpu"` });
  await assert.rejects(load({ build: 1 }), { name: 'RangeError', message: /got 1$/ });
  await assert.rejects(init({ build: 'simd', simd: true }), { name: 'TypeError', message: 'init takes build, or simd and relaxed, not both' });
  await assert.rejects(init({ build: 'fast' }), { name: 'RangeError', message: /init option build must be one of/ });
});

test('logSumExp writes its values to out when given one', async () => {
  const lsm = await load({ build: 'scalar' });
  const out = new Float64Array(2);
  const got = lsm.logSumExp([[0, 0], [1, 1]], { axis: 1, out });
  assert.equal(got, out);
  assert.deepEqual(Array.from(out), [Math.LN2, 1 + Math.LN2]);
  const signed = lsm.logSumExp(new Float32Array([0, 0, 1, 1]), { shape: [2, 2], axis: 0, returnSign: true, out: new Float32Array(2) });
  assert.ok(signed.value instanceof Float32Array && signed.sign instanceof Float32Array);
  assert.throws(() => lsm.logSumExp(new Float32Array(4), { out: new Float64Array(1) }),
    { name: 'TypeError', message: 'out must be a Float32Array like the result; got Float64Array(1)' });
  assert.throws(() => lsm.logSumExp(new Float32Array(4), { shape: [2, 2], axis: 0, out: new Float32Array(3) }),
    { name: 'RangeError', message: 'out has length 3; the result has 2' });
  // The common call's fast path (rows of a typed array, or all of it) takes out too.
  const rows = new Float32Array(2);
  assert.equal(lsm.logSumExp(new Float32Array([0, 0, 1, 1]), { shape: [2, 2], axis: -1, out: rows }), rows);
  assert.deepEqual(Array.from(rows), [Math.LN2, 1 + Math.LN2].map(Math.fround));
  const one = new Float64Array(1);
  assert.equal(lsm.logSumExp(new Float64Array([0, 0]), { out: one }), Math.LN2, 'a 0-d result is a number, and written to out');
  assert.equal(one[0], Math.LN2);
  assert.throws(() => lsm.logSumExp(new Float32Array(4), { shape: [2, 2], axis: -1, out: new Float32Array(4) }),
    { name: 'RangeError', message: 'out has length 4; the result has 2' });
});

test('the fast path\'s plan, kept between calls, stays right whatever runs in between', async () => {
  for (const build of BUILDS) {
    const lsm = await load({ build });
    const x = Float32Array.from({ length: 30 }, (_, i) => 5 * Math.sin(i));
    const big = new Float64Array(1 << 17); // 1 MiB: grows memory
    // Each call alone on a fresh instance gives the reference bits.
    const calls = [
      (f) => f.logSoftmax(x, { shape: [3, 10], axis: -1 }),
      (f) => f.softmax(x, { shape: [3, 10], axis: 0 }),
      (f) => f.logSoftmax(x, { shape: [3, 10], axis: -1 }),
      (f) => f.topK(x, 2, { shape: [3, 10] }).values,
      (f) => f.logSoftmax(x, { shape: [3, 10], axis: -1 }),
      (f) => f.logSumExp(x, { shape: [3, 10], axis: -1, b: 2 }),
      (f) => f.logSumExp(x, { shape: [3, 10], axis: -1 }),
      (f) => f.softmax(big)[0],
      (f) => f.logSumExp(x, { shape: [3, 10], axis: -1 }),
      (f) => f.softmax(x.subarray(0, 10)),
      (f) => f.logSoftmax(x, { shape: [3, 10], axis: -1 }),
    ];
    for (const [i, call] of calls.entries()) {
      assert.deepEqual(call(lsm), call(await load({ build })), `${build}, call ${i}`);
    }
  }
});

test('load({ build }) of a build the engine lacks rejects with the library\'s message, before fetching it', (t) => {
  // A Node whose V8 runs relaxed SIMD only behind a flag, run without it.
  const code = `import { load } from './js/index.js';
    load({ build: 'relaxed' }).then(() => console.log('resolved'), (e) => console.log(e.constructor.name + ': ' + e.message));`;
  const run = (flags) => execFileSync(process.execPath, [...flags, '--input-type=module', '-e', code],
    { cwd: new URL('..', import.meta.url), encoding: 'utf8' }).trim();
  if (run([]) === 'resolved') {
    t.skip('this Node runs relaxed SIMD by default');
    return;
  }
  // With the module hook below, importing the relaxed build's module would print it.
  const traced = `import { register } from 'node:module';
    register('data:text/javascript,' + encodeURIComponent('export async function load(u, c, n) { if (u.includes("wasm-relaxed")) console.log("fetched " + u); return n(u, c); }'));`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', traced + code],
    { cwd: new URL('..', import.meta.url), encoding: 'utf8' }).trim();
  assert.equal(out, 'Error: logsoftmax: this engine does not support the relaxed build (it lacks relaxed SIMD); the scalar build runs everywhere');
});

test('each embedded module holds its .wasm: the SIMD builds deflated, scalar plain', async () => {
  for (const build of ['relaxed', 'simd', 'scalar']) {
    const source = await import(`../js/wasm-${build}.js`);
    assert.equal(source.deflated === true, build !== 'scalar', `${build}: deflated`);
    const packed = Buffer.from(source.default, 'base64');
    assert.ok((source.deflated ? inflateSync(packed) : packed).equals(bytes(build)), `js/wasm-${build}.js holds js/logsoftmax-${build}.wasm`);
  }
});

test('without DecompressionStream, auto takes the scalar build and a SIMD build is refused by name', () => {
  const code = `delete globalThis.DecompressionStream;
    const { load } = await import('./js/index.js');
    const auto = await load();
    let simd;
    try { await load({ build: 'simd' }); simd = 'resolved'; } catch (e) { simd = e.constructor.name + ': ' + e.message; }
    console.log(JSON.stringify({ auto: auto.build, v: Array.from(auto.logSoftmax([0, Math.log(3)])), simd }));`;
  const out = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', code],
    { cwd: new URL('..', import.meta.url), encoding: 'utf8' }));
  assert.equal(out.auto, 'scalar');
  assert.ok(Math.abs(out.v[1] - Math.log(0.75)) < 1e-15);
  assert.equal(out.simd, 'Error: logsoftmax: this engine does not support the simd build (it lacks DecompressionStream, which unpacks the embedded build); the scalar build runs everywhere');
});
