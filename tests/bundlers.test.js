// The package through each bundler a new user might pick, each with its
// defaults: the entry and the output, and no plugin beyond what the bundler
// needs to read node_modules (Rollup's node-resolve).  The app in
// tests/bundlers/ (a page and a module worker, each importing
// { init, logSoftmax }) is built from the packed package, then:
// - what each bundler emits: every file's size raw, gzip and brotli, and the
//   builds whose bytes it carries (by content: each build's base64);
// - in each browser engine: page and worker match js/reference/float64.js,
//   the build init() chose, what each realm fetched; where the bundler splits,
//   exactly one build's bytes reach each realm, the one init() chose.  Where
//   it cannot (esbuild without --splitting; Vite's default worker format,
//   iife), that every build is inlined is asserted as the fact it is today.
// The size budgets are `todo` tests: they run and print today's numbers, and
// fail without failing the run until the wasm is small enough to meet them.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, gzipSync, constants as zlib } from 'node:zlib';
import { ENGINES, buildsCarried, engineSkipReason, expectedBuild, launch, startWireServer } from './helpers/engines.js';
import { installPackedPackage } from './helpers/packed.js';
import { withinBound } from './helpers/bounds.js';
import { refLogSoftmax } from '../js/reference/float64.js';
import { seededRandom, randomLogits } from '../js/reference/random.js';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const FIXTURES = fileURLToPath(new URL('./bundlers/', import.meta.url));
const BUILDS = ['relaxed', 'simd', 'scalar'];
const ALL = BUILDS.join('+');

// The budgets, in gzip bytes (kB = 1,000 bytes, as everywhere in these tests).
const INLINE_BUDGET = 60_000; // what a bundler that cannot split inlines into one entry
const DOWNLOAD_BUDGET = 24_000; // what a realm downloads for { init, logSoftmax }: JS + the one build it runs

// A page for the bundlers that emit no HTML of their own.
const page = (script) => `<!doctype html>\n<meta charset="utf-8">\n<link rel="icon" href="data:,">\n<body>\n${script}\n</body>\n`;

/**
 * Each bundler's command line as a new user writes it: the entries (or the
 * page) and the output directory, `out`, relative to the app.  `carriers`: for each emitted .js
 * file that carries wasm, the builds it carries, sorted (a file carrying
 * several is an entry that inlined them).  `realms`: per realm, 'one' where
 * the bundler splits (exactly the chosen build must arrive) or 'all' where
 * it inlines every build (asserted as today's fact).
 */
const BUNDLERS = [
  {
    name: 'vite', pkg: 'vite', bin: 'vite',
    args: (out) => ['build', '--outDir', out],
    // The worker is built in Vite's default worker format, iife, which cannot
    // split: its dynamic imports, one per build, are inlined.
    carriers: ['relaxed', ALL, 'scalar', 'simd'],
    realms: { page: 'one', worker: 'all' },
  },
  {
    name: 'webpack', pkg: 'webpack', bin: 'webpack', with: ['webpack-cli'],
    args: (out) => ['--entry', './src/main.js', '--output-path', out, '--mode', 'production'],
    // A classic script: webpack's default output is no ES module.
    html: page('<script src="./main.js"></script>'),
    carriers: ['relaxed', 'scalar', 'simd'],
    realms: { page: 'one', worker: 'one' },
  },
  {
    // Rollup does not follow new Worker(new URL(...)): the worker is a second input.
    name: 'rollup', pkg: 'rollup', bin: 'rollup', with: ['@rollup/plugin-node-resolve'],
    args: (out) => ['--plugin', 'node-resolve', '--input', 'src/main.js', '--input', 'src/worker.js', '--dir', out],
    html: page('<script type="module" src="./main.js"></script>'),
    carriers: ['relaxed', 'scalar', 'simd'],
    realms: { page: 'one', worker: 'one' },
  },
  {
    name: 'esbuild --splitting', pkg: 'esbuild', bin: 'esbuild',
    args: (out) => ['--bundle', '--splitting', '--format=esm', `--outdir=${out}`, 'src/main.js', 'src/worker.js'],
    html: page('<script type="module" src="./main.js"></script>'),
    carriers: ['relaxed', 'scalar', 'simd'],
    realms: { page: 'one', worker: 'one' },
  },
  {
    // Without splitting every dynamic import is inlined into its entry.
    name: 'esbuild', pkg: 'esbuild', bin: 'esbuild',
    args: (out) => ['--bundle', '--format=esm', `--outdir=${out}`, 'src/main.js', 'src/worker.js'],
    html: page('<script type="module" src="./main.js"></script>'),
    carriers: [ALL, ALL],
    realms: { page: 'all', worker: 'all' },
  },
  {
    // --no-autoinstall changes nothing about the build; it makes a missing
    // package a failure here instead of an install from the registry.
    name: 'parcel', pkg: 'parcel', bin: 'parcel',
    args: (out) => ['build', 'index.html', '--dist-dir', out, '--no-autoinstall'],
    // Parcel gives the worker its own copy of each build's chunk.
    carriers: ['relaxed', 'relaxed', 'scalar', 'scalar', 'simd', 'simd'],
    realms: { page: 'one', worker: 'one' },
  },
];
for (const b of BUNDLERS) b.out = `out/${b.name.replace(/\W+/g, '-')}`;

// Under CI=true every bundler and engine runs; elsewhere LSM_BUNDLERS=vite,parcel
// and LSM_ENGINES=chromium pick some.
const pick = (variable, all) => {
  const names = process.env.CI === 'true' ? undefined : process.env[variable]?.split(',');
  return names ? all.filter((x) => names.includes(x.name ?? x)) : all;
};
const RUN = pick('LSM_BUNDLERS', BUNDLERS);
const RUN_ENGINES = pick('LSM_ENGINES', ENGINES);

// Rows of 37 (SIMD bodies and tails in both dtypes): random logits, wide
// ones, a row a third -inf, one NaN (its row and its column).
const SHAPE = [4, 37];
const X = (() => {
  const rand = seededRandom(77);
  const x = [
    ...randomLogits(rand, 37, { sd: 4 }), ...randomLogits(rand, 37, { sd: 40 }),
    ...randomLogits(rand, 37, { sd: 4, masked: 1 / 3 }), ...randomLogits(rand, 37, { sd: 2 }),
  ];
  x[3 * 37 + 8] = NaN;
  return x;
})();
const INPUT = { x: X.map((v) => (Number.isFinite(v) ? v : String(v))), shape: SHAPE };
const REFERENCE = {
  f32: refLogSoftmax(Float64Array.from(Float32Array.from(X)), SHAPE, -1),
  f64: refLogSoftmax(X, SHAPE, 0),
};

/** What tests/bundlers/src/compute.js returned, against the reference: bounds.js's, special values exactly. */
function checkResults(got, where) {
  for (const dtype of ['f32', 'f64']) {
    const values = got[dtype].map(Number), ref = REFERENCE[dtype];
    assert.equal(values.length, ref.length, `${where} ${dtype}: length`);
    values.forEach((v, i) => {
      const ok = Number.isFinite(ref[i]) ? withinBound(dtype, 'logSoftmax', v, ref[i]) : Object.is(v, ref[i]);
      assert.ok(ok, `${where} ${dtype} logSoftmax[${i}]: ${v}, reference ${ref[i]}`);
    });
  }
}

const kb = (n) => `${(n / 1000).toFixed(1)} kB`;
const carried = (builds) => builds.join('+') || '-';

/** The executable a devDependency installs as `name`, as a command line prefix. */
function command(pkg, name) {
  const dir = join(REPO, 'node_modules', pkg);
  const { bin } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const file = join(dir, typeof bin === 'string' ? bin : bin[name]);
  // esbuild's install puts its native executable in place of the JS shim.
  return readFileSync(file).subarray(0, 2).toString() === '#!' ? [process.execPath, file] : [file];
}

const versionOf = (pkg) => JSON.parse(readFileSync(join(REPO, 'node_modules', pkg, 'package.json'), 'utf8')).version;

/** Runs a command in `cwd`; rejects with its output if it fails or outlasts `timeout` ms. */
function run([file, ...args], cwd, timeout = 150_000) {
  return new Promise((ok, fail) => {
    const child = spawn(file, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' } });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeout);
    child.once('error', fail);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) ok(output);
      else fail(new Error(`${[file, ...args].join(' ')} failed (${signal ?? code}):\n${output}`));
    });
  });
}

/** Every file under `dir`: its path relative to it, sizes raw, gzip (zlib's default level) and brotli (quality 11), and builds carried. */
function inventory(dir) {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => {
      const path = relative(dir, join(e.parentPath, e.name)), body = readFileSync(join(dir, path));
      return {
        path, raw: body.length, gzip: gzipSync(body).length,
        brotli: brotliCompressSync(body, { params: { [zlib.BROTLI_PARAM_SIZE_HINT]: body.length } }).length,
        builds: buildsCarried(body),
      };
    })
    .sort((a, b) => a.path.localeCompare(b.path));
}

const isScript = (path) => /\.m?js$/.test(path);

let dir, app;
const built = {}; // bundler name → { versions, commandLine, seconds, files, server }
const measured = []; // what each realm fetched, per bundler and engine

before(async () => {
  if (!RUN.length) return;
  ({ dir, app } = installPackedPackage(FIXTURES, 'logsoftmax-bundlers-'));
  // One at a time: the machine may be busy, and each bundler uses every core it sees.
  for (const b of RUN) {
    const cmd = [...command(b.pkg, b.bin), ...b.args(b.out)];
    const start = process.hrtime.bigint();
    await run(cmd, app);
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const out = join(app, b.out);
    if (b.html) writeFileSync(join(out, 'index.html'), b.html);
    built[b.name] = {
      versions: [b.pkg, ...(b.with ?? [])].map((pkg) => `${pkg} ${versionOf(pkg)}`).join(', '), seconds, files: inventory(out),
      commandLine: [b.bin, ...b.args(b.out)].join(' '),
      // Each bundle at the root of its own server: Vite and Parcel write
      // root-relative URLs (their default base is /).
      server: await startWireServer({ '/': out }),
    };
  }
}, { timeout: 300_000 });

after(async () => {
  await Promise.all(Object.values(built).map((b) => b.server.close()));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('what each bundler emits with its defaults', () => {
  for (const b of RUN) {
    test(`${b.name}: every file, its sizes and the builds it carries`, (t) => {
      const { versions, commandLine, seconds, files } = built[b.name];
      t.diagnostic(`${versions}: \`${commandLine}\`, ${seconds.toFixed(1)} s`);
      t.diagnostic(`${'file'.padEnd(34)} ${'raw'.padStart(9)} ${'gzip'.padStart(9)} ${'brotli'.padStart(9)}  builds`);
      for (const f of files) {
        t.diagnostic(`${f.path.padEnd(34)} ${kb(f.raw).padStart(9)} ${kb(f.gzip).padStart(9)} ${kb(f.brotli).padStart(9)}  ${carried(f.builds)}`);
      }
      assert.ok(files.some((f) => f.path === 'index.html'), 'a page to load');
      const scripts = files.filter((f) => isScript(f.path));
      assert.deepEqual(scripts.filter((f) => f.builds.length).map((f) => carried(f.builds)).sort(), [...b.carriers].sort(),
        'the builds each wasm-carrying script carries');
      for (const f of scripts.filter((f) => f.builds.length > 1)) {
        t.diagnostic(`cannot split: ${f.path} inlines ${carried(f.builds)}, ${kb(f.gzip)} gzip (budget ${kb(INLINE_BUDGET)})`);
      }
    });
  }

  test(`budget: where a bundler cannot split, what it inlines into an entry is at most ${kb(INLINE_BUDGET)} gzip`, {
    todo: 'not met today: esbuild without --splitting inlines 167.5 kB gzip into main.js (167.3 kB into worker.js), '
      + 'Vite\'s iife worker chunk 164.4 kB; drop this todo once the three builds together fit',
  }, (t) => {
    const inlined = RUN.flatMap((b) => built[b.name].files.filter((f) => isScript(f.path) && f.builds.length > 1)
      .map((f) => ({ where: `${b.name} ${f.path}`, gzip: f.gzip })));
    inlined.forEach(({ where, gzip }) => t.diagnostic(`${where}: ${kb(gzip)} gzip`));
    const over = inlined.filter(({ gzip }) => gzip > INLINE_BUDGET).map(({ where, gzip }) => `${where} ${kb(gzip)}`);
    assert.ok(over.length === 0, `over ${kb(INLINE_BUDGET)} gzip: ${over.join(', ')}`);
  });
});

for (const engine of RUN_ENGINES) {
  const skip = RUN.length ? engineSkipReason(engine) : 'no bundler selected';
  describe(`${engine}: each bundle's page and module worker`, { skip: skip ?? false, timeout: 240_000 }, () => {
    let browser, expected;

    before(async () => {
      browser = await launch(engine);
      expected = expectedBuild(engine, browser.version);
    });

    after(() => browser?.close());

    for (const b of RUN) {
      const rule = { one: 'only the chosen build reaches it', all: 'every build is inlined into it' };
      test(`${b.name}: both compute right with the build init() picks; page: ${rule[b.realms.page]}; worker: ${rule[b.realms.worker]}`, async (t) => {
        const { server } = built[b.name];
        const start = server.log.length;
        await browser.open(server.url);
        await browser.evaluate(async () => {
          for (const start = Date.now(); document.body?.dataset.ready !== 'true'; await new Promise((ok) => setTimeout(ok, 50))) {
            if (Date.now() - start > 30_000) throw new Error('the page never got ready');
          }
        });
        for (const realm of ['page', 'worker']) {
          const from = realm === 'page' ? start : server.log.length;
          const got = await browser.evaluate(realm === 'page'
            ? (input) => window.app.compute(input)
            : (input) => window.app.computeInWorker(input), INPUT);
          const fetched = server.log.slice(from).map((e) => ({ ...e, builds: buildsCarried(e.body) }));
          checkResults(got, `${engine} ${b.name} ${realm}`);
          assert.equal(got.build, expected, `${b.name} ${realm}: the build init() picks in ${engine} ${browser.version}`);
          assert.deepEqual(fetched.filter((e) => e.status !== 200).map((e) => `${e.status} ${e.path}`), [], `${realm}: failed requests`);
          const wasm = fetched.filter((e) => e.builds.length);
          const seen = wasm.map((e) => `${e.path}: ${carried(e.builds)}`).join(', ') || 'none';
          if (b.realms[realm] === 'one') {
            assert.deepEqual(wasm.map((e) => e.builds), [[got.build]],
              `${b.name} ${realm}: exactly one wasm-carrying file fetched, of the build init() picked (${got.build}); got ${seen}`);
          } else {
            assert.deepEqual(wasm.map((e) => e.builds), [BUILDS], `${b.name} ${realm}: one file, inlining every build; got ${seen}`);
          }
          const scripts = fetched.filter((e) => isScript(e.path));
          const js = { bytes: scripts.reduce((s, e) => s + e.bytes, 0), gzip: scripts.reduce((s, e) => s + e.gzipBytes, 0) };
          measured.push({ bundler: b.name, engine, realm, build: got.build, rule: b.realms[realm], ...js });
          t.diagnostic(`${engine} ${browser.version}, ${b.name} ${realm}: ${got.build}; fetched ${
            fetched.map((e) => `${e.path} ${kb(e.bytes)} (gzip ${kb(e.gzipBytes)})${e.builds.length ? ` [${carried(e.builds)}]` : ''}`).join(', ')
          }; scripts ${kb(js.bytes)}, gzip ${kb(js.gzip)}`);
        }
        assert.deepEqual(await browser.errors(), [], `${b.name}: console errors in ${engine}`);
      });
    }
  });
}

test(`budget: what a realm downloads for { init, logSoftmax } (JS and the one build it runs) is at most ${kb(DOWNLOAD_BUDGET)} gzip`, {
  todo: 'not met today: 56.5 to 74.1 kB gzip a realm, e.g. webpack\'s page in Chromium 62.1 kB '
    + '(13.9 kB of JS, 48.2 kB the relaxed build); drop this todo once the JS and each build together fit',
}, (t) => {
  const split = measured.filter((m) => m.rule === 'one');
  assert.ok(split.length, 'nothing measured: no engine ran');
  split.forEach((m) => t.diagnostic(`${m.engine} ${m.bundler} ${m.realm} (${m.build}): ${kb(m.gzip)} gzip`));
  const over = split.filter((m) => m.gzip > DOWNLOAD_BUDGET).map((m) => `${m.engine} ${m.bundler} ${m.realm} ${kb(m.gzip)}`);
  assert.ok(over.length === 0, `over ${kb(DOWNLOAD_BUDGET)} gzip: ${over.join(', ')}`);
});
