// Compiled by tests/types.test.js with no DOM types and no @types/node
// (tsconfig.no-dom.json): the declarations must not need platform globals.
import { load, init, logSoftmax } from 'logsoftmax';
import type { Instance } from 'logsoftmax';

export async function usage(bytes: Uint8Array): Promise<number> {
  await init({ module: bytes });
  const lsm: Instance = await load({ build: 'simd', module: bytes });
  const pages: number = lsm.memory.buffer.byteLength;
  // @ts-expect-error a number is not a module
  await load({ module: 5 });
  return pages + logSoftmax(new Float32Array(2))[0];
}
