// The package as users get it: `npm pack`, the tarball installed offline into
// a fresh project in a temporary directory, and the fixtures in
// tests/consumer/ run against it — Node ESM, an esbuild bundle in Chromium
// (page and Web Worker), a no-bundler page, and TypeScript.  Results are
// compared with js/reference/float64.js here, so the fixtures only compute.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer } from '../web/serve.js';
import { launchBrowser, browserSkipReason } from './helpers/browser.js';
import { installPackedPackage, bundle } from './helpers/packed.js';
import { refLogSoftmax, refSoftmax, refLogSumExp } from '../js/reference/float64.js';
import { seededRandom, randomLogits } from '../js/reference/random.js';
import { withinBound } from './helpers/bounds.js';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const FIXTURES = fileURLToPath(new URL('./consumer/', import.meta.url));
const TSC = join(REPO, 'node_modules/typescript/bin/tsc');

const INPUT = { x: Array.from(randomLogits(seededRandom(3), 12, { sd: 4 })), shape: [3, 4] };

let dir, app;

/** Checks what a consumer computed for INPUT against the float64 reference. */
function checkResults(got, where) {
  const { x, shape } = INPUT;
  const x32 = Float64Array.from(Float32Array.from(x));
  const lsm = refLogSoftmax(x32, shape, -1);
  assert.equal(got.logSoftmax.length, lsm.length, where);
  got.logSoftmax.forEach((v, i) => assert.ok(withinBound('f32', 'logSoftmax', v, lsm[i]), `${where} logSoftmax[${i}] ${v} vs ${lsm[i]}`));
  const sm = refSoftmax(x, shape, 0);
  got.softmax.forEach((v, i) => assert.ok(Math.abs(v - sm[i]) <= 1e-14 * sm[i] + 1e-300, `${where} softmax[${i}] ${v} vs ${sm[i]}`));
  const lse = refLogSumExp(x, [x.length]).value[0];
  assert.ok(Math.abs(got.logSumExp - lse) <= 1e-14 * Math.abs(lse), `${where} logSumExp ${got.logSumExp} vs ${lse}`);
}

before(() => ({ dir, app } = installPackedPackage(FIXTURES)));
after(() => dir && rmSync(dir, { recursive: true, force: true }));

describe('Node ESM consumer', () => {
  const run = (extra = {}) => {
    const out = execFileSync(process.execPath, ['node/check.mjs', JSON.stringify({ ...INPUT, ...extra })], { cwd: app, encoding: 'utf8' });
    return JSON.parse(out);
  };

  test('imports the installed package and computes correctly', () => {
    const got = run();
    assert.ok(fileURLToPath(got.resolved).startsWith(join(app, 'node_modules', 'logsoftmax') + sep), `resolved ${got.resolved}`);
    assert.equal(got.simd, true, 'Node 20 validates the SIMD build');
    checkResults(got, 'node');
    assert.ok(got.webgpuExports.includes('createGpu'), `logsoftmax/webgpu exports ${got.webgpuExports}`);
  });

  // package.json's engines admits only the Node versions whose require()
  // loads an ES module (20.19+, 22.12+): CommonJS callers work too.
  test('require() from CommonJS loads it, and it computes', () => {
    const code = `const lsm = require('logsoftmax');
      lsm.init().then(() => console.log(JSON.stringify(Array.from(lsm.logSoftmax(new Float64Array([0, Math.log(3)]))))));`;
    const out = execFileSync(process.execPath, ['-e', code], { cwd: app, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const got = JSON.parse(out), ref = refLogSoftmax([0, Math.log(3)], [2], -1);
    got.forEach((v, i) => assert.ok(withinBound('f64', 'logSoftmax', v, ref[i]), `require: [${i}] ${v} vs ${ref[i]}`));
  });

  test('self-hosts the exported scalar .wasm', () => {
    const got = run({ selfHost: true });
    assert.equal(got.simd, false);
    checkResults(got, 'node self-hosted');
  });
});

test('TypeScript: a consumer type-checks with tsc --strict, a wrong call does not', () => {
  const good = spawnSync(process.execPath, [TSC, '-p', 'ts/tsconfig.json'], { cwd: app, encoding: 'utf8' });
  assert.equal(good.status, 0, `tsc on good.ts:\n${good.stdout}${good.stderr}`);
  const bad = spawnSync(process.execPath, [TSC, '-p', 'ts/tsconfig.bad.json'], { cwd: app, encoding: 'utf8' });
  assert.notEqual(bad.status, 0, 'bad.ts must not type-check');
  const errors = bad.stdout.split('\n').filter((l) => /error TS\d+/.test(l));
  assert.equal(errors.length, 1, bad.stdout);
  assert.match(errors[0], /^ts\/bad\.ts\(4,/, 'the one error is the wrong call');
});

// TypeScript's older "node" resolution ignores "exports": typesVersions
// must lead it to both entry points' types.
test('TypeScript: moduleResolution "node" finds the types of logsoftmax and logsoftmax/webgpu', () => {
  const r = spawnSync(process.execPath, [TSC, '-p', 'ts/tsconfig.node10.json'], { cwd: app, encoding: 'utf8' });
  assert.equal(r.status, 0, `tsc on entries.ts:\n${r.stdout}${r.stderr}`);
});

const skip = browserSkipReason();

describe('browser consumers in Chromium', { skip: skip ?? false }, () => {
  let server, browser;

  before(async () => {
    // A plain esbuild bundle: nothing specific to this package.
    await bundle(app, { dir: 'browser', entryPoints: ['main.js', 'worker.js'] });
    server = await startServer({ port: 0, root: app });
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  async function open(path) {
    const page = await browser.newPage();
    const errors = [];
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(server.url + path);
    await page.waitForSelector('body[data-ready="true"]', { state: 'attached', timeout: 20_000 });
    return { page, errors };
  }

  test('an esbuild-bundled app computes correctly in the page and in a Web Worker', async () => {
    const { page, errors } = await open('browser/index.html');
    const inPage = await page.evaluate((input) => window.app.compute(input), INPUT);
    assert.equal(inPage.simd, true);
    assert.equal(inPage.relaxed, true, 'Chromium runs relaxed SIMD: the bundle (no splitting: every build inlined) picks that one');
    checkResults(inPage, 'bundled page');
    const inWorker = await page.evaluate((input) => window.app.computeInWorker(input), INPUT);
    checkResults(inWorker, 'bundled worker');
    assert.deepEqual(errors, []);
    await page.close();
  });

  test('a plain <script type="module"> page imports it from node_modules, no bundler', async () => {
    const { page, errors } = await open('browser/plain.html');
    checkResults(await page.evaluate((input) => window.app.compute(input), INPUT), 'plain page');
    assert.deepEqual(errors, []);
    await page.close();
  });
});
