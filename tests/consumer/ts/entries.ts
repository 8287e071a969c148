// Type-checked under moduleResolution "node" (TypeScript's node10
// resolution, which ignores package.json "exports"): both entry points
// must still find their types.
import { load } from 'logsoftmax';
import { createGpu, isDeviceLost } from 'logsoftmax/webgpu';

export async function usage(): Promise<boolean> {
  const lsm = await load();
  const gpu = await createGpu();
  // @ts-expect-error createGpu's passes are 'three' or 'online'
  await createGpu({ passes: 'two' });
  return lsm.build === 'simd' && gpu.passes === 'three' && isDeviceLost(new Error());
}
