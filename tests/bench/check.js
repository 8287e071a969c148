// The benchmark's sanity check, shared by the Node run (run.js) and the
// browser page (browser.js): catches a wrong axis or a broken adapter, not
// accuracy (the accuracy tests do that).

/** null if `out` is within the sanity tolerance of the float64 reference `ref`, else what is off. */
export function checkOutput(op, out, ref) {
  const got = typeof out === 'number' ? [out] : out;
  if (got.length !== ref.length) return `length ${got.length}, expected ${ref.length}`;
  const scale = ref.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  for (let i = 0; i < ref.length; i++) {
    const tol = op === 'softmax' ? 1e-3 * Math.abs(ref[i]) + 1e-6 * scale : 2e-3 * Math.max(1, Math.abs(ref[i]));
    if (got[i] !== ref[i] && !(Math.abs(got[i] - ref[i]) <= tol)) return `element ${i} is ${got[i]}, expected ${ref[i]}`;
  }
  return null;
}
