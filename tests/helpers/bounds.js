// The accuracy bounds the README promises, in one place: every test that
// checks a result against a float64 reference takes its bound from here.
//
// Measures, with ulp the spacing of the output type at |v| (ulp16, ulpBf16,
// ulp32, ulp64):
//   logSoftmax, logSumExp  |err| / ulp(max(1, |ref|))
//   softmax                |err| / ulp(ref), for normal outputs only
// float64 results are held to a relative tolerance instead (of |ref| for
// softmax, of max(1, |ref|) for the logs).
//
// Half precision ('f16' float16, 'bf16' bfloat16) is computed in float32 or
// better and rounded once, so its results are within 1 ulp of the output
// type: the 0.5 of that rounding plus the (by then tiny) float32 error.
import { ulp16, ulpBf16, ulp32, ulp64 } from '../../js/reference/ulp.js';

/** float32 bounds, in ulps of the measure above. */
export const BOUND32 = Object.freeze({ logSoftmax: 2, softmax: 4, logSumExp: 2 });
/** float16 bounds, in ulps of float16 (ulp16). */
export const BOUND16 = Object.freeze({ logSoftmax: 1, softmax: 1, logSumExp: 1 });
/** bfloat16 bounds, in ulps of bfloat16 (ulpBf16). */
export const BOUNDBF16 = Object.freeze({ logSoftmax: 1, softmax: 1, logSumExp: 1 });
/** float64 relative tolerance. */
export const RTOL64 = 1e-13;

const MIN_NORMAL = { f16: 2 ** -14, bf16: 2 ** -126, f32: 2 ** -126, f64: 2 ** -1022 };
const ULP = { f16: ulp16, bf16: ulpBf16, f32: ulp32, f64: ulp64 };
/** The ulp bounds of the types measured in ulps (float64 is not). */
const BOUNDS = { f16: BOUND16, bf16: BOUNDBF16, f32: BOUND32 };

/**
 * Error of one finite result in ulps of the output type, by the function's
 * measure; NaN where the measure does not apply (a subnormal softmax output).
 * @param {'f16'|'bf16'|'f32'|'f64'} dtype
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
 * Likewise float16 (2^-24 each) and bfloat16 (2^-133 each).
 * @param {'f16'|'bf16'|'f32'|'f64'} dtype
 * @param {'logSoftmax'|'softmax'|'logSumExp'} fn
 */
export function tolerance(dtype, fn, ref) {
  const scale = fn === 'softmax' ? Math.abs(ref) : Math.max(1, Math.abs(ref));
  return dtype === 'f64' ? RTOL64 * scale : BOUNDS[dtype][fn] * ULP[dtype](scale);
}

/**
 * Whether one finite result is within the promised bound.  A half-precision
 * softmax output below the normal range is held to the absolute tolerance
 * above: float16's subnormals start at 6e-5, where real probabilities live,
 * so they are measured rather than waved through as float32's are.
 */
export function withinBound(dtype, fn, got, ref) {
  if (dtype === 'f32') {
    const e = ulpError('f32', fn, got, ref);
    return Number.isNaN(e) || e <= BOUND32[fn];
  }
  return Math.abs(got - ref) <= tolerance(dtype, fn, ref);
}
