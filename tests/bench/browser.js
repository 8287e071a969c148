// The benchmark's page: this library (every build this browser runs, each
// with and without `out`), onnxruntime-web (wasm, 1 thread), TensorFlow.js
// (wasm and cpu backends) and plain JS, timed side by side in one page on
// the workloads of the Node run (workloads.js).  run-browser.js drives it
// through window.bench; tests/bench-browser.test.js smoke-tests it.
import { load } from '../../js/index.js';
import { WORKLOADS, makeInputs } from './workloads.js';
import { timeSideBySide } from './timing.js';
import { checkOutput } from './check.js';
import { onnxruntimeAdapter, tfjsAdapter } from './adapters.js';
import * as plain from './plain.js';
import { firstTouch } from './first-touch-cases.js';

const BUILD_LABEL = { relaxed: 'relaxed SIMD', simd: 'SIMD', scalar: 'scalar' };
const FORM_LABEL = { fresh: 'fresh result', out: 'into `out`', inplace: 'in place' };
const log = (text) => {
  document.getElementById('log').textContent += text + '\n';
  console.log(text); // run-browser.js prints the page's console as progress
};

/** Number of results of `op` on the workload. */
const resultLength = (op, wl) => (op === 'logSumExp' ? wl.size / wl.n : wl.size);

/**
 * Ours, as a user calls it: 'fresh' (a new result array each call), 'out'
 * (the caller's array, reused) or 'inplace' (out: x; logSoftmax only, which
 * is idempotent, so that the repeated calls see the same values).
 */
function ours(build, api, form) {
  return {
    id: `ours-${build}-f32${form === 'fresh' ? '' : '-' + form}`,
    label: `this library ${BUILD_LABEL[build]}, ${FORM_LABEL[form]}`,
    prepare(op, wl, data) {
      const opts = { shape: wl.shape, axis: wl.axis };
      if (form === 'fresh') return { call: () => api[op](data.x32, opts) };
      if (form === 'out') {
        const out = new Float32Array(resultLength(op, wl)), withOut = { ...opts, out };
        return { call: () => api[op](data.x32, withOut) };
      }
      if (op !== 'logSoftmax') return { na: 'in place: timed on logSoftmax only (idempotent)' };
      const y = data.x32.slice(), inPlace = { ...opts, out: y };
      return { call: () => api[op](y, inPlace) };
    },
  };
}

const plainJs = {
  id: 'plain-js-f32',
  label: 'plain JS, Math.exp, f32',
  prepare: (op, wl, data) => ({ call: () => plain[op](data.x32, wl.outer, wl.n, wl.inner) }),
};

let contendersPromise = null;

/** Every contender this browser runs, loaded once. */
function contenders() {
  contendersPromise ??= (async () => {
    const list = [], builds = [];
    for (const build of ['relaxed', 'simd', 'scalar']) {
      // Relaxed SIMD or SIMD128 can be missing in an engine; scalar never is.
      const api = await load({ build }).catch((err) => (build === 'scalar' ? Promise.reject(err) : null));
      if (!api) continue;
      builds.push(build);
      list.push(ours(build, api, 'fresh'), ours(build, api, 'out'));
      if (builds.length === 1) list.push(ours(build, api, 'inplace')); // the best build only
    }
    const ort = await import('/node_modules/onnxruntime-web/dist/ort.wasm.min.mjs');
    ort.env.wasm.numThreads = 1; // single thread, like every other contender
    ort.env.wasm.wasmPaths = '/node_modules/onnxruntime-web/dist/';
    ort.env.logLevel = 'error';
    const tf = globalThis.tf;
    // The page is cross-origin isolated, so TF.js would pick its threaded
    // build; one thread, as every other contender (and as in Node).
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    tf.wasm.setWasmPaths('/node_modules/@tensorflow/tfjs-backend-wasm/dist/');
    list.push(onnxruntimeAdapter(ort), tfjsAdapter(tf, 'wasm'), tfjsAdapter(tf, 'cpu'), plainJs);
    await tf.setBackend('wasm');
    const info = {
      userAgent: navigator.userAgent,
      builds,
      crossOriginIsolated,
      ort: ort.env.versions?.web ?? ort.env.versions?.common,
      tfjs: tf.version_core,
      tfjsWasmSimd: tf.env().getBool('WASM_HAS_SIMD_SUPPORT'),
      tfjsWasmThreads: tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT'),
      wasmFiles: [], // filled in after the first calls: which .wasm files the peers fetched
    };
    return { list, info };
  })();
  return contendersPromise;
}

const wasmFiles = () => performance.getEntriesByType('resource').map((e) => e.name).filter((n) => n.endsWith('.wasm'))
  .map((n) => new URL(n).pathname.split('/').pop());

/**
 * Each contender's logSoftmax of [64,1000] against the float64 reference.
 * @returns {Promise<{ids: string[], errors: Record<string, string>}>} errors: contender id → what is off
 */
async function smoke() {
  const { list } = await contenders();
  const wl = WORKLOADS.find((w) => w.label === '[64,1000]'), data = makeInputs(wl.size);
  const ref = plain.logSoftmax(data.x64, wl.outer, wl.n, wl.inner);
  const errors = {};
  for (const c of list) {
    try {
      const p = await c.prepare('logSoftmax', wl, data);
      await p.before?.();
      const bad = checkOutput('logSoftmax', await p.call(), ref);
      if (bad) errors[c.id] = bad;
      await p.release?.();
    } catch (err) {
      errors[c.id] = `${err.name}: ${err.message}`;
    }
  }
  return { ids: list.map((c) => c.id), errors, wasmFiles: wasmFiles() };
}

/**
 * Times every contender on every workload and op, side by side (timing.js).
 * @param {{cfg: object, ops: string[], workloads?: string[], only?: string[]}} request
 */
async function run({ cfg, ops, workloads, only }) {
  const { list, info } = await contenders();
  const chosen = only ? list.filter((c) => only.includes(c.id)) : list;
  const wls = WORKLOADS.filter((w) => (workloads ? workloads.includes(w.label) : !w.huge));
  const results = {}, inputs = new Map();
  for (const op of ops) {
    results[op] = {};
    for (const wl of wls) {
      const key = `${wl.size}/${wl.masked ?? 0}`;
      if (!inputs.has(key)) inputs.set(key, makeInputs(wl.size, wl.masked));
      const data = inputs.get(key);
      const ref = plain[op](data.x64, wl.outer, wl.n, wl.inner);
      const row = (results[op][wl.label] = {}), entries = [];
      for (const c of chosen) {
        const p = await c.prepare(op, wl, data);
        if (p.na) {
          row[c.id] = { na: p.na };
          continue;
        }
        await p.before?.();
        const bad = checkOutput(op, await p.call(), ref);
        entries.push({ ...p, id: c.id, inaccurate: bad ?? undefined }); // timed all the same, but flagged
      }
      const timed = await timeSideBySide(entries, cfg);
      entries.forEach((e, i) => {
        const { ms, reps } = timed[i];
        row[e.id] = { usPerCall: ms * 1e3, gElemPerS: wl.size / ms / 1e6, reps, inaccurate: e.inaccurate };
      });
      for (const e of entries) await e.release?.();
      log(`${op} ${wl.label}`);
    }
  }
  info.wasmFiles = wasmFiles();
  return { info, contenders: chosen.map(({ id, label }) => ({ id, label })), workloads: wls.map((w) => w.label), results };
}

window.bench = { smoke, run, firstTouch, ready: true };
