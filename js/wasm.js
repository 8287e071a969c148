// The wasm loader: compiles a build (relaxed SIMD, SIMD128 or scalar) and
// owns its instance's memory.  The kernels need no imports and no malloc:
// each call lays its operands out above the module's static data, growing
// memory when a call needs more (and never shrinking it).
import { describe } from './resolve.js';
import { BUILD_IDS } from './exports.js';

const WASM_PAGE = 65536;
const MAX_BYTES = 2 ** 32; // wasm32 address space

/** The builds, best first. */
export const BUILDS = ['relaxed', 'simd', 'scalar'];

// Literal specifiers, so that bundlers see each build as its own chunk.
const SOURCES = {
  relaxed: () => import('./wasm-relaxed.js'),
  simd: () => import('./wasm-simd.js'),
  scalar: () => import('./wasm-scalar.js'),
};

function decodeBase64(text) {
  const bin = atob(text);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return bytes;
}

// The smallest modules that need each feature, so that detection decodes no
// build: (func (param v128) (result v128) local.get 0), and the same types
// around f32x4.relaxed_madd (opcode 0xfd 0x105).
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 6, 1, 96, 1, 123, 1, 123, 3, 2, 1, 0, 10, 6, 1, 4, 0, 32, 0, 11,
]);
const RELAXED_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, // header
  1, 8, 1, 96, 3, 123, 123, 123, 1, 123, // type (v128, v128, v128) -> v128
  3, 2, 1, 0, // one function of that type
  10, 13, 1, 11, 0, 32, 0, 32, 1, 32, 2, 253, 133, 2, 11, // local.get 0..2; f32x4.relaxed_madd
]);

/** Whether this engine validates relaxed-SIMD instructions. */
export const relaxedSimdSupported = () => WebAssembly.validate(RELAXED_PROBE);

/**
 * What this engine lacks to run `build` from the package, or null: the SIMD
 * builds are embedded deflated (build.sh), so they also need
 * DecompressionStream (every engine with SIMD128 has it but Firefox 89-112).
 */
function lacks(build) {
  if (build === 'scalar') return null;
  if (!WebAssembly.validate(SIMD_PROBE)) return 'SIMD128';
  if (build === 'relaxed' && !relaxedSimdSupported()) return 'relaxed SIMD';
  return typeof DecompressionStream === 'function' ? null : 'DecompressionStream, which unpacks the embedded build';
}

/** Whether this engine runs `build` as the package embeds it. */
const supports = (build) => lacks(build) === null;

/** A build's bytes, as its module embeds them. */
async function builtinBytes(build) {
  const source = await SOURCES[build]();
  const bytes = decodeBase64(source.default);
  if (!source.deflated) return bytes;
  // The stream's own writer and reader, not Blob and Response around it:
  // Node sets those up lazily, which tripled its first load (8 -> 28 ms).
  const inflate = new DecompressionStream('deflate');
  const writer = inflate.writable.getWriter();
  writer.write(bytes).catch(() => {}); // a failure surfaces in read() below
  writer.close().catch(() => {});
  const reader = inflate.readable.getReader(), chunks = [];
  let length = 0;
  for (let r; !(r = await reader.read()).done;) chunks.push(r.value), (length += r.value.length);
  const out = new Uint8Array(length);
  chunks.reduce((at, c) => (out.set(c, at), at + c.length), 0);
  return out;
}

async function compileSource(source) {
  if (source instanceof WebAssembly.Module) return source;
  if (typeof source === 'string' || source instanceof URL) source = fetch(source);
  source = await source;
  if (typeof Response !== 'undefined' && source instanceof Response) {
    if (!source.ok) throw new Error(`logsoftmax: fetching the wasm failed with HTTP ${source.status}`);
    source = await source.arrayBuffer();
  }
  try {
    return await WebAssembly.compile(source);
  } catch (err) {
    // The usual reason a published build fails to compile: the engine lacks its SIMD.
    if (!relaxedSimdSupported() && err instanceof WebAssembly.CompileError) {
      err.message += WebAssembly.validate(SIMD_PROBE)
        ? ' (this engine has no relaxed SIMD: is this logsoftmax-relaxed.wasm?)'
        : ' (this engine has no SIMD: use logsoftmax-scalar.wasm)';
    }
    throw err;
  }
}

/**
 * Compiles and instantiates a build.
 * @param {{build: string[], module?: any}} options `build`: the acceptable
 *   builds, best first; the first this engine supports is taken, and none
 *   is an Error.  `module` self-hosts the wasm (a WebAssembly.Module, bytes,
 *   a URL, or a (promised) Response); it must be one of `build`.
 * @returns {Promise<object>} kernels: {build, exports, memory, reserve, heap, plan}
 */
export async function loadKernels({ build, module }) {
  let compiled, name;
  if (module !== undefined) {
    compiled = await compileSource(module);
  } else {
    name = build.find(supports);
    // Refused before anything is fetched: the engine could not run it.
    if (name === undefined) {
      throw new Error(`logsoftmax: this engine does not support the ${build.join(' or the ')} build (it lacks ${
        lacks(build[build.length - 1])}); the scalar build runs everywhere`);
    }
    compiled = await WebAssembly.compile(await builtinBytes(name));
  }
  const instance = await WebAssembly.instantiate(compiled, {});
  const ex = instance.exports;
  ex._initialize?.();
  if (module !== undefined) {
    // A self-hosted module says which build it is.
    const id = typeof ex.lsm_build === 'function' && typeof ex.lsm_heap_base === 'function' ? ex.lsm_build() : -1;
    name = BUILD_IDS[id];
    if (name === undefined) throw new TypeError('module is not a build of this version of logsoftmax (it has no known lsm_build)');
    if (!build.includes(name)) {
      throw new TypeError(`module is the ${name} build, not ${build.length > 1 ? `one of ${describe(build)}` : `the ${build[0]} build`}`);
    }
  }
  return makeKernels(ex, name);
}

function makeKernels(ex, build) {
  const memory = ex.memory;
  // The 32 bytes at the heap base hold the plan of api.js's fast path (its
  // rows and cols say which), and only that: a call that repeats the last
  // shape leaves it as it is.  The arena, where every call lays out its
  // operands, follows.
  const plan = { at: (ex.lsm_heap_base() + 15) & ~15, rows: 0, cols: 0 };
  const base = plan.at + 32;
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
      views = {
        u8: new Uint8Array(buffer), u16: new Uint16Array(buffer), u32: new Uint32Array(buffer),
        f32: new Float32Array(buffer), f64: new Float64Array(buffer),
      };
    }
    return views;
  }

  return { build, exports: ex, memory, reserve, heap, plan };
}
