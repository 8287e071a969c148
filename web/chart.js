// Small SVG charts (no library): bars for probabilities, lines for the loss
// curve and the benchmark.  Each function returns a fresh <svg> element.
const NS = 'http://www.w3.org/2000/svg';
export const PALETTE = ['#2563eb', '#dc2626', '#059669', '#d97706', '#7c3aed', '#0891b2'];

function el(name, attrs = {}, text) {
  const node = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

// Drawn at its natural size, shrinking (never growing) to fit its container.
function svg(width, height, label) {
  return el('svg', { viewBox: `0 0 ${width} ${height}`, width, height, role: 'img', 'aria-label': label, class: 'chart' });
}

/**
 * Vertical bars with values in [0, max]; NaN bars are drawn as a hatched stub.
 * `overlay`, if given, is a second series drawn as a mark across each bar
 * (a histogram's frequencies over the distribution it was drawn from).
 * @param {{values: ArrayLike<number>, overlay?: ArrayLike<number>, labels?: string[], max?: number, title?: string}} spec
 */
export function barChart({ values, overlay, labels = [], max = 1, title = '' }) {
  const n = values.length, width = Math.max(160, Math.min(640, n * 28)), height = 120;
  const top = title ? 18 : 6, bottom = 16, plotH = height - top - bottom, slot = width / n;
  const root = svg(width, height, title || 'bar chart');
  if (title) root.append(el('text', { x: 0, y: 12, class: 'chart-title' }, title));
  root.append(el('line', { x1: 0, x2: width, y1: top + plotH, y2: top + plotH, class: 'axis' }));
  for (let i = 0; i < n; i++) {
    const v = values[i], x = i * slot + slot * 0.15, w = slot * 0.7;
    const h = Number.isFinite(v) ? Math.max(0, Math.min(1, v / max)) * plotH : 0;
    const bar = el('rect', { x, y: top + plotH - h, width: w, height: Math.max(h, 0.5), class: Number.isNaN(v) ? 'bar nan' : 'bar' });
    bar.append(el('title', {}, `${labels[i] ?? i}: ${Number.isNaN(v) ? 'nan' : v.toPrecision(4)}`));
    root.append(bar);
    if (overlay) {
      const o = overlay[i], y = top + plotH - Math.max(0, Math.min(1, o / max)) * plotH;
      const mark = el('rect', { x: i * slot, y: y - 1, width: slot, height: 2, class: 'overlay' });
      mark.append(el('title', {}, `${labels[i] ?? i}: ${o.toPrecision(4)}`));
      root.append(mark);
    }
    if (n <= 24) root.append(el('text', { x: x + w / 2, y: height - 3, class: 'tick', 'text-anchor': 'middle' }, labels[i] ?? String(i)));
  }
  return root;
}

const log10 = Math.log10;

function niceTicks(lo, hi, isLog) {
  if (isLog) {
    const ticks = [];
    for (let e = Math.floor(log10(lo)); e <= Math.ceil(log10(hi)); e++) ticks.push(10 ** e);
    return ticks;
  }
  const step = 10 ** Math.floor(log10((hi - lo) / 4 || 1));
  const nice = [1, 2, 5, 10].map((m) => m * step).find((s) => (hi - lo) / s <= 6) ?? step * 10;
  const ticks = [];
  for (let t = Math.ceil(lo / nice) * nice; t <= hi + 1e-12; t += nice) ticks.push(+t.toPrecision(12));
  return ticks;
}

/** The width to draw a chart at inside `box` (its content width, within bounds). */
export function widthFor(box, max = 1200) {
  return Math.max(300, Math.min(max, box.clientWidth || 640));
}

export function formatSI(v) {
  const units = [[1e9, 'G'], [1e6, 'M'], [1e3, 'k']];
  for (const [scale, unit] of units) if (Math.abs(v) >= scale) return `${+(v / scale).toPrecision(3)}${unit}`;
  return `${+v.toPrecision(3)}`;
}

/**
 * Lines with markers, in a <figure> with an HTML caption and legend (which wrap on narrow screens).
 * @param {{series: {name: string, points: [number, number][]}[], xLog?: boolean, yLog?: boolean,
 *          xLabel?: string, yLabel?: string, title?: string, xFormat?: (v:number)=>string,
 *          width?: number, height?: number}} spec  size in CSS pixels: pass the container's width to keep text readable
 */
export function lineChart({ series, xLog = false, yLog = false, xLabel = '', yLabel = '', title = '', xFormat = formatSI, width = 640, height = 320 }) {
  const m = { l: 56, r: 16, t: 10, b: 44 };
  const figure = document.createElement('figure');
  figure.className = 'line-chart';
  const caption = document.createElement('figcaption');
  caption.textContent = title;
  const legend = document.createElement('div');
  legend.className = 'legend';
  const colors = series.map((s, i) => s.color ?? PALETTE[i % PALETTE.length]);
  legend.append(...series.map((s, i) => {
    const key = document.createElement('span');
    key.innerHTML = `<i style="background:${colors[i]}"></i>`;
    key.append(s.name);
    return key;
  }));
  const root = svg(width, height, title || 'line chart');
  figure.append(caption, legend, root);
  const pts = series.flatMap((s) => s.points).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y) && (!yLog || y > 0));
  if (!pts.length) return figure;
  const range = (vals, isLog) => {
    let lo = Math.min(...vals), hi = Math.max(...vals);
    if (isLog) {
      const [a, b] = [Math.floor(log10(lo)), Math.ceil(log10(hi))];
      return a === b ? [10 ** (a - 1), 10 ** (b + 1)] : [10 ** a, 10 ** b];
    }
    if (lo === hi) [lo, hi] = [lo - 1, hi + 1];
    return [Math.min(lo, 0), hi];
  };
  const [x0, x1] = range(pts.map((p) => p[0]), xLog);
  const [y0, y1] = range(pts.map((p) => p[1]), yLog);
  const scale = (v, lo, hi, isLog, a, b) => {
    const t = isLog ? (log10(v) - log10(lo)) / (log10(hi) - log10(lo)) : (v - lo) / (hi - lo);
    return a + t * (b - a);
  };
  const X = (v) => scale(v, x0, x1, xLog, m.l, width - m.r);
  const Y = (v) => scale(v, y0, y1, yLog, height - m.b, m.t);
  for (const t of niceTicks(y0, y1, yLog)) {
    root.append(el('line', { x1: m.l, x2: width - m.r, y1: Y(t), y2: Y(t), class: 'grid' }));
    root.append(el('text', { x: m.l - 6, y: Y(t) + 4, class: 'tick', 'text-anchor': 'end' }, formatSI(t)));
  }
  for (const t of niceTicks(x0, x1, xLog)) {
    root.append(el('text', { x: X(t), y: height - m.b + 16, class: 'tick', 'text-anchor': 'middle' }, xFormat(t)));
  }
  root.append(el('line', { x1: m.l, x2: width - m.r, y1: height - m.b, y2: height - m.b, class: 'axis' }));
  root.append(el('line', { x1: m.l, x2: m.l, y1: m.t, y2: height - m.b, class: 'axis' }));
  root.append(el('text', { x: (m.l + width - m.r) / 2, y: height - 6, class: 'axis-label', 'text-anchor': 'middle' }, xLabel));
  root.append(el('text', { x: 12, y: (m.t + height - m.b) / 2, class: 'axis-label', 'text-anchor': 'middle',
    transform: `rotate(-90 12 ${(m.t + height - m.b) / 2})` }, yLabel));
  series.forEach((s, i) => {
    const color = colors[i];
    const good = s.points.filter(([, y]) => Number.isFinite(y) && (!yLog || y > 0));
    root.append(el('polyline', { points: good.map(([x, y]) => `${X(x)},${Y(y)}`).join(' '), class: 'line', stroke: color }));
    if (good.length <= 40) for (const [x, y] of good) root.append(el('circle', { cx: X(x), cy: Y(y), r: 3, fill: color }));
  });
  return figure;
}
