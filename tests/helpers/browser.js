// Headless Chromium for the browser tests: Debian's /usr/bin/chromium driven
// by playwright-core (never a downloaded browser).  Where Chromium is missing
// the tests skip loudly, except under CI=true, where that is a failure; the
// other engines (helpers/engines.js) follow the same policy.
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Why browser tests cannot run here, or null if they can.  Throws under CI. */
export function browserSkipReason() {
  return executableSkipReason('Chromium', CHROMIUM, 'apt-get install chromium');
}

/**
 * The skip policy of every browser test: null if `path` exists; else a loud
 * warning and the reason to skip, or under CI=true an error.
 * @param {string} name what is missing, for the message
 * @param {string} install the command that installs it
 */
export function executableSkipReason(name, path, install) {
  if (existsSync(path)) return null;
  const why = `${name} not found at ${path}: browser tests SKIPPED (${install})`;
  if (process.env.CI === 'true') throw new Error(`${why}, and CI=true requires them`);
  console.warn(`\n*** ${why} ***\n`);
  return why;
}

/**
 * Launches headless Chromium.
 * @param {{webgpu?: boolean, args?: string[]}} [options] webgpu adds --enable-unsafe-webgpu (SwiftShader adapter)
 */
export function launchBrowser({ webgpu = false, args = [] } = {}) {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync',
      ...(webgpu ? ['--enable-unsafe-webgpu', '--enable-features=Vulkan'] : []),
      ...args,
    ],
  });
}
