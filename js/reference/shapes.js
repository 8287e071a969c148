// Shape helpers of the independent float64 reference (./float64.js), shared
// with the tests that build inputs for it.  Like the rest of js/reference/,
// this is used by the tests and the playground and is not part of the
// published package (package.json "files" takes only the top level of js/);
// it shares no code with the library, so a bug in the library's shape
// handling cannot hide in it.

/** Number of elements of `shape` (1 for []). */
export const size = (shape) => shape.reduce((n, d) => n * d, 1);

/**
 * C-order values as nested plain arrays of `shape`, starting at `offset`;
 * shape [] gives the bare number.
 * @param {ArrayLike<number>} flat
 * @param {number[]} shape
 */
export function nest(flat, shape, offset = 0) {
  if (shape.length === 0) return flat[offset];
  const inner = size(shape.slice(1));
  return Array.from({ length: shape[0] }, (_, i) => nest(flat, shape.slice(1), offset + i * inner));
}

/**
 * An axis argument as a list of axes: null/undefined → all axes; an int or
 * int[] → sorted and non-negative.  Throws a RangeError on an axis out of
 * range or repeated.
 */
export function axesOf(axis, ndim) {
  if (axis === null || axis === undefined) return [...Array(ndim).keys()];
  const list = (Array.isArray(axis) ? axis : [axis]).map((a) => {
    if (!Number.isInteger(a) || a < -ndim || a >= ndim) throw new RangeError(`reference: bad axis ${a} for ndim ${ndim}`);
    return a < 0 ? a + ndim : a;
  });
  if (new Set(list).size !== list.length) throw new RangeError(`reference: repeated axis in ${axis}`);
  return list.sort((p, q) => p - q);
}
