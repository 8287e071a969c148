// The speed targets, evaluated on one run's results.  Reported, never
// asserted: speed is measured, not tested.

const LONG_ROWS = ['[1,1000]', '[64,1000]', '[8,32000]', '[1,262144]'];
const IN_CACHE = ['[1,1000]', '[64,1000]', '[8,32000]'];

function ratios(results, op, workloads, a, b) {
  return workloads.map((w) => {
    const ra = results[op][w]?.[a], rb = results[op][w]?.[b];
    return { w, r: ra && rb && !ra.na && !rb.na ? ra.gElemPerS / rb.gElemPerS : NaN };
  });
}

function target(what, list, goal) {
  const worst = Math.min(...list.map((x) => x.r));
  return {
    what,
    goal,
    worst,
    met: worst >= goal,
    detail: `worst ${worst.toFixed(2)}x (goal ${goal}x); ` + list.map((x) => `${x.w} ${x.r.toFixed(2)}x`).join(', '),
  };
}

/**
 * @param {object} results one run's results
 * @param {'relaxed'|'simd'} build whose figures (and whose exp-sum pass) to judge
 * @returns {{what: string, goal: number, worst: number, met: boolean, detail: string}[]}
 */
export function targetReport(results, build) {
  const f32 = `ours-${build}-f32`, f64 = `ours-${build}-f64`, kernel = `${f32}-kernel`;
  const expsum = build === 'relaxed' ? 'expsum-f32-relaxed' : 'expsum-f32';
  const same = (op, pairs, a) =>
    pairs.map(([w, base]) => {
      const ra = results[op][w]?.[a], rb = results[op][base]?.[a]; // absent under --only or --workloads
      return { w: `${w} vs ${base}`, r: ra && rb ? ra.gElemPerS / rb.gElemPerS : NaN };
    });
  const strided = [['[1000,64] ax0', '[64,1000]'], ['[16,128,128] ax[1,2]', '[1,262144]']];
  return [
    target('f32 logSoftmax, rows >= 1000: ours / onnxruntime-web', ratios(results, 'logSoftmax', LONG_ROWS, f32, 'ort-wasm'), 3),
    target('f32 logSoftmax, rows >= 1000: ours / tfjs-wasm tf.logSoftmax', ratios(results, 'logSoftmax', LONG_ROWS, f32, 'tfjs-wasm'), 12),
    target('f32 softmax, rows >= 1000: ours / tfjs-wasm tf.softmax', ratios(results, 'softmax', LONG_ROWS, f32, 'tfjs-wasm'), 1.5),
    target('in cache: logSoftmax kernel / exp-sum-only pass', ratios(results, 'logSoftmax', IN_CACHE, kernel, expsum), 0.7),
    target('out of cache: logSoftmax kernel / floor kernel', ratios(results, 'logSoftmax', ['[1,262144]', '[1,16M]'], kernel, 'floor-f32'), 0.6),
    ...['logSoftmax', 'softmax', 'logSumExp'].flatMap((op) => [
      target(`strided and tuple axes / last axis, same size, f32 ${op}, API`, same(op, strided, f32), 0.7),
      target(`strided and tuple axes / last axis, same size, f32 ${op}, kernel only`, same(op, strided, kernel), 0.7),
    ]),
    target('[1,10] per call, copies included: ours f32 / plain JS f32', ratios(results, 'logSoftmax', ['[1,10]'], f32, 'plain-js-f32'), 1),
    target('[1,10] per call, copies included: ours f64 / plain JS f64', ratios(results, 'logSoftmax', ['[1,10]'], f64, 'plain-js-f64'), 1),
    target('f64 logSoftmax, rows >= 1000: ours / plain JS', ratios(results, 'logSoftmax', LONG_ROWS, f64, 'plain-js-f64'), 3),
  ];
}
