#!/usr/bin/env node
// node tests/with-relaxed-simd.js ARGS...: runs `node ARGS...` with relaxed
// SIMD enabled, so the tests and the benchmark cover the relaxed-SIMD build.
// Node 20 runs it only with --experimental-wasm-relaxed-simd; later Node runs
// it by default, and V8 drops such flags once a feature ships (Node then
// refuses them as bad options), so the flag is passed only where needed.
import { spawnSync } from 'node:child_process';
import { relaxedSimdSupported } from '../js/wasm.js';

const flags = relaxedSimdSupported() ? [] : ['--experimental-wasm-relaxed-simd'];
const { status, signal } = spawnSync(process.execPath, [...flags, ...process.argv.slice(2)], { stdio: 'inherit' });
if (signal) process.kill(process.pid, signal);
process.exit(status ?? 1);
