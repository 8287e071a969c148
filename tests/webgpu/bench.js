// SwiftShader (or any WebGPU) timings of the GPU path next to wasm, in
// headless Chromium: `node tests/webgpu/bench.js [logSoftmax|softmax|logSumExp]`.
// Kernel time is measured with GPUBuffer input (submit + onSubmittedWorkDone,
// no readback), for both kernel variants (createGpu's `passes`: 'three' and
// 'online'), alternating between them so that load from other processes
// hits both alike; the Float32Array round trip (default variant, plus upload
// and readback) and wasm are timed alongside, and the default variant's
// kernel time with a `where` mask (70% kept) and on packed float16 buffers
// (dtype, widened and rounded by the extra passes).  Medians of 5 after a
// warm-up.
import { launchBrowser } from '../helpers/browser.js';
import { startServer } from '../../web/serve.js';

const fn = process.argv[2] ?? 'logSoftmax';
const SHAPES = [
  [[1024, 1024], -1], [[1024, 1024], 0], [[16384, 64], -1], [[4, 262144], -1], [[64, 1000], -1], [[1000, 64], 0],
];

const server = await startServer({ port: 0 });
const browser = await launchBrowser({ webgpu: true });
try {
  const page = await browser.newPage();
  await page.goto(`${server.url}tests/webgpu/index.html`);
  await page.waitForFunction(() => window.lsmReady);
  const rows = await page.evaluate(async ([fn, shapes]) => {
    await window.lsmReady;
    const { createGpu } = window.lsm.webgpu;
    const byDefault = await createGpu();
    const { device } = byDefault;
    const gpus = {
      three: await createGpu({ device, passes: 'three' }),
      online: await createGpu({ device, passes: 'online' }),
    };
    const time = async (f) => {
      const t0 = performance.now();
      await f();
      return performance.now() - t0;
    };
    /** Medians of 5 runs of each function, run in turn. */
    const medians = async (fs) => {
      const names = Object.keys(fs);
      for (const name of names) await fs[name](); // warm-up (compiles the pipelines)
      const t = Object.fromEntries(names.map((name) => [name, []]));
      for (let i = 0; i < 5; i++) for (const name of names) t[name].push(await time(fs[name]));
      return Object.fromEntries(names.map((name) => [name, t[name].sort((a, b) => a - b)[2]]));
    };
    const out = [];
    for (const [shape, axis] of shapes) {
      const n = shape[0] * shape[1];
      const x = Float32Array.from({ length: n }, (_, i) => Math.sin(i) * 5);
      const buf = device.createBuffer({ size: n * 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
      device.queue.writeBuffer(buf, 0, x);
      const outBuf = device.createBuffer({ size: n * 4, usage: GPUBufferUsage.STORAGE });
      const kernel = (gpu) => async () => {
        await gpu[fn](buf, { shape, axis, out: outBuf });
        await device.queue.onSubmittedWorkDone();
      };
      const where = Uint8Array.from({ length: n }, (_, i) => (Math.sin(3 * i) > -0.6 ? 1 : 0));
      const half = device.createBuffer({ size: Math.ceil(n / 2) * 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
      device.queue.writeBuffer(half, 0, new Uint16Array(Math.ceil(n / 2) * 2).fill(0x3c00));
      const run = async (x, opts) => {
        await gpus.three[fn](x, { shape, axis, out: outBuf, ...opts });
        await device.queue.onSubmittedWorkDone();
      };
      const t = await medians({
        three: kernel(gpus.three), online: kernel(gpus.online), where: () => run(buf, { where }), f16: () => run(half, { dtype: 'float16' }),
      });
      const row = {
        shape: `[${shape}]`, axis, threeMs: t.three, onlineMs: t.online, onlineSpeedup: t.three / t.online, whereMs: t.where, f16Ms: t.f16,
      };
      const rest = await medians({
        roundTrip: () => byDefault[fn](x, { shape, axis }),
        wasm: async () => window.lsm.wasm[fn](x, { shape, axis }),
      });
      row.roundTripMs = rest.roundTrip;
      row.wasmMs = rest.wasm;
      buf.destroy();
      half.destroy();
      outBuf.destroy();
      out.push(row);
    }
    return out;
  }, [fn, SHAPES]);
  console.log(`${fn}, milliseconds (median of 5):`);
  console.table(rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'number' && k !== 'axis' ? +v.toPrecision(3) : v]))));
} finally {
  await browser.close();
  await server.close();
}
