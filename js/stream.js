// The streamed path: inputs larger than STREAM_MIN go through wasm memory a
// cache window at a time, so that memory stays bounded and each block is
// worked on while it is in cache.
//
// For a worker pool (or anything else that splits a reduction): the state
// of a slice is four float64s, [m, k, s, comp], in a Float64Array of
// STATE * slices:
//   m     the slice's max so far (NaN ignored; -inf before any element)
//   k     how many elements equal m (0 where m is not finite)
//   s     sum of exp(x - m) over the other elements, in double
//   comp  s's running compensation (TwoSum), so S = k + s + comp
// partialState() computes a block's states with the kernels (c/stream.h);
// mergeStates() folds one set into another; any order of merges gives the
// same result within the error below.  The write pass (writeFromStates)
// and finishLogSumExp() take merged states.  A NaN makes s NaN, which every
// merge keeps; m = +inf leaves s = inf, m = -inf leaves s = 0.
//
// Merge numerics (c/README.md, "Streaming"): m = max(m1, m2); the smaller
// side's k + s + comp is rescaled by exp(m_small - m), with m_small - m
// split exactly (TwoSum) into d + lo and exp(d + lo) taken as
// exp(d) (1 + lo); sums are added with TwoSum into (s, comp).  Merges of
// states with the same max add exactly but for the compensation's own
// 2^-106; each rescale costs its rescaled part at most ~2^-51 relative (the
// exp's ulp, one product, one sum).
import { planBlocks, encodeBlocks } from './plan.js';
import { STREAM, KERNELS } from './exports.js';
import { BYTES, align16 } from './stage.js';

export const STATE = 4;

/** Inputs of more bytes than this stream (smaller ones take one kernel call, as before). */
export const STREAM_MIN = 4 * 1024 * 1024;
/** Bytes of input a block takes: half of a typical L2, so a block and its outputs stay there between passes (README, "Memory"). */
export const WINDOW = 256 * 1024;

// Tests shrink both to exercise block edges on small inputs.
let streamMin = STREAM_MIN, windowBytes = WINDOW;
/** For tests only: the threshold and window, in bytes (no arguments restores the defaults). */
export function setStreamWindow(window = WINDOW, min = STREAM_MIN) {
  windowBytes = window;
  streamMin = min;
}

/** Whether a plain (float32/float64, unmasked) call of this many bytes streams. */
export const streams = (bytes) => bytes > streamMin;

/** States for `n` slices, each as nothing seen yet. */
export function emptyStates(n) {
  const st = new Float64Array(STATE * n);
  for (let i = 0; i < st.length; i += STATE) st[i] = -Infinity;
  return st;
}

/** exp(a - b) for a < b, with a - b split exactly into d + lo. */
function scale(a, b) {
  if (a === b) return 1;
  const d = a - b;
  if (d === -Infinity) return 0;
  const bb = d - a, lo = (a - (d - bb)) + (-b - bb);
  return Math.exp(d) * (1 + lo);
}

/** (s, comp) += v at a[i + 2], a[i + 3], by TwoSum; an infinite or NaN sum leaves comp as it is. */
function addInto(a, i, v) {
  const s0 = a[i + 2], s = s0 + v, bb = s - s0, err = (s0 - (s - bb)) + (v - bb);
  a[i + 2] = s;
  if (err === err) a[i + 3] += err;
}

/**
 * Folds `count` states of b (from slice bi) into a (from slice ai).
 * @param {Float64Array} a
 * @param {Float64Array} b
 */
export function mergeStates(a, b, ai = 0, bi = 0, count = Math.min(a.length / STATE - ai, b.length / STATE - bi)) {
  for (let n = 0; n < count; n++) {
    const i = STATE * (ai + n), j = STATE * (bi + n);
    const m1 = a[i], m2 = b[j];
    if (m1 === m2) {
      a[i + 1] += b[j + 1];
      addInto(a, i, b[j + 2]);
      addInto(a, i, b[j + 3]);
    } else if (m2 < m1) {
      addInto(a, i, (b[j + 1] + b[j + 2] + b[j + 3]) * scale(m2, m1));
    } else {
      const old = (a[i + 1] + a[i + 2] + a[i + 3]) * scale(m1, m2);
      a[i] = m2, a[i + 1] = b[j + 1], a[i + 2] = b[j + 2], a[i + 3] = b[j + 3];
      addInto(a, i, old);
    }
  }
  return a;
}

/**
 * The states of every slice of `data` (a Float32Array or Float64Array laid
 * out in C order as `shape`) reduced over `axes`, by one kernel call.
 * @param {{exports: object, reserve: Function, heap: Function}} k js/wasm.js's kernels
 */
export function partialState(k, data, shape, axes) {
  const ct = data instanceof Float32Array ? 'f32' : 'f64';
  const plan = planBlocks(shape, axes), words = encodeBlocks(plan);
  const pX = align16(words.byteLength), pS = pX + align16(data.byteLength);
  const base = k.reserve(pS + STATE * 8 * plan.slices), heap = k.heap();
  heap.u32.set(words, base >>> 2);
  heap[ct].set(data, (base + pX) / BYTES[ct]);
  k.exports[STREAM.state[ct]](base + pX, base + pS, base);
  return heap.f64.slice((base + pS) >>> 3, ((base + pS) >>> 3) + STATE * plan.slices);
}

/**
 * The C-order groups of a plan: neighbouring axes of one kind merged,
 * size-1 axes gone, outermost first ({size, reduced}).
 */
function groupsOf(plan) {
  const gs = [...plan.outer.map((d) => ({ ...d, reduced: false })), ...plan.reduced.map((d) => ({ ...d, reduced: true }))];
  gs.sort((a, b) => b.stride - a.stride);
  const tail = plan.inner > 1 ? { size: plan.inner, reduced: false } : { size: plan.run, reduced: true };
  return [...gs.map(({ size, reduced }) => ({ size, reduced })), tail];
}

/**
 * How a plan streams: the last group (the contiguous one) is cut into
 * column ranges of width kc where it is kept; in each range the groups form
 * a logical array whose rows are kc wide.  Blocks are contiguous in it:
 * fixed indices of the groups above L, a range of `k` indices of group L,
 * all of the groups below.  `whole`: each block holds whole slices, so the
 * unstreamed kernels run on it as they are.
 */
function layout(plan, bytes) {
  const groups = groupsOf(plan), n = groups.length, tail = groups[n - 1];
  const E = Math.max(1, Math.floor(windowBytes / bytes));
  let kc = tail.size;
  if (!tail.reduced) {
    // Rows per column that hold whole slices: from the outermost reduced group down.
    const first = groups.findIndex((g) => g.reduced);
    const P = groups.slice(first, n - 1).reduce((p, g) => p * g.size, 1);
    const minCols = Math.min(tail.size, 64);
    kc = P * minCols <= E ? Math.min(tail.size, Math.floor(E / P)) : Math.min(tail.size, 1024, E);
    if (kc < tail.size && kc >= 16) kc -= kc % 16; // whole strips of LANES
  }
  const sizes = groups.map((g, i) => (i === n - 1 ? kc : g.size));
  const unit = sizes.map((_, g) => sizes.slice(g + 1).reduce((p, s) => p * s, 1));
  const L = unit.findIndex((u) => u <= E);
  const keptBelow = groups.slice(L + 1).reduce((p, g, i) => (g.reduced ? p : p * sizes[L + 1 + i]), 1);
  const lKept = !groups[L].reduced;
  // The window holds the block's elements and its states (32 bytes a slice).
  const perIndex = unit[L] * bytes + (lKept ? keptBelow * 8 * STATE : 0);
  let k = Math.min(sizes[L], Math.max(1, Math.floor(windowBytes / perIndex)));
  const whole = groups.every((g, i) => !g.reduced || i > L || (i === L && k === sizes[L]));
  if (whole && k < sizes[L] && k >= 16 && L === n - 2 && tail.reduced) k -= k % 16; // rows mode's groups of LANES
  return { groups, sizes, unit, L, k, kc, lKept, keptBelow, whole, M: tail.size, tailKept: !tail.reduced };
}

/**
 * Binds the streamed calls to loaded kernels.
 * @param {{exports: object, reserve: Function, heap: Function}} k
 */
export function bindStream(k) {
  /**
   * Calls visit(block) for each block of a plan, in memory order, for one
   * column range c0.  A block: its logical rows [r0, r0 + rows) of width
   * kc (or, where the tail is reduced and cut, the element range
   * [offset, offset + len)), its shape and axes, and its slices' range
   * [start, start + count) among the column range's logical slices.
   */
  function blocks(lay, visit) {
    const { groups, sizes, unit, L, k: kk, kc, lKept, keptBelow } = lay;
    const prefix = sizes.slice(0, L).reduce((p, s) => p * s, 1);
    for (let pf = 0; pf < prefix; pf++) {
      // The kept groups' flat index among the prefix's.
      let rest = pf, kf = 0, mul = 1;
      for (let g = L - 1; g >= 0; g--) {
        const i = rest % sizes[g];
        rest = (rest - i) / sizes[g];
        if (!groups[g].reduced) kf += i * mul, (mul *= sizes[g]);
      }
      for (let j0 = 0; j0 < sizes[L]; j0 += kk) {
        const k = Math.min(kk, sizes[L] - j0);
        const offset = (pf * sizes[L] + j0) * unit[L], len = k * unit[L];
        const shape = [k, ...sizes.slice(L + 1)];
        const axes = [];
        groups.forEach((g, i) => { if (i >= L && g.reduced) axes.push(i - L); });
        const start = (kf * (lKept ? sizes[L] : 1) + (lKept ? j0 : 0)) * keptBelow;
        const count = (lKept ? k : 1) * keptBelow;
        visit({ offset, len, shape, axes, start, count, kc });
      }
    }
  }

  // Copies between the caller's arrays and the block in wasm memory: logical
  // offset o in column range c0 is physical row o / kc, column c0 + o % kc.
  function copyIn(h, at, x, lay, c0, b) {
    if (lay.kc === lay.M) return h.set(x.subarray(b.offset, b.offset + b.len), at);
    for (let o = 0; o < b.len; o += lay.kc) {
      const p = (o + b.offset) / lay.kc * lay.M + c0;
      h.set(x.subarray(p, p + lay.kc), at + o);
    }
  }
  function copyOut(h, at, y, lay, c0, b) {
    if (lay.kc === lay.M) return y.set(h.subarray(at, at + b.len), b.offset);
    for (let o = 0; o < b.len; o += lay.kc) y.set(h.subarray(at + o, at + o + lay.kc), (o + b.offset) / lay.kc * lay.M + c0);
  }
  /** A logical slice of column range c0 as a slice of the whole call. */
  const globalSlice = (lay, c0, s) => (lay.tailKept ? Math.floor(s / lay.kc) * lay.M + c0 + (s % lay.kc) : s);

  const wordsCache = new Map();
  function wordsOf(b) {
    const key = `${b.shape}|${b.axes}`;
    let w = wordsCache.get(key);
    if (w === undefined) {
      if (wordsCache.size > 64) wordsCache.clear();
      wordsCache.set(key, (w = encodeBlocks(planBlocks(b.shape, b.axes))));
    }
    return w;
  }

  /** Regions for a block: plan words, elements, states, results (logsumexp). */
  function place(words, elems, slices, bytes) {
    const pX = align16(words.byteLength), pS = pX + align16(elems * bytes), pY = pS + align16(slices * 8 * STATE);
    const base = k.reserve(pY + align16(slices * 2 * bytes));
    const heap = k.heap();
    heap.u32.set(words, base >>> 2);
    return { heap, pW: base, pX: base + pX, pS: base + pS, pY: base + pY, pSign: base + pY + slices * bytes };
  }

  /**
   * fn of x (float32 or float64, C order) over `plan`, into y (elementwise:
   * x's length; logsumexp: one per slice, and sign if given).
   */
  function run(fn, ct, x, plan, y, sign) {
    const bytes = BYTES[ct], lay = layout(plan, bytes), ex = k.exports;
    const lse = fn === 'logSumExp';
    for (let c0 = 0; c0 < lay.M; c0 += lay.kc) {
      const kc = Math.min(lay.kc, lay.M - c0), l = kc === lay.kc ? lay : layout1(lay, kc);
      if (l.whole) {
        blocks(l, (b) => {
          const words = wordsOf(b), r = place(words, b.len, lse ? b.count : 0, bytes), h = r.heap[ct];
          copyIn(h, r.pX / bytes, x, l, c0, b);
          if (lse) {
            ex[KERNELS.logSumExp[ct]](r.pX, r.pY, sign ? r.pSign : 0, r.pW);
            scatter(r, h, l, c0, b, y, sign, bytes);
          } else {
            ex[KERNELS[fn][ct]](r.pX, r.pX, r.pW);
            copyOut(h, r.pX / bytes, y, l, c0, b);
          }
        });
        continue;
      }
      let slices = 0, pieces = 0;
      blocks(l, (b) => { slices = Math.max(slices, b.start + b.count); pieces += b.count; });
      const st = emptyStates(slices);
      // Softmax of rows-mode plans stores its exps instead of computing them
      // twice, where the blocks' maxima (one double per slice a block
      // touches) take at most 1/64 of the input's bytes: see storedSoftmax.
      if (fn === 'softmax' && !l.tailKept && pieces * 8 * 64 <= x.length * bytes) {
        storedSoftmax(ct, x, l, c0, y, st, pieces, bytes);
        continue;
      }
      blocks(l, (b) => {
        const words = wordsOf(b), r = place(words, b.len, b.count, bytes);
        copyIn(r.heap[ct], r.pX / bytes, x, l, c0, b);
        ex[STREAM.state[ct]](r.pX, r.pS, r.pW);
        mergeStates(st, r.heap.f64.subarray(r.pS >>> 3, (r.pS >>> 3) + STATE * b.count), b.start, 0, b.count);
      });
      if (lse) {
        // The finish in pieces, so that memory stays bounded however many slices.
        const per = Math.max(1, Math.floor(windowBytes / (8 * STATE)));
        for (let s0 = 0; s0 < slices; s0 += per) {
          const b = { start: s0, count: Math.min(per, slices - s0) };
          const r = place(new Uint32Array(0), 0, b.count, bytes), h = r.heap[ct];
          r.heap.f64.set(st.subarray(STATE * s0, STATE * (s0 + b.count)), r.pS >>> 3);
          ex[STREAM.logSumExp[ct]](r.pS, r.pY, sign ? r.pSign : 0, b.count);
          scatter(r, h, l, c0, b, y, sign, bytes);
        }
        continue;
      }
      blocks(l, (b) => {
        const words = wordsOf(b), r = place(words, b.len, b.count, bytes), h = r.heap[ct];
        copyIn(h, r.pX / bytes, x, l, c0, b);
        r.heap.f64.set(st.subarray(STATE * b.start, STATE * (b.start + b.count)), r.pS >>> 3);
        ex[STREAM[fn][ct]](r.pX, r.pX, r.pS, r.pW);
        copyOut(h, r.pX / bytes, y, l, c0, b);
      });
    }
  }

  /**
   * Streamed softmax without a second exp per element.  The store pass
   * (lsm_state_store) writes each block's e = exp(x - m_b), relative to
   * the slice's max m_b within the block, into y, and keeps m_b; once the
   * states are merged (max m, sum S), the rescale pass reads e back from y
   * and writes e * q with q = exp(m_b - m) / S in double (float64: e / q
   * with q = S / exp(m_b - m)), rounded once.  Memory traffic: x read once,
   * e written and read once, y written.  Error (c/README.md, "Streaming"):
   * e's rounding (rho_lo, as unstreamed), S's (as unstreamed, plus 2^-51
   * per merge that raises the max) and q's few 2^-53: within softmax's
   * 3.90 ulp for normal outputs; q <= 1 / S, so a subnormal e's absolute
   * error (2^-150) is not enlarged.  Where m_b = m, q is the unstreamed
   * 1 / S and the outputs are the unstreamed kernel's bits if S is.
   */
  function storedSoftmax(ct, x, l, c0, y, st, pieces, bytes) {
    const ex = k.exports, mb = new Float64Array(pieces), f32 = ct === 'f32';
    let at = 0;
    blocks(l, (b) => {
      const words = wordsOf(b), r = place(words, b.len, b.count, bytes), h = r.heap[ct];
      copyIn(h, r.pX / bytes, x, l, c0, b);
      ex[STREAM.store[ct]](r.pX, r.pX, r.pS, r.pW);
      const bs = r.heap.f64.subarray(r.pS >>> 3, (r.pS >>> 3) + STATE * b.count);
      for (let i = 0; i < b.count; i++) mb[at + i] = bs[STATE * i];
      at += b.count;
      mergeStates(st, bs, b.start, 0, b.count);
      copyOut(h, r.pX / bytes, y, l, c0, b);
    });
    at = 0;
    blocks(l, (b) => {
      const words = wordsOf(b), r = place(words, b.len, b.count, bytes), h = r.heap[ct];
      copyIn(h, r.pX / bytes, y, l, c0, b);
      const q = r.heap.f64, pq = r.pS >>> 3;
      for (let i = 0; i < b.count; i++) {
        const j = STATE * (b.start + i), m = st[j], S = st[j + 1] + st[j + 2] + st[j + 3];
        // A non-finite max gives NaN everywhere, as finish_of's S = NaN does.
        const f = Number.isFinite(m) ? scale(mb[at + i], m) : NaN;
        q[pq + i] = f32 ? f / S : S / f;
      }
      at += b.count;
      ex[STREAM.rescale[ct]](r.pX, r.pS, r.pW);
      copyOut(h, r.pX / bytes, y, l, c0, b);
    });
  }

  /** The same layout for a narrower last column range. */
  function layout1(lay, kc) {
    const sizes = [...lay.sizes];
    sizes[sizes.length - 1] = kc;
    const unit = sizes.map((_, g) => sizes.slice(g + 1).reduce((p, s) => p * s, 1));
    const keptBelow = lay.groups.slice(lay.L + 1).reduce((p, g, i) => (g.reduced ? p : p * sizes[lay.L + 1 + i]), 1);
    return { ...lay, sizes, unit, kc, keptBelow };
  }

  /** logsumexp results of a block's slices (at r.pY, r.pSign) to their places in y and sign. */
  function scatter(r, h, lay, c0, b, y, sign, bytes) {
    const at = r.pY / bytes, atSign = r.pSign / bytes;
    for (let i = 0; i < b.count; i++) {
      const g = globalSlice(lay, c0, b.start + i);
      y[g] = h[at + i];
      if (sign) sign[g] = h[atSign + i];
    }
  }

  return { run };
}
