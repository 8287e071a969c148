// The kernels' exp, measured against exact values (tests/fixtures/exp.json,
// mpmath; regenerate with tests/fixtures/gen_exp.py).  A softmax row [0, t]
// with t far below 0 has S = 1 exactly, so its second output is exp(t) as the
// kernel computed it: float64 for t <= -37 (1 + e^t rounds to 1), float32 for
// t <= -30 (e * (1/S) in double moves by < 2^-43 relative, far inside the
// rounding margin).  The first output, 1/S, must then be exactly 1.
//
// Bounds, in ulps of the correctly rounded result (2^-1074 / 2^-149 among
// subnormals), every build: float64 0.51 (the table-driven exp rounds once, in
// its last addition), float32 1 (c/exp.h: under 1 ulp over the range).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { loadBuilds } from './helpers/builds.js';
import { ulp32, ulp64 } from '../js/reference/ulp.js';

const fixture = JSON.parse(readFileSync(new URL('./fixtures/exp.json', import.meta.url), 'utf8'));
const builds = await loadBuilds();
const DTYPES = {
  f64: { Type: Float64Array, ulp: ulp64, bound: 0.51 },
  f32: { Type: Float32Array, ulp: ulp32, bound: 1 },
};

for (const [dtype, { Type, ulp, bound }] of Object.entries(DTYPES)) {
  test(`${dtype} exp is within ${bound} ulp of exact, subnormals included`, (t) => {
    const cases = fixture[dtype];
    const x = new Type(2 * cases.length);
    cases.forEach(([tv], i) => { x[2 * i + 1] = tv; });
    for (const { name, api } of builds) {
      const y = api.softmax(x, { shape: [cases.length, 2], axis: -1 });
      let worst = 0, at = 0;
      cases.forEach(([, r, residual], i) => {
        assert.equal(y[2 * i], 1, `${name}: softmax([0, ${cases[i][0]}])[0] should be exactly 1`);
        const err = Math.abs((y[2 * i + 1] - r) / ulp(r) - residual);
        if (!(err <= worst)) [worst, at] = [err, i];
      });
      t.diagnostic(`${name}: worst ${worst.toFixed(4)} ulp, at t = ${cases[at][0]}`);
      assert.ok(worst <= bound, `${name}: exp(${cases[at][0]}) = ${y[2 * at + 1]}, exact ${cases[at][1]} ` +
        `+ ${cases[at][2]} ulp: off by ${worst} ulp`);
    }
  });
}
