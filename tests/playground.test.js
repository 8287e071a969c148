// The playground (web/), as a newcomer meets it: `npm start`'s server, headless
// Chromium, each panel used through the page.  Results are checked against
// js/reference/float64.js computed here in Node, never against the page's own
// reference.  Screenshots at 1280x800 and phone width go to test-results/.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startServer } from '../web/serve.js';
import { launchBrowser, browserSkipReason } from './helpers/browser.js';
import { refSoftmax, refLogSumExp, refLogSoftmax } from '../js/reference/float64.js';
import { seededRandom, randomLogits } from '../js/reference/random.js';
import { ulp32 } from '../js/reference/ulp.js';
import { toFloat16Bits, fromFloat16Bits } from '../js/reference/float16.js';
import { withinBound } from './helpers/bounds.js';
import { init, logSoftmax } from '../js/index.js';
import { decodeDigits, splitIndices, createModel, trainEpoch, evaluate, topClasses, logits, CLASSES } from '../web/model.js';
import { refTopK, refFilteredDistribution } from '../js/reference/jobs.js';
import { SPLIT } from '../web/digits.js';

const ARTIFACTS = fileURLToPath(new URL('../test-results/', import.meta.url));
const DIGITS = fileURLToPath(new URL('../web/data/digits.bin', import.meta.url));
const ACCURACY_BOUND = 0.93;

describe('digits data and model (Node)', () => {
  before(() => init());

  test('digits.bin holds the 1,797 labelled 8x8 images of the UCI set', () => {
    const { images, labels, count } = decodeDigits(new Uint8Array(readFileSync(DIGITS)));
    assert.equal(count, 1797);
    const perClass = Array.from({ length: CLASSES }, (_, c) => labels.filter((l) => l === c).length);
    assert.ok(perClass.every((n) => n >= 170 && n <= 185), `class counts ${perClass}`);
    assert.ok(images.every((v) => v >= 0 && v <= 1));
    // The dataset's digits span the full height: ink in the top and bottom rows.
    const rowInk = (r) => images.filter((v, i) => Math.floor((i % 64) / 8) === r && v > 0).length;
    assert.ok(rowInk(0) > 1000 && rowInk(7) > 1000);
  });

  test(`softmax regression trained with the library reaches held-out accuracy >= ${ACCURACY_BOUND}`, () => {
    const data = decodeDigits(new Uint8Array(readFileSync(DIGITS)));
    const { train, test: held } = splitIndices(data.count, SPLIT.testFraction, SPLIT.seed);
    assert.equal(new Set([...train, ...held]).size, data.count, 'train and held-out sets are disjoint and complete');
    const model = createModel(), velocity = createModel(), rand = seededRandom(1);
    const before = evaluate(model, data, held);
    assert.ok(Math.abs(before.loss - Math.log(CLASSES)) < 1e-5, 'an all-zero model predicts uniformly');
    for (let e = 0; e < 15; e++) trainEpoch(model, data, train, { lr: 0.2, rand, velocity });
    const after = evaluate(model, data, held);
    assert.ok(after.accuracy >= ACCURACY_BOUND, `accuracy ${after.accuracy}`);
    assert.ok(after.loss < 0.3, `held-out loss ${after.loss}`);
    // The reported loss is the mean NLL, checked here against the float64
    // logSoftmax at the true class.
    const z = Float64Array.from(logits(model, data.images.subarray(0, 20 * 64), 20));
    const lsm = refLogSoftmax(z, [20, CLASSES], 1);
    const nll = -[...Array(20).keys()].reduce((s, i) => s + lsm[i * CLASSES + data.labels[i]], 0) / 20;
    const { loss } = evaluate(model, data, [...Array(20).keys()]);
    assert.ok(Math.abs(loss - nll) < 1e-5 * Math.max(1, nll), `evaluate's loss ${loss} vs ${nll}`);
    // The top 3 classes come from topK over the softmax: those of the reference.
    for (const k of held.slice(0, 20)) {
      const image = data.images.subarray(k * 64, (k + 1) * 64);
      const top = topClasses(model, image, 3);
      const ref = refTopK(Float64Array.from(logits(model, image, 1)), [1, CLASSES], 3, { of: 'softmax' });
      assert.deepEqual(Array.from(top.indices), Array.from(ref.indices));
      top.values.forEach((v, r) => assert.ok(withinBound('f32', 'softmax', v, ref.values[r]), `${v} vs ${ref.values[r]}`));
    }
  });
});

const skip = browserSkipReason();

describe('playground in Chromium', { skip: skip ?? false }, () => {
  let server, browser, page;
  const consoleErrors = [];

  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    await init();
    server = await startServer({ port: 0 });
    browser = await launchBrowser({ webgpu: true });
    page = await openPage({ width: 1280, height: 800 });
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  async function openPage(viewport, hash = '') {
    const p = await browser.newPage({ viewport });
    p.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
    p.on('pageerror', (e) => consoleErrors.push(e.message));
    await p.goto(`${server.url}${hash}`); // the front page redirects to /web/
    await p.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
    return p;
  }

  async function showTab(p, name) {
    await p.click(`#tab-${name}`);
    await p.waitForSelector(`#${name}:not([hidden])`);
  }

  /** Fills the Explore form, presses Compute and waits for that run's result. */
  async function explore(p, fields) {
    await showTab(p, 'explore');
    for (const [id, value] of Object.entries({ where: '', ...fields })) { // no mask unless the test gives one
      const kind = await p.$eval(`#${id}`, (el) => el.tagName + (el.type === 'checkbox' ? ':checkbox' : ''));
      if (kind === 'SELECT') await p.selectOption(`#${id}`, value);
      else if (kind.endsWith(':checkbox')) await p.setChecked(`#${id}`, value);
      else await p.fill(`#${id}`, value);
    }
    await p.waitForTimeout(300); // let the as-you-type run start first, so ours is the last
    const runs = Number(await p.$eval('#explore', (el) => el.dataset.runs ?? 0));
    await p.click('#compute');
    await p.waitForFunction((n) => Number(document.querySelector('#explore').dataset.runs) > n, runs);
    return p.evaluate(() => ({
      error: document.querySelector('#explore-error').hidden ? null : document.querySelector('#explore-error').textContent,
      values: [...document.querySelectorAll('#result-table table[data-kind="value"] td')].map((td) => Number(td.dataset.value)),
      signs: [...document.querySelectorAll('#result-table table[data-kind="sign"] td')].map((td) => Number(td.dataset.value)),
      summary: document.querySelector('#explore-summary').textContent,
      charts: document.querySelectorAll('#slice-charts svg').length,
    }));
  }

  test('the front page is the playground, and every panel renders', async () => {
    assert.match(page.url(), /\/web\/$/);
    assert.equal(await page.evaluate(() => self.crossOriginIsolated), true, 'COOP/COEP headers make the page isolated');
    for (const name of ['explore', 'benchmark', 'classifier', 'sampling']) {
      await showTab(page, name);
      const box = await page.locator(`#${name}`).boundingBox();
      assert.ok(box.width > 600 && box.height > 200, `${name} panel is laid out: ${JSON.stringify(box)}`);
    }
    const backends = await page.$$eval('#backend option', (os) => os.map((o) => o.value));
    for (const id of ['relaxed', 'simd', 'scalar', 'reference']) assert.ok(backends.includes(id), `backend ${id} offered: ${backends}`);
  });

  test('Explore: softmax over an axis tuple matches the float64 reference', async () => {
    const x = Array.from(randomLogits(seededRandom(11), 24, { sd: 4 }), (v) => +v.toPrecision(5));
    const shape = [2, 3, 4];
    for (const backend of ['relaxed', 'simd', 'scalar']) {
      const got = await explore(page, {
        'x-input': JSON.stringify(x), 'x-shape': '2, 3, 4', 'x-dtype': 'float32', fn: 'softmax', axis: '(0, 2)', backend,
      });
      assert.equal(got.error, null);
      const expected = refSoftmax(Float64Array.from(Float32Array.from(x)), shape, [0, 2]);
      assert.equal(got.values.length, expected.length);
      got.values.forEach((v, i) => {
        assert.ok(Math.abs(v - expected[i]) <= 4 * ulp32(expected[i]), `${backend} [${i}]: ${v} vs ${expected[i]}`);
      });
      assert.equal(got.charts, 3, 'one bar chart per kept index');
      assert.match(got.summary, /max \|error\|/);
    }
  });

  test('Explore: weighted logSumExp with returnSign matches the reference', async () => {
    const got = await explore(page, {
      'x-input': '[[1, 2, 3], [0, -inf, 5]]', 'x-shape': '', 'x-dtype': 'float64', fn: 'logSumExp', axis: '1',
      b: '[1, -3, 0.5]', 'return-sign': true, keepdims: false, backend: 'scalar',
    });
    assert.equal(got.error, null);
    const ref = refLogSumExp([1, 2, 3, 0, -Infinity, 5], [2, 3], { axis: 1, b: [1, -3, 0.5], bShape: [3], returnSign: true });
    assert.equal(got.values.length, 2);
    got.values.forEach((v, i) => assert.ok(Math.abs(v - ref.value[i]) <= 1e-14 * Math.abs(ref.value[i]) + 1e-15, `${v} vs ${ref.value[i]}`));
    assert.deepEqual(got.signs, Array.from(ref.sign));
  });

  test('Explore: a where mask and float16 (a Float16Array in this browser) match the reference', async () => {
    assert.equal(await page.evaluate(() => typeof Float16Array), 'function', 'Chromium has Float16Array');
    const x = Array.from(randomLogits(seededRandom(12), 12, { sd: 3 }), (v) => +v.toPrecision(5));
    x[1] = NaN; // masked out below: it must not reach the result
    const mask = [[1, 0, 1, 1, 0, 1], [0, 0, 0, 0, 0, 0]]; // the second row masked out entirely
    const x16 = Float64Array.from(x, (v) => fromFloat16Bits(toFloat16Bits(v)));
    for (const backend of ['relaxed', 'simd', 'scalar']) {
      for (const fn of ['softmax', 'logSoftmax']) {
        const got = await explore(page, {
          'x-input': JSON.stringify(x).replace('null', 'nan'), 'x-shape': '2, 6', 'x-dtype': 'float16', fn, axis: '-1',
          where: JSON.stringify(mask), backend,
        });
        assert.equal(got.error, null, `${backend} ${fn}`);
        const expected = (fn === 'softmax' ? refSoftmax : refLogSoftmax)(x16, [2, 6], -1, { where: mask.flat(), whereShape: [2, 6] });
        assert.equal(got.values.length, 12);
        got.values.forEach((v, i) => {
          const e = expected[i];
          const ok = Number.isFinite(e) ? withinBound('f16', fn, v, e) : Object.is(v, e);
          assert.ok(ok, `${backend} ${fn} [${i}]: ${v} vs ${e}`);
        });
        assert.ok(got.values.slice(6).every((v) => v === (fn === 'softmax' ? 0 : -Infinity)), `${backend} ${fn}: the masked row`);
      }
    }
  });

  test('Explore: a bad shape shows the library\'s error message inline', async () => {
    let expected;
    try {
      logSoftmax(new Float32Array(6), { shape: [2, 4] });
    } catch (err) {
      expected = err.message;
    }
    assert.ok(expected, 'the library rejects the shape');
    const got = await explore(page, {
      'x-input': '1 2 3 4 5 6', 'x-shape': '2, 4', 'x-dtype': 'float32', fn: 'logSoftmax', axis: '-1', backend: 'simd',
    });
    assert.ok(got.error?.includes(expected), `inline error ${JSON.stringify(got.error)} should contain ${JSON.stringify(expected)}`);
    assert.equal(got.values.length, 0, 'no stale result is left on show');
    const parse = await explore(page, { 'x-input': '[1, 2', 'x-shape': '' });
    assert.match(parse.error, /never closed/);
  });

  test('Explore: the WebGPU backend, where this browser has one, matches the reference', async (t) => {
    const offered = await page.$$eval('#backend option', (os) => os.some((o) => o.value === 'webgpu'));
    if (!offered) return t.skip('no WebGPU adapter or no js/webgpu.js: the option is hidden, as it should be');
    const x = Array.from(randomLogits(seededRandom(5), 30, { sd: 3 }), (v) => +v.toPrecision(5));
    const got = await explore(page, {
      'x-input': JSON.stringify(x), 'x-shape': '3, 10', 'x-dtype': 'float32', fn: 'logSoftmax', axis: '-1', backend: 'webgpu',
    });
    assert.equal(got.error, null);
    const expected = refLogSoftmax(Float64Array.from(Float32Array.from(x)), [3, 10], -1);
    got.values.forEach((v, i) => assert.ok(Math.abs(v - expected[i]) <= 1e-5, `[${i}]: ${v} vs ${expected[i]}`));
  });

  test('Benchmark: runs in a worker, charts every backend (wasm with a fresh result and into out) and names a winner per size', async () => {
    await showTab(page, 'benchmark');
    await page.selectOption('#bench-budget', '60');
    await page.fill('#bench-sizes', '1e3, 1e4');
    await page.selectOption('#bench-row', '100');
    await page.click('#bench-run');
    await page.waitForSelector('#benchmark[data-state="done"], #benchmark[data-state="error"]', { timeout: 90_000 });
    assert.equal(await page.$eval('#benchmark', (el) => el.dataset.state), 'done');
    assert.equal(await page.$eval('#bench-progress', (el) => el.value), 1);
    const backends = await page.$$eval('#backend option', (os) => os.map((o) => o.textContent));
    // Each wasm build is charted twice: a fresh result per call, and into `out`.
    const wasm = backends.filter((b) => b.startsWith('wasm'));
    assert.ok(wasm.length >= 2, `wasm builds: ${wasm}`);
    const names = await page.$$eval('#bench-chart .legend span', (ss) => ss.map((s) => s.textContent));
    const series = [...backends, ...wasm.map((b) => `${b}, into out`)];
    assert.deepEqual([...names].sort(), [...series].sort(), 'one series per backend, and one more per wasm build');
    const lines = await page.$$eval('#bench-chart polyline', (ls) => ls.map((l) => l.getAttribute('points').trim().split(/\s+/).length));
    assert.deepEqual(lines, series.map(() => 2), 'one line per series, a point per size');
    const heads = await page.$$eval('#bench-results thead th', (ths) => ths.map((th) => th.textContent));
    for (const b of wasm) assert.ok(heads.includes(b) && heads.includes(`${b}, into out`), `table columns ${heads}`);
    const winners = await page.$$eval('#bench-results td.winner', (tds) => tds.map((td) => td.textContent));
    assert.equal(winners.length, 2);
    for (const w of winners) assert.ok(series.includes(w), `winner ${w} is a series`);
    await page.screenshot({ path: `${ARTIFACTS}playground-benchmark-1280.png` });
  });

  test(`Classifier: training in the browser reaches held-out accuracy >= ${ACCURACY_BOUND}; a drawn digit gets probabilities summing to 1`, async () => {
    await showTab(page, 'classifier');
    await page.waitForSelector('#classifier[data-state="trained"], #classifier[data-state="error"]', { timeout: 90_000 });
    const accuracy = await page.$eval('#accuracy', (el) => Number(el.dataset.value));
    assert.ok(accuracy >= ACCURACY_BOUND, `held-out accuracy ${accuracy}`);
    assert.ok(await page.$$eval('#loss-chart polyline', (ls) => ls.length) === 2, 'loss curves drawn');

    // Draw a "7": a bar across the top, then a diagonal down to the bottom.
    const pad = await page.locator('#pad').boundingBox();
    const at = (fx, fy) => [pad.x + fx * pad.width, pad.y + fy * pad.height];
    await page.mouse.move(...at(0.25, 0.15));
    await page.mouse.down();
    for (const [fx, fy] of [[0.5, 0.15], [0.75, 0.15], [0.6, 0.5], [0.45, 0.85]]) await page.mouse.move(...at(fx, fy), { steps: 8 });
    await page.mouse.up();
    const p = await page.$eval('#class-chart svg', (el) => JSON.parse(el.dataset.probabilities));
    assert.equal(p.length, 10);
    assert.ok(p.every((v) => v >= 0 && v <= 1), `probabilities ${p}`);
    assert.ok(Math.abs(p.reduce((s, v) => s + v, 0) - 1) < 1e-5, `sum ${p.reduce((s, v) => s + v, 0)}`);
    const top = await page.$$eval('#top3 li .digit', (ds) => ds.map((d) => Number(d.textContent)));
    const order = [...p.keys()].sort((a, b) => p[b] - p[a]);
    assert.deepEqual(top, order.slice(0, 3), 'the top 3 listed are the 3 most probable classes');
    // Their probabilities are topK's softmax values: the chart's, within the softmax bound.
    const topP = await page.$$eval('#top3 li', (lis) => lis.map((li) => Number(li.dataset.probability)));
    topP.forEach((v, r) => assert.ok(withinBound('f32', 'softmax', v, p[top[r]]), `top ${r}: ${v} vs ${p[top[r]]}`));
    assert.equal(top[0], 7, 'the downsampling matches the dataset well enough to read a plain 7');
    const ink = await page.$eval('#preview', (c) => c.getContext('2d').getImageData(0, 0, 8, 8).data.filter((v, i) => i % 4 === 3 && v > 0).length);
    assert.ok(ink >= 8, 'the 8x8 preview shows the drawing');
    await page.screenshot({ path: `${ARTIFACTS}playground-classifier-1280.png` });
  });

  /** Sets the Sampling panel's fields (sliders by their value and an input event), draws, waits for that run. */
  async function sampling(p, fields) {
    await showTab(p, 'sampling');
    await p.waitForSelector('#sampling[data-state]');
    for (const [id, value] of Object.entries(fields)) {
      await p.$eval(`#${id}`, (el, v) => {
        el.value = v;
        el.dispatchEvent(new Event('input', { bubbles: true }));
      }, String(value));
    }
    if (fields['samp-vocab'] !== undefined) {
      const before = Number(await p.$eval('#sampling', (el) => el.dataset.runs));
      await p.click('#samp-generate');
      await p.waitForFunction((n) => Number(document.querySelector('#sampling').dataset.runs) > n, before);
    }
    await p.waitForTimeout(300); // let the as-you-type run go first, so that ours is the last
    const runs = Number(await p.$eval('#sampling', (el) => el.dataset.runs));
    await p.click('#samp-run');
    await p.waitForFunction((n) => Number(document.querySelector('#sampling').dataset.runs) > n, runs);
    return p.evaluate(() => {
      const chart = document.querySelector('#samp-chart svg');
      const pv = document.querySelector('#samp-pvalue');
      return {
        state: document.querySelector('#sampling').dataset.state,
        error: document.querySelector('#samp-error').hidden ? null : document.querySelector('#samp-error').textContent,
        probabilities: chart && JSON.parse(chart.dataset.probabilities),
        counts: chart && JSON.parse(chart.dataset.counts),
        logits: chart && JSON.parse(chart.dataset.logits),
        bars: document.querySelectorAll('#samp-chart rect.bar').length,
        marks: document.querySelectorAll('#samp-chart rect.overlay').length,
        pValue: pv ? Number(pv.dataset.value) : null,
        pText: pv?.textContent ?? null,
      };
    });
  }

  test('Sampling: draws only from the filtered support, the histogram sums to N, and a p-value is shown', async () => {
    const cases = [
      { 'samp-vocab': 40, 'samp-zipf': 1.1, 'samp-temperature': 0.8, 'samp-topk': 20, 'samp-topp': 0.9, 'samp-minp': 0.02, 'samp-seed': 7, 'samp-draws': 20000 },
      { 'samp-temperature': 1.5, 'samp-topk': 0, 'samp-topp': 1, 'samp-minp': 0.1, 'samp-seed': 8, 'samp-draws': 5000 },
      { 'samp-temperature': 0, 'samp-draws': 1000 },
    ];
    for (const [c, fields] of cases.entries()) {
      const got = await sampling(page, fields);
      if (c === 0) await page.screenshot({ path: `${ARTIFACTS}playground-sampling-1280.png` });
      assert.equal(got.error, null, JSON.stringify(fields));
      assert.equal(got.state, 'done');
      const N = Number(fields['samp-draws']);
      assert.equal(got.counts.reduce((a, b) => a + b, 0), N, 'the histogram holds every draw');
      assert.equal(got.bars, got.logits.length, 'one bar per token');
      assert.equal(got.marks, got.logits.length, 'one histogram mark per token');
      // The page's distribution is the reference's, recomputed here from the logits and settings it used.
      const T = Number(await page.$eval('#samp-temperature', (el) => el.value));
      const opts = await page.evaluate(() => {
        const v = (id) => Number(document.getElementById(id).value);
        return { topK: v('samp-topk'), topP: v('samp-topp'), minP: v('samp-minp') };
      });
      const ref = refFilteredDistribution(Float64Array.from(got.logits), {
        temperature: T, ...(opts.topK > 0 && { topK: opts.topK }), ...(opts.topP < 1 && { topP: opts.topP }), ...(opts.minP > 0 && { minP: opts.minP }),
      });
      ref.forEach((q, j) => assert.ok(Math.abs(q - got.probabilities[j]) < 1e-12, `probability [${j}]`));
      got.counts.forEach((c, j) => assert.ok(c === 0 || ref[j] > 0, `token ${j} drawn ${c} times outside the filtered support`));
      assert.ok(ref.some((q) => q === 0) || fields['samp-temperature'] === undefined, 'the settings filter something');
      assert.ok(got.pValue >= 0 && got.pValue <= 1 && got.pText.length > 0, `p-value shown: ${got.pText}`);
      assert.ok(got.pValue >= 1e-6, `the library's draws fit the distribution (fixed seed): p = ${got.pValue}`);
    }
  });

  test('screenshots at 1280x800 and phone width; no console errors anywhere', async () => {
    await showTab(page, 'explore');
    await page.screenshot({ path: `${ARTIFACTS}playground-explore-1280.png` });
    const phone = await openPage({ width: 390, height: 844 }, 'web/#classifier');
    await phone.waitForSelector('#classifier[data-state="trained"]', { timeout: 90_000 });
    await phone.click('#pad-sample');
    const width = await phone.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 390, `no horizontal scrolling at phone width (scrollWidth ${width})`);
    await phone.screenshot({ path: `${ARTIFACTS}playground-classifier-phone.png`, fullPage: true });
    await showTab(phone, 'explore');
    await phone.screenshot({ path: `${ARTIFACTS}playground-explore-phone.png`, fullPage: true });
    await showTab(phone, 'sampling');
    await phone.waitForSelector('#sampling[data-state="done"]');
    const samplingWidth = await phone.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(samplingWidth <= 390, `Sampling: no horizontal scrolling at phone width (scrollWidth ${samplingWidth})`);
    await phone.screenshot({ path: `${ARTIFACTS}playground-sampling-phone.png`, fullPage: true });
    await phone.close();
    assert.deepEqual(consoleErrors, []);
  });
});
