// The adversarial search: hill climbing over the families' parameters, then
// over single elements, maximising one function's worst error (as a
// fraction of its bound) over every build.  Every evaluation is checked
// against the bounds, and the worst case per function/dtype/build is kept.
//
// A climb: sample a family, climb its parameters (a third of the steps),
// then mutate the best case element by element.  A step is accepted when it
// scores at least as high (ties keep the walk moving along plateaus, which
// tied rows are full of); a climb ends after its step budget or a run of
// steps without a strict gain.  Long cases cost ~10^4 short ones, so they
// get their own slice of the time and parameter moves only.
import { seededRandom } from '../../js/reference/random.js';
import { FAMILIES } from './families.js';
import { stepUlps } from './float.js';
import { FUNCTIONS, reference, score } from './cases.js';

const CLIMB_STEPS = 600;
const STALL_STEPS = 200;
const LONG_SHARE = 0.2; // of the time, for the long family

const pick = (rand, list) => list[Math.floor(rand() * list.length)];
const int = (rand, lo, hi) => lo + Math.floor(rand() * (hi - lo + 1));

/** The running record: worst per function/dtype/build, and failing cases. */
function makeRecord() {
  return { worst: new Map(), failures: [], evaluations: 0 };
}

/** Scores a case on one function, records it, returns the worst ratio over builds. */
function evaluate(builds, fn, c, record) {
  const results = score(builds, fn, c, reference(fn, c));
  record.evaluations++;
  let top = 0;
  for (const r of results) {
    top = Math.max(top, r.ratio);
    const key = `${fn} ${c.dtype} ${r.build}`;
    const old = record.worst.get(key);
    if (!old || r.ratio > old.result.ratio) record.worst.set(key, { result: r, case: snapshot(c) });
    if (!r.ok) keepFailure(record, r, c);
  }
  return top;
}

/** Failures: the worst per function/dtype/build, so one hot spot cannot crowd out the others. */
function keepFailure(record, r, c) {
  const same = record.failures.find((f) => f.result.fn === r.fn && f.result.build === r.build && f.case.dtype === c.dtype);
  if (same && same.result.ratio >= r.ratio) return;
  if (same) Object.assign(same, { result: r, case: snapshot(c) });
  else record.failures.push({ result: r, case: snapshot(c) });
}

/** A copy that later mutations cannot touch (long cases keep only their parameters' data). */
function snapshot(c) {
  return { ...c, data: c.family && FAMILIES[c.family].long ? c.data : c.data.slice() };
}


// ------------------------------------------------------------ mutations ---

const finiteIndices = (d) => [...d.keys()].filter((i) => Number.isFinite(d[i]));

function maxOf(d) {
  let m = -Infinity;
  for (const v of d) if (v > m) m = v;
  return m;
}

/**
 * One random edit of a case's data: ulp nudges of one element or of a whole
 * group of equal elements (ties stay ties), copies (new ties), swaps (moves
 * terms between lanes), masking and unmasking, and shifts of everything.
 */
function mutate(c, rand) {
  const d = c.data.slice(), { dtype } = c;
  const finite = finiteIndices(d);
  if (finite.length === 0) return { ...c, data: d };
  const i = pick(rand, finite), j = int(rand, 0, d.length - 1);
  const ulps = () => (rand() < 0.5 ? -1 : 1) * (rand() < 0.7 ? 1 : int(rand, 2, 64));
  switch (int(rand, 0, 7)) {
    case 0: d[i] = stepUlps(dtype, d[i], ulps()); break;
    case 1: { // a tie group moves together
      const v = d[i], k = ulps();
      for (let t = 0; t < d.length; t++) if (d[t] === v) d[t] = stepUlps(dtype, v, k);
      break;
    }
    case 2: d[j] = d[i]; break;
    case 3: d[j] = stepUlps(dtype, d[i], ulps()); break;
    case 4: [d[i], d[j]] = [d[j], d[i]]; break;
    case 5: if (finite.length > 1) d[i] = -Infinity; break;
    case 6: { // everything shifts by one rounded constant: x - m roundings change
      const s = (rand() - 0.5) * 2 ** int(rand, -20, 8);
      for (const t of finite) d[t] = dtype === 'f32' ? Math.fround(d[t] + s) : d[t] + s;
      break;
    }
    default: { // the max moves relative to the rest
      const m = maxOf(d), k = ulps();
      for (let t = 0; t < d.length; t++) if (d[t] === m) d[t] = stepUlps(dtype, m, k);
    }
  }
  return { ...c, data: d, family: undefined, params: undefined };
}

// --------------------------------------------------------------- climbs ---

function climbParameters(builds, fn, family, start, steps, rand, record, deadline) {
  let best = start, bestScore = evaluate(builds, fn, FAMILIES[family].build(start), record);
  for (let s = 0; s < steps && Date.now() < deadline; s++) {
    const p = FAMILIES[family].nudge(best, rand);
    const v = evaluate(builds, fn, FAMILIES[family].build(p), record);
    if (v >= bestScore) [best, bestScore] = [p, v];
  }
  return FAMILIES[family].build(best);
}

function climbElements(builds, fn, start, steps, rand, record, deadline) {
  let best = start, bestScore = evaluate(builds, fn, start, record), stall = 0;
  for (let s = 0; s < steps && stall < STALL_STEPS && Date.now() < deadline; s++) {
    let c = mutate(best, rand);
    for (let extra = int(rand, 0, 2); extra > 0; extra--) c = mutate(c, rand);
    const v = evaluate(builds, fn, c, record);
    stall = v > bestScore ? 0 : stall + 1;
    if (v >= bestScore) [best, bestScore] = [c, v];
  }
}

/** Short cases: climbs from the ties and random families until the deadline. */
function searchShort(builds, rand, record, deadline) {
  for (let climb = 0; Date.now() < deadline; climb++) {
    const fn = FUNCTIONS[climb % FUNCTIONS.length];
    const family = rand() < 0.85 ? 'ties' : 'random';
    const start = FAMILIES[family].sample(rand);
    const c = climbParameters(builds, fn, family, start, CLIMB_STEPS / 3, rand, record, deadline);
    climbElements(builds, fn, c, CLIMB_STEPS, rand, record, deadline);
  }
}

/** Long cases: random restarts with a few parameter nudges each, every function. */
function searchLong(builds, rand, record, deadline) {
  const all = (p) => Math.max(...FUNCTIONS.map((fn) => evaluate(builds, fn, FAMILIES.longTail.build(p), record)));
  while (Date.now() < deadline) {
    let best = FAMILIES.longTail.sample(rand), bestScore = all(best);
    for (let s = 0; s < 2 && Date.now() < deadline; s++) {
      const p = FAMILIES.longTail.nudge(best, rand), v = all(p);
      if (v >= bestScore) [best, bestScore] = [p, v];
    }
  }
}

/**
 * Runs the search for `seconds` on `builds` from `seed`.  Long rows are
 * searched first, with their share of the time (at least one case).
 * @returns {{worst: Map<string, {result, case}>, failures: {result, case}[], evaluations: number}}
 *   failures holds the worst failing case per function/dtype/build.
 */
export function runSearch(builds, { seconds, seed }) {
  const rand = seededRandom(seed);
  const record = makeRecord();
  const start = Date.now();
  searchLong(builds, rand, record, start + seconds * 1000 * LONG_SHARE);
  searchShort(builds, rand, record, start + seconds * 1000);
  return record;
}
