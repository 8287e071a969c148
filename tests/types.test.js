// js/index.d.ts is checked by tsc: the usage file must compile under --strict,
// and its @ts-expect-error lines prove that wrong calls are rejected (tsc fails
// on an expect-error that does not error).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const tsc = fileURLToPath(new URL('../node_modules/typescript/bin/tsc', import.meta.url));
const project = (name) => fileURLToPath(new URL(`./types/${name}`, import.meta.url));

function typeCheck(config) {
  let output = '';
  try {
    output = execFileSync(process.execPath, [tsc, '-p', project(config)], { encoding: 'utf8' });
  } catch (err) {
    output = `${err.stdout}${err.stderr}`;
    assert.fail(`tsc reported errors:\n${output}`);
  }
  assert.equal(output.trim(), '');
}

test('index.d.ts type-checks typical use and rejects wrong calls', () => typeCheck('tsconfig.json'));

// A Node-only or worker-only project may have neither DOM types nor
// @types/node: no WebAssembly, URL or Response declared.
test('index.d.ts type-checks without DOM or Node types (lib es2022 only)', () => typeCheck('tsconfig.no-dom.json'));
