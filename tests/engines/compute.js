// What every page and worker of the engine tests computes, with the library
// as that page or worker imported it (straight from the server, or bundled):
// each function in float32 and float64, along the last axis (row kernels) and
// the first (column kernels).  Values travel as JSON, which has no NaN or
// infinities, so those go as strings both ways.
const encode = (v) => (Number.isFinite(v) ? v : String(v));

/**
 * @param {object} lib the package's module namespace
 * @param {{x: (number|string)[], shape: number[]}} input
 * @param {string} [build] a build to load(); else the one init() picks
 */
export async function compute(lib, { x, shape }, build) {
  let api;
  if (build) {
    api = await lib.load({ build });
  } else {
    const { simd, relaxed } = await lib.init();
    api = { ...lib, build: relaxed ? 'relaxed' : simd ? 'simd' : 'scalar' };
  }
  const x64 = Float64Array.from(x, Number);
  const x32 = Float32Array.from(x64);
  const list = (a) => Array.from(a, encode);
  return {
    build: api.build,
    f32: {
      logSoftmax: list(api.logSoftmax(x32, { shape, axis: -1 })),
      softmax: list(api.softmax(x32, { shape, axis: 0 })),
      logSumExp: list(api.logSumExp(x32, { shape, axis: -1 })),
    },
    f64: {
      logSoftmax: list(api.logSoftmax(x64, { shape, axis: 0 })),
      softmax: list(api.softmax(x64, { shape, axis: -1 })),
      logSumExp: list(api.logSumExp(x64, { shape, axis: 0 })),
    },
  };
}

/** The page's side: compute here, or in a new module worker running `workerUrl`. */
export function pageApp(lib, workerUrl) {
  return {
    compute: (input, build) => compute(lib, input, build),
    computeInWorker(input, build) {
      const worker = new Worker(workerUrl, { type: 'module' });
      return new Promise((resolve, reject) => {
        worker.onmessage = ({ data }) => (data.error ? reject(new Error(data.error)) : resolve(data));
        worker.onerror = (e) => reject(new Error(`worker: ${e.message}`));
        worker.postMessage({ input, build });
      }).finally(() => worker.terminate());
    },
  };
}

/** The worker's side. */
export function serveWorker(lib) {
  self.onmessage = async ({ data: { input, build } }) => {
    try {
      self.postMessage(await compute(lib, input, build));
    } catch (err) {
      self.postMessage({ error: String(err?.stack ?? err) });
    }
  };
}
