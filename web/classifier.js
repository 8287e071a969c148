// The Classifier panel: trains in a worker with a live loss curve, then
// classifies what is drawn on the pad (or a held-out image) as you draw.
import { lineChart, barChart, widthFor } from './chart.js';
import { $ } from './dom.js';
import { decodeDigits, splitIndices, predict, topClasses, argmax, PIXELS } from './model.js';
import { DIGITS_URL, SPLIT, strokesTo8x8 } from './digits.js';

let model = null;
let image = null; // the current 8x8 input, 0..16

/** Wires the Classifier panel; trains once straight away. */
export function setupClassifier() {
  const worker = new Worker(new URL('./train-worker.js', import.meta.url), { type: 'module' });
  $('train-form').addEventListener('submit', (e) => {
    e.preventDefault();
    train(worker);
  });
  setupPad();
  setupSamples();
  train(worker);
}

function train(worker) {
  const epochs = Math.max(1, Math.min(500, Math.round(Number($('train-epochs').value)) || 40));
  const lr = Number($('train-lr').value) || 0.2;
  const history = [];
  $('train-run').disabled = true;
  $('classifier').dataset.state = 'training';
  worker.onmessage = ({ data: msg }) => {
    if (msg.type === 'epoch') {
      history.push(msg);
      $('train-progress').value = msg.epoch / msg.epochs;
      $('train-status').innerHTML = `epoch ${msg.epoch} of ${msg.epochs} · training loss ${msg.trainLoss.toFixed(4)} · ` +
        `held-out accuracy <b id="accuracy" data-value="${msg.testAccuracy}">${(100 * msg.testAccuracy).toFixed(1)}%</b> (${msg.testCount} images)`;
      drawLoss(history);
      return;
    }
    $('train-run').disabled = false;
    if (msg.type === 'error') {
      $('train-status').textContent = msg.message;
      $('classifier').dataset.state = 'error';
      return;
    }
    model = { W: msg.W, bias: msg.bias };
    $('classifier').dataset.state = 'trained';
    classify();
  };
  worker.postMessage({ epochs, lr });
}

function drawLoss(history) {
  const at = (key) => history.map((h) => [h.epoch, h[key]]);
  const box = $('loss-chart');
  box.replaceChildren(lineChart({
    width: widthFor(box), height: 260, series: [{ name: 'training loss', points: at('trainLoss') }, { name: 'held-out loss', points: at('testLoss') }],
    xLabel: 'epoch', yLabel: 'mean NLL', title: 'loss (mean negative log-likelihood)', xFormat: String,
  }));
}

// The pad keeps the strokes (for the downsampling) or, after "Test image",
// shows that image's 8x8 blocks.
const pad = { strokes: [], drawing: false };

function setupPad() {
  const canvas = $('pad');
  const point = (e) => {
    const r = canvas.getBoundingClientRect();
    return { x: (e.clientX - r.left) * (canvas.width / r.width), y: (e.clientY - r.top) * (canvas.height / r.height) };
  };
  canvas.addEventListener('pointerdown', (e) => {
    pad.drawing = true;
    canvas.setPointerCapture(e.pointerId);
    pad.strokes.push([point(e)]);
    paintStrokes();
  });
  canvas.addEventListener('pointermove', (e) => {
    if (!pad.drawing) return;
    pad.strokes[pad.strokes.length - 1].push(point(e));
    paintStrokes();
    setImage(strokesTo8x8(pad.strokes, context));
  });
  const end = () => {
    if (!pad.drawing) return;
    pad.drawing = false;
    setImage(strokesTo8x8(pad.strokes, context));
  };
  canvas.addEventListener('pointerup', end);
  canvas.addEventListener('pointercancel', end);
  $('pad-clear').addEventListener('click', () => {
    pad.strokes = [];
    paintStrokes();
    setImage(null);
  });
}

function paintStrokes() {
  const canvas = $('pad'), ctx = canvas.getContext('2d');
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  Object.assign(ctx, { lineWidth: 16, lineCap: 'round', lineJoin: 'round', strokeStyle: '#1f2933' });
  for (const s of pad.strokes) {
    ctx.beginPath();
    s.forEach((p, i) => (i ? ctx.lineTo(p.x, p.y) : ctx.moveTo(p.x, p.y)));
    if (s.length === 1) ctx.lineTo(s[0].x + 0.01, s[0].y); // a dot
    ctx.stroke();
  }
}

/** Draws an 8x8 image (0..16) on `canvas`, one grey block per pixel. */
function paintBlocks(canvas, img) {
  const ctx = canvas.getContext('2d'), side = canvas.width / 8;
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  for (let i = 0; i < 64; i++) {
    if (!img?.[i]) continue;
    const shade = 255 - Math.round((255 * img[i]) / 16);
    ctx.fillStyle = `rgb(${shade} ${shade} ${shade})`;
    ctx.fillRect((i % 8) * side, Math.floor(i / 8) * side, side, side);
  }
}

/** A fresh 2-D context of the given size, for the downsampling. */
function context(w, h) {
  const canvas = new OffscreenCanvas(w, h);
  return canvas.getContext('2d', { willReadFrequently: true });
}

// "Test image" shows a held-out digit the model never trained on.
function setupSamples() {
  const data = fetch(DIGITS_URL).then((r) => r.arrayBuffer()).then((b) => decodeDigits(new Uint8Array(b)));
  let next = 0;
  $('pad-sample').addEventListener('click', async () => {
    const digits = await data;
    const { test } = splitIndices(digits.count, SPLIT.testFraction, SPLIT.seed);
    const k = test[next++ % test.length];
    const img = digits.images.slice(k * PIXELS, (k + 1) * PIXELS).map((v) => v * 16);
    pad.strokes = [];
    paintBlocks($('pad'), img);
    setImage(img);
  });
}

function setImage(img) {
  image = img;
  paintBlocks($('preview'), img);
  classify();
}

function classify() {
  const list = $('top3'), chart = $('class-chart');
  if (!model || !image) {
    chart.replaceChildren();
    list.innerHTML = `<li class="hint">${model ? 'draw a digit, or show a test image' : 'the model is training…'}</li>`;
    return;
  }
  const input = image.map((v) => v / 16);
  const p = predict(model, input);
  // The top 3 straight from topK over the softmax (not a sort of p).
  const top = topClasses(model, input, 3);
  list.replaceChildren(...Array.from(top.indices, (d, r) => {
    const li = document.createElement('li');
    li.dataset.probability = String(top.values[r]);
    li.innerHTML = `<span class="digit">${d}</span>${(100 * top.values[r]).toFixed(1)}%`;
    return li;
  }));
  const bars = barChart({ values: p, labels: [...'0123456789'], title: 'probability of each class' });
  bars.querySelectorAll('rect.bar')[argmax(p)]?.classList.add('top');
  bars.dataset.probabilities = JSON.stringify(Array.from(p)); // full precision, for tests
  chart.replaceChildren(bars);
}
