// The package as users get it, for the tests that consume it from outside:
// `npm pack`, the tarball installed offline into a fresh project in a
// temporary directory, and a plain esbuild bundle of that project's code.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, writeFileSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const REPO = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Packs the repo and installs the tarball, offline, into a new project that
 * holds a copy of `fixtures`.  The caller removes `dir`.
 * @param {string} fixtures a directory copied as the project's files
 * @param {string} [prefix] the temporary directory's name prefix
 * @returns {{dir: string, app: string}} the temporary directory, and the project in it
 */
export function installPackedPackage(fixtures, prefix = 'logsoftmax-consumer-') {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), prefix)));
  const [{ filename }] = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', dir], { cwd: REPO, encoding: 'utf8' }));
  const app = join(dir, 'app');
  cpSync(fixtures, app, { recursive: true });
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'consumer-app', private: true, type: 'module' }));
  execFileSync('npm', ['install', '--offline', '--no-audit', '--no-fund', join(dir, filename)], { cwd: app, stdio: 'pipe' });
  return { dir, app };
}

/**
 * Bundles entry points of an installed project with esbuild, with no option
 * specific to this package, and checks that the bundle took the package from
 * its node_modules and nothing else from outside `dir`.
 * @param {string} app the project (from installPackedPackage)
 * @param {{dir: string, entryPoints: string[], outdir?: string, splitting?: boolean}} options
 *   `dir`: the entries' directory inside `app`; `outdir` is relative to it
 * @returns {Promise<import('esbuild').Metafile>} paths in it are relative to `dir`
 */
export async function bundle(app, { dir, entryPoints, outdir = 'dist', splitting = false }) {
  const absWorkingDir = join(app, dir);
  const result = await esbuild.build({
    absWorkingDir, entryPoints, outdir, splitting,
    bundle: true, format: 'esm', platform: 'browser', metafile: true, logLevel: 'silent',
  });
  const inputs = Object.keys(result.metafile.inputs);
  const pkg = join(app, 'node_modules', 'logsoftmax') + sep;
  const where = (p) => resolve(absWorkingDir, p);
  assert.ok(inputs.some((p) => where(p).startsWith(join(pkg, 'js') + sep)), `bundle inputs ${inputs}`);
  const outside = inputs.filter((p) => !where(p).startsWith(absWorkingDir + sep) && !where(p).startsWith(pkg));
  assert.deepEqual(outside, [], `the bundle reaches only ${dir}/ and the package`);
  return result.metafile;
}
