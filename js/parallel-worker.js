// One worker of a pool (js/parallel.js): a module Web Worker in browsers,
// a worker_threads worker in Node; the same file for both.  It loads its own
// wasm instance and computes the parts of calls that the pool posts, each
// already checked on the calling thread, through the ordinary synchronous
// API: a part is itself a call (js/parallel-split.js).
//
// Messages in: {kind: 'init', build}, then {kind: 'part' | 'whole', id, ...}.
// Messages out: {kind: 'ready', build} or {kind: 'failed', error}, then one
// {id, value?, sign?, error?} per task, in the order the tasks came.
import { load } from './index.js';
import { gather, scatter } from './parallel-split.js';

// A Web Worker's global scope has postMessage and message events; a
// worker_threads worker has neither, but a parentPort.  Deno and Bun run
// this as a Web Worker.  getBuiltinModule rather than an import of
// node:worker_threads, which browsers and bundlers could not resolve.
const web = typeof WorkerGlobalScope === 'function' && globalThis instanceof WorkerGlobalScope;
const port = web ? null : process.getBuiltinModule('node:worker_threads').parentPort;
const post = web ? (m, transfer) => postMessage(m, transfer) : (m, transfer) => port.postMessage(m, transfer);

let api = null;
let ready = null;
let crashed = false;

function onMessage(m) {
  if (m.kind === 'init') {
    ready = load({ build: m.build }).then(
      (lsm) => {
        api = lsm;
        post({ kind: 'ready', build: lsm.build });
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
  ready.then(() => post(...run(m)));
}

if (web) addEventListener('message', (e) => onMessage(e.data));
else port.on('message', onMessage);

const errorOf = (err) => ({ name: err?.name ?? 'Error', message: err?.message ?? String(err) });

/** A task's reply and the buffers it transfers. */
function run(m) {
  try {
    return m.kind === 'whole' ? whole(m) : part(m);
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
