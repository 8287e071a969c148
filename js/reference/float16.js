// The 16-bit float formats of the tests, written from their definitions:
// IEEE 754 binary16 (float16: 1 sign, 5 exponent, 10 fraction bits) and
// bfloat16 (1 sign, 8 exponent, 7 fraction bits: the top half of a float32).
// Conversions from a double round to nearest, ties to even, from the EXACT
// double value, keep subnormals and overflow to infinity.  Not part of the
// published package (package.json "files" takes only the top level of js/);
// like the rest of js/reference/ it shares no code with the library, so a
// rounding bug there cannot hide here.
//
// Why not Math.fround first: rounding to float32 and then to 16 bits rounds
// twice, and a double just above a 16-bit midpoint can land exactly on it in
// float32 and then tie to the wrong side (1 + 2^-11 + 2^-40 is one).

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
const HI = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0; // the word holding sign and exponent

/** Sign bit of a double, NaN included (Math.sign cannot see a NaN's or -0's sign). */
function signBit(v) {
  f64[0] = v;
  return u32[HI] >>> 31;
}

/** floor(log2(a)) of a finite a > 0, exactly, from the double's bits. */
function exponentOf(a) {
  f64[0] = a;
  const biased = (u32[HI] >>> 20) & 0x7ff;
  if (biased !== 0) return biased - 1023;
  // A double subnormal: scale into the normal range first (exact).
  return exponentOf(a * 2 ** 64) - 64;
}

/** The integer nearest a non-negative double q < 2^52, ties to even (exact). */
function roundHalfEven(q) {
  const f = Math.floor(q);
  const r = q - f; // exact: the fraction bits of a double form a double
  if (r > 0.5) return f + 1;
  if (r < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/**
 * A binary interchange-style format with `e` exponent bits and `m` fraction
 * bits: encode a double to its bits and decode bits to a double.
 */
function format(e, m) {
  const bias = 2 ** (e - 1) - 1;
  const emin = 1 - bias; // exponent of the smallest normal
  const expMask = (2 ** e - 1) * 2 ** m;
  const signMask = 2 ** (e + m);
  const quietNaN = expMask + 2 ** (m - 1);
  const encode = (v) => {
    const s = signBit(v) ? signMask : 0;
    if (Number.isNaN(v)) return s + quietNaN;
    const a = Math.abs(v);
    if (a === Infinity) return s + expMask;
    if (a < 2 ** emin) {
      // Subnormal range: multiples of 2^(emin - m).  n = 2^m is the smallest
      // normal, whose bits are exactly 2^m, so no special case is needed.
      return s + roundHalfEven(a * 2 ** (m - emin));
    }
    const k = exponentOf(a);
    if (k > bias) return s + expMask; // at least 2^(bias+1): beyond every finite value and midpoint
    // a / 2^(k-m) lies in [2^m, 2^(m+1)); rounding up to 2^(m+1) carries into
    // the exponent field, and from the largest binade into infinity's bits,
    // which is exactly round-to-nearest's overflow rule.
    const n = roundHalfEven(a * 2 ** (m - k));
    return s + (k + bias) * 2 ** m + (n - 2 ** m);
  };
  const decode = (h) => {
    const sign = h & signMask ? -1 : 1;
    const exp = (h & expMask) / 2 ** m;
    const frac = h % 2 ** m;
    if (exp === 2 ** e - 1) {
      if (frac === 0) return sign * Infinity;
      // A NaN with the sign bit of h (as far as the engine keeps NaN signs).
      f64[0] = NaN;
      u32[HI] = (u32[HI] & 0x7fffffff) | (sign < 0 ? 0x80000000 : 0);
      return f64[0];
    }
    if (exp === 0) return sign * frac * 2 ** (emin - m);
    return sign * (2 ** m + frac) * 2 ** (exp - bias - m);
  };
  return { encode, decode };
}

const HALF = format(5, 10);
const BFLOAT = format(8, 7);

/** binary16 bits (0..0xffff) of the double v, rounded to nearest even. */
export const toFloat16Bits = (v) => HALF.encode(v);
/** The double value of binary16 bits h. */
export const fromFloat16Bits = (h) => HALF.decode(h);
/** v rounded to the nearest float16, as a double. */
export const roundFloat16 = (v) => HALF.decode(HALF.encode(v));

/** bfloat16 bits (0..0xffff) of the double v, rounded to nearest even. */
export const toBfloat16Bits = (v) => BFLOAT.encode(v);
/** The double value of bfloat16 bits h. */
export const fromBfloat16Bits = (h) => BFLOAT.decode(h);
/** v rounded to the nearest bfloat16, as a double. */
export const roundBfloat16 = (v) => BFLOAT.decode(BFLOAT.encode(v));

/** Largest finite float16 (2^15 * (2 - 2^-10)). */
export const FLOAT16_MAX = 65504;
/** Smallest normal float16. */
export const FLOAT16_MIN_NORMAL = 2 ** -14;
/** Smallest normal bfloat16 (float32's). */
export const BFLOAT16_MIN_NORMAL = 2 ** -126;
