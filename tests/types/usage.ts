// Compiled by tests/types.test.js with `tsc --strict --noEmit`: calls that
// must type-check, and (under @ts-expect-error) calls that must not.
import { init, load, logSoftmax, softmax, logSumExp } from 'logsoftmax';
import type { Build, Instance } from 'logsoftmax';

export async function usage(): Promise<void> {
  const { simd }: { simd: boolean } = await init({ simd: false });
  void simd;

  const f32: Float32Array = logSoftmax(new Float32Array(6), { shape: [2, 3], axis: -1 });
  const f64: Float64Array = softmax([[1, 2], [3, 4]], { axis: [0, 1] });
  const inPlace: Float32Array = softmax(f32, { out: f32, axis: null });
  const scalar: number = logSoftmax(3);
  const lse = logSumExp(new Float32Array(4), { b: 0.5 });
  const lseValue: number | Float32Array = lse;
  const signed = logSumExp([1, 2], { b: [1, -1], returnSign: true });
  const sign: number | Float32Array | Float64Array = signed.sign;
  void [f64, inPlace, scalar, lseValue, sign];

  const lsm: Instance = await load({ build: 'scalar' });
  const build: Build = lsm.build;
  const own: Float32Array = lsm.logSoftmax(new Float32Array(4), { shape: [2, 2] });
  const pages: number = lsm.memory.buffer.byteLength;
  await init({ build: 'auto' });
  void [build, own, pages];

  // @ts-expect-error strings are not numeric input
  logSoftmax('1, 2, 3');
  // @ts-expect-error Int32Array is not supported
  softmax(new Int32Array(3));
  // @ts-expect-error out must match the float32 result
  logSoftmax(new Float32Array(2), { out: new Float64Array(2) });
  // @ts-expect-error axis is a number, an array of numbers or null
  softmax([1, 2], { axis: '0' });
  // @ts-expect-error keepdims is a boolean
  logSumExp([1, 2], { keepdims: 1 });
  // @ts-expect-error there is no such build
  await load({ build: 'gpu' });
  // @ts-expect-error an instance's functions are read-only
  lsm.softmax = softmax;
  // @ts-expect-error a float32 result is not a Float64Array
  const wrong: Float64Array = logSoftmax(new Float32Array(2));
  void wrong;
}
