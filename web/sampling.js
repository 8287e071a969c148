// The Sampling panel: logits (pasted, or Zipf-like over a chosen vocabulary),
// the sampler's filters (temperature, top-k, top-p, min-p) and a seed.  It
// draws N tokens with the library's sample() (N identical rows, one draw
// each) and shows them as a histogram over the exact filtered distribution
// (js/reference/jobs.js, plain float64, independent of the library), with
// Pearson's χ² p-value of the draws against it.
import { sample } from '../js/index.js';
import { refFilteredDistribution, chiSquare } from '../js/reference/jobs.js';
import { barChart } from './chart.js';
import { parseValues } from './parse.js';
import { $, showError } from './dom.js';

/** Logits p_j ∝ 1/(j+1)^s: logit_j = -s·log(j+1). */
export function zipfLogits(vocab, s) {
  return Array.from({ length: vocab }, (_, j) => +(-s * Math.log(j + 1)).toFixed(4));
}

/** The filter options the controls ask for (a filter at its "off" end is left out). */
function settings() {
  const num = (id) => Number($(id).value);
  const opts = { temperature: num('samp-temperature') };
  if (num('samp-topk') > 0) opts.topK = Math.round(num('samp-topk'));
  if (num('samp-topp') < 1) opts.topP = num('samp-topp');
  if (num('samp-minp') > 0) opts.minP = num('samp-minp');
  opts.seed = Math.round(num('samp-seed')) | 0;
  return opts;
}

/** Wires the Sampling panel and runs it once. */
export function setupSampling() {
  const form = $('sampling-form');
  const generate = () => {
    const vocab = Math.max(2, Math.min(5000, Math.round(Number($('samp-vocab').value)) || 50));
    $('samp-logits').value = JSON.stringify(zipfLogits(vocab, Number($('samp-zipf').value) || 1));
    $('samp-topk').max = String(vocab);
    run();
  };
  $('samp-generate').addEventListener('click', generate);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    run();
  });
  let pending = 0;
  form.addEventListener('input', (e) => {
    if (e.target.id === 'samp-logits') return; // a paste is run by the button, not per keystroke
    showValues();
    clearTimeout(pending);
    pending = setTimeout(run, 150);
  });
  showValues();
  generate();
}

/** Each slider's value beside it. */
function showValues() {
  for (const id of ['samp-temperature', 'samp-topk', 'samp-topp', 'samp-minp']) {
    const v = Number($(id).value);
    const off = (id === 'samp-topk' && v === 0) || (id === 'samp-topp' && v >= 1) || (id === 'samp-minp' && v === 0);
    $(`${id}-value`).textContent = off ? 'off' : String(v);
  }
}

function run() {
  const panel = $('sampling');
  const errorBox = $('samp-error');
  try {
    const parsed = parseValues($('samp-logits').value);
    const row = Float32Array.from([parsed].flat(Infinity)); // one slice: the whole input
    const V = row.length;
    if (V < 1) throw new RangeError('no logits');
    const N = Math.max(1, Math.min(200000, Math.round(Number($('samp-draws').value)) || 10000));
    const opts = settings();
    const x = new Float32Array(N * V);
    for (let r = 0; r < N; r++) x.set(row, r * V);
    const t0 = performance.now();
    const { indices } = sample(x, { shape: [N, V], ...opts });
    const ms = performance.now() - t0;
    const counts = new Array(V).fill(0);
    for (const j of indices) counts[j]++;
    const p = refFilteredDistribution(Float64Array.from(row), opts);
    const fit = chiSquare(counts, p);
    const kept = p.filter((v) => v > 0).length;
    const freq = counts.map((c) => c / N);
    const max = Math.max(...p, ...freq) * 1.05;
    const chart = barChart({
      values: p, overlay: freq, max, labels: [...Array(V).keys()].map(String),
      title: `filtered distribution (bars) and the frequency of ${N.toLocaleString('en')} draws (marks)`,
    });
    chart.dataset.probabilities = JSON.stringify(Array.from(p));
    chart.dataset.counts = JSON.stringify(counts);
    chart.dataset.logits = JSON.stringify(Array.from(row));
    $('samp-chart').replaceChildren(chart);
    $('samp-summary').innerHTML = `${kept} of ${V} tokens kept · ${N.toLocaleString('en')} draws in ${ms.toFixed(1)} ms` +
      ` · ${fit.outside} outside the kept set · χ² ${fit.chi2.toFixed(2)} on ${fit.df} df, ` +
      `p-value <b id="samp-pvalue" data-value="${fit.pValue}">${fit.pValue.toPrecision(3)}</b>`;
    showError(errorBox, '');
    panel.dataset.state = 'done';
  } catch (err) {
    showError(errorBox, `${err.name}: ${err.message}`);
    $('samp-chart').replaceChildren();
    $('samp-summary').textContent = '';
    panel.dataset.state = 'error';
  }
  panel.dataset.runs = String(Number(panel.dataset.runs ?? 0) + 1);
}
