/**
 * Statistics at chosen rows only: the sampled case. Training takes one instant per `everySeconds`
 * bucket (one in 600 readings at 1 Hz every 10 min), so computing every statistic at every reading
 * and keeping one in 600 is mostly wasted work.
 *
 * Exact, not approximated: the series is cut into blocks that end at the chosen rows; each block's
 * shifted sums (count, powers of value - shift, time sums from the first valid value's time, extrema,
 * first and last valid value) are taken once per sensor and shared by every window. A window ending at a chosen row is the tail of
 * the block its start falls in (summed row by row with the window's own shift, as the online path
 * does) followed by whole blocks, each moved to the window's shift by the binomial expansion (an
 * exact identity; the shifts are values of the same window, so no large offset is squared). The
 * statistics then come from the same `statsFromSums` as the online path; EWMA is a recursion over
 * the whole series and is taken from it. Tested against the rolling kernels on random series
 * with gaps and NaN (tests/features/at-rows.test.ts).
 *
 * Work: one pass over the series per sensor for the blocks, plus per chosen row and window the
 * tail of one block and one merge per block in the window (144 for a day at 10 min).
 */
import type { Stat, WindowSpec } from './feature-set.ts';
import { SUMS, shiftedSums, statsFromSums } from './from-sums.ts';
import { ewmaFor } from './rolling.ts';

/** Per block: the SUMS layout of from-sums.ts plus its shifts and last valid value. */
export interface RowBlocks {
  /** The chosen rows, ascending; block k is rows (rows[k-1], rows[k]]. */
  readonly rows: ArrayLike<number>;
  /** SUMS values per block: count, s1..s4 of d = x - shift, -, st, stt, stx (a = t - t0), min, max. */
  readonly sums: Float64Array;
  readonly shift: Float64Array;
  readonly t0: Float64Array;
  readonly last: Float64Array;
}

function firstValid(x: Float64Array, from: number, to: number): number {
  for (let i = from; i < to; i++) if ((x[i] as number) === (x[i] as number)) return i;
  return -1;
}

/** The blocks of one series cut at `rows` (ascending indices into `t` and `x`). */
export function rowBlocks(t: Float64Array, x: Float64Array, rows: ArrayLike<number>): RowBlocks {
  const m = rows.length;
  const sums = new Float64Array(m * SUMS);
  const shift = new Float64Array(m);
  const t0 = new Float64Array(m);
  const last = new Float64Array(m);
  let from = 0;
  for (let k = 0; k < m; k++) {
    const to = (rows[k] as number) + 1;
    const f = firstValid(x, from, to);
    const s = f < 0 ? NaN : (x[f] as number);
    shift[k] = s;
    // Time origin at the first valid value: when every valid time coincides, every time offset is
    // exactly 0 and no rounding can fake a slope.
    t0[k] = f < 0 ? NaN : (t[f] as number);
    // A block with no valid value keeps count 0, which every reader checks first.
    last[k] = f < 0 ? NaN : shiftedSums(t, x, f, to, s, t0[k] as number, sums, k * SUMS);
    from = to;
  }
  return { rows, sums, shift, t0, last };
}

/**
 * Adds block `b` (its sums at shift xb, time origin tb) into acc[0 ..] (shift xs, origin t0):
 * with d = x - xs = e + dx and a = t - t0 = u + da, where e and u are the block's own offsets.
 */
function mergeBlock(acc: Float64Array, blocks: RowBlocks, b: number, xs: number, t0: number): void {
  const s = blocks.sums;
  const o = b * SUMS;
  const n = s[o] as number;
  if (n === 0) return;
  const e1 = s[o + 1] as number;
  const e2 = s[o + 2] as number;
  const e3 = s[o + 3] as number;
  const e4 = s[o + 4] as number;
  const u1 = s[o + 6] as number;
  const dx = (blocks.shift[b] as number) - xs;
  const da = (blocks.t0[b] as number) - t0;
  const dx2 = dx * dx;
  acc[0] = (acc[0] as number) + n;
  acc[1] = (acc[1] as number) + e1 + n * dx;
  acc[2] = (acc[2] as number) + e2 + 2 * dx * e1 + n * dx2;
  acc[3] = (acc[3] as number) + e3 + 3 * dx * e2 + 3 * dx2 * e1 + n * dx2 * dx;
  acc[4] = (acc[4] as number) + e4 + 4 * dx * e3 + 6 * dx2 * e2 + 4 * dx2 * dx * e1 + n * dx2 * dx2;
  acc[6] = (acc[6] as number) + u1 + n * da;
  acc[7] = (acc[7] as number) + (s[o + 7] as number) + 2 * da * u1 + n * da * da;
  acc[8] = (acc[8] as number) + (s[o + 8] as number) + da * e1 + dx * u1 + n * da * dx;
  if ((s[o + 9] as number) < (acc[9] as number)) acc[9] = s[o + 9] as number;
  if ((s[o + 10] as number) > (acc[10] as number)) acc[10] = s[o + 10] as number;
}

/**
 * `stats` over window `w` at each of the blocks' rows, written to `outs[k][q]` (k in `stats` order,
 * q the chosen row's position). `ewmaScratch`, when given, has room for the whole series.
 */
export function statsAtRows(
  t: Float64Array,
  x: Float64Array,
  w: WindowSpec,
  stats: readonly Stat[],
  blocks: RowBlocks,
  outs: readonly Float64Array[],
  ewmaScratch?: Float64Array,
): void {
  const rows = blocks.rows;
  const m = rows.length;
  const ewma = stats.includes('ewma')
    ? ewmaFor(t, x, w, ewmaScratch ?? new Float64Array(x.length))
    : undefined;
  const acc = new Float64Array(SUMS);
  const vec = new Float64Array(stats.length);
  let start = 0; // window start of the current row: only moves forward
  let j = 0; // the block the start falls in
  for (let q = 0; q < m; q++) {
    const i = rows[q] as number;
    if (w.kind === 'time') {
      const edge = (t[i] as number) - w.seconds;
      while ((t[start] as number) <= edge) start++;
    } else start = Math.max(0, i - w.rows + 1);
    while ((rows[j] as number) < start) j++;
    // The window's shift and time origin: its first valid value and that value's time.
    const headEnd = (rows[j] as number) + 1;
    const f = firstValid(x, start, headEnd);
    let xs = NaN;
    let origin = t[start] as number;
    if (f >= 0) {
      xs = x[f] as number;
      origin = t[f] as number;
    } else {
      let b = j + 1;
      while (b <= q && (blocks.sums[b * SUMS] as number) === 0) b++;
      if (b <= q) {
        xs = blocks.shift[b] as number;
        origin = blocks.t0[b] as number;
      }
    }
    let last = shiftedSums(t, x, f < 0 ? headEnd : f, headEnd, xs === xs ? xs : 0, origin, acc, 0);
    for (let b = j + 1; b <= q; b++) {
      mergeBlock(acc, blocks, b, xs, origin);
      if ((blocks.sums[b * SUMS] as number) > 0) last = blocks.last[b] as number;
    }
    acc[11] = xs;
    const cnt = acc[0] as number;
    statsFromSums(
      acc,
      0,
      xs === xs ? xs : 0,
      origin,
      cnt > 0 ? last : NaN,
      stats,
      ewma === undefined ? NaN : (ewma[i] as number),
      vec,
      0,
      (i - start + 1 - cnt) / (i - start + 1),
    );
    for (let k = 0; k < stats.length; k++) (outs[k] as Float64Array)[q] = vec[k] as number;
  }
}
