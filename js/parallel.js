// `logsoftmax/parallel`: logSoftmax, softmax and logSumExp on a pool of
// workers (module Web Workers in browsers, worker_threads in Node), each
// with its own wasm instance.  Every call is checked on the calling thread
// by the same resolver as the synchronous API, so that a bad call rejects
// with the synchronous API's error and nothing is posted; then it is cut
// into parts along its slices (js/parallel-split.js), one part per worker,
// and each worker computes its part through the synchronous API.  A call
// with fewer slices than workers has its slices themselves cut: each worker
// reduces its chunk to partial states, this thread merges them
// (js/stream.js's mergeStates), and the workers write their chunks' outputs
// from the merged states (logSumExp: one worker finishes them).
//
// Modes (pool.mode):
//   'shared'   SharedArrayBuffer is usable (Node; a cross-origin isolated
//              page): workers read x from shared memory and write the
//              results into a shared result.  x already in shared memory is
//              not copied; other inputs are copied into it once.
//   'transfer' workers but no shared memory (a page without COOP/COEP): each
//              part is copied out and transferred, and its results back.
//   'single'   no workers at all: the calling thread computes (still async).
import { describe, readHost, resolve, resultType, shapeResult } from './resolve.js';
import { load } from './index.js';
import { BUILDS } from './wasm.js';
import { STATE, emptyStates, mergeStates } from './stream.js';
import { planGroups, splitGroups, splitSlices, gather, scatter } from './parallel-split.js';

const HOST = { read: readHost };
const MODES = ['auto', 'shared', 'transfer', 'single'];

// Calls with fewer elements go whole to one worker, as the caller gave them
// (cloned there and back): cutting them, or staging them in shared memory,
// would cost more than the kernels take.  Larger ones are cut into parts,
// or are one part if they cannot be cut (one long slice).
const MIN_SPLIT = 1 << 14;

// A slice is cut across workers only into chunks of at least this many
// elements: its two rounds of messages (states out, merged states in) cost
// each worker some tenths of a millisecond, about what the kernels take
// for this many elements.
const MIN_CHUNK = 1 << 17;

const STATS = Symbol.for('logsoftmax.parallel.stats');

// The dtype option's name of a half type, for a part of a call that had it.
const DTYPE_OPTION = { f16: 'float16', bf16: 'bfloat16' };

/** Whether this thread can share memory with workers it starts. */
function canShare() {
  if (typeof SharedArrayBuffer !== 'function') return false;
  // A browser page shares memory only when cross-origin isolated; Node
  // (no crossOriginIsolated there) always can.
  return globalThis.crossOriginIsolated !== false;
}

/** How workers are made here: 'web', 'node', or null (none). */
function workerKind() {
  if (typeof Worker === 'function') return 'web';
  if (typeof process === 'object' && typeof process.getBuiltinModule === 'function') return 'node';
  return null;
}

/**
 * Starts one worker, wrapped so that both kinds look alike.
 * @returns {{post: Function, kill: Function}}
 */
function spawn(kind, onMessage, onDeath) {
  if (kind === 'web') {
    // The literal URL form, which bundlers (webpack, Vite, Parcel, esbuild
    // with its plugin) recognise and emit the worker module for.
    const w = new Worker(new URL('./parallel-worker.js', import.meta.url), { type: 'module' });
    w.addEventListener('message', (e) => onMessage(e.data));
    w.addEventListener('error', (e) => {
      e.preventDefault?.();
      onDeath(e.message || 'the worker failed to load or threw');
    });
    w.addEventListener('messageerror', () => onDeath('a message from the worker could not be read'));
    return { post: (m, t) => w.postMessage(m, t ?? []), kill: () => w.terminate(), hold() {} };
  }
  const { Worker: NodeWorker } = process.getBuiltinModule('node:worker_threads');
  const url = new URL('./parallel-worker.js', import.meta.url);
  let w;
  if (process.execArgv.some((a) => a.startsWith('--input-type'))) {
    // Workers inherit Node's flags, but --input-type (for --eval only) makes
    // a worker fail to start.  An explicit list is checked more strictly
    // than the inherited one (V8 flags, process-wide anyway, are refused),
    // so without those if need be.
    const execArgv = process.execArgv.filter((a) => !a.startsWith('--input-type'));
    try {
      w = new NodeWorker(url, { execArgv });
    } catch {
      w = new NodeWorker(url, { execArgv: [] });
    }
  } else {
    w = new NodeWorker(url);
  }
  let reason = null;
  w.on('message', onMessage);
  w.on('error', (err) => (reason = err?.message ?? String(err)));
  w.on('exit', (code) => onDeath(reason ?? `the worker exited with code ${code}`));
  // An idle pool must not keep Node's event loop alive; a busy (or
  // starting) one must, or a program awaiting it would exit: the pool
  // unrefs it when it is ready and idle.
  return { post: (m, t) => w.postMessage(m, t ?? []), kill: () => w.terminate(), hold: (busy) => (busy ? w.ref() : w.unref()) };
}

/** An Error of the class named in a worker's reply (the classes the API throws), else Error. */
function rebuild({ name, message }) {
  const Class = { TypeError, RangeError }[name] ?? Error;
  return new Class(message);
}

/**
 * A pool of workers computing logSoftmax, softmax and logSumExp.
 * @param {{threads?: number, build?: 'auto'|'relaxed'|'simd'|'scalar', mode?: 'auto'|'shared'|'transfer'|'single'}} [options]
 *   `threads`: workers (default: navigator.hardwareConcurrency, at most 4).
 *   `mode`: 'auto' takes 'shared' where memory can be shared, else
 *   'transfer', else 'single'; any other forces that mode (a RangeError
 *   where this thread cannot run it).
 */
export async function createPool(options = {}) {
  if (options === null || typeof options !== 'object') throw new TypeError(`createPool options must be an object; got ${describe(options)}`);
  const { build = 'auto', mode: wanted = 'auto' } = options;
  const threads = options.threads ?? Math.min(4, globalThis.navigator?.hardwareConcurrency ?? 2);
  if (typeof threads !== 'number') throw new TypeError(`createPool option threads must be an integer; got ${describe(threads)}`);
  if (!Number.isInteger(threads) || threads < 1 || threads > 256) {
    throw new RangeError(`createPool option threads must be an integer in 1..256; got ${describe(threads)}`);
  }
  if (!MODES.includes(wanted)) {
    throw new RangeError(`createPool option mode must be one of ${MODES.map((m) => `'${m}'`).join(', ')}; got ${describe(wanted)}`);
  }
  const kind = workerKind();
  const mode = wanted !== 'auto' ? wanted : kind === null ? 'single' : canShare() ? 'shared' : 'transfer';
  if (mode !== 'single' && kind === null) throw new RangeError(`createPool mode '${mode}' needs workers, which this thread cannot start`);
  if (mode === 'shared' && !canShare()) {
    throw new RangeError("createPool mode 'shared' needs SharedArrayBuffer: serve the page cross-origin isolated " +
      '(Cross-Origin-Opener-Policy: same-origin, Cross-Origin-Embedder-Policy: require-corp)');
  }
  if (mode === 'single') return singlePool(await load({ build }), threads);
  // load() checks the name in single mode; workers take it as given.
  if (build !== 'auto' && !BUILDS.includes(build)) {
    throw new RangeError(`createPool option build must be one of ${['auto', ...BUILDS].map((b) => `'${b}'`).join(', ')}; got ${describe(build)}`);
  }
  return workerPool(kind, mode, threads, build);
}

/** The calling thread's own instance behind the pool's async API. */
function singlePool(api, threads) {
  let terminated = false;
  const call = (fn) => async (x, opts) => {
    if (terminated) throw new Error('logsoftmax pool: terminated');
    return api[fn](x, opts);
  };
  return Object.freeze({
    mode: 'single', threads, build: api.build, restarts: 0,
    logSoftmax: call('logSoftmax'), softmax: call('softmax'), logSumExp: call('logSumExp'),
    terminate() {
      terminated = true;
    },
  });
}

async function workerPool(kind, mode, threads, build) {
  const shared = mode === 'shared';
  const workers = [];
  let nextId = 1, terminated = false, restarts = 0, built = null;
  // For the tests: calls whose slices were cut, and the chunks of the last.
  const stats = { sliceCalls: 0, lastChunks: 0 };

  /** Starts worker i; resolves when its instance is loaded. */
  function start(i) {
    return new Promise((ok, fail) => {
      const w = { pending: new Map(), handle: null, dead: false };
      const onMessage = (m) => {
        if (m.kind === 'ready') {
          built = m.build;
          if (w.pending.size === 0) w.handle.hold(false);
          return ok();
        }
        if (m.kind === 'failed') return fail(rebuild(m.error));
        const task = w.pending.get(m.id);
        if (!task) return;
        w.pending.delete(m.id);
        if (w.pending.size === 0) w.handle.hold(false);
        if (m.error) task.reject(rebuild(m.error));
        else task.resolve(m);
      };
      const onDeath = (why) => {
        if (w.dead) return;
        w.dead = true;
        w.handle.kill(); // a Web Worker's error event does not always end it
        fail(new Error(`logsoftmax pool: a worker failed to start: ${why}`));
        if (terminated) return;
        // A worker that dies takes its pending tasks with it; the calls
        // they belong to reject, and a fresh worker takes its place.
        for (const task of w.pending.values()) task.reject(new Error(`logsoftmax pool: a worker died during the call (${why})`));
        w.pending.clear();
        restarts++;
        start(i).catch(() => {}); // a worker that cannot restart shows up as a death on its next call
      };
      w.handle = spawn(kind, onMessage, onDeath);
      workers[i] = w;
      w.handle.post({ kind: 'init', build });
    });
  }

  try {
    await Promise.all(Array.from({ length: threads }, (_, i) => start(i)));
  } catch (err) {
    terminated = true;
    for (const w of workers) w?.handle.kill();
    throw err;
  }

  /** Posts a task to worker i; resolves with its reply. */
  function task(i, message, transfer) {
    const w = workers[i];
    return new Promise((resolveTask, reject) => {
      if (w.dead) return reject(new Error('logsoftmax pool: the worker is dead and not yet restarted'));
      const id = nextId++;
      w.pending.set(id, { resolve: resolveTask, reject });
      if (w.pending.size === 1) w.handle.hold(true);
      w.handle.post({ ...message, id }, transfer);
    });
  }

  /** The worker with the fewest tasks waiting. */
  function leastBusy() {
    let best = 0;
    workers.forEach((w, i) => (w.pending.size < workers[best].pending.size ? (best = i) : 0));
    return best;
  }

  /** A Type array of n elements: in shared memory in shared mode. */
  function allocate(Type, n) {
    return shared ? new Type(new SharedArrayBuffer(n * Type.BYTES_PER_ELEMENT)) : new Type(n);
  }

  /** `a` where workers can read it: itself if it is shared already, else a shared copy. */
  function share(a) {
    if (a.buffer instanceof SharedArrayBuffer) return a;
    const copy = allocate(a.constructor, a.length);
    copy.set(a);
    return copy;
  }

  async function call(fn, x, opts) {
    if (terminated) throw new Error('logsoftmax pool: terminated');
    // Throws what the synchronous API throws, before anything is posted.
    const c = resolve(fn, x, opts, HOST);
    // The streamed kernels take plain float32 and float64, unmasked, unweighted.
    const plain = c.plan && !c.b && !c.where && !c.x.bits && (c.x.dtype === 'f32' || c.x.dtype === 'f64');
    const cut = plain && c.x.count >= MIN_SPLIT ? splitSlices(planGroups(c.plan), threads, MIN_CHUNK) : null;
    if (cut) return slicesCall(fn, c, cut);
    const parts = c.plan && !c.b && c.x.count >= MIN_SPLIT ? splitGroups(planGroups(c.plan), threads) : null;
    if (!parts) return wholeCall(fn, x, opts, c);

    const Type = resultType(c.dtype, c.bits);
    // Results go straight into `out` when it is shared; otherwise into a
    // shared result, copied into `out` at the end if one was given.
    const direct = shared && c.out?.buffer instanceof SharedArrayBuffer;
    const value = direct ? c.out : allocate(Type, c.count);
    const sign = c.returnSign ? allocate(Type, c.count) : null;
    const base = { kind: 'part', fn, shared, dtype: DTYPE_OPTION[c.x.dtype] && c.x.bits ? DTYPE_OPTION[c.x.dtype] : undefined, returnSign: c.returnSign };
    let replies;
    if (shared) {
      const xs = share(c.x.data), where = c.where && share(c.where);
      replies = Promise.all(parts.map((g, i) => task(i, { ...base, g, x: xs, where, out: value, sign })));
    } else {
      replies = Promise.all(parts.map((g, i) => {
        const xs = gather(c.x.data, g, true), where = c.where && gather(c.where, g, true);
        return task(i, { ...base, g, x: xs, where }, [xs.buffer, ...(where ? [where.buffer] : [])]);
      }));
    }
    const got = await replies;
    if (!shared) {
      got.forEach((r, i) => {
        const g = parts[i];
        if (fn !== 'logSumExp') return scatter(r.value, g, value);
        value.set(r.value, g.out0);
        if (sign) sign.set(r.sign, g.out0);
      });
    }
    let result = value;
    if (c.out !== undefined && !direct) result = (c.out.set(value), c.out);
    return fn === 'logSumExp' ? shapeResult(c, result, sign) : c.scalar ? result[0] : result;
  }

  /**
   * A call whose slices are cut across workers (splitSlices): round one, each
   * worker's chunk to partial states; merged here; round two, each worker
   * writes its chunk's outputs from the merged states (logSumExp: the
   * merged states are finished by one worker, this thread having no
   * instance).  In transfer mode a worker keeps its chunk between the
   * rounds and writes over it; a failed round one tells the others to drop
   * theirs.
   */
  async function slicesCall(fn, c, cut) {
    const { chunks, keptAfter: n } = cut;
    const lse = fn === 'logSumExp', sid = nextId++;
    const Type = resultType(c.dtype, c.bits);
    const geometry = (ch) => ({ sid, fn, shared, T: cut.T, after: cut.after, axes: cut.axes, keptAfter: n, pieces: ch.pieces, at: ch.at, end: ch.end });
    const xs = shared ? share(c.x.data) : null;
    stats.sliceCalls++;
    stats.lastChunks = chunks.length;
    let replies;
    try {
      replies = await Promise.all(chunks.map((ch, i) => {
        if (shared) return task(i, { kind: 'state', ...geometry(ch), x: xs });
        const part = c.x.data.slice(ch.at, ch.end);
        return task(i, { kind: 'state', ...geometry(ch), x: part, hold: !lse }, [part.buffer]);
      }));
    } catch (err) {
      if (!shared && !lse) chunks.forEach((_, i) => workers[i].dead || workers[i].handle.post({ kind: 'release', sid }));
      throw err;
    }
    const merged = emptyStates(cut.slices);
    replies.forEach((r, i) => chunks[i].pieces.forEach((p, j) => mergeStates(merged, r.states, p.q * n, j * n, n)));

    if (lse) {
      const r = await task(leastBusy(), { kind: 'finish', ct: c.ctype, count: cut.slices, returnSign: c.returnSign, states: merged }, [merged.buffer]);
      let value = r.value;
      if (c.out !== undefined) value = (c.out.set(value), c.out);
      return shapeResult(c, value, r.sign);
    }
    const direct = shared && c.out?.buffer instanceof SharedArrayBuffer;
    const value = direct ? c.out : allocate(Type, c.count);
    const written = await Promise.all(chunks.map((ch, i) => {
      // Each worker gets the merged states of its own pieces' slices only.
      const states = new Float64Array(STATE * n * ch.pieces.length);
      ch.pieces.forEach((p, j) => states.set(merged.subarray(STATE * n * p.q, STATE * n * (p.q + 1)), STATE * n * j));
      return task(i, { kind: 'write', ...geometry(ch), states, ...(shared ? { x: xs, out: value } : {}) }, [states.buffer]);
    }));
    if (!shared) written.forEach((r, i) => value.set(r.value, chunks[i].at));
    let result = value;
    if (c.out !== undefined && !direct) result = (c.out.set(value), c.out);
    return c.scalar ? result[0] : result;
  }

  /**
   * A call that is small, weighted or empty goes to one worker as the caller gave it, less
   * `out` (filled here) and with keepdims (so that a reduction's result is
   * always an array, shaped here as the synchronous API shapes it).
   */
  async function wholeCall(fn, x, opts, c) {
    const o = {};
    for (const key of ['shape', 'axis', 'where', 'whereShape', 'dtype', 'b', 'bShape', 'returnSign']) {
      if (opts?.[key] !== undefined) o[key] = opts[key];
    }
    if (typeof x === 'number') {
      x = Float64Array.of(x);
      o.shape = opts?.shape ?? [];
    }
    if (fn === 'logSumExp') o.keepdims = true;
    const r = await task(leastBusy(), { kind: 'whole', fn, x, opts: o });
    let value = r.value;
    if (c.out !== undefined) value = (c.out.set(value), c.out);
    if (fn === 'logSumExp') return shapeResult(c, value, r.sign);
    return c.scalar ? value[0] : value;
  }

  return Object.freeze({
    mode, threads, build: built,
    /** How many workers died and were replaced. */
    get restarts() {
      return restarts;
    },
    logSoftmax: (x, opts) => call('logSoftmax', x, opts),
    softmax: (x, opts) => call('softmax', x, opts),
    logSumExp: (a, opts) => call('logSumExp', a, opts),
    // For the tests that a long slice was in fact cut: how many calls were, into how many chunks the last.
    [STATS]() {
      return { ...stats };
    },
    // For the tests of a worker's death: makes worker i fail as a crash
    // would (see parallel-worker.js), without the pool's knowledge.
    [Symbol.for('logsoftmax.parallel.crash')](i) {
      workers[i].handle.post({ kind: 'crash' });
    },
    /** Stops every worker; pending calls reject, later calls too. */
    terminate() {
      if (terminated) return;
      terminated = true;
      for (const w of workers) {
        w.dead = true;
        w.handle.kill();
        for (const t of w.pending.values()) t.reject(new Error('logsoftmax pool: terminated while the call was running'));
        w.pending.clear();
      }
    },
  });
}
