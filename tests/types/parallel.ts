// Compiled by tests/parallel.test.js with `tsc --strict --noEmit`: pool calls
// that must type-check, and (under @ts-expect-error) calls that must not.
import { createPool } from 'logsoftmax/parallel';
import type { Pool, PoolMode } from 'logsoftmax/parallel';

export async function usage(): Promise<void> {
  const pool: Pool = await createPool({ threads: 2, build: 'simd', mode: 'auto' });
  const mode: PoolMode = pool.mode;
  const f32: Float32Array = await pool.logSoftmax(new Float32Array(6), { shape: [2, 3], axis: -1 });
  const f64: Float64Array = await pool.softmax([[1, 2], [3, 4]], { axis: 0 });
  const scalar: number = await pool.softmax(3);
  const lse: number | Float32Array = await pool.logSumExp(new Float32Array(4), { shape: [2, 2], axis: 1 });
  const signed = await pool.logSumExp([1, 2], { b: [1, -1], returnSign: true });
  const sign: number | Float32Array | Float64Array = signed.sign;
  const restarts: number = pool.restarts;
  void [mode, f32, f64, scalar, lse, sign, restarts];
  pool.terminate();

  // @ts-expect-error: the results are promises
  const notAwaited: Float32Array = pool.logSoftmax(new Float32Array(6));
  // @ts-expect-error: no such mode
  await createPool({ mode: 'fast' });
  // @ts-expect-error: threads is a number
  await createPool({ threads: '2' });
  void notAwaited;
}
