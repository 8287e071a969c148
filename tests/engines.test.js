// The package in three browser engines: Chromium, Firefox ESR and WebKitGTK
// (tests/helpers/engines.js drives them).  In each: the build init() picks,
// results against js/reference/float64.js in a page and in a module worker,
// unbundled (the page imports /js/index.js from the server) and bundled
// (esbuild with code splitting, from the packed package), and which build's
// bytes went over the wire.  Firefox and WebKit also get a smoke test of the
// playground; tests/playground.test.js covers it fully in Chromium.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ENGINES, engineSkipReason, launch, startWireServer, expectedBuild, buildsCarried } from './helpers/engines.js';
import { installPackedPackage, bundle } from './helpers/packed.js';
import { withinBound } from './helpers/bounds.js';
import { refLogSoftmax, refSoftmax, refLogSumExp } from '../js/reference/float64.js';
import { seededRandom, randomLogits } from '../js/reference/random.js';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const FIXTURES = fileURLToPath(new URL('./engines/', import.meta.url));
const BUILDS = ['relaxed', 'simd', 'scalar'];

// Rows of 37 (SIMD bodies and tails in both dtypes): random logits, wide
// ones, one NaN (its row and column), a row a third -inf, a row all -inf.
const SHAPE = [5, 37];
const X = (() => {
  const rand = seededRandom(2024);
  const x = [
    ...randomLogits(rand, 37, { sd: 4 }), ...randomLogits(rand, 37, { sd: 40 }), ...randomLogits(rand, 37, { sd: 2 }),
    ...randomLogits(rand, 37, { sd: 4, masked: 1 / 3 }), ...Array(37).fill(-Infinity),
  ];
  x[2 * 37 + 5] = NaN;
  return x;
})();
// JSON has no NaN or infinities: those travel as strings (tests/engines/compute.js).
const INPUT = { x: X.map((v) => (Number.isFinite(v) ? v : String(v))), shape: SHAPE };

// What compute.js computes, by the float64 reference.
const REFERENCE = (() => {
  const x32 = Float64Array.from(Float32Array.from(X));
  return {
    f32: {
      logSoftmax: refLogSoftmax(x32, SHAPE, -1),
      softmax: refSoftmax(x32, SHAPE, 0),
      logSumExp: refLogSumExp(x32, SHAPE, { axis: -1, float32: true }).value,
    },
    f64: {
      logSoftmax: refLogSoftmax(X, SHAPE, 0),
      softmax: refSoftmax(X, SHAPE, -1),
      logSumExp: refLogSumExp(X, SHAPE, { axis: 0 }).value,
    },
  };
})();

/** Checks what a page or worker computed: the bounds of tests/helpers/bounds.js, special values exactly. */
function checkResults(got, where) {
  for (const dtype of ['f32', 'f64']) {
    for (const [fn, ref] of Object.entries(REFERENCE[dtype])) {
      const values = got[dtype][fn].map(Number);
      assert.equal(values.length, ref.length, `${where} ${dtype} ${fn}: length`);
      values.forEach((v, i) => {
        const ok = Number.isFinite(ref[i]) ? withinBound(dtype, fn, v, ref[i]) : Object.is(v, ref[i]);
        assert.ok(ok, `${where} ${dtype} ${fn}[${i}]: ${v}, reference ${ref[i]}`);
      });
    }
  }
}

// Which build a response carries, by its content (helpers/engines.js);
// several builds in one response, or a .wasm of none of them, count too.
const WASM_MAGIC = Buffer.from([0, 0x61, 0x73, 0x6d]);
function buildCarried(body) {
  const builds = buildsCarried(body);
  if (builds.length) return builds.join(' + ');
  return body.subarray(0, 4).equals(WASM_MAGIC) ? 'an unknown .wasm' : null;
}

const kb = (n) => `${(n / 1000).toFixed(1)} kB`;

// LSM_ENGINES=firefox,webkit runs only those.
const RUN = process.env.LSM_ENGINES?.split(',') ?? ENGINES;
const skips = Object.fromEntries(RUN.map((engine) => [engine, engineSkipReason(engine)]));

describe('browser engines', () => {
  let server, tmp;

  before(async () => {
    if (RUN.every((e) => skips[e])) return;
    const { dir, app } = installPackedPackage(FIXTURES, 'logsoftmax-engines-');
    tmp = dir;
    // A plain esbuild bundle with code splitting: each build a chunk of its own.
    await bundle(app, { dir: '.', entryPoints: ['main.js', 'worker.js'], splitting: true });
    server = await startWireServer({ '/': REPO, '/bundle/': app });
  });

  after(async () => {
    await server?.close();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  /** The wasm-carrying responses since log entry `from`: [{path, build, bytes, gzipBytes}]. */
  function wasmFetched(from) {
    return server.log.slice(from).map((e) => ({ ...e, build: buildCarried(e.body) })).filter((e) => e.build);
  }

  for (const engine of RUN) {
    describe(engine, { skip: skips[engine] ?? false, timeout: 180_000 }, () => {
      let browser, expected;

      before(async () => {
        browser = await launch(engine);
        expected = expectedBuild(engine, browser.version);
      });

      after(() => browser?.close());

      async function openReady(path) {
        await browser.open(server.url + path);
        await browser.evaluate(async (condition) => {
          for (const start = Date.now(); !(0, eval)(condition); await new Promise((ok) => setTimeout(ok, 50))) {
            if (Date.now() - start > 30_000) throw new Error(`timed out waiting for ${condition}`);
          }
        }, 'document.body?.dataset.ready === "true"');
      }

      /**
       * Runs compute.js in the open page, then in a module worker, with the
       * build init() picks or with load({ build: loaded }).  Each realm must
       * match the reference and must have fetched one wasm-carrying file, of
       * that build.  One per realm: web/serve.js sends `Cache-Control:
       * no-cache` and no validator, so the worker's import cannot be answered
       * from the page's copy.  `pageStart`: the log entry the page's own
       * requests start at.
       */
      async function pageAndWorker(t, where, pageStart, loaded) {
        const build = loaded ?? expected;
        const fetched = [];
        for (const [realm, run] of [
          ['page', ({ input, build }) => window.app.compute(input, build)],
          ['worker', ({ input, build }) => window.app.computeInWorker(input, build)],
        ]) {
          const from = realm === 'page' ? pageStart : server.log.length;
          const got = await browser.evaluate(run, { input: INPUT, build: loaded });
          assert.equal(got.build, build, `${where} ${realm}: the build`);
          checkResults(got, `${engine} ${where} ${realm}`);
          const wasm = wasmFetched(from);
          assert.deepEqual(wasm.map((e) => e.build), [build], `${where} ${realm}: wasm-carrying files fetched: ${wasm.map((e) => e.path)}`);
          fetched.push(...wasm);
        }
        const [{ path, bytes, gzipBytes }] = fetched;
        t.diagnostic(`${engine} ${browser.version}, ${where}: ${build}; each realm fetched ${path}, ${kb(bytes)} (gzip ${kb(gzipBytes)})`);
        return fetched;
      }

      test('unbundled: init() picks the expected build; page and module worker match the reference; only that build went over the wire', async (t) => {
        const start = server.log.length;
        await openReady('tests/engines/unbundled.html');
        const fetched = await pageAndWorker(t, 'unbundled', start);
        assert.ok(fetched.every((e) => e.path === `/js/wasm-${expected}.js`), 'the package\'s own module');
        assert.deepEqual(await browser.errors(), []);
      });

      test('load({ build: \'scalar\' }) runs in the page and in a module worker, fetching only the scalar build', async (t) => {
        await pageAndWorker(t, 'load scalar', server.log.length, 'scalar');
        assert.deepEqual(await browser.errors(), []);
      });

      test('bundled by esbuild with splitting: the same, from the build\'s chunk', async (t) => {
        const start = server.log.length;
        await openReady('bundle/bundled.html');
        const fetched = await pageAndWorker(t, 'bundled', start);
        assert.ok(fetched.every((e) => e.path.startsWith('/bundle/dist/')), `a chunk of the bundle: ${fetched.map((e) => e.path)}`);
        const unbundled = server.log.slice(start).filter((e) => !e.path.startsWith('/bundle/'));
        assert.deepEqual(unbundled.map((e) => e.path), [], 'the bundled page fetches nothing outside the bundle');
        assert.deepEqual(await browser.errors(), []);
      });

      if (engine !== 'chromium') {
        test('playground: the page loads and Explore computes softmax without console errors', async () => {
          await openReady(''); // the front page redirects to /web/
          const x = [2, 1, 0.1, -1.5, 3, -20, 0, 0.5];
          const got = await browser.evaluate(async (x) => {
            const $ = (id) => document.getElementById(id);
            $('tab-explore').click();
            // Values set directly fire no input event, so no as-you-type run races the button's.
            const fields = { 'x-input': JSON.stringify(x), 'x-shape': '2, 4', 'x-dtype': 'float32', fn: 'softmax', axis: '-1' };
            for (const [id, value] of Object.entries(fields)) $(id).value = value;
            const runs = Number($('explore').dataset.runs ?? 0);
            $('compute').click();
            for (const start = Date.now(); Number($('explore').dataset.runs ?? 0) <= runs; await new Promise((ok) => setTimeout(ok, 50))) {
              if (Date.now() - start > 30_000) throw new Error('Explore gave no result');
            }
            return {
              path: location.pathname,
              env: $('env').textContent,
              backends: [...$('backend').options].map((o) => o.value),
              backend: $('backend').value,
              error: $('explore-error').hidden ? null : $('explore-error').textContent,
              values: [...document.querySelectorAll('#result-table table[data-kind="value"] td')].map((td) => Number(td.dataset.value)),
            };
          }, x);
          assert.equal(got.path, '/web/');
          const label = { relaxed: 'wasm relaxed SIMD', simd: 'wasm SIMD', scalar: 'wasm scalar' }[expected];
          assert.ok(got.env.startsWith(label + ' ·'), `environment line ${JSON.stringify(got.env)}`);
          assert.deepEqual(got.backends.filter((b) => BUILDS.includes(b)), BUILDS.slice(BUILDS.indexOf(expected)), 'the wasm builds offered');
          assert.equal(got.backend, expected, 'Explore runs the best build by default');
          assert.equal(got.error, null);
          const ref = refSoftmax(Float64Array.from(Float32Array.from(x)), [2, 4], -1);
          assert.equal(got.values.length, ref.length);
          got.values.forEach((v, i) => assert.ok(withinBound('f32', 'softmax', v, ref[i]), `softmax[${i}]: ${v}, reference ${ref[i]}`));
          assert.deepEqual(await browser.errors(), []);
        });
      }
    });
  }
});
