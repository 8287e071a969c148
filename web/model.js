// Softmax regression on the 8x8 digits, trained with the library itself:
// crossEntropy gives the mean loss over a batch and its gradient with
// respect to the logits ((softmax - one-hot) / rows) in one call, and topK
// the most probable classes.  Pure functions over typed arrays, so the
// training worker and the Node tests share them.
import { crossEntropy, softmax, topK } from '../js/index.js';
import { seededRandom } from '../js/reference/random.js';

export const PIXELS = 64;
export const CLASSES = 10;
const RECORD = PIXELS + 1; // web/data/digits.bin: 64 pixels (0..16), then the label

/**
 * Decodes web/data/digits.bin.
 * @param {Uint8Array} bytes
 * @returns {{images: Float32Array, labels: Uint8Array, count: number}} images scaled to 0..1
 */
export function decodeDigits(bytes) {
  const count = bytes.length / RECORD;
  if (!Number.isInteger(count)) throw new RangeError(`digits.bin has ${bytes.length} bytes, not a multiple of ${RECORD}`);
  const images = new Float32Array(count * PIXELS);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    for (let p = 0; p < PIXELS; p++) images[i * PIXELS + p] = bytes[i * RECORD + p] / 16;
    labels[i] = bytes[i * RECORD + PIXELS];
  }
  return { images, labels, count };
}

/** A seeded shuffle of 0..n-1 split into train and held-out index lists. */
export function splitIndices(n, testFraction, seed) {
  const order = [...Array(n).keys()];
  const rand = seededRandom(seed);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  const nTest = Math.round(n * testFraction);
  return { test: order.slice(0, nTest), train: order.slice(nTest) };
}

/** Fresh weights: W (64x10, row-major) and bias (10), zero-initialised (the loss is convex). */
export function createModel() {
  return { W: new Float32Array(PIXELS * CLASSES), bias: new Float32Array(CLASSES) };
}

/** Logits of `rows` images (64 floats each, packed) as a Float32Array [rows, 10]. */
export function logits(model, images, rows) {
  const out = new Float32Array(rows * CLASSES);
  for (let i = 0; i < rows; i++) {
    for (let c = 0; c < CLASSES; c++) {
      let z = model.bias[c];
      for (let p = 0; p < PIXELS; p++) z += images[i * PIXELS + p] * model.W[p * CLASSES + c];
      out[i * CLASSES + c] = z;
    }
  }
  return out;
}

/** Class probabilities of one 8x8 image (values 0..1). */
export function predict(model, image) {
  return softmax(logits(model, image, 1), { shape: [1, CLASSES], axis: 1 });
}

function gather(data, indices) {
  const out = new Float32Array(indices.length * PIXELS);
  indices.forEach((k, i) => out.set(data.images.subarray(k * PIXELS, (k + 1) * PIXELS), i * PIXELS));
  return { images: out, labels: Uint8Array.from(indices, (k) => data.labels[k]) };
}

/**
 * The `k` most probable classes of one 8x8 image (values 0..1), most
 * probable first: {indices, values} with values the softmax over all classes.
 */
export function topClasses(model, image, k = 3) {
  return topK(logits(model, image, 1), k, { shape: [1, CLASSES], of: 'softmax' });
}

/** Mean negative log-likelihood and accuracy over the samples at `indices`. */
export function evaluate(model, data, indices) {
  const { images, labels } = gather(data, indices);
  const shape = [indices.length, CLASSES];
  const z = logits(model, images, indices.length);
  const loss = crossEntropy(z, labels, { shape });
  const best = topK(z, 1, { shape }).indices;
  let correct = 0;
  for (let i = 0; i < indices.length; i++) if (best[i] === labels[i]) correct++;
  return { loss, accuracy: correct / indices.length };
}

export function argmax(values) {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

/**
 * One epoch of mini-batch SGD with momentum on the mean NLL plus an L2 penalty.
 * Returns the mean training loss over the epoch's batches.
 */
export function trainEpoch(model, data, trainIdx, { lr = 0.2, batch = 32, momentum = 0.9, l2 = 1e-4, rand, velocity }) {
  const order = trainIdx.slice();
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  let lossSum = 0;
  for (let start = 0; start < order.length; start += batch) {
    const idx = order.slice(start, start + batch);
    const { images, labels } = gather(data, idx);
    const rows = idx.length, shape = [rows, CLASSES];
    const z = logits(model, images, rows);
    // The batch's mean loss, and its gradient (softmax - one-hot) / rows.
    const { loss, grad } = crossEntropy(z, labels, { shape, grad: true });
    lossSum += loss * rows;
    step(model, velocity, images, grad, rows, { lr, momentum, l2 });
  }
  return lossSum / order.length;
}

/** One SGD step with momentum, from the gradient of the mean loss w.r.t. the logits. */
function step(model, velocity, images, grad, rows, { lr, momentum, l2 }) {
  for (let p = 0; p < PIXELS; p++) {
    for (let c = 0; c < CLASSES; c++) {
      let g = 0;
      for (let i = 0; i < rows; i++) g += images[i * PIXELS + p] * grad[i * CLASSES + c];
      const k = p * CLASSES + c;
      velocity.W[k] = momentum * velocity.W[k] - lr * (g + l2 * model.W[k]);
      model.W[k] += velocity.W[k];
    }
  }
  for (let c = 0; c < CLASSES; c++) {
    let g = 0;
    for (let i = 0; i < rows; i++) g += grad[i * CLASSES + c];
    velocity.bias[c] = momentum * velocity.bias[c] - lr * g;
    model.bias[c] += velocity.bias[c];
  }
}
