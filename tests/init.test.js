// init(): one shared promise, the build overrides, self-hosting, and the
// clear error before it has resolved.  Each case runs in a fresh Node process,
// because the loaded build is per process by design.  Node 20 runs relaxed
// SIMD only with --experimental-wasm-relaxed-simd (RELAXED below); later Node
// runs it by default (and may refuse the flag), so the cases that need an
// engine without it are skipped there.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';

const run = (code, flags = []) =>
  JSON.parse(execFileSync(process.execPath, [...flags, '--input-type=module', '-e', code], {
    cwd: new URL('..', import.meta.url), encoding: 'utf8',
  }));
// Whether a plain `node` runs relaxed SIMD, and the flags that make it.
const NATIVE_RELAXED = run(`import { relaxedSimdSupported } from './js/wasm.js';
  console.log(JSON.stringify(relaxedSimdSupported()));`);
const RELAXED = NATIVE_RELAXED ? [] : ['--experimental-wasm-relaxed-simd'];
const needsEngineWithoutRelaxed = NATIVE_RELAXED && 'this Node runs relaxed SIMD by default';

test('calling before init throws an Error that says to await init()', () => {
  const r = run(`
    import { logSoftmax } from 'logsoftmax';
    try { logSoftmax([1, 2]); console.log(JSON.stringify({ threw: false })); }
    catch (e) { console.log(JSON.stringify({ threw: true, type: e.constructor.name, message: e.message })); }`);
  assert.equal(r.threw, true);
  assert.equal(r.type, 'Error');
  assert.match(r.message, /await init\(\)/);
});

test('init is idempotent: one shared promise, SIMD chosen where Node validates it', () => {
  const r = run(`
    import { init, softmax } from 'logsoftmax';
    const p = init(), q = init({ simd: false });
    const [a, b] = await Promise.all([p, q]);
    console.log(JSON.stringify({ same: p === q, a, b, p: Array.from(softmax([0, Math.log(3)])) }));`);
  assert.equal(r.same, true);
  assert.deepEqual(r.a, { simd: WebAssembly.validate(simdProbe()), relaxed: NATIVE_RELAXED });
  assert.deepEqual(r.b, r.a);
  assert.ok(Math.abs(r.p[0] - 0.25) < 1e-15 && Math.abs(r.p[1] - 0.75) < 1e-15);
});

test('init({ simd: false }) forces the scalar build', () => {
  const r = run(`
    import { init, logSumExp } from 'logsoftmax';
    console.log(JSON.stringify({ info: await init({ simd: false }), v: logSumExp([0, 0]) }));`);
  assert.deepEqual(r.info, { simd: false, relaxed: false });
  assert.ok(Math.abs(r.v - Math.LN2) < 1e-15);
});

test('init() takes the relaxed-SIMD build where the engine runs it; relaxed: false keeps to SIMD128', () => {
  const code = (opts) => `
    import { init, logSoftmax } from 'logsoftmax';
    console.log(JSON.stringify({ info: await init(${opts}), v: Array.from(logSoftmax(new Float32Array([1000, 1]))) }));`;
  for (const [opts, flags, info] of [
    ['', RELAXED, { simd: true, relaxed: true }],
    ['{ simd: true }', RELAXED, { simd: true, relaxed: true }],
    ['{ relaxed: false }', RELAXED, { simd: true, relaxed: false }],
    ['{ simd: false }', RELAXED, { simd: false, relaxed: false }],
    ['', [], { simd: true, relaxed: NATIVE_RELAXED }],
  ]) {
    const r = run(code(opts), flags);
    assert.deepEqual(r.info, info, `init(${opts}) ${flags}`);
    assert.deepEqual(r.v, [0, -999]);
  }
});

test('init({ relaxed: true }) rejects clearly where relaxed SIMD is missing, and a later init works', { skip: needsEngineWithoutRelaxed }, () => {
  const r = run(`
    import { init, softmax } from 'logsoftmax';
    let first;
    try { await init({ relaxed: true }); first = 'resolved'; } catch (e) { first = e.constructor.name + ': ' + e.message; }
    console.log(JSON.stringify({ first, info: await init(), v: softmax(7) }));`);
  assert.equal(r.first, 'Error: logsoftmax: relaxed: true, but this engine does not support relaxed SIMD');
  assert.deepEqual(r.info, { simd: true, relaxed: false });
  assert.equal(r.v, 1);
});

test('once loaded, init({ relaxed: true }) returns the same promise even where relaxed SIMD is missing', { skip: needsEngineWithoutRelaxed }, () => {
  const r = run(`
    import { init } from 'logsoftmax';
    const p = init();
    await p;
    const q = init({ relaxed: true });
    console.log(JSON.stringify({ same: p === q, info: await q }));`);
  assert.equal(r.same, true);
  assert.deepEqual(r.info, { simd: true, relaxed: false });
});

test('init({ module }) self-hosts a published .wasm file', () => {
  const r = run(`
    import { readFileSync } from 'node:fs';
    import { init, logSoftmax } from 'logsoftmax';
    const bytes = readFileSync('js/logsoftmax-scalar.wasm');
    const info = await init({ module: bytes, simd: false });
    console.log(JSON.stringify({ info, v: Array.from(logSoftmax([1000, 1])) }));`);
  assert.deepEqual(r.info, { simd: false, relaxed: false });
  assert.deepEqual(r.v, [0, -999]);
  const q = run(`
    import { readFileSync } from 'node:fs';
    import { init, logSoftmax } from 'logsoftmax';
    const info = await init({ module: readFileSync('js/logsoftmax-relaxed.wasm'), relaxed: true });
    console.log(JSON.stringify({ info, v: Array.from(logSoftmax([1000, 1])) }));`, RELAXED);
  assert.deepEqual(q.info, { simd: true, relaxed: true });
  assert.deepEqual(q.v, [0, -999]);
});

test('a failed init rejects, and a later init can still succeed', () => {
  const r = run(`
    import { init, softmax } from 'logsoftmax';
    let first;
    try { await init({ module: new Uint8Array([0, 1, 2, 3]) }); first = 'resolved'; }
    catch (e) { first = e.constructor.name; }
    const info = await init();
    console.log(JSON.stringify({ first, info, v: softmax(7) }));`);
  assert.equal(r.first, 'CompileError');
  assert.equal(typeof r.info.simd, 'boolean');
  assert.equal(r.v, 1);
});

test('bad init options are rejected with a TypeError', () => {
  const r = run(`
    import { init } from 'logsoftmax';
    const out = [];
    for (const o of [null, 5, { simd: 'yes' }, { relaxed: 1 }, { simd: false, relaxed: true }]) {
      try { await init(o); out.push('resolved'); } catch (e) { out.push(e.constructor.name + ': ' + e.message); }
    }
    console.log(JSON.stringify(out));`);
  assert.match(r[0], /^TypeError: init options must be an object; got null/);
  assert.match(r[1], /^TypeError: init options must be an object; got 5/);
  assert.match(r[2], /^TypeError: init option simd must be a boolean; got "yes"/);
  assert.match(r[3], /^TypeError: init option relaxed must be a boolean; got 1/);
  assert.match(r[4], /^TypeError: init options simd: false and relaxed: true contradict each other/);
});

// The smallest module using a SIMD instruction: (func (result v128) (v128.const i32x4 0 0 0 0))
function simdProbe() {
  return new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 22, 1, 20, 0,
    253, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 11]);
}
