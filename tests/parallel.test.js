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
import { refLogSoftmax, refSoftmax, refLogSumExp } from '../js/reference/float64.js';
import { kind } from '../js/reference/ulp.js';
import { withinBound } from './helpers/bounds.js';

const CRASH = Symbol.for('logsoftmax.parallel.crash');
const STATS = Symbol.for('logsoftmax.parallel.stats');

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

// Long slices cut across workers: not the synchronous API's bits (the sums
// are grouped by chunk and merged), so held to the promised bounds against
// the float64 reference, and to scipy's special values.
const FNS = ['logSoftmax', 'softmax', 'logSumExp'];
const arr = (v) => (typeof v === 'number' ? [v] : v);
const reference = {
  logSoftmax: (x, shape, axis) => refLogSoftmax(x, shape, axis),
  softmax: (x, shape, axis) => refSoftmax(x, shape, axis),
  logSumExp: (x, shape, axis) => refLogSumExp(x, shape, { axis }).value,
};

function checkAgainst(fn, got, ref, dtype, where) {
  got = arr(got);
  assert.equal(got.length, ref.length, where);
  for (let i = 0; i < ref.length; i++) {
    if (kind(got[i]) !== kind(ref[i])) assert.fail(`${where} [${i}]: ${got[i]}, the reference's ${ref[i]}`);
    if (kind(ref[i]) === 'finite' && !withinBound(dtype, fn, got[i], ref[i])) assert.fail(`${where} [${i}]: ${got[i]} vs ${ref[i]}`);
  }
}

/** fn of x on the pool, checking that the call's slices were cut into `chunks` chunks. */
async function cutCall(pool, fn, x, opts, chunks, where) {
  const before = pool[STATS]().sliceCalls;
  const got = await pool[fn](x, opts);
  const st = pool[STATS]();
  assert.equal(st.sliceCalls, before + 1, `${where}: the slices were cut`);
  assert.equal(st.lastChunks, chunks, `${where}: one chunk per worker`);
  return got;
}

// Lengths not divisible by 2 or 3; a slice of 2^17 elements or more per chunk.
const LONG = 400003;
// With each form, the size of its first kept group: the pool cuts by rows
// (bit for bit, above) where that is as many as the workers.
const CUT_FORMS = [
  [[1, LONG], -1, 1], [[LONG], null, 1], [[2, 300001], -1, 2], // one slice; two slices over three workers
  [[300001, 2], 0, 2], [[2, 150001, 2], 1, 2], // slices strided: whole rows of them per chunk
];

for (const mode of ['shared', 'transfer']) {
  for (const threads of [2, 3]) {
    test(`mode ${mode}, ${threads} threads: long slices cut across workers, within the bounds`, async () => {
      const pool = await createPool({ threads, mode });
      try {
        for (const Type of [Float32Array, Float64Array]) {
          const dtype = Type === Float32Array ? 'f32' : 'f64';
          for (const [shape, axis, kept] of CUT_FORMS) {
            if (kept >= threads) continue;
            const x = logits(shape.reduce((a, b) => a * b, 1), Type, shape.length * 3 + threads);
            for (const fn of FNS) {
              const where = `${fn} ${dtype} [${shape}] axis ${axis}`;
              const got = await cutCall(pool, fn, x, { shape, axis }, threads, where);
              checkAgainst(fn, got, reference[fn](x, shape, axis), dtype, where);
            }
          }
        }
      } finally {
        pool.terminate();
      }
    });
  }
}

test('long slices cut across workers: NaN, +inf, -inf and all -inf in each chunk give scipy\'s values', async () => {
  const pools = [await createPool({ threads: 3, mode: 'shared' }), await createPool({ threads: 3, mode: 'transfer' })];
  try {
    const n = LONG, third = Math.ceil(n / 3);
    const base = logits(n, Float32Array, 11).map((v) => (Number.isFinite(v) ? v : 0));
    const cases = [];
    for (let c = 0; c < 3; c++) {
      const at = c * third + 1234; // inside chunk c
      for (const [label, values] of [['NaN', [NaN]], ['+inf', [Infinity]], ['-inf', [-Infinity]], ['NaN, +inf', [NaN, Infinity]]]) {
        const x = base.slice();
        values.forEach((v, i) => (x[at + 7 * i] = v));
        cases.push([`${label} in chunk ${c}`, x]);
      }
      // Chunk c all -inf: its state is m = -inf, s = 0; the max is elsewhere.
      const x = base.slice();
      x.fill(-Infinity, c * third, Math.min(n, (c + 1) * third));
      cases.push([`chunk ${c} all -inf`, x]);
    }
    cases.push(['+inf in chunks 0 and 2', Object.assign(base.slice(), { 5: Infinity, [n - 5]: Infinity })]);
    cases.push(['all -inf', new Float32Array(n).fill(-Infinity)]);
    const last = new Float32Array(n).fill(-Infinity);
    last[n - 1] = 3; // the only finite element, in the last chunk
    cases.push(['one finite element, in the last chunk', last]);
    for (const pool of pools) {
      // Transfer mode differs only in how chunks travel: the middle chunk's cases and the all -inf ones.
      for (const [label, x] of pool.mode === 'shared' ? cases : cases.filter(([l]) => /chunk 1|all -inf|last chunk/.test(l))) {
        for (const fn of FNS) {
          const where = `${pool.mode} ${fn}, ${label}`;
          const got = await cutCall(pool, fn, x, { shape: [1, n], axis: -1 }, 3, where);
          checkAgainst(fn, got, reference[fn](x, [1, n], -1), 'f32', where);
          assert.deepEqual(arr(got).map(kind), arr(sync[fn](x, { shape: [1, n], axis: -1 })).map(kind), `${where}: as the synchronous API`);
        }
        const lse = await pool.logSumExp(x, { returnSign: true });
        const want = sync.logSumExp(x, { returnSign: true });
        assert.ok(Object.is(lse.sign, want.sign), `${pool.mode} ${label}: sign ${lse.sign}, the synchronous API's ${want.sign}`);
      }
    }
  } finally {
    for (const pool of pools) pool.terminate();
  }
});

test('long slices cut across workers: out, in place, keepdims and returnSign as the synchronous API', async () => {
  const pool = await createPool({ threads: 2 });
  try {
    const shape = [2, 300001], n = 2 * 300001, x = logits(n, Float32Array, 21);
    const opts = { shape, axis: -1 };
    const ref = refLogSoftmax(x, shape, -1);
    for (const out of [new Float32Array(n), onShared(new Float32Array(n))]) {
      assert.equal(await pool.logSoftmax(x, { ...opts, out }), out, 'the result is `out` itself');
      checkAgainst('logSoftmax', out, ref, 'f32', `out ${out.buffer.constructor.name}`);
    }
    for (const y of [x.slice(), onShared(x)]) {
      assert.equal(await pool.logSoftmax(y, { ...opts, out: y }), y);
      checkAgainst('logSoftmax', y, ref, 'f32', `in place, ${y.buffer.constructor.name}`);
    }
    const one = x.subarray(0, 300001);
    const r = await cutCall(pool, 'logSumExp', one, { shape: [300001, 1], axis: 0, keepdims: true, returnSign: true }, 2, 'keepdims');
    const want = sync.logSumExp(one, { shape: [300001, 1], axis: 0, keepdims: true, returnSign: true });
    assert.equal(r.value.constructor, Float32Array);
    assert.deepEqual([r.value.length, r.sign.length, r.sign[0]], [1, 1, want.sign[0]]);
    checkAgainst('logSumExp', r.value, refLogSumExp(one, [300001, 1], { axis: 0 }).value, 'f32', 'keepdims');
    assert.equal(typeof await pool.logSumExp(one), 'number', 'every axis reduced: a number, as the synchronous API gives');
    const lseOut = new Float32Array(2);
    assert.equal(await pool.logSumExp(x, { ...opts, out: lseOut }), lseOut);
    checkAgainst('logSumExp', lseOut, refLogSumExp(x, shape, { axis: -1 }).value, 'f32', 'logSumExp into out');
  } finally {
    pool.terminate();
  }
});
