// Typical use of logsoftmax/webgpu; tsc must accept it, and the expect-error
// lines below must be errors (tests/webgpu.test.js runs tsc).
import { createGpu, isDeviceLost } from 'logsoftmax/webgpu';
import * as wasm from 'logsoftmax';

export async function demo(logits: Float32Array, onGpu: GPUBuffer): Promise<void> {
  const gpu = await createGpu({ subgroups: true });
  let y: Float32Array = await gpu.logSoftmax(logits, { shape: [4, logits.length / 4], axis: -1 });
  try {
    y = await gpu.softmax(logits, { axis: null, out: y });
  } catch (err) {
    if (!isDeviceLost(err)) throw err;
    y = wasm.softmax(logits, { axis: null }) as Float32Array;
  }
  const buf: GPUBuffer = await gpu.logSoftmax(onGpu, { shape: [8, 16], axis: 0 });
  const lse: number | Float32Array = await gpu.logSumExp(logits, { b: 0.5, keepdims: true });
  const signed = await gpu.logSumExp(onGpu, { shape: [8, 16], returnSign: true });
  const s: GPUBuffer = signed.sign;
  const info = await gpu.lost;
  const variant: 'three' | 'online' = gpu.passes;
  const online = await createGpu({ device: gpu.device, passes: 'online' });
  // Masks and half precision (bits in a Uint16Array, or packed in a GPUBuffer).
  const masked: Float32Array = await gpu.softmax(logits, { where: new Uint8Array(logits.length), axis: null });
  const rowMask = await gpu.logSoftmax(logits, { shape: [4, logits.length / 4], where: [true, false, true, true], whereShape: [4, 1] });
  const bits: Uint16Array = await gpu.logSoftmax(new Uint16Array(8), { dtype: 'bfloat16', where: [[true, false]], shape: [4, 2] });
  const halfBuf: GPUBuffer = await gpu.softmax(onGpu, { shape: [8, 16], dtype: 'float16' });
  const halfLse = await gpu.logSumExp(new Uint16Array(8), { dtype: 'float16', b: new Uint16Array(8), returnSign: true });
  console.log(y, buf, lse, s, info.reason, gpu.subgroups, gpu.device.label, variant, online.passes, masked, rowMask, bits, halfBuf, halfLse.sign);
  gpu.destroy();

  // @ts-expect-error: the GPU path takes Float32Array or GPUBuffer only
  await gpu.logSoftmax([1, 2, 3]);
  // @ts-expect-error: a GPUBuffer input writes a GPUBuffer out
  await gpu.softmax(onGpu, { out: new Float32Array(4) });
  // @ts-expect-error: passes is 'three' or 'online'
  await createGpu({ passes: 'two' });
  // @ts-expect-error: a Uint16Array needs dtype to say which half-precision format it holds
  await gpu.logSoftmax(new Uint16Array(4));
  // @ts-expect-error: dtype is 'float16' or 'bfloat16'
  await gpu.softmax(new Uint16Array(4), { dtype: 'float8' });
  // @ts-expect-error: a mask is a Uint8Array, booleans or numbers, or a boolean
  await gpu.softmax(logits, { where: 'all' });
  // @ts-expect-error: axis is a number, an array or null
  await gpu.logSoftmax(logits, { axis: '1' });
}
