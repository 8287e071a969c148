// The README chart: one panel per op, G elements/s on a log scale, grouped
// by workload.  Plain SVG text; no plotting library.

const SERIES = [
  ['ours-relaxed-f32', 'logsoftmax relaxed SIMD', '#00441b'],
  ['ours-simd-f32', 'logsoftmax SIMD', '#1b7837'],
  ['ours-scalar-f32', 'logsoftmax scalar', '#7fbf7b'],
  ['ort-wasm', 'onnxruntime-web wasm', '#2166ac'],
  ['tfjs-wasm', 'tfjs wasm', '#d6604d'],
  ['tfjs-cpu', 'tfjs cpu', '#f4a582'],
  ['plain-js-f32', 'plain JS', '#878787'],
];
const OPS = ['logSoftmax', 'softmax', 'logSumExp'];
const DECADES = [-3, 1]; // 0.001 .. 10 G elements/s

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;');

/** @param {{meta: object, workloads: {label: string}[], results: object}} json @returns {string} SVG */
export function writeChart({ meta, workloads, results }) {
  const bar = 10, groupGap = 22, left = 56, top = 92, panelH = 190, panelGap = 70;
  const groupW = SERIES.length * bar + groupGap;
  const width = left + workloads.length * groupW + 20;
  const height = top + OPS.length * (panelH + panelGap) + 10;
  const [lo, hi] = DECADES;
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${left}" y="16" font-size="13" font-weight="bold">float32, one thread, G elements/s (log scale), copies in and out included</text>`,
    `<text x="${left}" y="31" fill="#444">${esc(`${meta.machine.cpu}, Node ${meta.node}, onnxruntime-web ${meta.peers['onnxruntime-web']}, tfjs ${meta.peers['@tensorflow/tfjs-core']}`)}</text>`,
  ];
  SERIES.forEach(([, name, color], i) => {
    const x = left + (i % 3) * 190, y = 40 + Math.floor(i / 3) * 16;
    out.push(`<rect x="${x}" y="${y}" width="10" height="10" fill="${color}"/><text x="${x + 14}" y="${y + 9}">${esc(name)}</text>`);
  });
  OPS.forEach((op, p) => {
    const y0 = top + p * (panelH + panelGap);
    const yOf = (g) => y0 + panelH - ((Math.log10(g) - lo) / (hi - lo)) * panelH;
    out.push(`<text x="${left}" y="${y0 - 4}" font-weight="bold">${op}</text>`);
    for (let d = lo; d <= hi; d++) {
      const y = yOf(10 ** d);
      out.push(`<line x1="${left}" x2="${width - 20}" y1="${y}" y2="${y}" stroke="#ddd"/>`,
        `<text x="${left - 6}" y="${y + 4}" text-anchor="end">${10 ** d}</text>`);
    }
    workloads.forEach((wl, g) => {
      if (!results[op]?.[wl.label]) return; // not run for this op (the 64 MB input)
      const gx = left + g * groupW + groupGap / 2;
      SERIES.forEach(([id, name, color], i) => {
        const r = results[op]?.[wl.label]?.[id];
        const x = gx + i * bar;
        if (!r || r.na) {
          out.push(`<text x="${x + bar / 2}" y="${y0 + panelH - 3}" font-size="7" text-anchor="middle" fill="#999">×</text>`);
          return;
        }
        const y = Math.max(y0, yOf(Math.max(r.gElemPerS, 10 ** lo)));
        out.push(`<rect x="${x}" y="${y.toFixed(1)}" width="${bar - 1}" height="${(y0 + panelH - y).toFixed(1)}" fill="${color}">` +
          `<title>${esc(`${name}, ${op} ${wl.label}: ${r.gElemPerS.toPrecision(3)} G/s`)}</title></rect>`);
      });
      const [shape, axis = 'ax-1'] = wl.label.split(' ');
      const cx = gx + (SERIES.length * bar) / 2;
      out.push(`<text x="${cx}" y="${y0 + panelH + 13}" text-anchor="middle" font-size="9">${esc(shape)}</text>`,
        `<text x="${cx}" y="${y0 + panelH + 24}" text-anchor="middle" font-size="9" fill="#555">${esc(axis.replace('ax', 'axis '))}</text>`);
    });
  });
  out.push(`<text x="${left}" y="${height - 4}" fill="#666" font-size="9">× = not supported by that library, or not run (see tests/bench/NOTES.md). Reproduce: npm run bench</text>`);
  out.push('</svg>');
  return out.join('\n') + '\n';
}
