/**
 * Where each row's window starts. A window ending at row i covers rows [start[i], i]:
 *
 * - time window of length W: rows j <= i with ts[j] > ts[i] - W (half-open on the left, so a
 *   1-minute window at 12:01:00 holds 12:00:00.000001 .. 12:01:00);
 * - count window of N rows: the last N rows, j in (i - N, i].
 *
 * Rows must be in time order (compute.ts sorts them). Rows with equal timestamps are taken in input
 * order: the output at the last of them covers all, so nothing at an instant is ever left out of
 * the last row for that instant, and no row sees a later one.
 */

export function timeWindowStarts(
  ts: Float64Array,
  width: number,
  out: Int32Array = new Int32Array(ts.length),
): Int32Array {
  let lo = 0;
  for (let i = 0; i < ts.length; i++) {
    const edge = (ts[i] as number) - width;
    while ((ts[lo] as number) <= edge) lo++;
    out[i] = lo;
  }
  return out;
}

export function countWindowStarts(n: number, rows: number, out: Int32Array = new Int32Array(n)): Int32Array {
  for (let i = 0; i < n; i++) out[i] = i - rows + 1 > 0 ? i - rows + 1 : 0;
  return out;
}
