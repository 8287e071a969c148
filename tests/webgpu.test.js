// The WebGPU path on two implementations: headless Chromium (Dawn on
// SwiftShader, which has `subgroups`; the wasm path runs in the same page)
// and Deno (wgpu on Mesa's lavapipe, whose compiler treats float arithmetic
// differently).  Every result is checked against the independent float64
// reference (js/reference/float64.js) with the float32 bounds of
// tests/helpers/bounds.js.  Each case runs four times on the GPU: both
// kernel variants (createGpu's `passes`: three passes, or the online pass),
// each with subgroup reductions (where the adapter has them) and with the
// workgroup-memory fallback.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { launchBrowser, browserSkipReason } from './helpers/browser.js';
import { denoSkipReason, startDeno } from './helpers/deno.js';
import { BOUND32, ulpError } from './helpers/bounds.js';
import { startServer } from '../web/serve.js';
import { refLogSoftmax, refSoftmax, refLogSumExp } from '../js/reference/float64.js';
import { seededRandom, randomLogits } from '../js/reference/random.js';
import { kind } from '../js/reference/ulp.js';
import { size } from '../js/reference/shapes.js';

const skip = browserSkipReason() ?? false;
const skipDeno = denoSkipReason() ?? false;
let server, browser, page, deno;

before(async () => {
  if (!skip) {
    server = await startServer({ port: 0 });
    browser = await launchBrowser({ webgpu: true });
    page = await browser.newPage();
    page.on('pageerror', (err) => console.error('page error:', err));
    await page.goto(`${server.url}tests/webgpu/index.html`);
    await page.waitForFunction(() => window.lsmReady);
    await page.evaluate(async () => {
      await window.lsmReady;
      window.gpus = await window.lsm.cases.makeContexts(window.lsm.webgpu.createGpu);
    });
  }
  if (!skipDeno) {
    deno = await startDeno();
    console.log(`Deno WebGPU adapter: ${deno.adapter}`);
  }
});

after(async () => {
  deno?.close();
  await browser?.close();
  await server?.close();
});

// The two implementations: Chromium's Dawn on SwiftShader (where the wasm
// path runs in the same page too), and Deno's wgpu on lavapipe.
const IMPLS = ['chromium', 'deno'];
const skipOf = (impl) => (impl === 'chromium' ? skip : skipDeno);

/**
 * Runs cases on the named back ends of one implementation; each result is
 * {value, sign?} or {error}.
 * @param {{fn: string, data: Float32Array, opts?: object}[]} cases
 */
async function runOn(impl, cases, backends) {
  if (impl === 'deno') return deno.call({ cases, backends });
  return page.evaluate(async ([cases, backends]) => window.lsm.cases.runCases(
    { ...window.gpus, wasm: window.lsm.wasm }, cases, backends), [cases, backends]);
}

/** runOn's values; a rejected call fails the test. */
async function runValues(impl, cases, backends) {
  const results = await runOn(impl, cases, backends);
  return results.map((r, k) => Object.fromEntries(backends.map((name) => {
    if (r[name].error) assert.fail(`${cases[k].label ?? cases[k].fn} ${impl} ${name}: ${r[name].error}`);
    return [name, r[name].value];
  })));
}

const asArray = (v) => (typeof v === 'number' ? [v] : Array.from(v));

/** Checks one result against the float64 reference; returns the worst error in ulps. */
function check(name, fn, got, ref) {
  got = asArray(got);
  assert.equal(got.length, ref.length, `${name}: length`);
  let worst = 0;
  for (let i = 0; i < ref.length; i++) {
    const [g, r] = [got[i], ref[i]];
    assert.equal(kind(g), kind(r), `${name}[${i}]: got ${g}, reference ${r}`);
    if (kind(r) !== 'finite') continue;
    // The device may flush subnormal softmax outputs.
    if (fn === 'softmax' && Math.abs(r) < 2 ** -126) { assert.ok(Math.abs(g - r) <= 2 ** -126, `${name}[${i}]: ${g} vs ${r}`); continue; }
    const err = ulpError('f32', fn, g, r);
    assert.ok(err <= BOUND32[fn], `${name}[${i}]: ${g} vs ${r} is ${err.toFixed(2)} ulp (bound ${BOUND32[fn]})`);
    worst = Math.max(worst, err);
  }
  return worst;
}

function reference(fn, data, opts = {}) {
  const shape = opts.shape ?? [data.length];
  if (fn === 'logSoftmax') return refLogSoftmax(data, shape, opts.axis);
  if (fn === 'softmax') return refSoftmax(data, shape, opts.axis);
  return refLogSumExp(data, shape, opts).value;
}

const GPU = ['subgroups', 'shared', 'online', 'onlineShared'];
const ALL = [...GPU, 'wasm'];

// Which back ends run each case: the wasm path only in the Chromium page.
const backendsOf = (impl) => (impl === 'chromium' ? ALL : GPU);

/** Registers one test per implementation, each skipped where that implementation is missing. */
function bothTest(name, fn) {
  for (const impl of IMPLS) test(`${name} (${impl})`, { skip: skipOf(impl) }, () => fn(impl));
}

bothTest('the contexts under test run the variants they say', async (impl) => {
  const r = impl === 'deno' ? await deno.call({ contexts: true }) : await page.evaluate(() => Object.fromEntries(
    Object.entries(window.gpus).map(([name, gpu]) => [name, [gpu.passes, gpu.subgroups]])));
  // Subgroups where the adapter offers them (SwiftShader does).
  const sub = impl === 'chromium' ? true : r.subgroups[1];
  assert.deepEqual(r, {
    subgroups: ['three', sub], shared: ['three', false], online: ['online', sub], onlineShared: ['online', false],
  });
});

/** Runs cases on the back ends and checks each against the reference. */
async function verify(impl, cases, backends = backendsOf(impl)) {
  const results = await runValues(impl, cases, backends);
  const worst = {};
  cases.forEach(({ fn, data, opts, label }, k) => {
    const ref = reference(fn, data, opts);
    for (const backend of backends) {
      const err = check(`${label ?? fn} ${backend}`, fn, results[k][backend], ref);
      worst[`${fn} ${backend}`] = Math.max(worst[`${fn} ${backend}`] ?? 0, err);
    }
  });
  return worst;
}

const f32 = (values) => Float32Array.from(values);
const FNS = ['logSoftmax', 'softmax', 'logSumExp'];

bothTest('random shapes and axes: last, first, middle, tuples, all, element-wise', async (impl) => {
  const rand = seededRandom(4);
  const layouts = [
    [[7, 33], -1], [[33, 7], 0], [[3, 50, 4], 1], [[4, 3, 50], [0, 2]], [[2, 3, 4, 5], [1, 3]],
    [[5, 6, 7], [-1, -2]], [[6, 40], null], [[4, 5], []], [[2, 1, 3], 1],
  ];
  const cases = [];
  for (const [shape, axis] of layouts) {
    const data = f32(randomLogits(rand, size(shape), { masked: 0.1 }));
    for (const fn of FNS) cases.push({ fn, data, opts: { shape, axis }, label: `${fn} [${shape}] axis ${JSON.stringify(axis)}` });
  }
  console.log(`worst errors (ulp, ${impl}):`, await verify(impl, cases));
});

bothTest('row lengths 1, 3, 64, 1000 and 70000, with -inf masks', async (impl) => {
  const rand = seededRandom(5);
  const cases = [];
  for (const [rows, n] of [[50, 1], [40, 3], [30, 64], [8, 1000], [2, 70000]]) {
    const data = f32(randomLogits(rand, rows * n, { masked: 0.2 }));
    for (const fn of FNS) cases.push({ fn, data, opts: { shape: [rows, n], axis: -1 }, label: `${fn} ${rows}x${n}` });
    // The same lengths down a non-last axis.
    if (n <= 1000) cases.push({ fn: 'logSoftmax', data, opts: { shape: [n, rows], axis: 0 }, label: `columns ${n}x${rows}` });
  }
  console.log(`worst errors (ulp, ${impl}):`, await verify(impl, cases));
});

bothTest("scipy's special values: inf, -inf, NaN, all -inf, large offsets", async (impl) => {
  const I = Infinity;
  const rows = [[1000, 1], [-I, -I], [I, 1], [I, I], [I, -I], [-I, 0], [NaN, 1], [0, -40], [1e30, -1e30]];
  const specials = (rows) => {
    const data = f32(rows.flat());
    const cases = FNS.map((fn) => ({ fn, data, opts: { shape: [rows.length, 2], axis: 1 }, label: `${fn} ${rows}` }));
    // Column mode sees the same rows as columns.
    const t = f32(rows.map((r) => r[0]).concat(rows.map((r) => r[1])));
    for (const fn of FNS) cases.push({ fn, data: t, opts: { shape: [2, rows.length], axis: 0 }, label: `${fn} columns ${rows}` });
    return cases;
  };
  const cases = specials(rows);
  for (const fn of FNS) cases.push({ fn, data: f32([5]), opts: { shape: [] }, label: `${fn} 0-d` });
  await verify(impl, cases);
  // x - m near -FLT_MAX: the wasm path gives softmax(f32 [-3e38, 3e37]) =
  // [NaN, 0], not [0, 1] (c/exp.h adds the TwoSum correction after clamping
  // t); reported, and checked here on the GPU only until it is fixed.
  await verify(impl, specials([[-3e38, 3e37]]), GPU);
});

bothTest('rows that move the online reference: sorted, wide, ties, special first elements', async (impl) => {
  // The online pass refers its sums to the slice's first element and moves
  // that reference only when a new max passes it by 32: these rows make it
  // move (once or many times, in one thread or across threads) or start at
  // -inf, and make the elements at the max straddle threads.
  const rand = seededRandom(9);
  const n = 1000;
  const linspace = (a, b, len = n) => Array.from({ length: len }, (_, i) => a + ((b - a) * i) / (len - 1));
  const rows = {
    ascending: linspace(-60, 60),
    descending: linspace(60, -60),
    'fine ascending': linspace(0, 1),
    'first far below': [-1000, ...randomLogits(rand, n - 1)],
    'first -inf': [-Infinity, ...randomLogits(rand, n - 1)],
    'first NaN': [NaN, ...randomLogits(rand, n - 1)],
    'first +inf': [Infinity, ...randomLogits(rand, n - 1)],
    'max ties': Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 3 : rand() * 6 - 40)),
    'two clusters': Array.from({ length: n }, (_, i) => (i % 2 ? 100 : 0) + rand()),
    huge: Array.from({ length: n }, (_, i) => (i % 5) * 1e30 - 2e30),
  };
  const cases = [];
  for (const [name, row] of Object.entries(rows)) {
    const data = f32(row);
    for (const fn of FNS) {
      cases.push({ fn, data, opts: { shape: [1, n], axis: -1 }, label: `${fn} ${name}` });
      // Short rows (packed slices, tree reductions) and columns.
      cases.push({ fn, data, opts: { shape: [n / 8, 8], axis: -1 }, label: `${fn} ${name} rows of 8` });
      cases.push({ fn, data, opts: { shape: [n / 8, 8], axis: 0 }, label: `${fn} ${name} columns` });
    }
  }
  console.log(`worst errors (ulp, ${impl}):`, await verify(impl, cases));
});

bothTest('logSumExp with b: masks, negative weights, broadcasting, fully masked rows', async (impl) => {
  const rand = seededRandom(6);
  const a = f32(randomLogits(rand, 6 * 40));
  const b = f32(Array.from({ length: 240 }, (_, i) => (i % 7 === 0 ? 0 : i % 5 === 0 ? -0.5 : rand() * 2)));
  b.fill(0, 40, 80); // row 1 fully masked
  const cases = [
    { fn: 'logSumExp', data: a, opts: { shape: [6, 40], axis: 1, b, returnSign: true }, label: 'b full, sign' },
    { fn: 'logSumExp', data: a, opts: { shape: [6, 40], axis: 1, b }, label: 'b full, NaN for negative sums' },
    { fn: 'logSumExp', data: a, opts: { shape: [6, 40], axis: 0, b: f32(b.subarray(0, 40)), bShape: [1, 40] }, label: 'b broadcast' },
    { fn: 'logSumExp', data: a, opts: { shape: [6, 40], axis: null, b: 0.5, keepdims: true }, label: 'b number' },
    { fn: 'logSumExp', data: f32([0, -40, 5, 1, 2, 3]), opts: { shape: [2, 3], b: f32([1, 1, 0, 0, 0, 0]), bShape: [2, 3], axis: -1 }, label: 'log1p split, all masked' },
    { fn: 'logSumExp', data: f32([Infinity, 1, NaN, 1, 1000, 1000]), opts: { shape: [3, 2], b: f32([1, 1, 0, 1, 1, -1]), axis: 1, returnSign: true }, label: 'b specials' },
  ];
  const results = await runOn(impl, cases, backendsOf(impl));
  cases.forEach(({ data, opts, label }, k) => {
    const ref = refLogSumExp(data, opts.shape, opts);
    for (const backend of backendsOf(impl)) {
      check(`${label} ${backend}`, 'logSumExp', results[k][backend].value, ref.value);
      // The signs too.
      if (opts.returnSign) assert.deepEqual(Array.from(results[k][backend].sign), Array.from(ref.sign), `${label} ${backend} signs`);
    }
  });
});

bothTest('logSumExp of an empty reduction is -inf with sign -1, after any earlier call', async (impl) => {
  const cases = [];
  for (const returnSign of [false, true]) {
    // A finite result first: the empty one must not echo it.
    cases.push({ fn: 'logSumExp', data: f32([1, 2, 3]), opts: { returnSign } });
    cases.push({ fn: 'logSumExp', data: f32([]), opts: { shape: [3, 0], axis: 1, returnSign }, label: '[3, 0] axis 1' });
    cases.push({ fn: 'logSumExp', data: f32([7]), opts: { returnSign } });
    cases.push({ fn: 'logSumExp', data: f32([]), opts: { returnSign }, label: 'length 0' });
  }
  const results = await runOn(impl, cases, backendsOf(impl));
  for (const backend of backendsOf(impl)) {
    const got = results.map((r) => r[backend]);
    assert.deepEqual(Array.from(got[1].value), [-Infinity, -Infinity, -Infinity], `${backend} [3, 0]`);
    assert.equal(got[3].value, -Infinity, `${backend} length 0`);
    assert.deepEqual(Array.from(got[5].value), [-Infinity, -Infinity, -Infinity], `${backend} [3, 0] returnSign`);
    assert.deepEqual(Array.from(got[5].sign), [-1, -1, -1], `${backend} [3, 0] sign`);
    assert.equal(got[7].value, -Infinity, `${backend} length 0 returnSign`);
    assert.equal(got[7].sign, -1, `${backend} length 0 sign`);
  }
});

bothTest("weighted logSumExp: special weights, tiny and huge weights, scipy's float32 fallback", async (impl) => {
  const I = Infinity;
  const rows = [
    [[0, 1], [I, 1]], [[0, 1], [-I, 1]], [[0, 1], [I, -I]], [[0, 1], [NaN, 1]], [[5, 1], [1, I]],
    [[-I, 0], [NaN, 1]], [[-I, 0], [-I, 1]], [[-I, 0], [I, 1]], [[-200, 0], [I, 1]],
    // Subnormal weights, alone, summed, and next to normal ones.
    [[0], [1e-45]], [[0, 0], [1e-45, 1e-45]], [[1, 2], [3e-42, -1e-44]], [[-0.7, 3], [1e-40, 1e-39]], [[0, 1], [1e-45, 1e-30]],
    // Huge weights on terms whose exp is subnormal or below float32.
    [[0, -100], [1, 1e38]], [[-100, -95], [1e38, 1e36]], [[0, -120], [1e-3, 3e38]], [[10, -90], [1, -3e38]],
    // float32 underflow and overflow inside scipy's sums.
    [[0, 0, -50], [1, -1, 1e-30]], [[0, 0, 0, 0], [3e38, 3e38, 3e38, 3e38]], [[0, 0, -1], [1, -1, 0.5]],
    [[100, 100], [1, -1]], [[100, 99], [1, -1]], [[100, 100, 0], [1, -1, 1]], [[90, 0], [1, 1]],
    // Masks, signs, cancellations.
    [[1, 2], [0, 0]], [[I, 1], [0, 1]], [[I, 1], [0, -1]], [[NaN, 1], [0, 1]], [[1000, 0], [1, 1]], [[1000, 0], [1, -1]],
    [[0, 0], [1, -1]], [[5, 5], [-2, 1]], [[0, -0.5], [1, -2]], [[0, -1], [1, -2]], [[-I, -I], [1, 1]], [[3, 3], [2, -1]],
  ];
  // Random rows from pools of awkward values.
  const rand = seededRandom(11);
  const pick = (pool) => pool[Math.floor(rand() * pool.length)];
  const aPool = [0, 0, -1, 2.5, -30, -50, -100, 100, 1000, -I, I, NaN];
  const bPool = [0, 1, 1, -1, 0.5, 2, 1e-45, 1e-30, 3e38, -3e38, I, -I, NaN];
  for (let r = 0; r < 60; r++) {
    const len = 1 + Math.floor(rand() * 4);
    rows.push([Array.from({ length: len }, () => pick(aPool)), Array.from({ length: len }, () => pick(bPool))]);
  }
  // One slice per row, padded with masked entries (b = 0, a = 0: they add 0).
  const width = Math.max(...rows.map(([a]) => a.length));
  const pad = (v, fill) => [...v, ...Array(width - v.length).fill(fill)];
  const a = f32(rows.flatMap(([as]) => pad(as, 0)));
  const b = f32(rows.flatMap(([, bs]) => pad(bs, 0)));
  const shape = [rows.length, width];
  const cases = [false, true].map((returnSign) => ({ fn: 'logSumExp', data: a, opts: { shape, axis: 1, b, returnSign } }));
  const results = await runOn(impl, cases, backendsOf(impl));
  const worst = {};
  cases.forEach(({ opts }, k) => {
    const ref = refLogSumExp(a, shape, { ...opts, returnSign: true });
    // scipy's steps in float32 arithmetic decide the special values and signs.
    const ref32 = refLogSumExp(a, shape, { ...opts, float32: true });
    for (const [backend, r] of Object.entries(results[k])) {
      if (r.error) assert.fail(`${backend}: ${r.error}`);
      rows.forEach(([as, bs], i) => {
        const label = `${backend} returnSign ${opts.returnSign} a [${as}] b [${bs}]`;
        const [value, sign] = [ref32.value[i], ref32.sign[i] + 0];
        const got = r.value[i];
        assert.equal(kind(got), kind(value), `${label}: got ${got}, scipy float32 ${value}`);
        if (opts.returnSign) assert.ok(Object.is(r.sign[i], sign), `${label}: sign ${r.sign[i]}, scipy float32 ${sign}`);
        if (kind(value) === 'finite') {
          const err = ulpError('f32', 'logSumExp', got, ref.value[i]);
          assert.ok(err <= BOUND32.logSumExp, `${label}: ${got} vs ${ref.value[i]} is ${err.toFixed(2)} ulp (bound ${BOUND32.logSumExp})`);
          worst[backend] = Math.max(worst[backend] ?? 0, err);
        }
      });
    }
  });
  console.log(`weighted logSumExp, worst errors (ulp, ${impl}):`, worst);
});

bothTest('float64 weights are rejected, with the way to the float64 result', async (impl) => {
  const a = f32([0, 1, 2]);
  const cases = [new Float64Array([1, 2, 3]), [1, 2, 3]].map((b) => ({ fn: 'logSumExp', data: a, opts: { b } }));
  const results = await runOn(impl, cases, ['subgroups']);
  for (const [k, what] of ['Float64Array\\(3\\)', '\\[1, 2, 3\\]'].entries()) {
    assert.match(results[k].subgroups.error ?? 'no error',
      new RegExp(`^TypeError: .*float32.*b must be a Float32Array, a number or a GPUBuffer; got ${what}.*import \\{ logSumExp \\} from 'logsoftmax'`));
  }
});

bothTest('more than 65,535 rows, and dispatches split over y', async (impl) => {
  const rand = seededRandom(7);
  const data = f32(randomLogits(rand, 70000 * 3, { masked: 0.1 }));
  // The shared contexts split dispatches of more than 128 workgroups over y.
  const cases = FNS.map((fn) => ({ fn, data, opts: { shape: [70000, 3], axis: -1 }, label: `${fn} 70000 rows` }));
  cases.push({ fn: 'logSoftmax', data, opts: { shape: [3, 70000], axis: 0 }, label: 'logSoftmax 70000 columns' });
  cases.push({ fn: 'logSumExp', data, opts: { shape: [70000, 3], axis: -1, b: f32([1, 0, 2]), bShape: [3] }, label: 'weighted 70000 rows' });
  await verify(impl, cases);
});

test('GPUBuffer in and out: no readback, the same values as the Float32Array path', { skip }, async () => {
  const data = f32(randomLogits(seededRandom(8), 12 * 50));
  const r = await page.evaluate(async (data) => {
    const gpu = window.gpus.subgroups;
    const { device } = gpu;
    const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
    const read = async (buf, n) => {
      const rb = device.createBuffer({ size: n * 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
      const enc = device.createCommandEncoder();
      enc.copyBufferToBuffer(buf, 0, rb, 0, n * 4);
      device.queue.submit([enc.finish()]);
      await rb.mapAsync(GPUMapMode.READ);
      const out = new Float32Array(rb.getMappedRange().slice(0));
      rb.destroy();
      return out;
    };
    const x = device.createBuffer({ size: data.byteLength, usage });
    device.queue.writeBuffer(x, 0, data);
    const opts = { shape: [12, 50], axis: 0 };
    const y = await gpu.logSoftmax(x, opts);
    const out = device.createBuffer({ size: data.byteLength + 64, usage });
    const same = await gpu.softmax(x, { ...opts, out });
    const lse = await gpu.logSumExp(x, { ...opts, returnSign: true });
    return {
      isBuffer: y instanceof GPUBuffer && same === out && lse.value instanceof GPUBuffer && lse.sign instanceof GPUBuffer,
      y: await read(y, data.length), yRef: await gpu.logSoftmax(data, opts),
      s: await read(out, data.length), sRef: await gpu.softmax(data, opts),
      l: await read(lse.value, 50), lRef: await gpu.logSumExp(data, opts),
    };
  }, data);
  assert.ok(r.isBuffer, 'GPUBuffer in gives GPUBuffer out (or the given out buffer)');
  assert.deepEqual(r.y, r.yRef);
  assert.deepEqual(r.s, r.sRef);
  assert.deepEqual(r.l, r.lRef);
  check('GPUBuffer logSoftmax', 'logSoftmax', r.y, refLogSoftmax(data, [12, 50], 0));
});

test('bad arguments reject with a clear error, and the context stays usable', { skip }, async () => {
  const errors = await page.evaluate(async () => {
    const gpu = window.gpus.subgroups;
    const { device } = gpu;
    const small = device.createBuffer({ size: 16, usage: GPUBufferUsage.STORAGE });
    const noStorage = device.createBuffer({ size: 64, usage: GPUBufferUsage.COPY_DST });
    const x = new Float32Array(6);
    const attempts = {
      badShape: () => gpu.logSoftmax(x, { shape: [4, 2] }),
      negativeDim: () => gpu.softmax(x, { shape: [-6] }),
      badAxis: () => gpu.logSoftmax(x, { shape: [2, 3], axis: 2 }),
      zeroAxis: () => gpu.logSoftmax(new Float32Array(0), { shape: [0, 3], axis: 0 }),
      float64: () => gpu.logSoftmax(new Float64Array(6)),
      smallBuffer: () => gpu.logSoftmax(small, { shape: [2, 3] }),
      noStorage: () => gpu.logSoftmax(noStorage, { shape: [4] }),
      outLength: () => gpu.softmax(x, { out: new Float32Array(5) }),
      inPlace: () => gpu.softmax(small, { shape: [4], out: small }),
      badB: () => gpu.logSumExp(x, { shape: [2, 3], b: new Float32Array([1, 2]), bShape: [2] }),
      keepdims: () => gpu.logSumExp(x, { keepdims: 1 }),
      passes: () => window.lsm.webgpu.createGpu({ device, passes: 'two' }),
    };
    const out = {};
    for (const [name, f] of Object.entries(attempts)) {
      try {
        await f();
        out[name] = 'no error';
      } catch (err) {
        out[name] = `${err.name}: ${err.message}`;
      }
    }
    out.after = Array.from(await gpu.softmax(new Float32Array([0, 0])));
    return out;
  });
  const expect = {
    badShape: /RangeError: shape \[4, 2\] holds 8 elements but x has 6/,
    negativeDim: /RangeError: shape\[0\] must be a non-negative integer/,
    badAxis: /RangeError: axis = 2 is out of range/,
    zeroAxis: /RangeError: logSoftmax reduces over a zero-length axis/,
    float64: /TypeError: .*float32.*Float32Array or a GPUBuffer; got Float64Array\(6\)/,
    smallBuffer: /RangeError: x is a GPUBuffer of 16 bytes; shape \[2, 3\] needs 24/,
    noStorage: /TypeError: x is a GPUBuffer without STORAGE usage/,
    outLength: /RangeError: out has length 5; the result has 6/,
    inPlace: /RangeError: out is x/,
    badB: /RangeError: b of shape \[2\] cannot broadcast against a of shape \[2, 3\]/,
    keepdims: /TypeError: keepdims must be a boolean; got 1/,
    passes: /RangeError: createGpu option passes must be one of 'three', 'online'; got "two"/,
  };
  for (const [name, re] of Object.entries(expect)) assert.match(errors[name], re, name);
  assert.deepEqual(errors.after, [0.5, 0.5]);
});

test('a destroyed device or context makes calls reject, never hang', { skip }, async () => {
  const r = await page.evaluate(async () => {
    const { createGpu, isDeviceLost } = window.lsm.webgpu;
    const adapter = await navigator.gpu.requestAdapter();
    const device = await adapter.requestDevice();
    const gpu = await createGpu({ device });
    const before = Array.from(await gpu.softmax(new Float32Array([1, 1])));
    const pending = gpu.logSoftmax(new Float32Array(4096).fill(1)); // in flight when the device goes
    device.destroy();
    const outcome = async (p) => p.then(() => 'resolved', (err) => `${isDeviceLost(err)} ${err.message}`);
    const lostInfo = await gpu.lost;
    const own = await createGpu();
    own.destroy();
    return {
      before, lostInfo,
      pending: await outcome(pending),
      after: await outcome(gpu.softmax(new Float32Array([1, 2]))),
      afterBuffer: await outcome(gpu.logSumExp(new Float32Array([1, 2]))),
      ownDestroyed: await outcome(own.softmax(new Float32Array([1, 2]))),
    };
  });
  assert.deepEqual(r.before, [0.5, 0.5]);
  assert.equal(r.lostInfo.reason, 'destroyed');
  // The call in flight may have finished before the loss; if not, it rejected.
  assert.match(r.pending, /^(resolved|true the WebGPU device was lost)/);
  assert.match(r.after, /^true the WebGPU device was lost \(destroyed.*fall back to the wasm API/);
  assert.match(r.afterBuffer, /^true the WebGPU device was lost/);
  assert.match(r.ownDestroyed, /^false this WebGPU context was destroyed/);
});

test('createGpu fails cleanly without WebGPU, naming what is missing', { skip }, async () => {
  const plain = await launchBrowser({ webgpu: false });
  try {
    const p = await plain.newPage();
    await p.goto(`${server.url}tests/webgpu/index.html`);
    await p.waitForFunction(() => window.lsmReady);
    const r = await p.evaluate(async () => {
      const { createGpu } = window.lsm.webgpu;
      const attempt = () => createGpu().then(() => 'resolved', (err) => `${err.name}: ${err.message}`);
      const noAdapter = await attempt();
      Object.defineProperty(Navigator.prototype, 'gpu', { get: () => undefined, configurable: true });
      return { noAdapter, noGpu: await attempt() };
    });
    assert.match(r.noAdapter, /^GpuUnavailableError: WebGPU is not available: navigator\.gpu\.requestAdapter\(\) found no adapter/);
    assert.match(r.noGpu, /^GpuUnavailableError: WebGPU is not available: navigator\.gpu is missing/);
  } finally {
    await plain.close();
  }
});

test('webgpu.d.ts type-checks typical use and rejects wrong calls', () => {
  const tsc = fileURLToPath(new URL('../node_modules/typescript/bin/tsc', import.meta.url));
  const project = fileURLToPath(new URL('./webgpu/tsconfig.json', import.meta.url));
  try {
    execFileSync(process.execPath, [tsc, '-p', project], { encoding: 'utf8' });
  } catch (err) {
    assert.fail(`tsc reported errors:\n${err.stdout}${err.stderr}`);
  }
});
