// One worker of a pool (js/parallel.js): a module Web Worker in browsers,
// a worker_threads worker in Node; the same file for both.  It loads its own
// wasm instance and computes the parts of calls that the pool posts, each
// already checked on the calling thread, through the ordinary synchronous
// API: a part is itself a call (js/parallel-split.js).  A long slice cut
// across workers (splitSlices) is not a call: for it the worker runs the
// streamed kernels (c/stream.h) on its chunk, through the same instance's
// raw exports, in two rounds: its chunk's partial states, then, once the
// calling thread has merged every worker's, its chunk's outputs.
//
// Messages in: {kind: 'init', build}, then {kind: 'part' | 'whole' |
// 'state' | 'write' | 'finish', id, ...} and {kind: 'release', sid}.
// Messages out: {kind: 'ready', build} or {kind: 'failed', error}, then one
// {id, value?, sign?, states?, error?} per task, in the order the tasks came.
import { BUILDS, loadKernels } from './wasm.js';
import { bindApi } from './api.js';
import { STREAM } from './exports.js';
import { STATE, WINDOW, emptyStates, mergeStates, partialState } from './stream.js';
import { planBlocks, encodeBlocks } from './plan.js';
import { gather, scatter } from './parallel-split.js';
import { BYTES, align16 } from './stage.js';

// A Web Worker's global scope has postMessage and message events; a
// worker_threads worker has neither, but a parentPort.  Deno and Bun run
// this as a Web Worker.  getBuiltinModule rather than an import of
// node:worker_threads, which browsers and bundlers could not resolve.
const web = typeof WorkerGlobalScope === 'function' && globalThis instanceof WorkerGlobalScope;
const port = web ? null : process.getBuiltinModule('node:worker_threads').parentPort;
const post = web ? (m, transfer) => postMessage(m, transfer) : (m, transfer) => port.postMessage(m, transfer);

let api = null, kernels = null;
let ready = null;
let crashed = false;
// Transfer mode: a chunk posted for its states, kept (by the call's sid)
// for the write round, which then needs no second copy of it.
const held = new Map();

function onMessage(m) {
  if (m.kind === 'init') {
    // The kernels and the API over them, one instance: the slice rounds use
    // its raw exports.  createPool checked the build's name.
    ready = loadKernels({ build: m.build === 'auto' ? BUILDS : [m.build] }).then(
      (k) => {
        kernels = k;
        api = { build: k.build, ...bindApi(k) };
        post({ kind: 'ready', build: k.build });
      },
      (err) => post({ kind: 'failed', error: errorOf(err) }));
    return;
  }
  if (crashed) return;
  if (m.kind === 'crash') {
    // The pool's crash hook, for its tests: an uncaught exception, which
    // ends a worker_threads worker and fires a Web Worker's error event, as
    // a real failure would; like a dead worker, it answers nothing more.
    crashed = true;
    throw new Error('crash requested by the pool');
  }
  // Tasks may come before the instance is loaded; they wait for it in order.
  ready.then(() => {
    const reply = run(m);
    if (reply) post(...reply);
  });
}

if (web) addEventListener('message', (e) => onMessage(e.data));
else port.on('message', onMessage);

const errorOf = (err) => ({ name: err?.name ?? 'Error', message: err?.message ?? String(err) });

/** A task's reply and the buffers it transfers. */
function run(m) {
  try {
    if (m.kind === 'release') return void held.delete(m.sid);
    const task = { whole, part, state, write, finish }[m.kind];
    return task(m);
  } catch (err) {
    // The pool checked the call before posting it, so this is unexpected
    // (memory that could not grow, say); it is passed on as it was.
    return [{ id: m.id, error: errorOf(err) }];
  }
}

/** A call that is not cut (small, weighted or empty): as the caller gave it. */
function whole(m) {
  const r = api[m.fn](m.x, m.opts);
  const value = m.opts.returnSign ? r.value : r;
  return [{ id: m.id, value, sign: r.sign }];
}

/**
 * One part of a cut call.  Shared: x, where and the results are views of
 * whole arrays in shared memory; the part is read from them and written
 * into them.  Otherwise x and where are the part's own dense copies,
 * transferred here, and its results are transferred back.
 */
function part(m) {
  const { g, shared, fn } = m;
  const x = shared ? gather(m.x, g) : m.x;
  const where = m.where && (shared ? gather(m.where, g) : m.where);
  const opts = { shape: g.shape, axis: g.axes, where: where ?? undefined, dtype: m.dtype };
  if (fn === 'logSumExp') {
    if (m.returnSign) opts.returnSign = true;
    const r = api.logSumExp(x, opts);
    const value = m.returnSign ? r.value : r, sign = r.sign;
    if (!shared) return [{ id: m.id, value, sign }, [value.buffer, ...(sign ? [sign.buffer] : [])]];
    m.out.set(value, g.out0);
    if (sign) m.sign.set(sign, g.out0);
    return [{ id: m.id }];
  }
  if (!shared) {
    const value = api[fn](x, opts);
    return [{ id: m.id, value }, [value.buffer]];
  }
  if (g.P === 1) {
    // One run: the API copies the results straight into the shared array.
    api[fn](x, { ...opts, out: gather(m.out, g) });
  } else {
    scatter(api[fn](x, opts), g, m.out);
  }
  return [{ id: m.id }];
}

// ------------------------------------------------------- long slices ---

const ctOf = (a) => (a instanceof Float32Array ? 'f32' : 'f64');

/**
 * Calls visit(data, j, shape) for the blocks of each piece of a chunk: runs
 * of whole units (T elements each) of about the cache window, so that the
 * kernels' passes over a block find it in cache (the streamed path's
 * reason for its window, js/stream.js).  `x` is the chunk.
 */
function blocks(m, x, visit) {
  const per = Math.max(1, Math.floor(WINDOW / (m.T * x.BYTES_PER_ELEMENT)));
  m.pieces.forEach((p, j) => {
    for (let u = 0; u * m.T < p.len; u += per) {
      const k = Math.min(per, p.len / m.T - u), at = p.at + u * m.T;
      visit(x.subarray(at, at + k * m.T), j, [k, ...m.after], at);
    }
  });
}

/** The chunk this task works on: a view of shared x, or the one posted (or held from the state round). */
function chunkOf(m) {
  if (m.shared) return m.x.subarray(m.at, m.end);
  const x = m.x ?? held.get(m.sid);
  if (x === undefined) throw new Error('logsoftmax pool: this worker lost the chunk of the call (it was restarted)');
  return x;
}

/** Round one: the chunk's partial states, keptAfter per piece, in piece order. */
function state(m) {
  const x = chunkOf(m), n = m.keptAfter;
  const states = emptyStates(m.pieces.length * n);
  blocks(m, x, (data, j, shape) => mergeStates(states, partialState(kernels, data, shape, m.axes), j * n, 0, n));
  if (!m.shared && m.hold) held.set(m.sid, x);
  return [{ id: m.id, states }, [states.buffer]];
}

/**
 * Round two (logSoftmax, softmax): the chunk's outputs from the merged
 * states of its pieces' slices, by the streamed write pass.  Shared: into
 * `out` at the chunk's place; otherwise in place over the held chunk,
 * which goes back.
 */
function write(m) {
  const x = chunkOf(m), ct = ctOf(x), bytes = BYTES[ct], n = m.keptAfter;
  const y = m.shared ? m.out.subarray(m.at, m.end) : x;
  held.delete(m.sid);
  const words = new Map();
  blocks(m, x, (data, j, shape, at) => {
    const key = shape[0];
    let w = words.get(key);
    if (w === undefined) words.set(key, (w = encodeBlocks(planBlocks(shape, m.axes))));
    const pX = align16(w.byteLength), pS = pX + align16(data.byteLength);
    const base = kernels.reserve(pS + STATE * 8 * n), heap = kernels.heap(), h = heap[ct];
    heap.u32.set(w, base >>> 2);
    h.set(data, (base + pX) / bytes);
    heap.f64.set(m.states.subarray(STATE * n * j, STATE * n * (j + 1)), (base + pS) >>> 3);
    kernels.exports[STREAM[m.fn][ct]](base + pX, base + pX, base + pS, base);
    y.set(h.subarray((base + pX) / bytes, (base + pX) / bytes + data.length), at);
  });
  if (m.shared) return [{ id: m.id }];
  return [{ id: m.id, value: y }, [y.buffer]];
}

/** logSumExp's end: results (and signs) of merged states, by the streamed finish. */
function finish(m) {
  const { ct, count } = m, bytes = BYTES[ct], pY = align16(count * STATE * 8);
  const base = kernels.reserve(pY + 2 * align16(count * bytes)), heap = kernels.heap(), h = heap[ct];
  const pSign = pY + align16(count * bytes);
  heap.f64.set(m.states, base >>> 3);
  kernels.exports[STREAM.logSumExp[ct]](base, base + pY, m.returnSign ? base + pSign : 0, count);
  const value = h.slice((base + pY) / bytes, (base + pY) / bytes + count);
  const sign = m.returnSign ? h.slice((base + pSign) / bytes, (base + pSign) / bytes + count) : undefined;
  return [{ id: m.id, value, sign }, [value.buffer, ...(sign ? [sign.buffer] : [])]];
}
