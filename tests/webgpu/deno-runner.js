// The Deno side of tests/webgpu.test.js (Deno's WebGPU is wgpu, here on
// Mesa's lavapipe): reads one encoded request a line on stdin, {cases,
// backends} or {contexts: true}, and answers each with one encoded line on
// stdout; also {convert} and {bufferCases} (see cases.js).  Run by
// tests/helpers/deno.js.
import { createGpu } from '../../js/webgpu.js';
import { makeContexts, runCases, runBufferCases, convertOnDevice, encode, decode } from './cases.js';

let gpus;
try {
  gpus = await makeContexts(createGpu);
} catch (err) {
  console.log(encode({ error: `${err.name}: ${err.message}` }));
  Deno.exit(1);
}
const adapter = await navigator.gpu.requestAdapter();
console.log(encode({ ready: true, adapter: adapter.info?.description ?? '' }));

const lines = Deno.stdin.readable.pipeThrough(new TextDecoderStream());
let pending = '';
for await (const chunk of lines) {
  pending += chunk;
  let nl;
  while ((nl = pending.indexOf('\n')) >= 0) {
    const request = decode(pending.slice(0, nl));
    pending = pending.slice(nl + 1);
    let reply;
    if (request.contexts) reply = Object.fromEntries(Object.entries(gpus).map(([name, gpu]) => [name, [gpu.passes, gpu.subgroups]]));
    else if (request.convert) reply = await convertOnDevice(gpus.subgroups.device, request.convert.fn, request.convert.input);
    else if (request.bufferCases) reply = await runBufferCases(gpus, request.bufferCases, request.backends);
    else reply = await runCases(gpus, request.cases, request.backends);
    console.log(encode(reply));
  }
}
