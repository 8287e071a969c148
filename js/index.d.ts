/** The WebAssembly builds: relaxed SIMD (FMA in the exp), SIMD128, and scalar. */
export type Build = 'relaxed' | 'simd' | 'scalar';

// WebAssembly, URL and fetch's Response are the platform's own types where the
// consumer's lib declares them (DOM, or @types/node's), and left out or plain
// objects otherwise, so that a project without DOM types still type-checks.
type Global<Name extends string> = typeof globalThis extends Record<Name, infer G> ? G : never;
type InstanceOf<C, Fallback> = C extends { prototype: infer P } ? P : Fallback;
/** `WebAssembly.Module` where declared. */
export type WasmModule = InstanceOf<Global<'WebAssembly'> extends { Module: infer C } ? C : never, never>;
/** `WebAssembly.Memory` where declared, else the part of it that is used here. */
export type WasmMemory = InstanceOf<Global<'WebAssembly'> extends { Memory: infer C } ? C : never, { readonly buffer: ArrayBuffer }>;
type FetchResponse = InstanceOf<Global<'Response'>, never>;

/** A published build to self-host: a compiled module, its bytes, a URL, or a (promised) fetch Response. */
export type ModuleSource = WasmModule | ArrayBuffer | ArrayBufferView | string | InstanceOf<Global<'URL'>, never> |
  FetchResponse | PromiseLike<FetchResponse>;

/** Options for {@link load}. */
export interface LoadOptions {
  /**
   * `'auto'` (the default) takes the best build this engine runs: relaxed SIMD, then
   * SIMD128, then scalar. The relaxed build may differ from the others in the last bit,
   * within the same accuracy bounds; SIMD128 and scalar agree bit for bit.
   */
  build?: 'auto' | Build;
  /**
   * Self-host one of the published builds (`logsoftmax/logsoftmax-relaxed.wasm`,
   * `logsoftmax/logsoftmax-simd.wasm` or `logsoftmax/logsoftmax-scalar.wasm`). The module
   * says which build it is; unless `build` is `'auto'`, it must be that build.
   */
  module?: ModuleSource;
}

/** An instance of one build, with its own memory: the functions of this module, bound to it. */
export interface Instance {
  /** The build this instance runs. */
  readonly build: Build;
  /** Its wasm memory: it grows to the largest call's operands and is not shrunk. */
  readonly memory: WasmMemory;
  readonly logSoftmax: typeof logSoftmax;
  readonly softmax: typeof softmax;
  readonly logSumExp: typeof logSumExp;
  readonly topK: typeof topK;
  readonly crossEntropy: typeof crossEntropy;
  readonly sample: typeof sample;
}

/** Compiles a build into a new, independent instance. */
export function load(options?: LoadOptions): Promise<Instance>;

/** Options for {@link init}: `build` as load's, or the `simd` and `relaxed` flags. */
export interface InitOptions {
  build?: 'auto' | Build;
  /** `false` forces the scalar build, `true` a SIMD build; left out, SIMD is used where the engine validates it. */
  simd?: boolean;
  /** `true` forces the relaxed-SIMD build, `false` keeps to the others; left out, it is used where the engine supports it. */
  relaxed?: boolean;
  /** As load's `module`; `simd` and `relaxed`, if given, must match its build. */
  module?: ModuleSource;
}

/**
 * Loads the build that the top-level functions share. Idempotent: every call returns
 * the same promise, and the first call's options decide the build. The top-level
 * functions are synchronous and throw until this promise has resolved.
 */
export function init(options?: InitOptions): Promise<{ simd: boolean; relaxed: boolean }>;

/** A number or arbitrarily nested arrays of numbers (C order; the shape is inferred). */
export type NestedNumbers = number | readonly NestedNumbers[];

/** `Float16Array` where the consumer's lib declares it (ES2025), else never. */
export type Float16 = InstanceOf<Global<'Float16Array'>, never>;

/** How a Uint16Array's bits are read: IEEE binary16, or bfloat16 (the top half of a float32). */
export type HalfDtype = 'float16' | 'bfloat16';

/**
 * A mask: true (or nonzero) keeps an entry, false leaves it out of the max and the sum.
 * A Uint8Array, booleans or numbers (nested arrays give the shape), or one boolean.
 */
export type Mask = Uint8Array | boolean | readonly NestedMask[];
export type NestedMask = boolean | number | readonly NestedMask[];

/** Options every function takes beside its own. */
export interface CommonOptions {
  /** Dimensions of the C-order data; defaults to `[x.length]`, or the nesting of a plain array. */
  shape?: readonly number[];
  axis?: Axis;
  /**
   * A mask that broadcasts to the input's shape (NumPy rules), as JAX's `where`:
   * masked-out entries take no part; their results are 0 (softmax) or -inf (logSoftmax),
   * and a slice masked out entirely gives those, or -inf (logSumExp, sign 0).
   */
  where?: Mask;
  /** Shape of a flat `where`; defaults to the input's shape. */
  whereShape?: readonly number[];
  /** Reads a Uint16Array input (and `b`, `out`) as half-precision bits; required for one, refused otherwise. */
  dtype?: HalfDtype;
}

/** `null` or left out: all axes (scipy's default); an int (negative counts from the end); several ints; `[]`: element-wise. */
export type Axis = number | readonly number[] | null;

export interface SoftmaxOptions<Out> extends CommonOptions {
  /** Where to write the result: same type and length as the result; may be `x` itself (in place). */
  out?: Out;
}

/** scipy.special.log_softmax: `x - max - log(sum(exp(x - max)))` over `axis`. */
export function logSoftmax(x: Float32Array, options?: SoftmaxOptions<Float32Array>): Float32Array;
export function logSoftmax(x: Float64Array | readonly NestedNumbers[], options?: SoftmaxOptions<Float64Array>): Float64Array;
export function logSoftmax(x: number, options?: Omit<SoftmaxOptions<never>, 'out'>): number;
export function logSoftmax(x: Float16, options?: SoftmaxOptions<Float16>): Float16;
export function logSoftmax(x: Uint16Array, options: SoftmaxOptions<Uint16Array> & { dtype: HalfDtype }): Uint16Array;

/** scipy.special.softmax: `exp(x - max) / sum(exp(x - max))` over `axis`. */
export function softmax(x: Float32Array, options?: SoftmaxOptions<Float32Array>): Float32Array;
export function softmax(x: Float64Array | readonly NestedNumbers[], options?: SoftmaxOptions<Float64Array>): Float64Array;
export function softmax(x: number, options?: Omit<SoftmaxOptions<never>, 'out'>): number;
export function softmax(x: Float16, options?: SoftmaxOptions<Float16>): Float16;
export function softmax(x: Uint16Array, options: SoftmaxOptions<Uint16Array> & { dtype: HalfDtype }): Uint16Array;

export interface LogSumExpOptions extends CommonOptions {
  /** Keep the reduced axes as dimensions of length 1. */
  keepdims?: boolean;
  /** Weights, broadcast against the input (NumPy rules); entries with `b == 0` are masked out. */
  b?: number | Float32Array | Float64Array | Float16 | Uint16Array | readonly NestedNumbers[];
  /** Shape of `b` when it is a typed array; defaults to `shape`. */
  bShape?: readonly number[];
  /** Return `{ value, sign }` with `value = log|sum|`, instead of NaN for negative sums. */
  returnSign?: boolean;
  /** Where to write the values: a typed array of the result's type and length. */
  out?: Float32Array | Float64Array | Float16 | Uint16Array;
}

/** A number for a 0-d result (every axis reduced, no keepdims), else the reduced array in C order. */
export type LogSumExpValue<A> = number | A;

/**
 * scipy.special.logsumexp: `log(sum(b * exp(a)))` over `axis`, computed stably.
 * float32 input gives float32 output, unless `b` is float64 (scipy's promotion).
 */
export function logSumExp(
  a: Float32Array,
  options: LogSumExpOptions & { returnSign: true; b?: number | Float32Array },
): { value: LogSumExpValue<Float32Array>; sign: LogSumExpValue<Float32Array> };
export function logSumExp(
  a: Float32Array | Float64Array | NestedNumbers,
  options: LogSumExpOptions & { returnSign: true },
): { value: LogSumExpValue<Float32Array | Float64Array>; sign: LogSumExpValue<Float32Array | Float64Array> };
export function logSumExp(
  a: Float32Array,
  options?: LogSumExpOptions & { returnSign?: false; b?: number | Float32Array },
): LogSumExpValue<Float32Array>;
export function logSumExp(
  a: Float64Array | NestedNumbers,
  options?: LogSumExpOptions & { returnSign?: false },
): LogSumExpValue<Float64Array>;
export function logSumExp(
  a: Float32Array | Float64Array | NestedNumbers,
  options?: LogSumExpOptions & { returnSign?: false },
): LogSumExpValue<Float32Array | Float64Array>;
/** Half-precision input: a half-precision result where b is half too (or a number), else float32 or float64. */
export function logSumExp(
  a: Float16 | Uint16Array,
  options: LogSumExpOptions & { returnSign: true },
): { value: LogSumExpValue<Float16 | Uint16Array | Float32Array | Float64Array>; sign: LogSumExpValue<Float16 | Uint16Array | Float32Array | Float64Array> };
export function logSumExp(
  a: Float16 | Uint16Array,
  options?: LogSumExpOptions & { returnSign?: false },
): LogSumExpValue<Float16 | Uint16Array | Float32Array | Float64Array>;

/** Options shared by the jobs (topK, crossEntropy, sample): one axis, sliced into rows. */
export interface SliceOptions {
  /** The shape of a flat typed array (default: its length). */
  shape?: readonly number[];
  /** The one axis the slices run along (default -1). */
  axis?: number;
  /** How to read a Uint16Array input: as float16 or bfloat16 bits. */
  dtype?: HalfDtype;
}

/** Options for {@link topK}. */
export interface TopKOptions extends SliceOptions {
  /** What `values` holds: the entries (bit for bit), or their softmax or log-softmax over the whole slice. Default 'x'. */
  of?: 'x' | 'softmax' | 'logSoftmax';
  /** true (default): descending, ties and NaNs by lower index; false: the same k in ascending index order. */
  sorted?: boolean;
}

/** topK's result: x's shape with the axis replaced by k, C order. */
export interface TopKResult<V> {
  indices: Int32Array;
  values: V;
}

/** The k largest entries along `axis` (NaN ranks first; ties to the lower index); k in 1..n. */
export function topK(x: Float32Array, k: number, options?: TopKOptions): TopKResult<Float32Array>;
export function topK(x: Float64Array | readonly NestedNumbers[], k: number, options?: TopKOptions): TopKResult<Float64Array>;
export function topK(x: Float16, k: number, options?: TopKOptions): TopKResult<Float16>;
export function topK(x: Uint16Array, k: number, options: TopKOptions & { dtype: HalfDtype }): TopKResult<Uint16Array>;

/** Integer typed arrays that crossEntropy reads as class indices. */
export type IndexArray = Int8Array | Int16Array | Int32Array | Uint8Array | Uint8ClampedArray | Uint16Array | Uint32Array;

/** Options for {@link crossEntropy}. */
export interface CrossEntropyOptions extends SliceOptions {
  /** 'mean' (default): weighted mean over counted targets (or over slices, for probabilities); 'sum'; 'none': one per slice. */
  reduction?: 'mean' | 'sum' | 'none';
  /** Label smoothing in [0, 1] (default 0). */
  labelSmoothing?: number;
  /** A class index whose targets count for nothing (left out of the mean). */
  ignoreIndex?: number;
  /** Per-class weights, one per class. */
  weight?: Float32Array | Float64Array | readonly number[];
  /** Also return d loss / d logits, shaped like the logits. */
  grad?: boolean;
}

/** The target: class indices (logits' shape without the axis) or probabilities (logits' shape). */
export type CrossEntropyTarget = IndexArray | Float32Array | Float64Array | NestedNumbers;

/** torch.nn.functional.cross_entropy; a number for 'mean' and 'sum', an array per slice for 'none'. */
export function crossEntropy(
  logits: Float32Array, target: CrossEntropyTarget, options: CrossEntropyOptions & { grad: true },
): { loss: number | Float32Array; grad: Float32Array };
export function crossEntropy(
  logits: Float32Array, target: CrossEntropyTarget, options?: CrossEntropyOptions & { grad?: false },
): number | Float32Array;
export function crossEntropy(
  logits: Float64Array | readonly NestedNumbers[], target: CrossEntropyTarget, options: CrossEntropyOptions & { grad: true },
): { loss: number | Float64Array; grad: Float64Array };
export function crossEntropy(
  logits: Float64Array | readonly NestedNumbers[], target: CrossEntropyTarget, options?: CrossEntropyOptions & { grad?: false },
): number | Float64Array;
export function crossEntropy<H extends Float16 | Uint16Array>(
  logits: H, target: CrossEntropyTarget, options: CrossEntropyOptions & { grad: true },
): { loss: number | H; grad: H };
export function crossEntropy<H extends Float16 | Uint16Array>(
  logits: H, target: CrossEntropyTarget, options?: CrossEntropyOptions & { grad?: false },
): number | H;

/** Options for {@link sample}: the filters run in this order. */
export interface SampleOptions extends SliceOptions {
  /** Divides the logits (default 1); 0 is argmax (logProb 0). */
  temperature?: number;
  /** Keep the k largest logits (ties to the lower index); k > n keeps all. */
  topK?: number;
  /** Keep the smallest set, in descending probability, whose mass reaches p, in (0, 1]. */
  topP?: number;
  /** Keep tokens with p >= minP * p_max, minP in [0, 1]. */
  minP?: number;
  /** A 32-bit seed for the built-in PCG32 generator: one 53-bit uniform per slice. */
  seed?: number;
  /** A source of uniforms in [0, 1), called once per slice (default Math.random). */
  random?: () => number;
}

/** sample's result: one per slice (logits' shape without the axis). */
export interface SampleResult<V> {
  indices: Int32Array;
  /** The chosen tokens' log-probabilities under the filtered, renormalised distribution. */
  logProbs: V;
}

/** One draw per slice after temperature, top-k, top-p and min-p. */
export function sample(logits: Float32Array, options?: SampleOptions): SampleResult<Float32Array>;
export function sample(logits: Float64Array | readonly NestedNumbers[], options?: SampleOptions): SampleResult<Float64Array>;
export function sample(logits: Float16, options?: SampleOptions): SampleResult<Float16>;
export function sample(logits: Uint16Array, options: SampleOptions & { dtype: HalfDtype }): SampleResult<Uint16Array>;
