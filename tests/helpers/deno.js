// The second WebGPU implementation under test: Deno (npm package `deno`),
// whose WebGPU is wgpu, run on Mesa's lavapipe (apt package
// mesa-vulkan-drivers), a software Vulkan driver.  Where either is missing
// the tests skip loudly, except under CI=true, where that is a failure.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { encode, decode } from '../webgpu/cases.js';

export const DENO = fileURLToPath(new URL('../../node_modules/.bin/deno', import.meta.url));
export const LAVAPIPE_ICD = process.env.LAVAPIPE_ICD ?? '/usr/share/vulkan/icd.d/lvp_icd.x86_64.json';
const RUNNER = fileURLToPath(new URL('../webgpu/deno-runner.js', import.meta.url));

/** Why the Deno tests cannot run here, or null if they can.  Throws under CI. */
export function denoSkipReason() {
  const missing = [];
  if (!existsSync(DENO)) missing.push(`Deno not found at ${DENO} (npm install)`);
  if (!existsSync(LAVAPIPE_ICD)) missing.push(`lavapipe not found at ${LAVAPIPE_ICD} (apt-get install mesa-vulkan-drivers)`);
  if (missing.length === 0) return null;
  const why = `${missing.join('; ')}: Deno WebGPU tests SKIPPED`;
  if (process.env.CI === 'true') throw new Error(`${why}, and CI=true requires them`);
  console.warn(`\n*** ${why} ***\n`);
  return why;
}

/**
 * Starts tests/webgpu/deno-runner.js under Deno on lavapipe.
 * @returns {Promise<{adapter: string, call: (request: object) => Promise<any>, close: () => void}>}
 */
export async function startDeno() {
  const runtime = mkdtempSync(join(tmpdir(), 'lsm-deno-'));
  const child = spawn(DENO, ['run', '--unstable-webgpu', '-A', RUNNER], {
    env: { ...process.env, VK_ICD_FILENAMES: LAVAPIPE_ICD, XDG_RUNTIME_DIR: runtime, NO_COLOR: '1' },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  const next = async () => {
    const r = await Promise.race([lines.next(), exited.then((code) => ({ exit: code }))]);
    if (r.exit !== undefined || r.done) throw new Error(`the Deno runner exited (code ${r.exit ?? child.exitCode})`);
    return decode(r.value);
  };
  const hello = await next();
  if (hello.error) throw new Error(`the Deno runner could not start WebGPU: ${hello.error}`);
  let queue = Promise.resolve();
  return {
    adapter: hello.adapter,
    call(request) {
      const reply = queue.then(() => {
        child.stdin.write(`${encode(request)}\n`);
        return next();
      });
      queue = reply.catch(() => {});
      return reply;
    },
    close() {
      child.stdin.end();
      child.kill();
      rmSync(runtime, { recursive: true, force: true });
    },
  };
}
