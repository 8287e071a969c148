// The module worker: the same import, the same computation.
import { init, logSoftmax } from 'logsoftmax';
import { compute } from './compute.js';

self.onmessage = async ({ data }) => {
  try {
    self.postMessage(await compute({ init, logSoftmax }, data));
  } catch (err) {
    self.postMessage({ error: String(err?.stack ?? err) });
  }
};
