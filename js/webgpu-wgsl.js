// WGSL sources for the WebGPU path, generated per shape class.
//
// A reduction is planned by js/plan.js into slices (see c/blocks.h): slice s
// has `len` elements, and element k of it sits at
//   rows mode (inner == 1): outerOff(s) + redOff(k / run) + k % run
//   column mode (run == 1): outerOff(s / inner) + s % inner + redOff(k)
// where outerOff/redOff decode an index over the plan's outer and reduced
// dims.  A workgroup of WG threads holds C = WG / G slices with G threads
// each.  In rows mode a slice's threads are neighbours (lid = slot*G + lane),
// in column mode the slices are (lid = lane*C + slot), so that in both modes
// neighbouring threads read neighbouring addresses.  Column mode never needs
// a transposing copy.
//
// Two variants (createGpu's `passes`): three passes per slice (max and a
// NaN flag, a compensated sum of exp(x - m), the write), or an online pass
// (Milakov & Gimelshein 2018: running max and rescaled sum, merged across
// threads as pairs) followed by the write.  WGSL lets an implementation
// assume that no value is inf or NaN, so special values are recognised from
// bit patterns and the special outputs are produced from bit patterns too.

export const WG = 256;

// Bits, constants that must not be const-folded (a const-expression that
// evaluates to inf or NaN is a shader-creation error), and accurate exp/log:
// WGSL's builtin exp may be off by 3 + 2|x| ulp and its log by 2^-21
// absolute, too much for the float32 bounds (c/README.md).
const PRELUDE = /* wgsl */ `
var<private> POS_INF_BITS: u32 = 0x7f800000u;
var<private> NEG_INF_BITS: u32 = 0xff800000u;
var<private> NAN_BITS: u32 = 0x7fc00000u;
fn posInf() -> f32 { return bitcast<f32>(POS_INF_BITS); }
fn negInf() -> f32 { return bitcast<f32>(NEG_INF_BITS); }
fn nan() -> f32 { return bitcast<f32>(NAN_BITS); }
fn isNan(v: f32) -> bool { return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u; }
fn isPosInf(v: f32) -> bool { return bitcast<u32>(v) == 0x7f800000u; }
fn isNegInf(v: f32) -> bool { return bitcast<u32>(v) == 0xff800000u; }
fn isFinite(v: f32) -> bool { return (bitcast<u32>(v) & 0x7f800000u) != 0x7f800000u; }

// v itself, by a route no compiler can see through: an OR with a zero read
// from the parameters.  The error-free transformations below need their
// intermediate sums kept as rounded: a compiler free to reassociate float
// arithmetic (wgpu's SPIR-V on Mesa did) folds (a + b) - a to b and
// returns a correction of garbage.  Every kernel runs with P.nSlices >= 1.
fn keep(v: f32) -> f32 { return bitcast<f32>(bitcast<u32>(v) | (min(P.nSlices, 1u) ^ 1u)); }

// a + b = s + err exactly (Knuth's TwoSum; no ordering of |a|, |b| needed).
fn twoSum(a: f32, b: f32) -> vec2f {
  let s = keep(a + b);
  let bb = keep(s - a);
  return vec2f(s, (a - keep(s - bb)) + (b - bb));
}

// Compensated accumulation: acc = (hi, lo) with hi + lo the running sum.
fn accAdd(acc: vec2f, v: f32) -> vec2f {
  let t = twoSum(acc.x, v);
  return vec2f(t.x, acc.y + t.y);
}
fn accMerge(a: vec2f, b: vec2f) -> vec2f {
  let t = twoSum(a.x, b.x);
  return vec2f(t.x, t.y + (a.y + b.y));
}

// t + lo = x - m exactly; lo is 0 where t overflowed (the correction is NaN).
fn diffExact(x: f32, m: f32) -> vec2f {
  let t = keep(x - m);
  let mm = keep(t - x);
  let xx = keep(t - mm);
  let lo = (x - xx) - (m + mm);
  return vec2f(t, select(lo, 0.0, isNan(lo)));
}

// exp(t + lo) for t not NaN, |lo| <= ulp(t)/2: the polynomial exp of
// c/exp.h (Cody-Waite reduction, degree-5 fit, 2^n applied as two halves so
// that subnormal results round correctly where the device keeps them).
fn expLo(t0: f32, lo: f32) -> f32 {
  let t = min(max(t0, -104.0), 89.0);
  let n = round(t * 0x1.715476p+0);
  var r = t - n * 0x1.62e4p-1;
  r = r - n * 0x1.7f7d1cp-20;
  r = r + select(0.0, lo, t == t0); // a clamped t keeps no correction (lo can be ~1e31)
  var q = 0x1.6a1076p-10;
  q = q * r + 0x1.1245c8p-7;
  q = q * r + 0x1.55593cp-5;
  q = q * r + 0x1.555482p-3;
  q = q * r + 0x1.fffffcp-2;
  let p = 1.0 + (r + (r * r) * q);
  let ni = i32(n);
  let n1 = ni >> 1u;
  let n2 = ni - n1;
  return (p * bitcast<f32>(u32(n1 + 127) << 23u)) * bitcast<f32>(u32(n2 + 127) << 23u);
}

// log(x) for a positive normal x: musl's logf (< 1 ulp).  Its division only
// feeds a small correction term, so WGSL's 2.5-ulp division does no harm.
fn logPos(x: f32) -> f32 {
  var ix = bitcast<u32>(x) + (0x3f800000u - 0x3f3504f3u);
  let k = i32(ix >> 23u) - 0x7f;
  ix = (ix & 0x007fffffu) + 0x3f3504f3u;
  let f = bitcast<f32>(ix) - 1.0;
  let s = f / (2.0 + f);
  let z = s * s;
  let w = z * z;
  let t1 = w * (0x1.999c26p-2 + w * 0x1.f13c4cp-3);
  let t2 = z * (0x1.555554p-1 + w * 0x1.23d3dcp-2);
  let hfsq = 0.5 * f * f;
  let dk = f32(k);
  return s * (hfsq + (t2 + t1)) + dk * 0x1.2fefa2p-17 - hfsq + f + dk * 0x1.62e3p-1;
}

// log(hi + lo) for a compensated positive value (|lo| << hi).
fn logAcc(a: vec2f) -> f32 { return logPos(a.x) + a.y / a.x; }

// 1.0 that no compiler can see: with a literal 1.0, SwiftShader folded
// twoSum(1.0, q) to (1 + q, 0), losing q = 4e-18 entirely.  Every kernel
// runs with P.nSlices >= 1.
fn opaqueOne() -> f32 { return f32(min(P.nSlices, 1u)); }

// log1p(q) for q >= 0 held as (hi, lo): 1 + q is formed exactly first, so
// q = 4e-18 gives 4e-18, not 0 (scipy's logsumexp([0, -40])).
fn log1pAcc(q: vec2f) -> f32 {
  let u = twoSum(opaqueOne(), q.x);
  return logAcc(vec2f(u.x, u.y + q.y));
}
`;

/** WGSL that maps an index over `count` plan dims from `first` to an offset. */
function decodeFn(name, first, count, field = 'y') {
  const lines = [`fn ${name}(i: u32) -> u32 {`, '  var rem = i;', '  var off = 0u;'];
  for (let d = count - 1; d >= 1; d--) {
    lines.push(`  { let dim = P.dims[${first + d}]; off += (rem % dim.x) * dim.${field}; rem /= dim.x; }`);
  }
  // The slowest dim needs no modulo: the index is in range.
  if (count > 0) lines.push(`  off += rem * P.dims[${first}].${field};`);
  lines.push('  return off;', '}');
  return lines.join('\n');
}

// The uniforms: nSlices slices of len elements, two words of the kernel's
// own (webgpu.js blockParams, weightedParams), then one vec4u per plan dim.
const PARAMS = (nDims, words = 'inner: u32, run: u32') => /* wgsl */ `
struct Params {
  nSlices: u32, len: u32, ${words},
  dims: array<vec4u, ${Math.max(1, nDims)}>,
};
@group(0) @binding(2) var<uniform> P: Params;
`;

/**
 * The main kernel: log_softmax, softmax or (unweighted) logsumexp.
 * @param {{op: 'logSoftmax'|'softmax'|'logSumExp', cols: boolean, G: number,
 *          nOuter: number, nRed: number, subgroups: boolean, online?: boolean}} c
 *   `subgroups` is honoured only with G == WG (one slice per workgroup);
 *   `online` replaces the max and sum passes by one online pass.
 */
export function mainKernel({ op, cols, G, nOuter, nRed, subgroups, online = false }) {
  const sub = subgroups && G === WG;
  const lse = op === 'logSumExp';
  const C = WG / G;
  const element = cols
    ? 'base + redOff(k)'
    : nRed === 0 ? 'base + k' : 'base + redOff(k / P.run) + k % P.run';
  const sliceBase = cols ? 'outerOff(s / P.inner) + s % P.inner' : 'outerOff(s)';
  return /* wgsl */ `
${sub ? 'enable subgroups;\ndiagnostic(off, subgroup_uniformity);' : ''}
${PARAMS(nOuter + nRed)}
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
${lse ? '@group(0) @binding(3) var<storage, read_write> sgn: array<f32>;' : ''}
${PRELUDE}
${decodeFn('outerOff', 0, nOuter)}
${decodeFn('redOff', nOuter, nRed)}

const WG = ${WG}u;
const G = ${G}u;
const C = ${C}u;

var<workgroup> shF: array<f32, ${WG}>;
var<workgroup> shL: array<f32, ${WG}>;
var<workgroup> shU: array<u32, ${WG}>;
${online ? `var<workgroup> shM: array<f32, ${WG}>;\nvar<workgroup> shB: array<f32, ${WG}>;\nvar<workgroup> shV: array<u32, ${WG}>;` : ''}
${sub ? 'var<workgroup> slots: array<atomic<u32>, 2>;' : ''}

struct MaxR { m: f32, nan: u32 };
struct SumR { acc: vec2f, count: u32 };

fn at(slot: u32, lane: u32) -> u32 { return ${cols ? 'lane * C + slot' : 'slot * G + lane'}; }

${online ? ONLINE + (sub ? SUBGROUP_REDUCE_ONLINE : TREE_REDUCE_ONLINE) : sub ? SUBGROUP_REDUCE : TREE_REDUCE}

@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32
        ${sub ? ', @builtin(subgroup_invocation_id) sgi: u32, @builtin(subgroup_size) sgs: u32' : ''}) {
  // Dispatches over 65,535 workgroups are split over y.
  let group = wid.x + wid.y * nwg.x;
  if (group * C >= P.nSlices) { return; }
  let slot = ${cols ? 'lid % C' : 'lid / G'};
  let lane = ${cols ? 'lid / C' : 'lid % G'};
  let s = group * C + slot;
  let valid = s < P.nSlices;
  let base = select(0u, ${sliceBase}, valid);
  let len = select(0u, P.len, valid);

${online ? onlinePass(op, element, sub) : threePasses(op, element, sub)}
${lse ? LSE_FINISH : op === 'softmax' ? SOFTMAX_WRITE.replaceAll('ELEMENT', element) : LOG_SOFTMAX_WRITE.replaceAll('ELEMENT', element)}
}
`;
}

/**
 * Passes 1 and 2 of the three-pass variant; they leave the slice's max `m`,
 * `nanSlice`, `normal` (no NaN and a finite max) and `sr` (the sum and, for
 * logsumexp, the count of elements at the max) to the write.
 */
function threePasses(op, element, sub) {
  const lse = op === 'logSumExp';
  return /* wgsl */ `
  // Pass 1: max over the non-NaN elements, and whether there is a NaN.
  var m = negInf();
  var hasNan = 0u;
  for (var k = lane; k < len; k += G) {
    let v = x[${element}];
    if (isNan(v)) { hasNan = 1u; } else { m = max(m, v); }
  }
  let mr = reduceMax(lid, slot, lane, m, hasNan ${sub ? ', sgi, sgs' : ''});
  m = mr.m;
  let nanSlice = mr.nan != 0u;
  let normal = !nanSlice && isFinite(m);

  // Pass 2: sum of exp(x - m), compensated.${lse ? `  logsumexp leaves out the
  // terms at the max and counts them (scipy's log1p split).` : ''}
  var acc = vec2f(0.0, 0.0);
  var count = 0u;
  if (normal) {
    for (var k = lane; k < len; k += G) {
      let v = x[${element}];
      if (!isNegInf(v)) {
        ${lse ? 'if (v == m) { count += 1u; } else { acc = accAdd(acc, expLo(v - m, 0.0)); }'
    : op === 'softmax' ? 'let d = diffExact(v, m); acc = accAdd(acc, expLo(d.x, d.y));'
      : 'acc = accAdd(acc, expLo(v - m, 0.0));'}
      }
    }
  }
  let sr = reduceSum(lid, slot, lane, acc, count ${sub ? ', sgi, sgs' : ''});
`;
}

/**
 * The online pass: each thread folds its elements into an Online state,
 * the states are merged across the slice, and the write gets what
 * threePasses leaves it (m, nanSlice, normal, sr).
 */
function onlinePass(op, element, sub) {
  return /* wgsl */ `
  // One pass: running max and rescaled sum.  Every thread starts from the
  // same reference b, the slice's first element, so that for rows spanning
  // less than RESCALE above it the merges add sums without any rescaling.
  var st = Online(negInf(), negInf(), vec2f(0.0, 0.0), 0u, 0u);
  if (len > 0u) {
    let k = 0u;
    let v0 = x[${element}];
    if (isFinite(v0)) { st.b = v0; }
  }
  for (var k = lane; k < len; k += G) {
    st = onlineAdd(st, x[${element}]);
  }
  st = reduceOnline(lid, slot, lane, st ${sub ? ', sgi, sgs' : ''});
  let nanSlice = (st.flags & NAN_FLAG) != 0u;
  let m = select(st.m, posInf(), (st.flags & POS_INF_FLAG) != 0u);
  let normal = !nanSlice && isFinite(m);
  // What pass 2 leaves: logsumexp takes the sum below the max and the
  // count at it; the others add the count (exact 1s) to that sum.
  var sr = SumR(vec2f(0.0, 0.0), 0u);
  if (normal) {
    let below = onlineBelow(st);
    sr = ${op === 'logSumExp' ? 'SumR(below, st.cnt)' : 'SumR(accMerge(vec2f(f32(st.cnt), 0.0), below), st.cnt)'};
  }
`;
}

// The online state of a set of elements.  m: max of the finite ones (-inf if
// none).  b: the reference, finite once a finite element was seen, with
// b <= m < b + RESCALE, so no exp(x - b) overflows, even summed over 2^32
// elements.  acc: compensated sum of exp(x - b) over the finite x < m;
// cnt: how many equal m.  Keeping the elements at the max apart gives
// scipy's log1p split for logsumexp, and keeps exact 1s in the sum.
// flags: NAN_FLAG, POS_INF_FLAG (-inf elements add nothing).
//
// The reference moves only when a new max reaches b + RESCALE, to that max,
// and a rescale multiplies by exp(b_old - b_new), one rounding.  Moving it
// to every new max would round a growing row (sorted input) once per
// element.  A merge moves the lower reference up to the higher one.
const ONLINE = /* wgsl */ `
struct Online { m: f32, b: f32, acc: vec2f, cnt: u32, flags: u32 };
const NAN_FLAG = 1u;
const POS_INF_FLAG = 2u;
const RESCALE = 32.0;

// exp(v - b), fed the rounding error of v - b (as softmax's pass 2 does).
fn expDiff(v: f32, b: f32) -> f32 {
  let d = diffExact(v, b);
  return expLo(d.x, d.y);
}

// a * b = p + err exactly (Dekker's product, by Veltkamp splitting: WGSL's
// fma may be unfused).  |a| < 2^100 here, so the split cannot overflow.
fn split(a: f32) -> vec2f {
  let c = keep(4097.0 * a);
  let hi = keep(c - keep(c - a));
  return vec2f(hi, a - hi);
}
fn twoProd(a: f32, b: f32) -> vec2f {
  let p = keep(a * b);
  let A = split(a);
  let B = split(b);
  return vec2f(p, ((A.x * B.x - p) + A.x * B.y + A.y * B.x) + A.y * B.y);
}

// acc * f with only f's own rounding: the product's is kept in lo.
fn accScale(acc: vec2f, f: f32) -> vec2f {
  let p = twoProd(acc.x, f);
  return vec2f(p.x, p.y + acc.y * f);
}

// s's sum below the max m, referred to b >= s.b: its acc rescaled, plus
// its elements at s.m where s.m is no longer the max.
fn rebase(s: Online, m: f32, b: f32) -> vec2f {
  var acc = s.acc;
  // A state with b = -inf has seen no finite element: acc is 0, and
  // exp(-inf - b) must not be evaluated (-inf - -inf is NaN).
  if (s.b != b && !isNegInf(s.b)) { acc = accScale(acc, expDiff(s.b, b)); }
  if (s.m != m && s.cnt != 0u) { acc = accAdd(acc, f32(s.cnt) * expDiff(s.m, b)); }
  return acc;
}

fn onlineAdd(s: Online, v: f32) -> Online {
  var r = s;
  if (isNan(v)) {
    r.flags |= NAN_FLAG;
  } else if (isPosInf(v)) {
    r.flags |= POS_INF_FLAG;
  } else if (isNegInf(v)) {
    // exp(-inf) = 0: nothing to add.
  } else if (v > r.m) {
    let b = select(r.b, v, isNegInf(r.b) || v >= r.b + RESCALE);
    r.acc = rebase(r, v, b);
    r.b = b;
    r.m = v;
    r.cnt = 1u;
  } else if (v == r.m) {
    r.cnt += 1u;
  } else {
    r.acc = accAdd(r.acc, expDiff(v, r.b));
  }
  return r;
}

// Milakov & Gimelshein's (m, s) merge, on the split state.  Two states
// with no finite element (m = b = -inf) merge without any exp.
fn onlineMerge(a: Online, c: Online) -> Online {
  let m = max(a.m, c.m);
  let b = max(a.b, c.b);
  let cnt = select(0u, a.cnt, a.m == m) + select(0u, c.cnt, c.m == m);
  return Online(m, b, accMerge(rebase(a, m, b), rebase(c, m, b)), cnt, a.flags | c.flags);
}

// The slice's sum of exp(x - m) over its finite x below the max m.
fn onlineBelow(s: Online) -> vec2f {
  if (s.b == s.m) { return s.acc; }
  return accScale(s.acc, expDiff(s.b, s.m));
}

fn storeOnline(i: u32, s: Online) {
  shM[i] = s.m;
  shB[i] = s.b;
  shF[i] = s.acc.x;
  shL[i] = s.acc.y;
  shU[i] = s.cnt;
  shV[i] = s.flags;
}
fn loadOnline(i: u32) -> Online {
  return Online(shM[i], shB[i], vec2f(shF[i], shL[i]), shU[i], shV[i]);
}
`;

// Segmented tree merge in workgroup memory (see TREE_REDUCE): half the
// barriers of the max and sum reductions together.
const TREE_REDUCE_ONLINE = /* wgsl */ `
fn reduceOnline(lid: u32, slot: u32, lane: u32, s: Online) -> Online {
  storeOnline(lid, s);
  workgroupBarrier();
  for (var w = G / 2u; w > 0u; w >>= 1u) {
    if (lane < w) {
      storeOnline(lid, onlineMerge(loadOnline(lid), loadOnline(at(slot, lane + w))));
    }
    workgroupBarrier();
  }
  let r = loadOnline(at(slot, 0u));
  workgroupBarrier();
  return r;
}
`;

// One slice per workgroup (see SUBGROUP_REDUCE): a butterfly of merges in
// each subgroup, then every thread merges the subgroups' partials.
const SUBGROUP_REDUCE_ONLINE = /* wgsl */ `
fn shuffleOnline(s: Online, o: u32) -> Online {
  return Online(subgroupShuffleXor(s.m, o), subgroupShuffleXor(s.b, o),
                vec2f(subgroupShuffleXor(s.acc.x, o), subgroupShuffleXor(s.acc.y, o)),
                subgroupShuffleXor(s.cnt, o), subgroupShuffleXor(s.flags, o));
}

fn reduceOnline(lid: u32, slot: u32, lane: u32, s0: Online, sgi: u32, sgs: u32) -> Online {
  var s = s0;
  for (var o = 1u; o < sgs; o <<= 1u) { s = onlineMerge(s, shuffleOnline(s, o)); }
  if (sgi == 0u) { storeOnline(atomicAdd(&slots[0], 1u), s); }
  workgroupBarrier();
  var r = loadOnline(0u);
  let parts = WG / sgs;
  for (var k = 1u; k < parts; k++) { r = onlineMerge(r, loadOnline(k)); }
  workgroupBarrier();
  return r;
}
`;

// Segmented tree reductions in workgroup memory: lane 0..G-1 of each slot.
// Every thread returns its slot's result.  The loops are uniform (G is a
// constant), so the barriers are too.
const TREE_REDUCE = /* wgsl */ `
fn reduceMax(lid: u32, slot: u32, lane: u32, m: f32, flag: u32) -> MaxR {
  shF[lid] = m;
  shU[lid] = flag;
  workgroupBarrier();
  for (var w = G / 2u; w > 0u; w >>= 1u) {
    if (lane < w) {
      let o = at(slot, lane + w);
      shF[lid] = max(shF[lid], shF[o]);
      shU[lid] = shU[lid] | shU[o];
    }
    workgroupBarrier();
  }
  let r = MaxR(shF[at(slot, 0u)], shU[at(slot, 0u)]);
  workgroupBarrier();
  return r;
}

fn reduceSum(lid: u32, slot: u32, lane: u32, acc: vec2f, count: u32) -> SumR {
  shF[lid] = acc.x;
  shL[lid] = acc.y;
  shU[lid] = count;
  workgroupBarrier();
  for (var w = G / 2u; w > 0u; w >>= 1u) {
    if (lane < w) {
      let o = at(slot, lane + w);
      let t = accMerge(vec2f(shF[lid], shL[lid]), vec2f(shF[o], shL[o]));
      shF[lid] = t.x;
      shL[lid] = t.y;
      shU[lid] = shU[lid] + shU[o];
    }
    workgroupBarrier();
  }
  let i = at(slot, 0u);
  let r = SumR(vec2f(shF[i], shL[i]), shU[i]);
  workgroupBarrier();
  return r;
}
`;

// One slice per workgroup: reduce inside each subgroup, then combine the
// subgroups' partials.  WGSL does not say how invocations map to subgroups,
// so each subgroup takes a partial slot by an atomic counter instead of
// assuming lid / subgroup_size.  The max is exact in any order; the sum
// partials are compensated, so their order only touches bits far below
// float32 precision.
const SUBGROUP_REDUCE = /* wgsl */ `
fn reduceMax(lid: u32, slot: u32, lane: u32, m: f32, flag: u32, sgi: u32, sgs: u32) -> MaxR {
  let sm = subgroupMax(m);
  let sf = subgroupOr(flag);
  if (sgi == 0u) {
    let k = atomicAdd(&slots[0], 1u);
    shF[k] = sm;
    shU[k] = sf;
  }
  workgroupBarrier();
  var r = negInf();
  var f = 0u;
  let n = WG / sgs;
  for (var k = 0u; k < n; k++) { r = max(r, shF[k]); f = f | shU[k]; }
  workgroupBarrier();
  return MaxR(r, f);
}

fn reduceSum(lid: u32, slot: u32, lane: u32, acc0: vec2f, count: u32, sgi: u32, sgs: u32) -> SumR {
  var acc = acc0;
  for (var o = 1u; o < sgs; o <<= 1u) {
    acc = accMerge(acc, vec2f(subgroupShuffleXor(acc.x, o), subgroupShuffleXor(acc.y, o)));
  }
  let c = subgroupAdd(count);
  if (sgi == 0u) {
    let k = atomicAdd(&slots[1], 1u);
    shF[k] = acc.x;
    shL[k] = acc.y;
    shU[k] = c;
  }
  workgroupBarrier();
  var total = vec2f(0.0, 0.0);
  var n = 0u;
  let parts = WG / sgs;
  for (var k = 0u; k < parts; k++) { total = accMerge(total, vec2f(shF[k], shL[k])); n += shU[k]; }
  workgroupBarrier();
  return SumR(total, n);
}
`;

const LOG_SOFTMAX_WRITE = /* wgsl */ `
  // Pass 3: y = (x - m) - log S (not x - (m + log S), which loses x - m's digits for large |m|).  scipy
  // replaces a non-finite max by 0, which leaves NaN where x = +inf or all
  // of x is -inf, and -inf elsewhere in a slice holding +inf.
  let logS = logAcc(sr.acc);
  for (var k = lane; k < len; k += G) {
    let i = ELEMENT;
    let v = x[i];
    var r: f32;
    if (normal) {
      r = select((v - m) - logS, negInf(), isNegInf(v));
    } else if (isPosInf(m) && !nanSlice) {
      r = select(negInf(), nan(), isPosInf(v));
    } else {
      r = nan();
    }
    y[i] = r;
  }`;

const SOFTMAX_WRITE = /* wgsl */ `
  // Pass 3: y = exp(x - m) / S, recomputing the exp (one read of x is
  // cheaper than a store and a re-read of y).  No finite-max guard in
  // scipy's softmax: a NaN, +inf or all -inf slice is all NaN.
  let S = sr.acc.x + sr.acc.y;
  for (var k = lane; k < len; k += G) {
    let i = ELEMENT;
    let v = x[i];
    var r = nan();
    if (normal) {
      let d = diffExact(v, m);
      r = select(expLo(d.x, d.y) / S, 0.0, isNegInf(v));
    }
    y[i] = r;
  }`;

const LSE_FINISH = /* wgsl */ `
  // log1p(s / c) + log(c) + m, with s the sum below the max and c the
  // number of elements at it; scipy's fallback log(sum(exp(x))) for a
  // non-finite max gives +inf (max +inf), -inf (all -inf) or NaN.
  if (lane == 0u && valid) {
    var r = nan();
    var sign = nan();
    if (normal) {
      let c = f32(sr.count);
      var q = sr.acc;
      if (c != 1.0) { q = q / c; }
      r = (log1pAcc(q) + logPos(c)) + m;
      sign = 1.0;
    } else if (!nanSlice) {
      r = m;
      sign = select(0.0, 1.0, isPosInf(m));
    }
    y[s] = r;
    sgn[s] = sign;
  }`;

/**
 * Weighted logsumexp, one thread per slice (weighted calls are rare).
 * scipy's float32 steps decide which special value, if any, comes out; a
 * finite result is log|sum b e^a| computed accurately instead.  Plan dims
 * are (size, strideA, strideB): see planWeighted in js/plan.js.
 *
 * The device may flush subnormals, so a weight's magnitude is read from its
 * bits as m * 2^e, and every term b e^(a - top) is built as (m p) 2^(e + n)
 * from exp's own p 2^n: a subnormal weight or a subnormal exp keeps its
 * value.  Slices whose weights are all below 2^-60 are summed scaled by
 * 2^-S (S their largest exponent), which keeps scipy's decisions on them
 * (a sum of subnormal weights is not 0).
 */
export function weightedKernel({ nOuter, nRed }) {
  return /* wgsl */ `
${PARAMS(nOuter + nRed, 'wantSign: u32, unused: u32')}
@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<storage, read_write> sgn: array<f32>;
@group(0) @binding(4) var<storage, read> b: array<f32>;
${PRELUDE}
${decodeFn('outerA', 0, nOuter, 'y')}
${decodeFn('outerB', 0, nOuter, 'z')}
${decodeFn('redA', nOuter, nRed, 'y')}
${decodeFn('redB', nOuter, nRed, 'z')}

fn signOf(v: f32) -> f32 {
  if (isNan(v)) { return nan(); }
  return select(select(0.0, -1.0, v < 0.0), 1.0, v > 0.0);
}
fn isZero(v: f32) -> bool { return (bitcast<u32>(v) & 0x7fffffffu) == 0u; }

// |w| = m 2^e for a finite non-zero weight, from its bits: m in [1, 2), or
// the integer significand of a subnormal.
struct W { m: f32, e: i32 };
fn weightParts(bits: u32) -> W {
  let ex = (bits >> 23u) & 0xffu;
  if (ex == 0u) { return W(f32(bits & 0x7fffffu), -149); }
  return W(bitcast<f32>((bits & 0x7fffffu) | 0x3f800000u), i32(ex) - 127);
}
// floor(log2 |w|) for a finite non-zero weight.
fn weightExp(bits: u32) -> i32 {
  let ex = (bits >> 23u) & 0xffu;
  if (ex == 0u) { return i32(firstLeadingBit(bits & 0x7fffffu)) - 149; }
  return i32(ex) - 127;
}
fn pow2(e: i32) -> f32 { return bitcast<f32>(u32(e + 127) << 23u); }
// q 2^e in three steps, so that no factor leaves the normal range; 0 where
// it falls below it (only ever next to terms 2^100 times larger).
fn scale2(q: f32, e: i32) -> f32 {
  let c = clamp(e, -378, 381);
  let e1 = c / 3;
  let e2 = (c - e1) / 2;
  return ((q * pow2(e1)) * pow2(e2)) * pow2(c - e1 - e2);
}

// exp(t + lo) = p 2^n (expLo's steps, over a wider range and without
// applying 2^n).  Returns (p, n).
fn expParts(t0: f32, lo: f32) -> vec2f {
  let t = min(max(t0, -250.0), 89.0);
  let n = round(t * 0x1.715476p+0);
  var r = t - n * 0x1.62e4p-1;
  r = r - n * 0x1.7f7d1cp-20;
  r = r + select(0.0, lo, t == t0);
  var q = 0x1.6a1076p-10;
  q = q * r + 0x1.1245c8p-7;
  q = q * r + 0x1.55593cp-5;
  q = q * r + 0x1.555482p-3;
  q = q * r + 0x1.fffffcp-2;
  return vec2f(1.0 + (r + (r * r) * q), n);
}

// b e^(a - ref) 2^-S for a finite non-zero weight's bits.
fn term(bits: u32, p: vec2f, S: i32) -> f32 {
  let w = weightParts(bits);
  let v = scale2(w.m * p.x, w.e + i32(p.y) - S);
  return select(v, -v, (bits >> 31u) != 0u);
}

// What scipy's float32 fallback sum(b * exp(a)) makes of its special terms:
// NO_SPECIAL, SUM_NAN, SUM_POS_INF or SUM_NEG_INF.  exp(a) is inf above
// 88.72283 and 0 below -103.97208 in float32; 0 * inf and inf * 0 are NaN.
// (A code, not a value: comparisons with NaN are not to be trusted.)
const NO_SPECIAL = 0u;
const SUM_NAN = 1u;
const SUM_POS_INF = 2u;
const SUM_NEG_INF = 3u;
fn specialTerms(oa: u32, ob: u32) -> u32 {
  var nanSeen = false;
  var pos = false;
  var neg = false;
  for (var k = 0u; k < P.len; k++) {
    let av = a[oa + redA(k)];
    let bv = b[ob + redB(k)];
    let bits = bitcast<u32>(bv);
    let expInf = isPosInf(av) || (isFinite(av) && av > 88.72283);
    let expZero = isNegInf(av) || (isFinite(av) && av < -103.97208);
    if (isNan(av) || isNan(bv)) { nanSeen = true; }
    else if (isZero(bv)) { nanSeen = nanSeen || expInf; }
    else if (expInf || (!isFinite(bv) && !expZero)) {
      if ((bits >> 31u) != 0u) { neg = true; } else { pos = true; }
    } else if (!isFinite(bv)) { nanSeen = true; }
  }
  if (nanSeen || (pos && neg)) { return SUM_NAN; }
  if (pos) { return SUM_POS_INF; }
  if (neg) { return SUM_NEG_INF; }
  return NO_SPECIAL;
}

// log of a special sum (log|sum| with the sign): log(-inf) is NaN.
fn writeSpecial(s: u32, code: u32, wantSign: bool) {
  if (code == SUM_NAN) {
    y[s] = nan();
    sgn[s] = nan();
  } else if (code == SUM_POS_INF) {
    y[s] = posInf();
    sgn[s] = 1.0;
  } else if (code == SUM_NEG_INF) {
    y[s] = select(nan(), posInf(), wantSign);
    sgn[s] = -1.0;
  } else { // no special term, no finite one either: the sum is 0
    y[s] = negInf();
    sgn[s] = 0.0;
  }
}

// log|t| + S ln2 + top for a compensated non-zero sum t scaled by 2^-S.
fn logScaled(t: vec2f, S: i32, top: f32) -> f32 {
  let mag = select(-t, t, t.x > 0.0);
  let s = f32(S);
  return ((logAcc(mag) + s * 0x1.7f7d1cp-20) + s * 0x1.62e4p-1) + top;
}

@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let s = gid.x + gid.y * nwg.x * ${WG}u;
  if (s >= P.nSlices) { return; }
  let oa = outerA(s);
  let ob = outerB(s);
  let wantSign = P.wantSign != 0u;

  // The max over entries with b != 0 (b == 0 masks a out), and what makes
  // scipy's stable form non-finite for sure: a NaN or +inf max, no finite
  // entry, or an inf or NaN weight (b * 0 is NaN in m).
  var top = negInf();
  var special = false;
  var topExp = -1000;
  for (var k = 0u; k < P.len; k++) {
    let bits = bitcast<u32>(b[ob + redB(k)]);
    if ((bits & 0x7fffffffu) == 0u) { continue; }
    if ((bits & 0x7f800000u) == 0x7f800000u) { special = true; continue; }
    topExp = max(topExp, weightExp(bits));
    let av = a[oa + redA(k)];
    if (isNan(av) || isPosInf(av)) { special = true; } else if (!isNegInf(av)) { top = max(top, av); }
  }
  if (special || !isFinite(top)) {
    writeSpecial(s, specialTerms(oa, ob), wantSign);
    return;
  }

  // scipy's float32 m (weights at the max), s (the rest, scaled by
  // e^-top) and direct sum d = sum(b * exp(a)), all scaled by 2^-S; t is
  // the accurate m + s.  -inf entries add 0 to all of them.
  let S = select(0, topExp, topExp < -60);
  var m = 0.0;
  var rest = 0.0;
  var d = 0.0;
  var t = vec2f(0.0, 0.0);
  for (var k = 0u; k < P.len; k++) {
    let bits = bitcast<u32>(b[ob + redB(k)]);
    let av = a[oa + redA(k)];
    if ((bits & 0x7fffffffu) == 0u || isNegInf(av)) { continue; }
    var v: f32;
    if (av == top) {
      v = term(bits, vec2f(1.0, 0.0), S);
      m = m + v;
    } else {
      let dx = diffExact(av, top);
      v = term(bits, expParts(dx.x, dx.y), S);
      rest = rest + v;
    }
    t = accAdd(t, v);
    if (av <= 88.72283) { d = d + term(bits, expParts(av, 0.0), S); }
  }

  // out = log1p(s / m) + log|m| + top, finite unless m is 0 or inf, s or
  // s / m is not finite, s / m == -1, or (without the sign) the sign is -1.
  let q = select(rest / m, 0.0, isZero(rest));
  let above = select((rest < -m), (rest > -m), m > 0.0); // s / m > -1, exactly
  let sign = select(select(-1.0, 0.0, rest == -m), 1.0, isZero(rest) || above) * signOf(m);
  if (!isZero(m) && isFinite(m) && isFinite(rest) && isFinite(q) && !(rest == -m && !isZero(rest)) &&
      (wantSign || sign > 0.0)) {
    y[s] = logScaled(t, S, top);
    sgn[s] = sign;
    return;
  }
  // scipy's fallback: log(d), or log|d| and sign(d).
  let code = specialTerms(oa, ob);
  if (code != NO_SPECIAL || isZero(d) || isZero(t.x)) {
    writeSpecial(s, code, wantSign);
  } else if (!isFinite(d)) {
    y[s] = select(nan(), posInf(), wantSign || d > 0.0);
    sgn[s] = signOf(d);
  } else {
    y[s] = select(nan(), logScaled(t, S, top), wantSign || d > 0.0);
    sgn[s] = signOf(d);
  }
}
`;
}

// ------------------------------------------------ half precision, masks ---
//
// Small element-wise passes around the main kernels, for half-precision
// operands and results and for `where` masks.  They move bit patterns only,
// with integer operations: no float arithmetic happens in them, so a device
// that flushes subnormals or assumes no inf or NaN cannot change a value.
// Half-precision data is packed two to a u32 (element 2w in the low half of
// word w, as a little-endian Uint16Array lays it out); a mask is one byte per
// element, four to a word.  Neither needs the shader-f16 feature.

// float16 and bfloat16 to float32 bits, exactly (every value of either is a
// float32, float16's subnormals as normal float32s), and float32 to each of
// them, rounded to nearest, ties to even.  WGSL's pack2x16float may round
// either way and need not keep inf, NaN or subnormals, hence these.
// Exported for the tests, which run them on every float16 and bfloat16
// value and on the midpoints between them.
export const HALF_BITS = /* wgsl */ `
fn f16ToF32(h: u32) -> u32 {
  let s = (h & 0x8000u) << 16u;
  let e = (h >> 10u) & 0x1fu;
  let m = h & 0x3ffu;
  if (e == 0x1fu) { return s | 0x7f800000u | (m << 13u); } // inf, or NaN with its payload
  if (e != 0u) { return s | ((e + 112u) << 23u) | (m << 13u); }
  if (m == 0u) { return s; }
  // A subnormal m 2^-24 is 2^(p-24) (m / 2^p), p its leading bit: normal in float32.
  let p = firstLeadingBit(m);
  return s | ((p + 103u) << 23u) | ((m << (23u - p)) & 0x7fffffu);
}

fn bf16ToF32(h: u32) -> u32 { return h << 16u; }

fn f32ToF16(b: u32) -> u32 {
  let s = (b >> 16u) & 0x8000u;
  let a = b & 0x7fffffffu;
  if (a > 0x7f800000u) { return s | 0x7e00u | ((a >> 13u) & 0x3ffu); } // NaN stays NaN (quiet)
  if (a >= 0x477ff000u) { return s | 0x7c00u; } // |v| >= 65520, the midpoint above 65504, and inf: inf
  if (a >= 0x38800000u) {
    // Normal in float16 (>= 2^-14): rebias the exponent by 127 - 15 and round
    // the 13 dropped bits; a carry out of the fraction moves into the exponent.
    let t = a - 0x38000000u;
    return s | ((t + 0xfffu + ((t >> 13u) & 1u)) >> 13u);
  }
  // Below 2^-25, the midpoint between 0 and the smallest subnormal 2^-24
  // (which ties to even: 0): zero, with its sign.
  if (a < 0x33000000u) { return s; }
  // Subnormal in float16: the value in units of 2^-24 is the 24-bit
  // significand shifted right by 126 - e (14 to 24); 1024 units, reached by
  // rounding up, are the bits of the smallest normal, 2^-14.
  let sh = 126u - (a >> 23u);
  let sig = (a & 0x7fffffu) | 0x800000u;
  let q = sig >> sh;
  let rem = sig & ((1u << sh) - 1u);
  let half = 1u << (sh - 1u);
  return s | (q + select(0u, 1u, rem > half || (rem == half && (q & 1u) == 1u)));
}

fn f32ToBf16(b: u32) -> u32 {
  if ((b & 0x7fffffffu) > 0x7f800000u) { return (b >> 16u) | 0x40u; } // NaN stays NaN (quiet)
  // Round the low 16 bits to nearest even; the largest finite values round
  // up into inf's bits, which is round-to-nearest's overflow.
  return (b + 0x7fffu + ((b >> 16u) & 1u)) >> 16u;
}
`;

const ELEMENTWISE_PARAMS = /* wgsl */ `
struct Params { n: u32, fill: u32, unused0: u32, unused1: u32 };
@group(0) @binding(2) var<uniform> P: Params;
`;

const MASK = /* wgsl */ `
@group(0) @binding(3) var<storage, read> keep: array<u32>;
fn kept(i: u32) -> bool { return ((keep[i >> 2u] >> ((i & 3u) * 8u)) & 0xffu) != 0u; }
`;

/**
 * Prepares an operand for the main kernels as float32: widens packed
 * half-precision values (`src` 'f16' or 'bf16'; 'f32' copies), and with
 * `mask` writes -inf where the mask is 0, so that those entries take no
 * part in the max or the sum.  One thread per element; writes a staging
 * buffer, never the caller's input.
 */
export function prepKernel({ src, mask }) {
  const value = src === 'f32' ? 'src[i]' : `${src}ToF32((src[i >> 1u] >> ((i & 1u) * 16u)) & 0xffffu)`;
  return /* wgsl */ `
${ELEMENTWISE_PARAMS}
@group(0) @binding(0) var<storage, read> src: array<u32>;
@group(0) @binding(1) var<storage, read_write> dst: array<u32>;
${mask ? MASK : ''}
${HALF_BITS}

@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * ${WG}u;
  if (i >= P.n) { return; }
  ${mask ? `dst[i] = select(0xff800000u, ${value}, kept(i));` : `dst[i] = ${value};`}
}
`;
}

/**
 * Finishes a result: with `mask`, the masked entries become P.fill (float32
 * bits: 0 for softmax, -inf for log_softmax), whatever the kernel made of
 * them; with `dst` 'f16' or 'bf16', the float32 results are rounded once and
 * packed, one thread per word.  With `dst` 'f32' it works in place.  An odd
 * count's last word keeps its upper half as it was: that half lies past the
 * result, and may be the caller's.
 */
export function finishKernel({ dst, mask }) {
  const masked = (v) => (mask ? `select(P.fill, ${v}, kept(i))` : v);
  if (dst === 'f32') {
    return /* wgsl */ `
${ELEMENTWISE_PARAMS}
@group(0) @binding(1) var<storage, read_write> y: array<u32>;
${MASK}

@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * ${WG}u;
  if (i >= P.n) { return; }
  if (!kept(i)) { y[i] = P.fill; }
}
`;
  }
  return /* wgsl */ `
${ELEMENTWISE_PARAMS}
@group(0) @binding(0) var<storage, read> src: array<u32>;
@group(0) @binding(1) var<storage, read_write> dst: array<u32>;
${mask ? MASK : ''}
${HALF_BITS}

fn narrowed(i: u32) -> u32 { return ${dst === 'f16' ? 'f32ToF16' : 'f32ToBf16'}(${masked('src[i]')}); }

@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let w = gid.x + gid.y * nwg.x * ${WG}u;
  let i = 2u * w;
  if (i >= P.n) { return; }
  var hi = dst[w] >> 16u;
  if (i + 1u < P.n) { hi = narrowed(i + 1u); }
  dst[w] = narrowed(i) | (hi << 16u);
}
`;
}
