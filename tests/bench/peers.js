// The libraries a web developer would otherwise pick, as Node loads them;
// the adapters themselves are adapters.js's, shared with the browser page.
import * as ort from 'onnxruntime-web';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { onnxruntimeAdapter, tfjsAdapter } from './adapters.js';

ort.env.wasm.numThreads = 1; // single thread, like every other contender
ort.env.logLevel = 'error';

/** onnxruntime-web, wasm execution provider, one thread, float32. */
export const onnxruntime = onnxruntimeAdapter(ort);

export const tfjsWasm = tfjsAdapter(tf, 'wasm');
export const tfjsCpu = tfjsAdapter(tf, 'cpu');

/** Checks that tfjs runs the way we claim (SIMD on, no threads). */
export async function tfjsInfo() {
  await tf.setBackend('wasm');
  return {
    simd: tf.env().getBool('WASM_HAS_SIMD_SUPPORT'),
    threads: tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT'),
  };
}
