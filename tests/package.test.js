// What `npm pack` would publish: only what users need (the modules, their
// types, the wasm, package.json, README, licence), every module it imports
// and every `exports` target present, no runtime dependencies, and a size
// that stays small.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const [packed] = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json'], { cwd: REPO, encoding: 'utf8' }));
const files = new Map(packed.files.map((f) => [f.path, f]));

// Room for the three wasm builds (about 80 KB each), each shipped raw and
// embedded in JS (deflated for the SIMD builds: about 420 KB in all
// unpacked), plus the JS and README; a stray
// test fixture or source tree would blow through it.  The download (packed)
// budget is the one that held for two builds; the unpacked one grew by
// 64 KiB with the relaxed-SIMD build.  Both grew with topK, crossEntropy and
// sample (measured: packed 251.4 -> 311.6 KB, unpacked 587.8 -> 725.9 KB:
// each build's job kernels twice, raw and embedded, and their JS), and
// again with logsoftmax/parallel (its pool, worker, split and types: 24 KB
// unpacked, about 7 KB packed; measured 311.8 KiB packed, 732.9 KiB
// unpacked), and again with the streamed path's kernels (c/stream.h, in
// each build twice; measured 355.0 KiB packed, 836.8 KiB unpacked), and
// again with streamed softmax's store and rescale kernels (about 6.6 KB
// packed, 14.4 KB unpacked; measured 364.8 KiB packed, 856.6 KiB unpacked),
// and again with the pool's long-slice cut and topK's filter (measured
// 369.1 KiB packed, 869.7 KiB unpacked), and again with sample's passes by
// blocks and windows (3.6-4.1 KB raw a build; measured 385.9 KiB packed,
// 898.2 KiB unpacked, from 372.0 KiB and 874.9 KiB), and again with the
// scalar build's own loop for log_softmax's sum (18% faster) and its steps
// for the 16-bit conversions (1.5x faster), 2.3 KB raw, with the SIMD
// builds 4 KB smaller (measured 388.2 KiB packed, 901.3 KiB unpacked, from
// 386.1 KiB and 899.3 KiB).
const MAX_PACKED_BYTES = 389 * 1024;
const MAX_UNPACKED_BYTES = 902 * 1024;

const ALLOWED = [/^package\.json$/, /^README\.md$/, /^LICEN[CS]E(\.md|\.txt)?$/, /^js\/[\w.-]+\.(js|d\.ts|wasm)$/];

/** Every file path an `exports` entry points at (all conditions). */
function exportTargets(entry) {
  if (typeof entry === 'string') return [entry];
  return Object.values(entry).flatMap(exportTargets);
}

test('the tarball holds only what users need', () => {
  const stray = [...files.keys()].filter((p) => !ALLOWED.some((re) => re.test(p)));
  assert.deepEqual(stray, [], 'tests, sources, the playground and build files stay out of the package');
  for (const must of ['package.json', 'README.md', 'js/index.js', 'js/index.d.ts', 'js/logsoftmax-relaxed.wasm', 'js/logsoftmax-simd.wasm', 'js/logsoftmax-scalar.wasm']) {
    assert.ok(files.has(must), `${must} is packed`);
  }
});

test('every exports target, main and types are in the tarball', () => {
  const targets = [...Object.values(pkg.exports).flatMap(exportTargets), pkg.main, pkg.types].map((t) => posix.normalize(t));
  const missing = targets.filter((t) => !files.has(t));
  assert.deepEqual(missing, [], 'package.json points at files the tarball lacks');
  assert.ok(pkg.exports['.'].types, 'the main export names its types');
});

test('every module the packed code imports is packed too, and nothing else is imported', async () => {
  // esbuild resolves every static and dynamic import; with platform 'neutral'
  // a Node built-in or a dependency fails to resolve, which fails the test.
  const entryPoints = [...files.keys()].filter((p) => p.endsWith('.js'));
  const { metafile } = await esbuild.build({
    absWorkingDir: REPO, entryPoints, bundle: true, write: false, metafile: true,
    format: 'esm', platform: 'neutral', outdir: 'out', logLevel: 'silent',
  });
  const unpacked = Object.keys(metafile.inputs).filter((p) => !files.has(p));
  assert.deepEqual(unpacked, [], 'the packed modules import files that are not packed');
});

test('package.json: ES module, no runtime dependencies, side-effect free, files whitelist', () => {
  assert.equal(pkg.type, 'module');
  assert.deepEqual(Object.keys(pkg.dependencies ?? {}), []);
  assert.deepEqual(Object.keys(pkg.peerDependencies ?? {}), []);
  assert.equal(pkg.sideEffects, false);
  assert.ok(Array.isArray(pkg.files) && pkg.files.length > 0);
  for (const wasm of ['./logsoftmax-relaxed.wasm', './logsoftmax-simd.wasm', './logsoftmax-scalar.wasm']) assert.ok(pkg.exports[wasm], `${wasm} exported for self-hosting`);
  assert.ok(pkg.exports['./webgpu'], 'logsoftmax/webgpu exported');
  assert.ok(pkg.exports['./parallel'], 'logsoftmax/parallel exported');
});

test(`the tarball is small (packed <= ${MAX_PACKED_BYTES / 1024} KiB, unpacked <= ${MAX_UNPACKED_BYTES / 1024} KiB)`, () => {
  console.log(`npm pack: ${packed.files.length} files, ${packed.size} bytes packed, ${packed.unpackedSize} unpacked`);
  assert.ok(packed.size <= MAX_PACKED_BYTES, `packed size ${packed.size}`);
  assert.ok(packed.unpackedSize <= MAX_UNPACKED_BYTES, `unpacked size ${packed.unpackedSize}`);
});
