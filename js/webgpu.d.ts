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
/** `Float16Array` where the consumer's lib declares it (ES2025), else never. */
export type GpuFloat16 = GlobalClass<'Float16Array', never>;

/** How a Uint16Array's (or, with dtype, a GPUBuffer's packed) bits are read: IEEE binary16, or bfloat16. */
export type GpuHalfDtype = 'float16' | 'bfloat16';

/**
 * A mask, as in the wasm API: true (or nonzero) keeps an entry, false leaves it out of the
 * max and the sum.  A Uint8Array, booleans or numbers (nested arrays give the shape), or
 * one boolean: host data, also for GPUBuffer inputs (it is uploaded with the call).
 */
export type GpuMask = Uint8Array | boolean | readonly GpuNestedMask[];
export type GpuNestedMask = boolean | number | readonly GpuNestedMask[];

/** Shape, axis, mask and dtype options, as in the wasm API (js/index.d.ts). */
export interface GpuOptions {
  /** C-order shape; defaults to [x.length] (for a GPUBuffer: [byteSize / 4], or [byteSize / 2] with dtype). */
  shape?: readonly number[];
  /** null/undefined = all axes; an int (negative counts from the end); an array of ints; [] = element-wise. */
  axis?: number | readonly number[] | null;
  /**
   * A mask that broadcasts to the input's shape (NumPy rules), as JAX's `where`: masked-out
   * entries take no part; their results are 0 (softmax) or -inf (logSoftmax), and a slice
   * masked out entirely gives those, or -inf (logSumExp, sign 0).  Not together with `b` where a
   * or b is a GPUBuffer (a TypeError): the mask of a weighted sum is applied to a and b on the host.
   */
  where?: GpuMask;
  /** Shape of a flat `where`; defaults to the input's shape. */
  whereShape?: readonly number[];
  /**
   * Reads a Uint16Array input (and `b`) as half-precision bits, or a GPUBuffer input (and a
   * GPUBuffer `b`, and `out`) as packed 16-bit values, two to a 4-byte word (element 2k in
   * the low half of word k; a buffer holds whole words).  Computed in float32 and rounded
   * once to the same type.  Required for a Uint16Array, refused for Float32Array and
   * Float16Array input.
   */
  dtype?: GpuHalfDtype;
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
   * which the wasm API computes.  Half-precision weights with half-precision a give a
   * half-precision result; float16 with bfloat16, or either with float32, give float32 (as NumPy
   * promotes).  With `where`, neither a nor b may be a GPUBuffer.
   */
  b?: number | Float32Array | GpuFloat16 | Uint16Array | GpuBuffer;
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

  /**
   * scipy.special.log_softmax in float32.  GpuBuffer in: a GpuBuffer out, no readback.
   * Half-precision in (a Float16Array, a Uint16Array of bits with dtype, a GpuBuffer of packed
   * halves with dtype): the same type out.
   */
  logSoftmax(x: Float32Array, opts?: GpuElementwiseOptions<Float32Array>): Promise<Float32Array>;
  logSoftmax(x: GpuFloat16, opts?: GpuElementwiseOptions<GpuFloat16>): Promise<GpuFloat16>;
  logSoftmax(x: Uint16Array, opts: GpuElementwiseOptions<Uint16Array> & { dtype: GpuHalfDtype }): Promise<Uint16Array>;
  logSoftmax(x: GpuBuffer, opts?: GpuElementwiseOptions<GpuBuffer>): Promise<GpuBuffer>;

  /** scipy.special.softmax in float32; half-precision in, the same type out, as logSoftmax. */
  softmax(x: Float32Array, opts?: GpuElementwiseOptions<Float32Array>): Promise<Float32Array>;
  softmax(x: GpuFloat16, opts?: GpuElementwiseOptions<GpuFloat16>): Promise<GpuFloat16>;
  softmax(x: Uint16Array, opts: GpuElementwiseOptions<Uint16Array> & { dtype: GpuHalfDtype }): Promise<Uint16Array>;
  softmax(x: GpuBuffer, opts?: GpuElementwiseOptions<GpuBuffer>): Promise<GpuBuffer>;

  /** scipy.special.logsumexp in float32: a number where the result is 0-d (Float32Array input). */
  logSumExp(a: Float32Array, opts: GpuLogSumExpOptions<Float32Array> & { returnSign: true }):
    Promise<{ value: number | Float32Array; sign: number | Float32Array }>;
  logSumExp(a: Float32Array, opts?: GpuLogSumExpOptions<Float32Array> & { returnSign?: false }): Promise<number | Float32Array>;
  /**
   * Half-precision a: a half-precision result (the same array type as a) where b is
   * half-precision too, a number or left out; else float32.  Results of a GPUBuffer a
   * with dtype are GPUBuffers of packed halves.
   */
  logSumExp(a: GpuFloat16 | Uint16Array, opts: GpuLogSumExpOptions<GpuFloat16 | Uint16Array | Float32Array> & { returnSign: true }):
    Promise<{ value: number | GpuFloat16 | Uint16Array | Float32Array; sign: number | GpuFloat16 | Uint16Array | Float32Array }>;
  logSumExp(a: GpuFloat16 | Uint16Array, opts?: GpuLogSumExpOptions<GpuFloat16 | Uint16Array | Float32Array> & { returnSign?: false }):
    Promise<number | GpuFloat16 | Uint16Array | Float32Array>;
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
