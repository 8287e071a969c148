// The Explore panel: parse the form, run one backend, and show the result,
// per-slice probabilities and the error against the float64 reference.
// Every error the library throws is shown inline, message and all.
import { readHost, normalizeAxes, shapeSize } from '../js/resolve.js';
import { referenceApi, referenceLogSumExp } from './backends.js';
import { refSoftmax } from '../js/reference/float64.js';
import { toFloat16Bits, fromFloat16Bits, toBfloat16Bits, fromBfloat16Bits } from '../js/reference/float16.js';
import { seededRandom, randomLogits } from '../js/reference/random.js';
import { parseValues, parseAxis, parseShape, formatNumber, formatNested } from './parse.js';
import { barChart } from './chart.js';
import { $, cell, showError } from './dom.js';


// scipy's edge cases (README, Semantics), each with the settings that show it off.
const EDGE_CASES = [
  { label: 'large logits [1000, 1]', input: '[1000, 1]', fn: 'logSoftmax' },
  { label: 'fully masked row [-inf, -inf]', input: '[-inf, -inf]', fn: 'logSoftmax' },
  { label: 'one masked entry [-inf, 0]', input: '[-inf, 0]', fn: 'softmax' },
  { label: 'masked row in a batch', input: '[[1, 2, 3],\n [-inf, -inf, -inf]]', fn: 'softmax', axis: '1' },
  { label: '[inf, 1]', input: '[inf, 1]', fn: 'logSoftmax' },
  { label: '[inf, -inf]', input: '[inf, -inf]', fn: 'logSoftmax' },
  { label: '[nan, 1]', input: '[nan, 1]', fn: 'softmax' },
  { label: '0-d input 5', input: '5', fn: 'logSoftmax', axis: '' },
  { label: 'tiny tail: logsumexp [0, -40]', input: '[0, -40]', fn: 'logSumExp' },
  { label: 'b = 0 masks entries', input: '[1, 2, 3, 1000]', fn: 'logSumExp', b: '[1, 1, 1, 0]' },
  { label: 'negative weights with returnSign', input: '[1, 2]', fn: 'logSumExp', b: '[1, -2]', returnSign: true },
  { label: 'axis tuple (0, 2) of a 2x2x3', input: '[[[1, 2, 3], [4, 5, 6]],\n [[0, 0, 0], [-1, -2, -3]]]', fn: 'softmax', axis: '(0, 2)' },
  { label: 'element-wise: axis ()', input: '[1, 2, 3]', fn: 'logSoftmax', axis: '()' },
  { label: 'where: a masked NaN is left out', input: '[nan, 1, 2]', fn: 'logSoftmax', where: '[0, 1, 1]' },
  { label: 'where: a fully masked row gives 0, not NaN', input: '[[1, 2, 3],\n [4, 5, 6]]', fn: 'softmax', axis: '1', where: '[[1], [0]]' },
  { label: 'where with b: masked weights count for nothing', input: '[0, 0, 1]', fn: 'logSumExp', b: '[nan, inf, 2]', where: '[0, 0, 1]' },
];

// The 16-bit dtypes: how a value rounds to one (as bits), and back.
const HALF = {
  float16: { encode: toFloat16Bits, decode: fromFloat16Bits },
  bfloat16: { encode: toBfloat16Bits, decode: fromBfloat16Bits },
};

const MAX_ROWS = 100, MAX_COLS = 40, MAX_SLICES = 12, MAX_BARS = 64;

/**
 * Wires the Explore panel to the given backends (see backends.js).
 * @param {Awaited<ReturnType<import('./backends.js').loadBackends>>} backends
 */
export function setupExplore(backends) {
  $('backend').replaceChildren(...backends.map((b) => new Option(b.label, b.id)));
  $('gen-edge').replaceChildren(new Option('choose…', ''), ...EDGE_CASES.map((c, i) => new Option(c.label, i)));
  const form = $('explore-form');
  let timer = 0, generation = 0;
  const run = async () => {
    const mine = ++generation; // a slow (GPU) result must not overwrite a newer one
    const view = await compute(backends);
    if (mine !== generation) return;
    render(view);
    $('explore').dataset.runs = mine; // lets tests wait for a fresh result
  };
  form.addEventListener('submit', (e) => { e.preventDefault(); run(); });
  form.addEventListener('input', (e) => {
    if (e.target.closest('details')) return; // generator fields fill the input themselves
    syncVisibility();
    clearTimeout(timer);
    timer = setTimeout(run, 200);
  });
  $('gen-random').addEventListener('click', () => { generateRandom(); syncVisibility(); run(); });
  $('gen-edge').addEventListener('change', (e) => {
    if (e.target.value === '') return;
    applyEdgeCase(EDGE_CASES[e.target.value]);
    syncVisibility();
    run();
  });
  syncVisibility();
  run();
}

function syncVisibility() {
  document.querySelector('.lse-only').hidden = $('fn').value !== 'logSumExp';
}

function generateRandom() {
  let shape;
  try {
    shape = parseShape($('gen-shape').value) ?? [10];
    if (shape.some((d) => !Number.isInteger(d) || d < 0) || shapeSize(shape) > 100_000) throw 0;
  } catch {
    showError($('explore-error'), 'generator shape must be a few non-negative integers, at most 100,000 elements, e.g. "4, 10"');
    return;
  }
  const sd = Number($('gen-scale').value) || 0;
  const n = shapeSize(shape);
  const values = randomLogits(seededRandom(Date.now()), n, { sd }).map((v) => +v.toPrecision(4));
  $('x-input').value = formatNested(values, shape);
  $('x-shape').value = '';
}

function applyEdgeCase(c) {
  $('x-input').value = c.input;
  $('x-shape').value = '';
  $('fn').value = c.fn;
  $('axis').value = c.axis ?? '';
  $('b').value = c.b ?? '';
  $('where').value = c.where ?? '';
  $('return-sign').checked = c.returnSign ?? false;
  $('keepdims').checked = false;
}

/** Reads the form into library arguments; parse errors throw SyntaxError. */
function readForm(backends) {
  const fn = $('fn').value;
  const backend = backends.find((b) => b.id === $('backend').value) ?? backends[0];
  const values = parseValues($('x-input').value);
  const shape = parseShape($('x-shape').value);
  const axis = parseAxis($('axis').value);
  const opts = { axis };
  const whereText = $('where').value.trim();
  if (whereText) opts.where = parseValues(whereText);
  if (fn === 'logSumExp') {
    const bText = $('b').value.trim();
    if (bText) opts.b = parseValues(bText);
    opts.keepdims = $('keepdims').checked;
    opts.returnSign = $('return-sign').checked;
  }
  let dtype = $('x-dtype').value;
  const notes = [];
  if (backend.float32Only && dtype === 'float64') {
    dtype = 'float32';
    notes.push(`${backend.label} computes in float32; the input was rounded to float32`);
  }
  if (HALF[dtype] && backend.id === 'reference') notes.push('the reference computes the rounded inputs in float64');
  return { fn, backend, values, shape, opts, dtype, notes };
}

/**
 * Runs the chosen backend and the reference.
 * @returns {Promise<object>} what render() shows: an error, or the result with its error figures
 */
async function compute(backends) {
  let form;
  try {
    form = readForm(backends);
  } catch (err) {
    return { error: `input: ${err.message}` };
  }
  const { fn, backend, values, shape, opts, dtype } = form;
  if (!backend.has(fn)) return { error: `${backend.label} does not offer ${fn}` };
  try {
    // float32 goes in as a Float32Array; the library's reader flattens the
    // nested input first (with the library's own checks and messages).
    const input = dtype === 'float32' ? toFloat32(values, shape) : HALF[dtype] ? toHalf(values, shape, dtype) : { x: values, shape };
    const x64 = input.x64 ?? Float64Array.from(readHost(input.x, fn === 'logSumExp' ? 'a' : 'x', input.shape).data);
    const xShape = input.shape ?? readHost(input.x, 'x', undefined).shape;
    const callOpts = { ...opts, shape: input.shape, ...(input.dtype && { dtype: input.dtype }) };
    // The reference takes the rounded values themselves.
    const [x, run] = HALF[dtype] && backend.id === 'reference' ? [x64, { ...opts, shape: xShape }] : [input.x, callOpts];
    const t0 = performance.now();
    const result = await backend.run(fn, x, run);
    const ms = performance.now() - t0;
    const expected = referenceResult(fn, x64, xShape, opts);
    const got = flatten(result, opts.returnSign, result?.constructor === Uint16Array ? HALF[dtype].decode : null);
    return {
      fn, backend, ms, dtype, notes: form.notes, xShape, x64, axis: opts.axis,
      got, shape: expected.shape, errors: compare(got, expected.values, backend.id === 'reference'),
      probabilities: probabilities(fn, got.value, x64, xShape, opts.axis),
    };
  } catch (err) {
    return { error: `${err.name}: ${err.message}` };
  }
}

function toFloat32(values, shape) {
  const { data, shape: s, isNumber } = readHost(values, 'x', shape);
  return { x: Float32Array.from(data), shape: isNumber ? [] : s };
}

/**
 * The input rounded to a 16-bit type: a Float16Array where the browser has
 * one, else its bits in a Uint16Array with the dtype option (bfloat16 always).
 */
function toHalf(values, shape, dtype) {
  const { data, shape: s, isNumber } = readHost(values, 'x', shape);
  const bits = Uint16Array.from(data, HALF[dtype].encode);
  const x64 = Float64Array.from(bits, HALF[dtype].decode);
  const F16 = globalThis.Float16Array;
  const shaped = isNumber ? [] : s;
  if (dtype === 'float16' && F16) return { x: new F16(bits.buffer), shape: shaped, x64 };
  return { x: bits, shape: shaped, x64, dtype };
}

function referenceResult(fn, x64, shape, opts) {
  if (fn !== 'logSumExp') {
    const value = referenceApi[fn](x64, { shape, axis: opts.axis, where: opts.where });
    return { shape, values: { value } };
  }
  const r = referenceLogSumExp(x64, { ...opts, shape });
  return { shape: r.shape, values: { value: r.value, sign: opts.returnSign ? r.sign : undefined } };
}

/** Any result (number, typed array, {value, sign}) as {value, sign?} arrays; `decode` reads 16-bit bits. */
function flatten(result, withSign, decode) {
  const arr = (v) => (typeof v === 'number' ? [v] : Array.from(v, decode ?? Number));
  return withSign ? { value: arr(result.value), sign: arr(result.sign) } : { value: arr(result) };
}

/** Max absolute and relative error over finite pairs, and how many special values differ. */
function compare(got, expected, isReference) {
  let maxAbs = 0, maxRel = 0, specialMismatch = 0;
  for (const key of Object.keys(expected)) {
    if (!expected[key]) continue;
    got[key].forEach((g, i) => {
      const e = expected[key][i];
      if (Number.isFinite(g) && Number.isFinite(e)) {
        const abs = Math.abs(g - e);
        maxAbs = Math.max(maxAbs, abs);
        if (e !== 0) maxRel = Math.max(maxRel, abs / Math.abs(e));
      } else if (!Object.is(g, e) && !(Number.isNaN(g) && Number.isNaN(e))) {
        specialMismatch++;
      }
    });
  }
  return { maxAbs, maxRel, specialMismatch, isReference };
}

/** Probabilities per slice, for the bar charts: softmax over the reduced axes. */
function probabilities(fn, value, x64, shape, axis) {
  if (fn === 'softmax') return value;
  if (fn === 'logSoftmax') return value.map(Math.exp);
  try {
    return Array.from(refSoftmax(x64, shape, axis)); // logSumExp: the weights exp(a - lse) without b
  } catch {
    return null; // axes that only exist after broadcasting against b
  }
}

/** Flat indices of each slice (C order of the kept dims, then of the reduced dims). */
function sliceIndices(shape, axes) {
  const reduced = new Set(axes);
  const slices = new Map();
  const n = shapeSize(shape);
  for (let i = 0; i < n; i++) {
    let rest = i, key = 0, mul = 1;
    for (let d = shape.length - 1; d >= 0; d--) {
      const idx = rest % shape[d];
      rest = (rest - idx) / shape[d];
      if (!reduced.has(d)) { key += idx * mul; mul *= shape[d]; }
    }
    if (!slices.has(key)) slices.set(key, []);
    slices.get(key).push(i);
  }
  return [...slices.entries()].sort((p, q) => p[0] - q[0]).map(([, v]) => v);
}

function render(view) {
  showError($('explore-error'), view.error);
  if (view.error) {
    $('explore-summary').textContent = '';
    $('result-table').replaceChildren();
    $('slice-charts').replaceChildren();
    return;
  }
  renderSummary(view);
  const tables = [resultTable(view.got.value, view.shape, 'value')];
  if (view.got.sign) tables.push(resultTable(view.got.sign, view.shape, 'sign'));
  $('result-table').replaceChildren(...tables);
  renderSlices(view);
}

function renderSummary({ fn, backend, ms, dtype, shape, errors, notes }) {
  const s = $('explore-summary');
  const err = errors.isReference
    ? 'this backend is the float64 reference'
    : `max |error| vs float64 reference <b class="mono" id="max-abs-error">${formatNumber(errors.maxAbs, 3)}</b>` +
      ` · max relative <b class="mono">${formatNumber(errors.maxRel, 3)}</b>` +
      (errors.specialMismatch ? ` · <b class="special">${errors.specialMismatch} inf/nan differ</b>` : ' · inf/nan pattern matches');
  s.innerHTML = `<b>${fn}</b> on ${backend.label}, ${dtype}: result shape [${shape.join(', ')}] in ${ms.toFixed(2)} ms<br>${err}` +
    notes.map((n) => `<br><span class="hint">${n}</span>`).join('');
}

/** A table of a flat C-order result: one row per index of the leading dims. */
function resultTable(values, shape, caption) {
  const cols = shape.length ? shape[shape.length - 1] : 1;
  const rows = values.length / Math.max(cols, 1);
  const lead = shape.slice(0, -1);
  const table = document.createElement('table');
  table.dataset.kind = caption;
  if (caption === 'sign') table.createCaption().textContent = 'sign';
  const head = table.createTHead().insertRow();
  head.append(cell('th', ''), ...Array.from({ length: Math.min(cols, MAX_COLS) }, (_, j) => cell('th', String(j))));
  if (cols > MAX_COLS) head.append(cell('th', `… ${cols - MAX_COLS} more`));
  const body = table.createTBody();
  for (let r = 0; r < Math.min(rows, MAX_ROWS); r++) {
    const tr = body.insertRow();
    tr.append(cell('th', lead.length ? `[${unravel(r, lead).join(', ')}]` : ''));
    for (let j = 0; j < Math.min(cols, MAX_COLS); j++) {
      const v = values[r * cols + j];
      const td = cell('td', formatNumber(v));
      td.dataset.value = String(v); // full precision, for tests and copy-paste
      if (!Number.isFinite(v)) td.className = 'special';
      tr.append(td);
    }
  }
  if (rows > MAX_ROWS) body.insertRow().append(cell('th', `… ${rows - MAX_ROWS} more rows`));
  return table;
}


function unravel(i, shape) {
  const idx = [];
  for (let d = shape.length - 1; d >= 0; d--) {
    idx.unshift(i % shape[d]);
    i = Math.floor(i / shape[d]);
  }
  return idx;
}

function renderSlices({ probabilities: p, xShape, axis }) {
  const box = $('slice-charts');
  if (!p) return box.replaceChildren();
  const axes = normalizeAxes(axis, xShape.length);
  const slices = sliceIndices(xShape, axes);
  const charts = slices.slice(0, MAX_SLICES).map((idx, s) => {
    const shown = idx.slice(0, MAX_BARS);
    const title = `slice ${s}${idx.length > MAX_BARS ? ` (first ${MAX_BARS} of ${idx.length})` : ''}`;
    return barChart({ values: shown.map((i) => p[i]), title });
  });
  if (slices.length > MAX_SLICES) {
    const more = document.createElement('p');
    more.className = 'hint';
    more.textContent = `… and ${slices.length - MAX_SLICES} more slices`;
    charts.push(more);
  }
  box.replaceChildren(...charts);
}
