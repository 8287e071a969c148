// Trains the digits classifier off the main thread (see model.js) and posts
// the losses after every epoch, then the weights.
import { init } from '../js/index.js';
import { seededRandom } from '../js/reference/random.js';
import { decodeDigits, splitIndices, createModel, trainEpoch, evaluate } from './model.js';
import { DIGITS_URL, SPLIT } from './digits.js';

const dataPromise = Promise.all([init(), fetch(DIGITS_URL).then((r) => r.arrayBuffer())])
  .then(([, buf]) => decodeDigits(new Uint8Array(buf)));

self.onmessage = async ({ data: { epochs, lr } }) => {
  try {
    const data = await dataPromise;
    const { train, test } = splitIndices(data.count, SPLIT.testFraction, SPLIT.seed);
    const model = createModel(), velocity = createModel();
    const rand = seededRandom(1);
    for (let epoch = 1; epoch <= epochs; epoch++) {
      const trainLoss = trainEpoch(model, data, train, { lr, rand, velocity });
      const held = evaluate(model, data, test);
      self.postMessage({ type: 'epoch', epoch, epochs, trainLoss, testLoss: held.loss, testAccuracy: held.accuracy, testCount: test.length });
      await new Promise((r) => setTimeout(r, 0)); // let each epoch's message out before the next
    }
    self.postMessage({ type: 'done', W: model.W, bias: model.bias });
  } catch (err) {
    self.postMessage({ type: 'error', message: `${err.name}: ${err.message}` });
  }
};
