// How results are measured against the float64 reference (./float64.js):
// the spacing of float16, bfloat16, float32 and float64 numbers, and the class of a special
// value.  Computed from the bits of the double, not from the library's
// code.  Not part of the published package (package.json "files" takes only
// the top level of js/).

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

/** Binary exponent of a finite non-zero double (floor(log2|v|)), exactly. */
function exponentOf(v) {
  f64[0] = v;
  const biased = (u32[1] >>> 20) & 0x7ff;
  if (biased === 0) return Math.floor(Math.log2(Math.abs(v))); // double subnormal: log2 is exact enough
  return biased - 1023;
}

/** Spacing of float32 numbers at |v| (2^-149 at 0 and among subnormals). */
export function ulp32(v) {
  const a = Math.abs(v);
  if (!Number.isFinite(a)) return a;
  if (a < 2 ** -126) return 2 ** -149;
  return 2 ** (Math.min(exponentOf(a), 127) - 23);
}

/** Spacing of float64 numbers at |v| (2^-1074 at 0 and among subnormals). */
export function ulp64(v) {
  const a = Math.abs(v);
  if (!Number.isFinite(a)) return a;
  if (a < 2 ** -1022) return 2 ** -1074;
  return 2 ** (exponentOf(a) - 52);
}

/**
 * Spacing of float16 numbers at |v|: 2^-24 at 0 and among subnormals
 * (below 2^-14), 2^5 from 65504 up (the last binade's spacing, so that an
 * error just past the largest finite value still has a unit).
 */
export function ulp16(v) {
  const a = Math.abs(v);
  if (!Number.isFinite(a)) return a;
  if (a < 2 ** -14) return 2 ** -24;
  return 2 ** (Math.min(exponentOf(a), 15) - 10);
}

/** Spacing of bfloat16 numbers at |v| (2^-133 at 0 and among subnormals). */
export function ulpBf16(v) {
  const a = Math.abs(v);
  if (!Number.isFinite(a)) return a;
  if (a < 2 ** -126) return 2 ** -133;
  return 2 ** (Math.min(exponentOf(a), 127) - 7);
}

/** 'nan' | 'inf' | '-inf' | 'finite': for comparing special-value patterns. */
export function kind(v) {
  if (Number.isNaN(v)) return 'nan';
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  return 'finite';
}
