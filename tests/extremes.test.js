// Inputs at the edges of the float range, where x - max overflows the exp's
// domain by far: the exact-difference correction must not leak into it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadBuilds } from './helpers/builds.js';
import { refSoftmax, refLogSoftmax } from '../js/reference/float64.js';
import { ulp32 } from '../js/reference/ulp.js';

const builds = await loadBuilds();

const cases = [
  [3e38, -4.33],
  [-3e38, 3e37], [3e37, -3e38], [-3.4e38, 3.4e38], [3.4e38, -3.4e38, 0], [-1e38, 1e38, 1e38],
  [1e30, -1e30, 5], [-2e38, -2e38 + 1e31], [88, -88, 0, -1e38],
];

for (const { name, api: lib } of builds) {
  test(`float32 softmax and logSoftmax at extreme magnitudes (${name})`, () => {
    for (const row of cases) {
      const x = Float32Array.from(row);
      const sm = lib.softmax(x), ls = lib.logSoftmax(x);
      const rs = refSoftmax(x, [x.length], null), rl = refLogSoftmax(x, [x.length], null);
      for (let i = 0; i < x.length; i++) {
        assert.ok(Math.abs(sm[i] - rs[i]) <= 4 * ulp32(rs[i]) + 4 * 2 ** -149, `softmax(${row})[${i}] = ${sm[i]}, want ${rs[i]}`);
        // Past float32's range the correctly rounded answer is ±inf (scipy's too).
        if (!Number.isFinite(Math.fround(rl[i]))) assert.equal(ls[i], Math.fround(rl[i]));
        else assert.ok(Math.abs(ls[i] - rl[i]) <= 2 * ulp32(Math.max(1, Math.abs(rl[i]))), `logSoftmax(${row})[${i}] = ${ls[i]}, want ${rl[i]}`);
      }
    }
  });
}

for (const { name, api: lib } of builds) {
  test(`float64 softmax at extreme magnitudes (${name})`, () => {
  for (const row of [[-1.7e308, 1.7e308], [1e300, -1e300, 3], [-1e308, 1e307], [1.7976931348623157e308, 3.4e38], [-1.7976931348623157e308, 3.4e38], [1e308, 2.5]]) {
    const x = Float64Array.from(row);
    const sm = lib.softmax(x), rs = refSoftmax(x, [x.length], null);
    sm.forEach((v, i) => assert.ok(Math.abs(v - rs[i]) <= 1e-15 * Math.abs(rs[i]), `softmax(${row})[${i}] = ${v}, want ${rs[i]}`));
  }
  });
}
