#!/usr/bin/env node
// Guard for the speed work: run before applying a kernel change.
//   node tests/bench/accuracy-check.js [path/to/js]   (default: this repo's js/)
// Checks, for float32 rows of many lengths (1..262144) and for strided and
// tuple axes: logSoftmax |err| <= 2 ulp32(max(1, |ref|)), softmax relative
// error <= 4 ulp (absolute below the smallest normal, where scipy keeps
// subnormals), logSumExp |err| <= 2 ulp32(max(1, |ref|)); and that the SIMD
// and scalar builds agree bit for bit.  The reference is float64 arithmetic
// on the same float32 inputs.  The property tests in tests/ are the real
// gate; this is a fast, wide sweep.
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import * as plain from './plain.js';
import { BOUND32, tolerance } from '../helpers/bounds.js';
import { seededRandom } from '../../js/reference/random.js';

const dir = resolve(process.argv[2] ?? new URL('../../js', import.meta.url).pathname);
const { load } = await import(pathToFileURL(`${dir}/index.js`).href);
const simd = await load({ build: 'simd' }); // SIMD128: bit-identical to scalar
const scalar = await load({ build: 'scalar' });

const rand = seededRandom(7);
function logits(n, kind) {
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const u = rand();
    x[i] = kind === 'wide' ? (u - 0.5) * 220 : kind === 'offset' ? 1000 + (u - 0.5) * 20 : (u - 0.5) * 12;
  }
  if (kind === 'masked') for (let i = 0; i < n; i += 3) x[i] = -Infinity;
  return x;
}

let worst = { logSoftmax: 0, softmax: 0, logSumExp: 0 }, failures = 0;
function compare(op, got, ref, where) {
  for (let i = 0; i < ref.length; i++) {
    if (!Number.isFinite(ref[i])) {
      if (!Object.is(got[i], Math.fround(ref[i])) && !(Number.isNaN(got[i]) && Number.isNaN(ref[i]))) fail(op, where, i, got[i], ref[i]);
      continue;
    }
    // In ulps of the promised bound's measure (tests/helpers/bounds.js).
    const bound = BOUND32[op];
    const err = Math.abs(got[i] - ref[i]) / (tolerance('f32', op, ref[i]) / bound);
    if (err > worst[op]) worst[op] = err;
    if (!(err <= bound)) fail(op, where, i, got[i], ref[i], err);
  }
}
function fail(op, where, i, got, ref, err) {
  if (failures++ < 10) console.log(`FAIL ${op} ${where} [${i}]: got ${got}, ref ${ref}${err ? `, ${err.toFixed(2)} ulp` : ''}`);
}
function sameBits(a, b, where) {
  const ua = new Uint8Array(a.buffer, a.byteOffset, a.byteLength), ub = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  for (let i = 0; i < ua.length; i++) if (ua[i] !== ub[i]) return fail('bit-identity', where, i >> 2, a[i >> 2], b[i >> 2]);
}

function check(x, shape, axis, outer, n, inner, where) {
  for (const op of ['logSoftmax', 'softmax', 'logSumExp']) {
    const opts = { shape, axis };
    const a = simd[op](x, opts), b = scalar[op](x, opts);
    const av = typeof a === 'number' ? Float32Array.of(a) : a, bv = typeof b === 'number' ? Float32Array.of(b) : b;
    sameBits(av, bv, `${op} ${where}`);
    const ref = plain[op](Float64Array.from(x), outer, n, inner);
    // scipy: logsumexp of an all -inf slice is -inf (the plain formula gives -inf + log(NaN))
    if (op === 'logSumExp') ref.forEach((v, i) => Number.isNaN(v) && allMinusInf(x, outer, n, inner, i) && (ref[i] = -Infinity));
    compare(op, av, ref, where);
  }
}

function allMinusInf(x, outer, n, inner, slice) {
  const o = Math.floor(slice / inner), j = slice % inner;
  for (let i = 0; i < n; i++) if (x[o * n * inner + i * inner + j] !== -Infinity) return false;
  return true;
}

const lengths = [];
for (let n = 1; n <= 70; n++) lengths.push(n);
for (let n = 71; n <= 262144; n = Math.ceil(n * 1.37)) lengths.push(n, n + 1);
lengths.push(1000, 1024, 32000, 262143, 262144);
for (const n of lengths) {
  for (const kind of ['normal', 'wide', 'offset', 'masked']) {
    if (n > 40000 && kind !== 'normal') continue;
    const rows = n < 1000 ? 3 : 1;
    check(logits(rows * n, kind), [rows, n], -1, rows, n, 1, `rows ${rows}x${n} ${kind}`);
  }
}
for (const [shape, axis, outer, n, inner] of [
  [[1000, 64], 0, 1, 1000, 64], [[37, 19], 0, 1, 37, 19], [[5, 300, 7], 1, 5, 300, 7], [[16, 128, 128], [1, 2], 16, 16384, 1],
  [[3, 50, 40], [0, 1], 1, 150, 40],
]) {
  for (const kind of ['normal', 'wide', 'masked']) check(logits(outer * n * inner, kind), shape, axis, outer, n, inner, `${shape} axis ${axis} ${kind}`);
}
// Subnormal softmax outputs (scipy keeps them): softmax(f32[88.8, 0])[1] = 2.72e-39.
for (let d = 80; d <= 106; d += 0.37) check(Float32Array.of(d, 0, d - 1, 3), [4], -1, 1, 4, 1, `subnormal ${d.toFixed(2)}`);

const asArray = (v) => (typeof v === 'number' ? Float64Array.of(v) : v);
// float64: bit identity of the builds, and a loose sanity bound (a float64
// reference would need more precision than float64 to check ulps).
for (const n of [1, 7, 8, 9, 100, 1000, 4097, 100000]) {
  for (const kind of ['normal', 'wide', 'masked']) {
    const x = Float64Array.from(logits(2 * n, kind), (v, i) => v + i * 1e-9);
    for (const op of ['logSoftmax', 'softmax', 'logSumExp']) {
      const a = simd[op](x, { shape: [2, n] }), b = scalar[op](x, { shape: [2, n] });
      sameBits(asArray(a), asArray(b), `f64 ${op} ${n} ${kind}`);
    }
    const y = simd.logSoftmax(x, { shape: [2, n], axis: -1 }), z = scalar.logSoftmax(x, { shape: [2, n], axis: -1 });
    sameBits(y, z, `f64 logSoftmax rows ${n} ${kind}`);
    const ref = plain.logSoftmax(x, 2, n, 1);
    y.forEach((v, i) => Number.isFinite(ref[i]) && !(Math.abs(v - ref[i]) <= 1e-12 * Math.max(1, Math.abs(ref[i]))) && fail('f64 logSoftmax', `${n} ${kind}`, i, v, ref[i]));
  }
}

console.log(`worst errors (ulp): logSoftmax ${worst.logSoftmax.toFixed(3)}, softmax ${worst.softmax.toFixed(3)}, logSumExp ${worst.logSumExp.toFixed(3)}`);
console.log(failures ? `${failures} FAILURES` : 'all within bounds; SIMD and scalar builds bit-identical');
process.exit(failures ? 1 : 0);
