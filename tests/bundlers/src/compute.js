// What the page and the worker both compute, given the two functions they
// imported: float32 along the last axis (the row kernels), float64 along the
// first (the column kernels).  JSON has no NaN or infinities, so those travel
// as strings both ways.
const encode = (a) => Array.from(a, (v) => (Number.isFinite(v) ? v : String(v)));

export async function compute({ init, logSoftmax }, { x, shape }) {
  const { simd, relaxed } = await init();
  const x64 = Float64Array.from(x, Number);
  return {
    build: relaxed ? 'relaxed' : simd ? 'simd' : 'scalar',
    f32: encode(logSoftmax(Float32Array.from(x64), { shape, axis: -1 })),
    f64: encode(logSoftmax(x64, { shape, axis: 0 })),
  };
}
