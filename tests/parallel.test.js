// logsoftmax/parallel in Node (worker_threads): every pool call against the
// synchronous API on the same build, in each mode; concurrency, errors,
// terminate() and a worker's death.  The Chromium half (module Web Workers,
// with and without cross-origin isolation) is tests/parallel-browser.test.js.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createPool } from '../js/parallel.js';
import { load } from '../js/index.js';

const CRASH = Symbol.for('logsoftmax.parallel.crash');

/** Deterministic pseudo-random logits (xorshift), a few of them -inf and large. */
function logits(n, Type = Float32Array, seed = 1) {
  const x = new Type(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13, s ^= s >>> 17, s ^= s << 5, s >>>= 0;
    x[i] = (s / 2 ** 32 - 0.5) * 40;
  }
  x[7 % n] = -Infinity;
  x[(n >> 1) + 3] = 80;
  return x;
}

/** `a` copied into shared memory. */
function onShared(a) {
  const s = new a.constructor(new SharedArrayBuffer(a.byteLength));
  s.set(a);
  return s;
}

/** Bit for bit: same class, length and every element (NaN and -0 included). */
function assertSame(got, want, what) {
  if (typeof want === 'number' || want === null || typeof want !== 'object' || ArrayBuffer.isView(want)) {
    if (typeof want === 'number') return assert.ok(Object.is(got, want), `${what}: ${got} !== ${want}`);
    assert.equal(got?.constructor, want.constructor, `${what}: a ${got?.constructor?.name}, not a ${want.constructor.name}`);
    assert.equal(got.length, want.length, `${what}: length`);
    for (let i = 0; i < want.length; i++) {
      if (!Object.is(got[i], want[i])) assert.fail(`${what}: element ${i} is ${got[i]}, the synchronous API's ${want[i]}`);
    }
    return;
  }
  assertSame(got.value, want.value, `${what}.value`);
  assertSame(got.sign, want.sign, `${what}.sign`);
}

// Shapes and axes of every plan form: rows, columns (axis 0), a middle axis,
// axis tuples with a reduced group before the first kept one, everything
// (one long slice), element-wise, and a kept group smaller than the pool.
const FORMS = [
  [[256, 300], -1], [[300, 256], 0], [[12, 50, 40], 1], [[12, 50, 40], [0, 2]], [[6, 7, 8, 60], [0, 3]],
  [[20000], null], [[3, 16000], 0], [[2, 9000], -1], [[160, 128], []],
];

let sync;
test.before(async () => {
  sync = await load();
});

for (const mode of ['shared', 'transfer', 'single']) {
  test(`mode ${mode}: every call equals the synchronous API's, bit for bit`, async () => {
    const pool = await createPool({ threads: 3, mode });
    try {
      assert.equal(pool.mode, mode);
      assert.equal(pool.build, sync.build, 'workers load the build load() takes');
      for (const Type of [Float32Array, Float64Array]) {
        for (const [shape, axis] of FORMS) {
          const x = logits(shape.reduce((a, b) => a * b, 1), Type, shape.length * 7 + 1);
          for (const fn of ['logSoftmax', 'softmax', 'logSumExp']) {
            const want = sync[fn](x, { shape, axis });
            const what = `${mode} ${fn} ${Type.name} [${shape}] axis ${JSON.stringify(axis)}`;
            assertSame(await pool[fn](x, { shape, axis }), want, what);
            assertSame(await pool[fn](onShared(x), { shape, axis }), want, `${what}, x in shared memory`);
          }
        }
      }
    } finally {
      pool.terminate();
    }
  });
}

test('options: where, half bits, nested arrays, numbers, b, returnSign, keepdims, out, in place', async () => {
  const pool = await createPool({ threads: 2 });
  try {
    const shape = [64, 512], n = 64 * 512, x = logits(n, Float32Array, 5);
    const where = new Uint8Array(n).map((_, i) => (i * 7919) % 5 !== 0);
    const bits = new Uint16Array(n).map((_, i) => 0x3c00 + (i % 1200)); // float16 1..
    const b = logits(n, Float32Array, 9).map(Math.abs);
    const cases = [
      ['logSoftmax', x, { shape, axis: -1, where }], ['softmax', x, { shape, axis: 0, where }],
      ['logSumExp', x, { shape, axis: 1, where, keepdims: true }],
      ['softmax', bits, { shape, axis: -1, dtype: 'float16' }], ['logSumExp', bits, { shape, axis: 0, dtype: 'bfloat16' }],
      ['logSoftmax', [[1, 2, 3], [4, 5, 6]], { axis: 0 }], ['softmax', 3.5, undefined], ['logSumExp', 2, undefined],
      ['logSumExp', x, { shape, axis: -1, b, returnSign: true }], ['logSumExp', x, { shape, axis: 1, returnSign: true }],
      ['logSumExp', x, { shape, axis: null }], ['logSumExp', new Float32Array(0), { shape: [0, 4], axis: 0 }],
      ['logSoftmax', new Float64Array(0), { shape: [0, 3], axis: -1 }],
    ];
    for (const [fn, input, opts] of cases) {
      const what = `${fn} ${JSON.stringify({ ...opts, where: opts?.where ? 'mask' : undefined, b: opts?.b ? 'b' : undefined })}`;
      assertSame(await pool[fn](input, opts), sync[fn](input, opts), what);
    }
    // out: plain and shared, and in place on either (x itself as out).
    const want = sync.logSoftmax(x, { shape, axis: 0 });
    for (const out of [new Float32Array(n), onShared(new Float32Array(n))]) {
      const got = await pool.logSoftmax(x, { shape, axis: 0, out });
      assert.equal(got, out, 'the result is `out` itself');
      assertSame(out, want, `out ${out.buffer.constructor.name}`);
    }
    for (const y of [x.slice(), onShared(x)]) {
      assert.equal(await pool.logSoftmax(y, { shape, axis: 0, out: y }), y);
      assertSame(y, want, `in place, ${y.buffer.constructor.name}`);
    }
    const lseOut = onShared(new Float32Array(64));
    assert.equal(await pool.logSumExp(x, { shape, axis: -1, out: lseOut }), lseOut);
    assertSame(lseOut, sync.logSumExp(x, { shape, axis: -1 }), 'logSumExp into shared out');
  } finally {
    pool.terminate();
  }
});

test('many calls in flight at once: each gets its own result', async () => {
  const pool = await createPool({ threads: 2 });
  try {
    const calls = Array.from({ length: 24 }, (_, i) => {
      const fn = ['logSoftmax', 'softmax', 'logSumExp'][i % 3];
      const shape = [[128, 200], [200, 128], [4, 100, 64]][i % 3], axis = [-1, 0, [0, 2]][i % 3];
      const x = logits(shape.reduce((a, b) => a * b, 1), i % 2 ? Float32Array : Float64Array, i + 1);
      return { fn, x, opts: { shape, axis }, got: pool[fn](i % 4 === 0 ? onShared(x) : x, { shape, axis }) };
    });
    for (const [i, c] of calls.entries()) assertSame(await c.got, sync[c.fn](c.x, c.opts), `call ${i}`);
  } finally {
    pool.terminate();
  }
});

test('a bad call rejects with the synchronous API\'s error, class and message', async () => {
  const pool = await createPool({ threads: 2 });
  try {
    const x = logits(40000);
    const bad = [
      ['logSoftmax', x, { axis: 1 }], ['softmax', x, { shape: [3, 3] }], ['logSumExp', 'x', undefined],
      ['logSoftmax', x, { shape: [200, 200], out: new Float64Array(40000) }], ['softmax', x, { shape: [200, 0], axis: 1 }],
      ['logSumExp', x, { b: new Float32Array(3) }], ['logSoftmax', x, { where: new Uint8Array(5) }], ['softmax', x, 7],
      ['logSumExp', x, { shape: [200, 200], axis: [0, 0] }], ['logSoftmax', new Uint16Array(4), undefined],
    ];
    for (const [fn, input, opts] of bad) {
      let want;
      assert.throws(() => sync[fn](input, opts), (e) => ((want = e), true));
      const got = pool[fn](input, opts);
      assert.ok(got instanceof Promise, `${fn} returns a promise, not a throw`);
      await assert.rejects(got, (e) => {
        assert.equal(e.constructor, want.constructor, `${fn}: ${e.message}`);
        assert.equal(e.message, want.message);
        return true;
      });
    }
    // The pool still works after them.
    assertSame(await pool.softmax(x), sync.softmax(x), 'after the errors');
  } finally {
    pool.terminate();
  }
});

test('createPool checks its options', async () => {
  await assert.rejects(createPool({ threads: 0 }), RangeError);
  await assert.rejects(createPool({ threads: '2' }), TypeError);
  await assert.rejects(createPool({ mode: 'fast' }), RangeError);
  await assert.rejects(createPool(null), TypeError);
  await assert.rejects(createPool({ build: 'wide' }), /build must be one of/);
});

test('terminate() while busy: pending calls reject, and so do later ones', async () => {
  const pool = await createPool({ threads: 2 });
  const x = logits(1 << 22);
  const pending = [pool.logSoftmax(x, { shape: [1024, 4096] }), pool.softmax(x, { shape: [4096, 1024], axis: 0 })];
  pool.terminate();
  for (const p of pending) await assert.rejects(p, /logsoftmax pool: terminated while the call was running/);
  await assert.rejects(pool.softmax(x), /logsoftmax pool: terminated/);
  pool.terminate(); // again: nothing to do, no throw
});

test('a worker that dies: its pending calls reject, a fresh worker takes its place', async () => {
  const pool = await createPool({ threads: 2 });
  try {
    const x = logits(1 << 16), opts = { shape: [256, 256], axis: -1 };
    assert.equal(pool.restarts, 0);
    pool[CRASH](0);
    await assert.rejects(pool.logSoftmax(x, opts), /logsoftmax pool: a worker died during the call/);
    // The replacement loads its instance; calls posted meanwhile wait for it.
    assertSame(await pool.logSoftmax(x, opts), sync.logSoftmax(x, opts), 'after the restart');
    assert.equal(pool.restarts, 1);
  } finally {
    pool.terminate();
  }
});

test('an idle pool does not keep Node running; a busy one does until its call ends', () => {
  const script = `
    import { createPool } from ${JSON.stringify(new URL('../js/parallel.js', import.meta.url).href)};
    const pool = await createPool({ threads: 2 });
    const y = await pool.softmax(new Float32Array(1 << 18).fill(1), { shape: [512, 512], axis: -1 });
    console.log(y.length, y[0]);`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20000 });
  assert.equal(r.signal, null, 'exited by itself (no timeout)');
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), `${1 << 18} ${1 / 512}`);
});

test('parallel.d.ts type-checks typical use and rejects wrong calls', () => {
  // The same tsc as tests/types.test.js, on a usage file of the pool.
  const tsc = fileURLToPath(new URL('../node_modules/typescript/bin/tsc', import.meta.url));
  const r = spawnSync(process.execPath, [tsc, '-p', fileURLToPath(new URL('./types/tsconfig.parallel.json', import.meta.url))], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stdout + r.stderr);
});
