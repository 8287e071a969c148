// The peers' adapters, for any environment: given the onnxruntime-web or
// TensorFlow.js module (Node imports them by name, the browser page from
// node_modules), each returns a contender whose prepare(op, workload, data)
// gives {call, before?, release?} or {na: reason}.  A call does what a
// user's call does: wrap or copy the input in, compute, copy the result
// out, free what it made.
import { softmaxModel, logSumExpModel } from './onnx-model.js';
import { lastAxisView } from './workloads.js';

const ONNX_OP = { logSoftmax: 'LogSoftmax', softmax: 'Softmax' };

/** onnxruntime-web, wasm execution provider, float32 (its thread count is the caller's `ort.env` setting). */
export function onnxruntimeAdapter(ort) {
  return {
    id: 'ort-wasm',
    label: 'onnxruntime-web (wasm, 1 thread)',
    dtype: 'f32',
    async prepare(op, wl, data) {
      let shape = wl.shape, bytes;
      if (op === 'logSumExp') {
        bytes = logSumExpModel(shape, wl.axes);
      } else if (wl.axes.length === 1) {
        bytes = softmaxModel(ONNX_OP[op], shape, wl.axes[0]);
      } else {
        // opset 13 takes one axis; trailing axes reshape (for free) to one.
        const view = lastAxisView(wl);
        if (!view) return { na: 'opset 13 Softmax takes one axis' };
        shape = view;
        bytes = softmaxModel(ONNX_OP[op], shape, -1);
      }
      const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
      const x = data.x32;
      return {
        async call() {
          const { y } = await session.run({ x: new ort.Tensor('float32', x, shape) });
          return y.data;
        },
        release: () => session.release(),
      };
    },
  };
}

/** TensorFlow.js on one backend: tensors built and disposed inside the call. */
export function tfjsAdapter(tf, backend) {
  return {
    id: `tfjs-${backend}`,
    label: `TensorFlow.js ${backend} backend`,
    dtype: 'f32',
    async prepare(op, wl, data) {
      await tf.setBackend(backend);
      let shape = wl.shape, compute;
      if (op === 'logSumExp') {
        compute = (t) => tf.logSumExp(t, wl.axes);
      } else {
        // tf.softmax / tf.logSoftmax take only the last axis.
        shape = lastAxisView(wl);
        if (!shape) return { na: 'tf.softmax/tf.logSoftmax take only the last axis' };
        compute = op === 'softmax' ? (t) => tf.softmax(t) : (t) => tf.logSoftmax(t);
      }
      const x = data.x32;
      return {
        before: () => tf.setBackend(backend), // contenders take turns; tfjs has one global backend
        call() {
          const t = tf.tensor(x, shape, 'float32');
          const y = compute(t);
          const out = y.dataSync();
          t.dispose();
          y.dispose();
          return out;
        },
      };
    },
  };
}
