// A JS model of the kernels' float32 exp (the reduction and polynomial of
// the float32 exp the wasm builds use), for steering only: it says which
// inputs make the exp err most, so the families can put ties there without
// asking the wasm.  Nothing is ever asserted against it.  `fused` models the
// relaxed build's multiply-adds (one rounding, up to a rare double rounding
// here), the default the two other builds' (two roundings).
import { stepUlps } from './float.js';
import { ulp32 } from '../../js/reference/ulp.js';

const f = Math.fround;
/** 0x1.<hex>p<e> as a number. */
const hexFloat = (hex, e) => (1 + parseInt(hex, 16) / 16 ** hex.length) * 2 ** e;

const LOG2E = hexFloat('715476', 0);
const MAGIC = 1.5 * 2 ** 23 + 127;
const LN2_HI = hexFloat('62e4', -1);
const LN2_LO = hexFloat('7f7d1c', -20);
const POLY = [hexFloat('fffffc', -2), hexFloat('555482', -3), hexFloat('55593c', -5), hexFloat('1245c8', -7), hexFloat('6a1076', -10)];

const madd = (a, b, c, fused) => (fused ? f(a * b + c) : f(f(a * b) + c));

/** The float32 exp of t, for t in the fast range [-87, 0]. */
export function exp32(t, fused = false) {
  const z = madd(t, LOG2E, MAGIC, fused);
  const n = f(z - MAGIC); // MAGIC holds the bias too
  let r = fused ? f(t - n * LN2_HI) : f(t - f(n * LN2_HI));
  r = fused ? f(r - n * LN2_LO) : f(r - f(n * LN2_LO));
  let q = POLY[POLY.length - 1];
  for (let k = POLY.length - 2; k >= 0; k--) q = madd(q, r, POLY[k], fused);
  const y = f(1 + madd(f(r * r), q, r, fused));
  return y * 2 ** n;
}

/** The exp's error at t in float32 ulps of the true value, signed. */
export const expError = (t, fused) => (exp32(t, fused) - Math.exp(t)) / ulp32(Math.exp(t));

/**
 * Of `tries` float32 t drawn within `span` ulps of t0 (by `rand`), the one
 * whose exp errs most in direction `sign` (+1: too high, -1: too low) under
 * either model.
 */
export function worstNear(t0, sign, span, rand, tries = 256) {
  let best = f(t0), bestErr = -Infinity;
  for (let k = 0; k < tries; k++) {
    const t = stepUlps('f32', f(t0), Math.round((2 * rand() - 1) * span));
    if (!(t <= 0 && t >= -87)) continue;
    const e = Math.max(sign * expError(t, false), sign * expError(t, true));
    if (e > bestErr) [best, bestErr] = [t, e];
  }
  return best;
}
