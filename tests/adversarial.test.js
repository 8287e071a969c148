// Adversarial accuracy: inputs built to break the promised bounds, on every
// wasm build, against the independent float64 reference.
//
//   1. The kept cases of tests/fixtures/adversarial.json: every function,
//      every build, bounds of tests/helpers/bounds.js and special values.
//   2. A search (tests/adversarial/search.js) for LSM_ADVERSARIAL_SECONDS
//      (default 50, so that the file takes about a minute) from a fixed seed
//      (LSM_ADVERSARIAL_SEED); every evaluation must keep the bounds, and
//      the worst error per function/dtype/build is printed as a diagnostic.
//   3. With LSM_ADVERSARIAL_SAVE=1, the search's failures and any new worst
//      cases are appended to the fixture.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { loadBuilds } from './helpers/builds.js';
import { BOUND32, RTOL64 } from './helpers/bounds.js';
import { FUNCTIONS, score, encodeCase, decodeCase, isolateSlice } from './adversarial/cases.js';
import { runSearch } from './adversarial/search.js';

const FIXTURE = new URL('./fixtures/adversarial.json', import.meta.url);
const SECONDS = Number(process.env.LSM_ADVERSARIAL_SECONDS ?? 50);
const SEED = Number(process.env.LSM_ADVERSARIAL_SEED ?? 20260101);
const SAVE = process.env.LSM_ADVERSARIAL_SAVE === '1';
const MAX_NEW_CASES = 12; // a run appends at most this many: the fixture stays small

const builds = await loadBuilds();
const kept = JSON.parse(readFileSync(FIXTURE, 'utf8')).cases;

/** Which kernels a case was found on: the head of the build's wasm hash. */
function wasmId(build) {
  const bytes = readFileSync(new URL(`../js/logsoftmax-${build}.wasm`, import.meta.url));
  return createHash('sha256').update(bytes).digest('hex').slice(0, 12);
}

const bound = (dtype, fn) => (dtype === 'f32' ? `${BOUND32[fn]} ulp` : `rtol ${RTOL64}`);
const format = (dtype, err) => (dtype === 'f32' ? `${err.toFixed(3)} ulp` : `${err.toExponential(3)}`);
const describe = (c) => `${c.dtype} shape [${c.shape}] axis ${c.axis}${c.b === undefined ? '' : ` b ${c.b}`}`;

function failureLine(c, r, label) {
  return `${label} ${r.fn} ${describe(c)} on ${r.build}: [${r.index}] got ${r.got}, reference ${r.ref}` +
    ` (${r.why}: ${format(c.dtype, r.err)}, bound ${bound(c.dtype, r.fn)})`;
}

// Worst error of the kept cases per function/dtype, as they replay today:
// a search case is kept only if it beats these.
const keptWorst = new Map();

test('kept adversarial cases keep the bounds on every build', (t) => {
  const failures = [];
  kept.forEach((entry, k) => {
    const c = decodeCase(entry);
    for (const fn of FUNCTIONS) {
      for (const r of score(builds, fn, c)) {
        const key = `${fn} ${c.dtype}`;
        if (!(keptWorst.get(key) >= r.ratio)) keptWorst.set(key, r.ratio);
        if (!r.ok) failures.push(failureLine(c, r, `case ${k}`));
      }
    }
  });
  for (const [key, ratio] of [...keptWorst].sort()) {
    const [fn, dtype] = key.split(' ');
    t.diagnostic(`kept ${key}: worst ${format(dtype, ratio * (dtype === 'f32' ? BOUND32[fn] : RTOL64))}`);
  }
  assert.ok(kept.length > 0, 'the fixture holds no cases');
  assert.deepEqual(failures, [], `${failures.length} kept case(s) break a bound`);
});

test(`adversarial search (${SECONDS} s, seed ${SEED}) finds nothing out of bounds`, (t) => {
  const record = runSearch(builds, { seconds: SECONDS, seed: SEED });
  t.diagnostic(`${record.evaluations} evaluations`);
  for (const [key, { result, case: c }] of [...record.worst].sort(([a], [b]) => a.localeCompare(b))) {
    t.diagnostic(`worst ${key}: ${format(c.dtype, result.err)} (bound ${bound(c.dtype, result.fn)}) ${describe(c)}`);
  }
  if (SAVE) save(record, t);
  const lines = record.failures.map(({ result, case: c }) => failureLine(c, result, 'search'));
  const first = record.failures[0];
  const repro = first ? `\nfirst failing case, as a fixture entry:\n${JSON.stringify(encodeCase(first.case, {}))}` : '';
  assert.deepEqual(lines, [], `${lines.length} search case(s) break a bound${repro}`);
});

// ----------------------------------------------------------------- saving ---

/** Appends the search's failures and new worst cases to the fixture. */
function save(record, t) {
  const seen = new Set(kept.map(fingerprint));
  const added = [];
  const add = ({ result, case: found }) => {
    const c = shorter(found, result);
    const entry = encodeCase(c, { fn: result.fn, build: result.build, err: result.err, wasm: wasmId(result.build) });
    const id = fingerprint(entry);
    if (seen.has(id) || added.length >= MAX_NEW_CASES) return;
    seen.add(id);
    added.push(entry);
  };
  // Worst first, so the cap drops the mildest.
  const byRatio = (a, b) => b.result.ratio - a.result.ratio;
  for (const w of [...record.worst.values()].sort(byRatio)) {
    const key = `${w.result.fn} ${w.case.dtype}`;
    if (!w.result.ok || w.result.ratio > (keptWorst.get(key) ?? 0)) add(w);
  }
  for (const f of [...record.failures].sort(byRatio)) add(f);
  if (added.length === 0) return;
  writeFixture([...kept, ...added]);
  t.diagnostic(`saved ${added.length} new case(s) to tests/fixtures/adversarial.json`);
}

/** The case cut down to its worst slice, where that keeps the error (so the entry is short). */
function shorter(c, result) {
  const cut = isolateSlice(c, result.index);
  if (cut === c) return c;
  const again = score(builds, result.fn, cut).find((r) => r.build === result.build);
  return again.ratio >= result.ratio ? cut : c;
}

function fingerprint(entry) {
  const { found, ...what } = entry;
  return JSON.stringify(what);
}

/** One case a line: diffs stay readable. */
function writeFixture(cases) {
  const text = `{"version": 1, "cases": [\n${cases.map((c) => JSON.stringify(c)).join(',\n')}\n]}\n`;
  writeFileSync(FIXTURE, text);
}
