// Types of `logsoftmax/parallel` (js/parallel.js): the synchronous API's
// signatures (js/index.d.ts), each result wrapped in a Promise.
import type {
  Build, Float16, HalfDtype, LogSumExpOptions, LogSumExpValue, NestedNumbers, SoftmaxOptions,
} from './index.js';

/**
 * How a pool reaches its workers: `'shared'` through shared memory (Node; a page served
 * cross-origin isolated), `'transfer'` by copying each part out and back (a page without
 * COOP/COEP), `'single'` on the calling thread (no workers here).
 */
export type PoolMode = 'shared' | 'transfer' | 'single';

export interface PoolOptions {
  /** Workers; defaults to `navigator.hardwareConcurrency`, at most 4. 1..256. */
  threads?: number;
  /** The build every worker loads, as `load`'s option. */
  build?: 'auto' | Build;
  /** `'auto'` (the default) takes `'shared'` where memory can be shared, else `'transfer'`, else `'single'`. */
  mode?: 'auto' | PoolMode;
}

export interface Pool {
  readonly mode: PoolMode;
  readonly threads: number;
  /** The build the workers run. */
  readonly build: Build;
  /** How many workers died and were replaced by fresh ones. */
  readonly restarts: number;

  logSoftmax(x: Float32Array, options?: SoftmaxOptions<Float32Array>): Promise<Float32Array>;
  logSoftmax(x: Float64Array | readonly NestedNumbers[], options?: SoftmaxOptions<Float64Array>): Promise<Float64Array>;
  logSoftmax(x: number, options?: Omit<SoftmaxOptions<never>, 'out'>): Promise<number>;
  logSoftmax(x: Float16, options?: SoftmaxOptions<Float16>): Promise<Float16>;
  logSoftmax(x: Uint16Array, options: SoftmaxOptions<Uint16Array> & { dtype: HalfDtype }): Promise<Uint16Array>;

  softmax(x: Float32Array, options?: SoftmaxOptions<Float32Array>): Promise<Float32Array>;
  softmax(x: Float64Array | readonly NestedNumbers[], options?: SoftmaxOptions<Float64Array>): Promise<Float64Array>;
  softmax(x: number, options?: Omit<SoftmaxOptions<never>, 'out'>): Promise<number>;
  softmax(x: Float16, options?: SoftmaxOptions<Float16>): Promise<Float16>;
  softmax(x: Uint16Array, options: SoftmaxOptions<Uint16Array> & { dtype: HalfDtype }): Promise<Uint16Array>;

  logSumExp(
    a: Float32Array, options: LogSumExpOptions & { returnSign: true; b?: number | Float32Array },
  ): Promise<{ value: LogSumExpValue<Float32Array>; sign: LogSumExpValue<Float32Array> }>;
  logSumExp(
    a: Float32Array | Float64Array | NestedNumbers, options: LogSumExpOptions & { returnSign: true },
  ): Promise<{ value: LogSumExpValue<Float32Array | Float64Array>; sign: LogSumExpValue<Float32Array | Float64Array> }>;
  logSumExp(
    a: Float32Array, options?: LogSumExpOptions & { returnSign?: false; b?: number | Float32Array },
  ): Promise<LogSumExpValue<Float32Array>>;
  logSumExp(a: Float64Array | NestedNumbers, options?: LogSumExpOptions & { returnSign?: false }): Promise<LogSumExpValue<Float64Array>>;
  logSumExp(
    a: Float32Array | Float64Array | NestedNumbers, options?: LogSumExpOptions & { returnSign?: false },
  ): Promise<LogSumExpValue<Float32Array | Float64Array>>;
  logSumExp(
    a: Float16 | Uint16Array, options: LogSumExpOptions & { returnSign: true },
  ): Promise<{ value: LogSumExpValue<Float16 | Uint16Array | Float32Array | Float64Array>; sign: LogSumExpValue<Float16 | Uint16Array | Float32Array | Float64Array> }>;
  logSumExp(
    a: Float16 | Uint16Array, options?: LogSumExpOptions & { returnSign?: false },
  ): Promise<LogSumExpValue<Float16 | Uint16Array | Float32Array | Float64Array>>;

  /** Stops the workers: pending calls reject, and so does every later call. */
  terminate(): void;
}

/**
 * Starts `threads` workers, each with its own instance of `build`, and resolves when all
 * of them are loaded. Each call is checked on the calling thread (a bad one rejects with the
 * synchronous API's error) and its slices are shared out among the workers.
 */
export function createPool(options?: PoolOptions): Promise<Pool>;
