// The accuracy bounds the README promises, in one place: every test that
// checks a result against a float64 reference takes its bound from here.
//
// Measures, with ulp32/ulp64 the spacing of the output type at |v|:
//   logSoftmax, logSumExp  |err| / ulp(max(1, |ref|))
//   softmax                |err| / ulp(ref), for normal outputs only
// float64 results are held to a relative tolerance instead (of |ref| for
// softmax, of max(1, |ref|) for the logs).
import { ulp32, ulp64 } from '../../js/reference/ulp.js';

/** float32 bounds, in ulps of the measure above. */
export const BOUND32 = Object.freeze({ logSoftmax: 2, softmax: 4, logSumExp: 2 });
/** float64 relative tolerance. */
export const RTOL64 = 1e-13;

const MIN_NORMAL = { f32: 2 ** -126, f64: 2 ** -1022 };
const ULP = { f32: ulp32, f64: ulp64 };

/**
 * Error of one finite result in ulps of the output type, by the function's
 * measure; NaN where the measure does not apply (a subnormal softmax output).
 * @param {'f32'|'f64'} dtype
 * @param {'logSoftmax'|'softmax'|'logSumExp'} fn
 */
export function ulpError(dtype, fn, got, ref) {
  const ulp = ULP[dtype];
  if (fn === 'softmax') return ref >= MIN_NORMAL[dtype] ? Math.abs(got - ref) / ulp(ref) : NaN;
  return Math.abs(got - ref) / ulp(Math.max(1, Math.abs(ref)));
}

/**
 * The bound as an absolute tolerance on |got - ref|.  A float32 softmax
 * output below the normal range, which the ulp measure leaves out, is held
 * here to BOUND32.softmax spacings of float32's subnormals (2^-149 each):
 * tests that compare element by element keep checking those outputs too.
 * @param {'f32'|'f64'} dtype
 * @param {'logSoftmax'|'softmax'|'logSumExp'} fn
 */
export function tolerance(dtype, fn, ref) {
  const scale = fn === 'softmax' ? Math.abs(ref) : Math.max(1, Math.abs(ref));
  return dtype === 'f32' ? BOUND32[fn] * ulp32(scale) : RTOL64 * scale;
}

/** Whether one finite result is within the promised bound. */
export function withinBound(dtype, fn, got, ref) {
  if (dtype === 'f32') {
    const e = ulpError('f32', fn, got, ref);
    return Number.isNaN(e) || e <= BOUND32[fn];
  }
  return Math.abs(got - ref) <= tolerance('f64', fn, ref);
}
