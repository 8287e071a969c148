// Types of `logsoftmax/webgpu` (js/webgpu.js).
//
// GPUBuffer and GPUDevice are WebGPU's own types where the consumer has them
// (@webgpu/types, or a DOM lib that declares WebGPU) and plain objects
// otherwise, so that this file needs no dependency to type-check.
type GlobalClass<Name extends string, Fallback> =
  typeof globalThis extends Record<Name, { prototype: infer P }> ? P : Fallback;
/** WebGPU's `GPUBuffer` where its types are present, else `object`. */
export type GpuBuffer = GlobalClass<'GPUBuffer', object>;
/** WebGPU's `GPUDevice` where its types are present, else `object`. */
export type GpuDevice = GlobalClass<'GPUDevice', object>;

/** Shape and axis options, as in the wasm API (js/index.d.ts). */
export interface GpuOptions {
  /** C-order shape; defaults to [x.length] (for a GPUBuffer: [byteSize / 4]). */
  shape?: readonly number[];
  /** null/undefined = all axes; an int (negative counts from the end); an array of ints; [] = element-wise. */
  axis?: number | readonly number[] | null;
}

export interface GpuElementwiseOptions<Out> extends GpuOptions {
  /** Where to write the result (a different buffer than x; the GPU path does not work in place). */
  out?: Out;
}

export interface GpuLogSumExpOptions<Out> extends GpuElementwiseOptions<Out> {
  keepdims?: boolean;
  /**
   * Weights, broadcast against a (NumPy rules); b == 0 masks an entry.  Computed in float32;
   * float64 weights (Float64Array, number[]) are rejected: scipy's result for them is float64,
   * which the wasm API computes.
   */
  b?: number | Float32Array | GpuBuffer;
  /** Shape of b; defaults to `shape` for arrays and buffers. */
  bShape?: readonly number[];
  /** Also return the sign of the sum (then negative sums give log|sum|, not NaN). */
  returnSign?: boolean;
}

export interface Gpu {
  /** Whether whole-workgroup reductions use subgroup operations. */
  readonly subgroups: boolean;
  /** The kernel variant in use (createGpu's `passes`). */
  readonly passes: GpuPasses;
  /** The device in use (given to createGpu, or requested by it). */
  readonly device: GpuDevice;
  /** Resolves when the device is lost; calls then reject with a GpuDeviceLostError. */
  readonly lost: Promise<{ reason: string; message: string }>;

  /** scipy.special.log_softmax in float32.  GpuBuffer in: a GpuBuffer out, no readback. */
  logSoftmax(x: Float32Array, opts?: GpuElementwiseOptions<Float32Array>): Promise<Float32Array>;
  logSoftmax(x: GpuBuffer, opts?: GpuElementwiseOptions<GpuBuffer>): Promise<GpuBuffer>;

  /** scipy.special.softmax in float32. */
  softmax(x: Float32Array, opts?: GpuElementwiseOptions<Float32Array>): Promise<Float32Array>;
  softmax(x: GpuBuffer, opts?: GpuElementwiseOptions<GpuBuffer>): Promise<GpuBuffer>;

  /** scipy.special.logsumexp in float32: a number where the result is 0-d (Float32Array input). */
  logSumExp(a: Float32Array, opts: GpuLogSumExpOptions<Float32Array> & { returnSign: true }):
    Promise<{ value: number | Float32Array; sign: number | Float32Array }>;
  logSumExp(a: Float32Array, opts?: GpuLogSumExpOptions<Float32Array> & { returnSign?: false }): Promise<number | Float32Array>;
  logSumExp(a: GpuBuffer, opts: GpuLogSumExpOptions<GpuBuffer> & { returnSign: true }):
    Promise<{ value: GpuBuffer; sign: GpuBuffer }>;
  logSumExp(a: GpuBuffer, opts?: GpuLogSumExpOptions<GpuBuffer> & { returnSign?: false }): Promise<GpuBuffer>;

  /** Releases buffers and pipelines, and the device if createGpu requested it.  Later calls reject. */
  destroy(): void;
}

/** The unweighted kernels' variant: three passes per slice, or one online pass and the write. */
export type GpuPasses = 'three' | 'online';

export interface CreateGpuOptions {
  /** Use this device (not destroyed by destroy()); left out, one is requested. */
  device?: GpuDevice;
  /** false forces the workgroup-memory reductions even where `subgroups` exists. */
  subgroups?: boolean;
  /** Split dispatches above this many workgroups per dimension (default: the device limit). */
  maxWorkgroupsPerDimension?: number;
  /**
   * 'three' (default): max, sum of exp, write.  'online': running max and
   * rescaled sum in one pass, then the write (one read of x fewer; slower on
   * SwiftShader).  Both give the same special values and accuracy bounds.
   */
  passes?: GpuPasses;
}

/**
 * Opens the WebGPU path.  Rejects with an Error named 'GpuUnavailableError'
 * that says what is missing (navigator.gpu, an adapter, or the device).
 */
export function createGpu(options?: CreateGpuOptions): Promise<Gpu>;

/** True for the error calls reject with after device loss: fall back to the wasm API then. */
export function isDeviceLost(err: unknown): boolean;
