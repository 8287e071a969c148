// The wasm loader: picks the relaxed-SIMD, SIMD or scalar build, compiles it once, and
// owns the instance's memory.  The kernels need no imports and no malloc:
// each call lays its operands out above the module's static data, growing
// memory when a call needs more (and never shrinking it).

const WASM_PAGE = 65536;
const MAX_BYTES = 2 ** 32; // wasm32 address space

function decodeBase64(text) {
  const bin = atob(text);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return bytes;
}

// Literal specifiers, so that bundlers see each build as its own chunk.
const BUILDS = {
  relaxed: () => import('./wasm-relaxed.js'),
  simd: () => import('./wasm-simd.js'),
  scalar: () => import('./wasm-scalar.js'),
};

async function builtinBytes(build) {
  return decodeBase64((await BUILDS[build]()).default);
}

// The smallest module using f32x4.relaxed_madd (opcode 0xfd 0x105): whether
// this engine runs relaxed SIMD, without decoding the relaxed build first.
const RELAXED_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, // header
  1, 8, 1, 96, 3, 123, 123, 123, 1, 123, // type (v128, v128, v128) -> v128
  3, 2, 1, 0, // one function of that type
  10, 13, 1, 11, 0, 32, 0, 32, 1, 32, 2, 253, 133, 2, 11, // local.get 0..2; f32x4.relaxed_madd
]);

/** Whether this engine validates relaxed-SIMD instructions. */
export const relaxedSimdSupported = () => WebAssembly.validate(RELAXED_PROBE);

async function compileSource(source) {
  if (source instanceof WebAssembly.Module) return source;
  if (typeof source === 'string' || source instanceof URL) source = fetch(source);
  source = await source;
  if (typeof Response !== 'undefined' && source instanceof Response) {
    if (!source.ok) throw new Error(`logsoftmax: fetching the wasm failed with HTTP ${source.status}`);
    source = await source.arrayBuffer();
  }
  return WebAssembly.compile(source);
}

/**
 * Compiles and instantiates a build.
 * @param {{simd?: boolean, relaxed?: boolean, module?: any}} options
 *   `simd: false` takes the scalar build; `relaxed: false` keeps to plain
 *   SIMD128; each left out is detected.  `module` self-hosts the wasm: a
 *   WebAssembly.Module, bytes, a URL, or a (promised) Response.
 */
export async function loadKernels({ simd, relaxed, module } = {}) {
  let compiled;
  if (module !== undefined) {
    compiled = await compileSource(module);
    // A self-hosted module is whichever build the caller says it is.
    relaxed = relaxed === true;
    simd = relaxed || simd === true;
  } else {
    if (relaxed === true && !relaxedSimdSupported()) {
      throw new Error('logsoftmax: relaxed: true, but this engine does not support relaxed SIMD');
    }
    relaxed = simd !== false && relaxed !== false && relaxedSimdSupported();
    let build = relaxed ? 'relaxed' : simd === false ? 'scalar' : 'simd';
    let bytes = await builtinBytes(build);
    // Left to detection, SIMD128 is used if this engine validates that build
    // itself; its bytes are decoded once and compiled if so.
    if (build === 'simd' && simd === undefined && !WebAssembly.validate(bytes)) {
      bytes = await builtinBytes((build = 'scalar'));
    }
    simd = build !== 'scalar';
    compiled = await WebAssembly.compile(bytes);
  }
  const instance = await WebAssembly.instantiate(compiled, {});
  instance.exports._initialize?.();
  return makeKernels(instance.exports, simd, relaxed);
}

function makeKernels(ex, simd, relaxed) {
  const memory = ex.memory;
  const base = (ex.lsm_heap_base() + 15) & ~15;
  // Only reserve() grows memory (the kernels never do), so the size and the
  // views can be kept here: reading memory.buffer is a call into the engine,
  // which a 10-element softmax notices.
  let capacity = memory.buffer.byteLength;
  let views = null;

  /** Makes sure `bytes` are available from the arena base; returns the base. */
  function reserve(bytes) {
    const need = base + bytes;
    if (need > capacity) grow(need);
    return base;
  }

  function grow(need) {
    if (need > MAX_BYTES) {
      throw new RangeError(`the operands need ${need} bytes, more than wasm32 memory can address (4 GiB)`);
    }
    try {
      memory.grow(Math.ceil((need - capacity) / WASM_PAGE));
    } catch {
      throw new RangeError(`could not grow wasm memory to ${need} bytes`);
    } finally {
      capacity = memory.buffer.byteLength;
      views = null; // growing detached the old buffer
    }
  }

  /** Views over all of memory, valid until the next reserve() that grows it. */
  function heap() {
    if (views === null) {
      const buffer = memory.buffer;
      views = { u32: new Uint32Array(buffer), f32: new Float32Array(buffer), f64: new Float64Array(buffer) };
    }
    return views;
  }

  return { exports: ex, memory, simd, relaxed, reserve, heap };
}
