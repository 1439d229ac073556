/**
 * An ascending sort of doubles without NaN, in place, in the order of `Float64Array.prototype.sort`
 * (-Infinity first, -0 before 0, +Infinity last): a least-significant-digit radix sort of the
 * values' IEEE 754 bits, 11 bits a pass, passes whose digit is the same in every value skipped.
 *
 * Training sorts every feature column for its bin edges and ranks every feature for the
 * one-sensor rule: tens of thousands of values, hundreds of columns, for every forest it fits.
 * V8's typed-array sort took about 2 ms for 24,000 doubles on the 2-core VM of docs/performance.md
 * ("Training time"); this, a fraction of it, and the same result (tests/models/ranking.test.ts).
 */

/** Below this many values the built-in sort is as fast (no histograms to clear). */
const SMALL = 256;
const BITS = 11;
const RADIX = 1 << BITS;
const MASK = RADIX - 1;
/** Shift of each pass's digit: three in the low word, three in the high word (32 = 11 + 11 + 10). */
const SHIFTS = [0, 11, 22, 0, 11, 22] as const;

/** Values whose key buffers stay allocated between calls (4 MB for 262,144; fitBins samples 200,000). */
const KEEP = 1 << 18;
let keys = new Uint32Array(0);
let spare = new Uint32Array(0);
let positions = new Uint32Array(0);
let sparePositions = new Uint32Array(0);
const counts = new Int32Array(RADIX * SHIFTS.length);

function count(at: number): void {
  counts[at] = (counts[at] as number) + 1;
}

/** Sorts `a` (no NaN in it) ascending in place and returns it. */
export function sortDoubles(a: Float64Array): Float64Array {
  if (a.length < SMALL) return a.sort();
  return radixSort(a, null);
}

/**
 * Sorts `a` (no NaN in it) as `sortDoubles` does, and `index` (as long) along with it: a value's
 * entry of `index` moves with it. Equal values keep their order (the sort is stable), so filled
 * with 0, 1, 2... `index` ends as each sorted value's position before the sort.
 */
export function sortDoublesWithIndex(a: Float64Array, index: Uint32Array): void {
  if (index.length !== a.length)
    throw new RangeError(`index holds ${index.length} entries for ${a.length} values`);
  radixSort(a, index);
}

function radixSort(a: Float64Array, index: Uint32Array | null): Float64Array {
  const n = a.length;
  // The values' bits as ordered unsigned keys, each a pair (low word, high word): a positive value
  // (sign clear) gets its sign bit set, a negative one every bit flipped, so that unsigned order is
  // numeric order (-0 becomes 0x7fffffff_ffffffff, just below +0's 0x80000000_00000000).
  // Buffers up to KEEP values are kept for the next call; a larger sort gets its own, freed after.
  if (keys.length < 2 * n && n <= KEEP) {
    keys = new Uint32Array(2 * n);
    spare = new Uint32Array(2 * n);
  }
  const own = keys.length < 2 * n;
  let src = own ? new Uint32Array(2 * n) : keys;
  let dst = own ? new Uint32Array(2 * n) : spare;
  if (index !== null && positions.length < n && n <= KEEP) {
    positions = new Uint32Array(n);
    sparePositions = new Uint32Array(n);
  }
  const ownPositions = positions.length < n;
  let at = index === null ? null : ownPositions ? new Uint32Array(n) : positions;
  let to = index === null ? null : ownPositions ? new Uint32Array(n) : sparePositions;
  if (at !== null) at.set(index as Uint32Array);
  const bits = new Uint32Array(a.buffer, a.byteOffset, 2 * n);
  counts.fill(0);
  for (let i = 0; i < n; i++) {
    let lo = bits[2 * i] as number;
    let hi = bits[2 * i + 1] as number;
    if (hi >>> 31 === 1) {
      lo = ~lo >>> 0;
      hi = ~hi >>> 0;
    } else hi = (hi | 0x80000000) >>> 0;
    src[2 * i] = lo;
    src[2 * i + 1] = hi;
    count(lo & MASK);
    count(RADIX + ((lo >>> 11) & MASK));
    count(2 * RADIX + (lo >>> 22));
    count(3 * RADIX + (hi & MASK));
    count(4 * RADIX + ((hi >>> 11) & MASK));
    count(5 * RADIX + (hi >>> 22));
  }
  for (let p = 0; p < SHIFTS.length; p++) {
    const base = p * RADIX;
    const shift = SHIFTS[p] as number;
    const word: 0 | 1 = p < 3 ? 0 : 1;
    // A digit every value shares orders nothing: the pass is skipped.
    let single = false;
    for (let d = 0; d < RADIX; d++) {
      const c = counts[base + d] as number;
      if (c === n) single = true;
      if (c !== 0) break;
    }
    if (single) continue;
    // Counts to starting offsets.
    let sum = 0;
    for (let d = 0; d < RADIX; d++) {
      const c = counts[base + d] as number;
      counts[base + d] = sum;
      sum += c;
    }
    if (at === null || to === null) scatter(src, dst, n, base, word, shift);
    else scatterIndexed(src, dst, n, base, word, shift, at, to);
    const t = src;
    src = dst;
    dst = t;
    const u = at;
    at = to;
    to = u;
  }
  if (index !== null) index.set((at as Uint32Array).subarray(0, n));
  for (let i = 0; i < n; i++) {
    let lo = src[2 * i] as number;
    let hi = src[2 * i + 1] as number;
    if (hi >>> 31 === 1) hi = (hi & 0x7fffffff) >>> 0;
    else {
      lo = ~lo >>> 0;
      hi = ~hi >>> 0;
    }
    bits[2 * i] = lo;
    bits[2 * i + 1] = hi;
  }
  return a;
}

/** One pass: every key pair from `src` to its digit's next place in `dst`. */
function scatter(
  src: Uint32Array,
  dst: Uint32Array,
  n: number,
  base: number,
  word: 0 | 1,
  shift: number,
): void {
  for (let i = 0; i < n; i++) {
    const lo = src[2 * i] as number;
    const hi = src[2 * i + 1] as number;
    const d = base + (((word === 0 ? lo : hi) >>> shift) & MASK);
    const at = counts[d] as number;
    counts[d] = at + 1;
    dst[2 * at] = lo;
    dst[2 * at + 1] = hi;
  }
}

/** `scatter`, each key pair's index from `from` moved with it into `to`: a loop of its own, so that the plain sort's loop tests nothing more. */
function scatterIndexed(
  src: Uint32Array,
  dst: Uint32Array,
  n: number,
  base: number,
  word: 0 | 1,
  shift: number,
  from: Uint32Array,
  to: Uint32Array,
): void {
  for (let i = 0; i < n; i++) {
    const lo = src[2 * i] as number;
    const hi = src[2 * i + 1] as number;
    const d = base + (((word === 0 ? lo : hi) >>> shift) & MASK);
    const at = counts[d] as number;
    counts[d] = at + 1;
    dst[2 * at] = lo;
    dst[2 * at + 1] = hi;
    to[at] = from[i] as number;
  }
}
