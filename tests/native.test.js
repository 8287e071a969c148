// The C kernels built natively (c/Makefile, c/test/): ASan+UBSan harness,
// valgrind memcheck, and a replay of the fuzz seed corpus and regression
// cases.  The timed fuzzing run (`make -C c fuzz FUZZ_SECONDS=60`) is a
// separate CI step.  Where the toolchain is missing the test skips loudly;
// under CI=true that is a failure.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const C_DIR = fileURLToPath(new URL('../c/', import.meta.url));
const TOOLS = ['make', 'clang', 'valgrind'];

function missingTools() {
  const missing = TOOLS.filter((t) => spawnSync(t, ['--version'], { stdio: 'ignore' }).error);
  if (spawnSync('sh', ['-c', 'test -f /usr/include/simde/wasm/simd128.h']).status !== 0) missing.push('libsimde-dev');
  return missing;
}

function skipReason() {
  const missing = missingTools();
  if (missing.length === 0) return null;
  const why = `native tests SKIPPED: missing ${missing.join(', ')} (apt-get install make clang libclang-rt-14-dev libsimde-dev valgrind)`;
  if (process.env.CI === 'true') throw new Error(`${why}, and CI=true requires them`);
  console.warn(`\n*** ${why} ***\n`);
  return why;
}

const skip = skipReason() ?? false;

function make(target) {
  const r = spawnSync('make', ['-s', '-C', C_DIR, target], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const output = `${r.stdout}\n${r.stderr}`;
  assert.equal(r.status, 0, `make ${target} failed:\n${output.slice(-6000)}`);
  return output;
}

test('native harness under ASan and UBSan: every kernel, both builds, no failures', { skip }, () => {
  const out = make('asan');
  const [, cases, failures] = out.match(/native harness: (\d+) cases .*?, (\d+) failures/) ?? [];
  assert.ok(Number(cases) > 5000, `ran only ${cases} cases`);
  assert.equal(Number(failures), 0);
});

test('native harness under valgrind memcheck: clean', { skip }, () => {
  const out = make('valgrind');
  assert.match(out, /native harness: \d+ cases .*, 0 failures/);
});

test('fuzz seed corpus and regression cases replay cleanly', { skip }, () => {
  const out = make('replay');
  assert.match(out, /Executed .* in \d+ ms/);
});

// The float32 exp's error after argument reduction, over every float the
// reduction can produce, unfused (SIMD128 and scalar builds) and fused
// (relaxed SIMD with FMA): the figure the error analysis in c/README.md
// builds its bounds on.
test('float32 exp: every reduced argument within the analysed error, unfused and fused', { skip, timeout: 300_000 }, () => {
  const out = make('exp-bound');
  const lines = out.match(/exp_bound.*worst relative error [\d.]+ u.*/g) ?? [];
  assert.equal(lines.length, 2, out.slice(-2000));
  for (const line of lines) console.log(`# ${line}`);
});

// The 16-bit conversions and the mask kernel (c/test/convert.c): every
// float32 bit pattern narrowed to float16 and bfloat16 and every 16-bit one
// widened, in both native builds (a sample of them under ASan and UBSan).
// Its float16 reference is clang-19's own _Float16 conversion.
const convertSkip = skip || (spawnSync('clang-19', ['--version'], { stdio: 'ignore' }).error
  ? (process.env.CI === 'true' ? assert.fail('clang-19 is missing, and CI=true requires it') : 'clang-19 is missing')
  : false);
test('16-bit conversions over every float32 pattern, and the mask kernel, both builds', { skip: convertSkip, timeout: 300_000 }, () => {
  const out = make('convert');
  const lines = out.match(/conversions and mask kernel: .*/g) ?? [];
  assert.equal(lines.length, 2, out.slice(-2000));
  for (const line of lines) assert.match(line, /, 0 failures$/);
});
