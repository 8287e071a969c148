// Shared by the two WebGPU implementations under test: the Chromium page
// (index.html) and the Deno runner (deno-runner.js) make the same contexts
// and run case lists the same way, and the Deno runner's messages go
// through encode/decode (JSON that keeps typed arrays, NaN, ±inf and -0).

/** The four contexts every case runs on: both kernel variants, each with and without subgroups. */
export async function makeContexts(createGpu) {
  const subgroups = await createGpu();
  const { device } = subgroups;
  // The shared contexts split dispatches of more than 128 workgroups over y.
  const shared = { device, subgroups: false, maxWorkgroupsPerDimension: 128 };
  return {
    subgroups,
    shared: await createGpu(shared),
    online: await createGpu({ device, passes: 'online' }),
    onlineShared: await createGpu({ ...shared, passes: 'online' }),
  };
}

/**
 * Runs `{fn, data, opts}` cases on the named back ends of `apis`; each result
 * is {value, sign?} or {error} (the error's name and message).
 */
export async function runCases(apis, cases, backends) {
  const out = [];
  for (const { fn, data, opts } of cases) {
    const results = {};
    for (const name of backends) {
      try {
        const r = await apis[name][fn](data, opts);
        results[name] = typeof r === 'object' && !ArrayBuffer.isView(r) ? { value: r.value, sign: r.sign } : { value: r };
      } catch (err) {
        results[name] = { error: `${err.name}: ${err.message}` };
      }
    }
    out.push(results);
  }
  return out;
}

const TYPED = { Float32Array, Float64Array };

export function encode(v) {
  return JSON.stringify(v, (_, x) => {
    if (typeof x === 'number' && (!Number.isFinite(x) || Object.is(x, -0))) return { $n: Object.is(x, -0) ? '-0' : String(x) };
    if (ArrayBuffer.isView(x)) return { $typed: x.constructor.name, values: Array.from(x) };
    return x;
  });
}

export function decode(text) {
  return JSON.parse(text, (_, x) => {
    if (x && typeof x === 'object' && '$n' in x) return x.$n === '-0' ? -0 : Number(x.$n);
    if (x && typeof x === 'object' && '$typed' in x) return TYPED[x.$typed].from(x.values);
    return x;
  });
}
