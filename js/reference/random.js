// The seeded random numbers of the tests and the playground: the same seed
// gives the same logits in Node, Deno and every browser, so a failing case
// can be regenerated from its seed.  Not part of the published package
// (package.json "files" takes only the top level of js/).

/** A seeded PRNG (mulberry32): returns () => uniform in [0, 1). */
export function seededRandom(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A standard normal deviate from a uniform source (Box–Muller). */
export function normal(rand) {
  const u = 1 - rand(); // (0, 1]: log(u) is finite
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}

/**
 * `n` random logits, normal with standard deviation `sd` around `mean`; a
 * fraction `masked` of them (at random positions) is -inf.
 * @returns {Float64Array}
 */
export function randomLogits(rand, n, { sd = 5, mean = 0, masked = 0 } = {}) {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = rand() < masked ? -Infinity : mean + sd * normal(rand);
  return out;
}
