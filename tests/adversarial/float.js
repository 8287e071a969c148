// Float stepping shared by the families, the exp model and the mutations.

const f32 = new Float32Array(1), i32 = new Int32Array(f32.buffer);
const f64 = new Float64Array(1), i64 = new BigInt64Array(f64.buffer);

/** v moved by k ulps of its type (through zero if need be); v itself where that leaves the finite range. */
export function stepUlps(dtype, v, k) {
  if (!Number.isFinite(v) || k === 0) return v;
  let r;
  if (dtype === 'f32') {
    f32[0] = v;
    const ord = i32[0] < 0 ? -(i32[0] & 0x7fffffff) : i32[0]; // a line through -0 and +0
    const n = ord + k;
    i32[0] = n < 0 ? (-n | 0x80000000) : n;
    r = f32[0];
  } else {
    f64[0] = v;
    const b = i64[0];
    const ord = b < 0n ? -(b & 0x7fffffffffffffffn) : b;
    const n = ord + BigInt(k);
    i64[0] = n < 0n ? (-n | -0x8000000000000000n) : n;
    r = f64[0];
  }
  return Number.isFinite(r) ? r : v;
}
