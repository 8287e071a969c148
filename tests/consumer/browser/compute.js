// What every consumer page computes for {x, shape} (x: numbers, shape:
// [rows, cols]), given the library as that page imported it: the bundled
// app, its worker and the no-bundler page must run exactly the same calls.
export async function compute({ init, logSoftmax, softmax, logSumExp }, { x, shape }) {
  const { simd, relaxed } = await init();
  return {
    simd,
    relaxed,
    logSoftmax: Array.from(logSoftmax(Float32Array.from(x), { shape, axis: -1 })),
    softmax: Array.from(softmax(x, { shape, axis: 0 })),
    logSumExp: logSumExp(x),
  };
}
