// The page: the package imported as a new user would, and a module worker
// started the way bundlers recognise (new URL(..., import.meta.url) written
// inside new Worker()).
import { init, logSoftmax } from 'logsoftmax';
import { compute } from './compute.js';

window.app = {
  compute: (input) => compute({ init, logSoftmax }, input),
  computeInWorker(input) {
    const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
    return new Promise((resolve, reject) => {
      worker.onmessage = ({ data }) => (data.error ? reject(new Error(data.error)) : resolve(data));
      worker.onerror = (e) => reject(new Error(`worker: ${e.message}`));
      worker.postMessage(input);
    }).finally(() => worker.terminate());
  },
};
document.body.dataset.ready = 'true';
