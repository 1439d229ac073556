/**
 * The full feature vector of one equipment at its latest reading, for online scoring: every sensor,
 * window and statistic of the feature set in `fs.columns` order (context columns are filled by the
 * caller, who knows the MES state).
 *
 * Dense series (no NaN over the longest window) take one backward pass per sensor for all windows:
 * the windows all end at the last row, so walking back from it and snapshotting the sums when a
 * window's start is crossed yields every window from one read of the data; time-EWMAs on regular
 * sampling accumulate in the same pass as dot products with geometric weights. Series with missing
 * values take one backward pass over the values present (`presentSensor`). All agree with the
 * rolling kernels and with `statsAtLast`, one pass per window (tests).
 */
import { lastWindowStart, statsAtLast } from './at-instant.ts';
import { statsFromSums } from './from-sums.ts';
import type { FeatureSet, Stat, WindowSpec } from './feature-set.ts';
import { ewmaLast, ewmaSpanLast, geometricEwma, presentGeometricEwmas } from './kernels/ewma.ts';

const ACC = 12; // cnt s1 s2 s3 s4 sq st stt stx min max first

/**
 * Adds rows [from, to] (walking back) to the running sums of one sensor in `acc`. NaN anywhere
 * propagates into the sums, which is how the caller learns the series was not dense. Time-only
 * sums are the same for every sensor and come from `TimeFrame`. A small function of its own: V8
 * optimises this tight loop far better than the same loop nested in the bookkeeping (measured).
 */
function accumulate(
  t: Float64Array,
  x: Float64Array,
  from: number,
  to: number,
  xs: number,
  ts0: number,
  acc: Float64Array,
): void {
  let s1 = acc[1] as number;
  let s2 = acc[2] as number;
  let s3 = acc[3] as number;
  let s4 = acc[4] as number;
  let stx = acc[8] as number;
  let min = acc[9] as number;
  let max = acc[10] as number;
  for (let i = to; i >= from; i--) {
    const v = x[i] as number;
    const d = v - xs;
    const d2 = d * d;
    s1 += d;
    s2 += d2;
    s3 += d2 * d;
    s4 += d2 * d2;
    stx += ((t[i] as number) - ts0) * d;
    min = v < min ? v : min;
    max = v > max ? v : max;
  }
  acc[1] = s1;
  acc[2] = s2;
  acc[3] = s3;
  acc[4] = s4;
  acc[8] = stx;
  acc[9] = min;
  acc[10] = max;
}

/**
 * All windows of one dense series in one backward pass (EWMAs as dot products when sampling is
 * regular); false (and nothing written) if the series has NaN in the range read.
 */
function denseSensor(
  t: Float64Array,
  x: Float64Array,
  windows: readonly WindowSpec[],
  stats: readonly Stat[],
  out: Float64Array,
  offsets: readonly number[],
  frame: TimeFrame,
): boolean {
  const n = x.length;
  const nw = windows.length;
  const { starts, order } = frame;
  const snap = new Float64Array(ACC * nw);
  const acc = new Float64Array(ACC);
  acc[9] = Infinity;
  acc[10] = -Infinity;
  const xs = x[n - 1] as number;
  const ts0 = t[n - 1] as number;
  let i = n - 1;
  for (const k of order) {
    const stop = starts[k] as number;
    if (stop <= i) accumulate(t, x, stop, i, xs, ts0, acc);
    i = Math.min(i, stop - 1);
    acc[0] = n - stop;
    acc[6] = frame.st[k] as number;
    acc[7] = frame.stt[k] as number;
    acc[11] = x[stop] as number;
    snap.set(acc, k * ACC);
  }
  if (!(acc[1] === acc[1] && acc[2] === acc[2])) return false; // a NaN was read: not dense
  const ewmas = stats.includes('ewma')
    ? ewmasAtLast(t, x, windows, frame.regular, frame.dt, lowestStart(starts))
    : undefined;
  for (let k = 0; k < nw; k++) {
    statsFromSums(
      snap,
      k * ACC,
      xs,
      ts0,
      x[n - 1] as number,
      stats,
      ewmas?.[k] ?? NaN,
      out,
      offsets[k] as number,
    );
  }
  return true;
}

/**
 * Adds the values present in rows [from, to] (walking back) to the running sums in `acc`, and its
 * earliest value present so far as `acc[11]`. The count and time sums of the values present are
 * the frame's less those of the missing rows, which this sums in `miss` (count, Σa, Σa²): missing
 * rows are few, so the loop over the values present carries three sums fewer.
 */
function accumulatePresent(
  t: Float64Array,
  x: Float64Array,
  from: number,
  to: number,
  xs: number,
  ts0: number,
  acc: Float64Array,
  miss: Float64Array,
): void {
  let s1 = acc[1] as number;
  let s2 = acc[2] as number;
  let s3 = acc[3] as number;
  let s4 = acc[4] as number;
  let stx = acc[8] as number;
  let min = acc[9] as number;
  let max = acc[10] as number;
  let first = acc[11] as number;
  for (let i = to; i >= from; i--) {
    const v = x[i] as number;
    if (v !== v) {
      const a = (t[i] as number) - ts0;
      miss[0] = (miss[0] as number) + 1;
      miss[1] = (miss[1] as number) + a;
      miss[2] = (miss[2] as number) + a * a;
      continue;
    }
    const d = v - xs;
    const d2 = d * d;
    s1 += d;
    s2 += d2;
    s3 += d2 * d;
    s4 += d2 * d2;
    stx += ((t[i] as number) - ts0) * d;
    min = v < min ? v : min;
    max = v > max ? v : max;
    first = v;
  }
  acc[1] = s1;
  acc[2] = s2;
  acc[3] = s3;
  acc[4] = s4;
  acc[8] = stx;
  acc[9] = min;
  acc[10] = max;
  acc[11] = first;
}

/**
 * All windows of a series with missing values (NaN) in one backward pass over the values present,
 * as `denseSensor` does for dense ones. Time EWMAs on regular sampling share one pass without exp
 * (`presentGeometricEwmas`); count windows and irregular sampling take the exact recursion.
 * Plant telemetry nearly always has a gap somewhere in 24 h, where one pass per window cost ~6x.
 */
function presentSensor(
  t: Float64Array,
  x: Float64Array,
  windows: readonly WindowSpec[],
  stats: readonly Stat[],
  out: Float64Array,
  offsets: readonly number[],
  frame: TimeFrame,
): void {
  const n = x.length;
  const nw = windows.length;
  const { starts, order } = frame;
  // The shift: the last value present (the windows' sums are about it, as the dense pass's are).
  let lastAt = n - 1;
  while (lastAt >= 0 && (x[lastAt] as number) !== (x[lastAt] as number)) lastAt--;
  const xs = lastAt >= 0 ? (x[lastAt] as number) : 0;
  const ts0 = t[n - 1] as number;
  const snap = new Float64Array(ACC * nw);
  const acc = new Float64Array(ACC);
  acc[9] = Infinity;
  acc[10] = -Infinity;
  acc[11] = NaN;
  const miss = new Float64Array(3);
  let i = n - 1;
  for (const k of order) {
    const stop = starts[k] as number;
    if (stop <= i) accumulatePresent(t, x, stop, i, xs, ts0, acc, miss);
    i = Math.min(i, stop - 1);
    acc[0] = n - stop - (miss[0] as number);
    acc[6] = (frame.st[k] as number) - (miss[1] as number);
    acc[7] = (frame.stt[k] as number) - (miss[2] as number);
    snap.set(acc, k * ACC);
  }
  // Time EWMAs on regular sampling: one pass without exp for every window, over the rows that
  // still weigh anything (60 half-lives); count windows and irregular sampling take the recursion.
  let regularEwmas: number[] | undefined;
  if (stats.includes('ewma') && frame.regular && frame.dt > 0) {
    const froms: number[] = [];
    const bs: number[] = [];
    for (const w of windows) {
      const seconds = w.kind === 'time' ? w.seconds : NaN;
      froms.push(w.kind === 'time' ? lastWindowStart(t, { kind: 'time', seconds: 60 * seconds }) : n);
      bs.push(Math.exp((-Math.LN2 / seconds) * frame.dt));
    }
    regularEwmas = presentGeometricEwmas(x, froms, bs);
  }
  for (let k = 0; k < nw; k++) {
    const w = windows[k] as WindowSpec;
    const stop = starts[k] as number;
    let ewma = NaN;
    if (stats.includes('ewma')) {
      ewma = regularEwmas?.[k] ?? NaN;
      if (ewma !== ewma) ewma = w.kind === 'count' ? ewmaSpanLast(x, w.rows) : ewmaLast(t, x, w.seconds);
    }
    statsFromSums(
      snap,
      k * ACC,
      xs,
      ts0,
      lastAt >= stop ? xs : NaN,
      stats,
      ewma,
      out,
      offsets[k] as number,
      (n - stop - (snap[k * ACC] as number)) / (n - stop),
    );
  }
}

/** What every sensor shares: window starts, time sums per window, and whether sampling is regular. */
interface TimeFrame {
  readonly starts: number[];
  readonly order: number[];
  readonly st: Float64Array;
  readonly stt: Float64Array;
  readonly regular: boolean;
  readonly dt: number;
}

function timeFrame(t: Float64Array, windows: readonly WindowSpec[]): TimeFrame {
  const n = t.length;
  const starts = windows.map((w) => lastWindowStart(t, w));
  const order = windows.map((_, k) => k).sort((a, b) => (starts[b] as number) - (starts[a] as number));
  const ts0 = t[n - 1] as number;
  const st = new Float64Array(windows.length);
  const stt = new Float64Array(windows.length);
  const dt = n > 1 ? (t[n - 1] as number) - (t[n - 2] as number) : 1;
  let regular = true;
  for (let j = 1; j < n && regular; j++) regular = (t[j] as number) - (t[j - 1] as number) === dt;
  if (regular) {
    // Rows m back from the last are -m dt from it: the sums have closed forms (exact for whole
    // seconds), where the loop below is a chain of dependent additions over every row.
    for (let k = 0; k < windows.length; k++) {
      const m = n - (starts[k] as number);
      st[k] = (-dt * (m * (m - 1))) / 2;
      stt[k] = (dt * dt * ((m - 1) * m * (2 * m - 1))) / 6;
    }
    return { starts, order, st, stt, regular, dt };
  }
  let s = 0;
  let ss = 0;
  let i = n - 1;
  for (const k of order) {
    for (; i >= (starts[k] as number); i--) {
      const a = (t[i] as number) - ts0;
      s += a;
      ss += a * a;
    }
    st[k] = s;
    stt[k] = ss;
  }
  return { starts, order, st, stt, regular, dt };
}

/**
 * Every window's EWMA at the last row. On dense, regular data each is a geometric dot product over
 * the rows that still weigh anything; windows reading the same rows (e.g. 1 h and 24 h half-lives
 * over 24 h of data) share one pass.
 */
function ewmasAtLast(
  t: Float64Array,
  x: Float64Array,
  windows: readonly WindowSpec[],
  regular: boolean,
  dt: number,
  checkedFrom: number,
): number[] {
  const n = x.length;
  const result: number[] = new Array<number>(windows.length).fill(NaN);
  const plan: { k: number; from: number; b: number }[] = [];
  windows.forEach((w, k) => {
    if (w.kind === 'count') {
      const alpha = 2 / (w.rows + 1);
      const reach = alpha >= 1 ? 1 : Math.ceil(Math.log(1e-17) / Math.log(1 - alpha)) + 1;
      plan.push({ k, from: Math.max(0, n - reach), b: 1 - alpha });
    } else if (regular && dt > 0) {
      plan.push({
        k,
        from: lastWindowStart(t, { kind: 'time', seconds: 60 * w.seconds }),
        b: Math.exp((-Math.LN2 / w.seconds) * dt),
      });
    } else result[k] = ewmaLast(t, x, w.seconds);
  });
  const byFrom = new Map<number, { k: number; b: number }[]>();
  for (const p of plan) byFrom.set(p.from, [...(byFrom.get(p.from) ?? []), p]);
  for (const [from, group] of byFrom) {
    if (!isDenseFrom(x, from, checkedFrom)) {
      for (const g of group) {
        const w = windows[g.k] as WindowSpec;
        result[g.k] = w.kind === 'count' ? ewmaSpanLast(x, w.rows) : ewmaLast(t, x, w.seconds);
      }
      continue;
    }
    for (let j = 0; j < group.length; j += 2) {
      const a = group[j]!;
      const b = group[j + 1];
      if (b === undefined) result[a.k] = geometricEwma(x, from, a.b);
      else [result[a.k], result[b.k]] = geometricEwma2(x, from, a.b, b.b);
    }
  }
  return result;
}

/** Two geometric EWMAs over the same rows in one pass (two partial sums each). */
function geometricEwma2(x: Float64Array, from: number, b: number, c: number): [number, number] {
  const n = x.length;
  const b2 = b * b;
  const c2 = c * c;
  let wb0 = 1 - b;
  let wb1 = (1 - b) * b;
  let wc0 = 1 - c;
  let wc1 = (1 - c) * c;
  let sb0 = 0;
  let sb1 = 0;
  let sc0 = 0;
  let sc1 = 0;
  let i = n - 1;
  for (; i - 1 > from; i -= 2) {
    const v0 = x[i] as number;
    const v1 = x[i - 1] as number;
    sb0 += wb0 * v0;
    sb1 += wb1 * v1;
    sc0 += wc0 * v0;
    sc1 += wc1 * v1;
    wb0 *= b2;
    wb1 *= b2;
    wc0 *= c2;
    wc1 *= c2;
  }
  let wb = wb0;
  let wc = wc0;
  for (; i > from; i--) {
    const v = x[i] as number;
    sb0 += wb * v;
    sc0 += wc * v;
    wb *= b;
    wc *= c;
  }
  const seed = x[from] as number;
  return [sb0 + sb1 + (wb / (1 - b)) * seed, sc0 + sc1 + (wc / (1 - c)) * seed];
}

function lowestStart(starts: readonly number[]): number {
  let m = Infinity;
  for (const s of starts) m = s < m ? s : m;
  return m;
}

/** Whether rows [from, n) hold a NaN: a scan that stops at the first, before a dense pass is tried. */
function hasMissing(x: Float64Array, from: number): boolean {
  for (let i = x.length - 1; i >= from; i--) if ((x[i] as number) !== (x[i] as number)) return true;
  return false;
}

/** Rows [from, checkedFrom) were not read by the stats pass: check them for NaN. */
function isDenseFrom(x: Float64Array, from: number, checkedFrom: number): boolean {
  for (let i = from; i < checkedFrom; i++) if ((x[i] as number) !== (x[i] as number)) return false;
  return true;
}

/**
 * `t` in seconds, `sensors[k]` the readings of `fs.sensors[k]` aligned with `t`, time-ordered.
 * Writes into `out` (length fs.columns.length) and returns it.
 */
export function featuresAtLast(
  fs: FeatureSet,
  t: Float64Array,
  sensors: readonly Float64Array[],
  out: Float64Array = new Float64Array(fs.columns.length),
): Float64Array {
  let k = 0;
  const perWindow = fs.stats.length;
  const frame = t.length > 0 ? timeFrame(t, fs.windows) : undefined;
  for (let si = 0; si < fs.sensors.length; si++) {
    const x = sensors[si] as Float64Array;
    const offsets = fs.windows.map((_, j) => k + j * perWindow);
    if (frame === undefined) {
      fs.windows.forEach((w, j) => statsAtLast(t, x, w, fs.stats, out, offsets[j] as number));
    } else if (
      hasMissing(x, lowestStart(frame.starts)) ||
      !denseSensor(t, x, fs.windows, fs.stats, out, offsets, frame)
    ) {
      presentSensor(t, x, fs.windows, fs.stats, out, offsets, frame);
    }
    k += fs.windows.length * perWindow;
    if (fs.loadNormalised) out[k++] = NaN; // needs the running batch's load: the caller's
  }
  for (let c = 0; c < (fs.context?.length ?? 0); c++) out[k++] = NaN;
  return out;
}
