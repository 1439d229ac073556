/**
 * Quality drift over the plant: a characteristic drifts with the running hours since the last
 * maintenance (tool change, repair), so each forecast fits the measurements of the current
 * maintenance cycle against running hours and says how many running hours remain until a spec
 * limit, with an interval, and the Cpk now and at the horizon. The law's shape (a power law's
 * exponent) is pooled over the plant's maintenance cycles of the characteristic observed so far (finished or
 * running), its level and rate fitted on the current cycle; with fewer than two cycles the ml-regression candidates
 * are chosen by validation (models/drift.ts). The backtest replays every finished batch and compares the
 * predicted time to the limit with the simulator's truth.
 */
import { fitDrift, forecastDrift, poolExponent } from '../models/index.ts';
import type { PooledShape } from '../models/index.ts';
import { microsToIso, parseTimestampMicros, query, sql } from '../src/store/index.ts';
import type { Store } from '../src/store/index.ts';
import { loadContext } from './data.ts';
import type { TimeRange } from './data.ts';

export interface DriftForecastRow {
  readonly characteristic: string;
  readonly fit: string;
  /** The power law's exponent when the shape was pooled over the plant's cycles, else null. */
  readonly exponent: number | null;
  readonly points: number;
  readonly running_hours_since_maintenance: number;
  /** Running hours until the predicted mean crosses the limit; null if not within the horizon. */
  readonly to_limit_running_h: number | null;
  readonly to_limit_low_h: number | null;
  readonly to_limit_high_h: number | null;
  readonly limit: 'usl' | 'lsl' | null;
  readonly cpk_now: number | null;
  /** Null when the predicted mean at the horizon is beyond spec (see `beyond_spec_at_horizon`). */
  readonly cpk_at_horizon: number | null;
  /** The predicted mean leaves the spec within the horizon (`to_limit_running_h` says when). */
  readonly beyond_spec_at_horizon: boolean;
  readonly horizon_running_h: number;
}

interface Measurement {
  ts: number;
  equipment: string;
  characteristic: string;
  value: number;
  lsl: number;
  usl: number;
}
interface Span {
  ts: number;
  endedAt: number;
}

const MIN_POINTS = 6;
const r3 = (v: number) => (Number.isFinite(v) ? Math.round(v * 1000) / 1000 : null);

/** Running hours (time in batches) between `from` and `to` for one equipment's batches. */
function runningHours(batches: readonly Span[], from: number, to: number): number {
  let s = 0;
  for (const b of batches) {
    const end = b.endedAt === b.endedAt ? b.endedAt : to;
    const lo = Math.max(b.ts, from);
    const hi = Math.min(end, to);
    if (hi > lo) s += hi - lo;
  }
  return s / 3.6e9;
}

/** The end of the latest maintenance event that ended at or before `at` (-Infinity if none). */
function cycleStart(maintenance: readonly Span[], at: number): number {
  let start = -Infinity;
  for (const m of maintenance) {
    const end = m.endedAt === m.endedAt ? m.endedAt : m.ts;
    if (end <= at && end > start) start = end;
  }
  return start;
}

/**
 * The maintenance cycles among `points` (one equipment, one characteristic): each cycle's points
 * against running hours since its start. Points before the first known maintenance are left out
 * (their cycle's start, and so their running hours, are unknown).
 */
function observedCycles(
  points: readonly Measurement[],
  maintenance: readonly Span[],
  batches: readonly Span[],
): { x: number[]; y: number[] }[] {
  const byStart = new Map<number, Measurement[]>();
  for (const p of points) {
    const start = cycleStart(maintenance, p.ts);
    if (start === -Infinity) continue;
    const list = byStart.get(start);
    if (list) list.push(p);
    else byStart.set(start, [p]);
  }
  return [...byStart].map(([start, pts]) => ({
    x: pts.map((p) => runningHours(batches, start, p.ts)),
    y: pts.map((p) => p.value),
  }));
}

/**
 * The wear law's shape for a characteristic at `at`, pooled over the maintenance cycles of every
 * equipment measuring it, as observed up to `at` (finished or running): null below two cycles.
 */
function shapeAt(
  quality: readonly Measurement[],
  ctx: {
    maintenance: readonly (Span & { equipment: string })[];
    batches: readonly (Span & { equipment: string })[];
  },
  characteristic: string,
  at: number,
): PooledShape | null {
  const byEquipment = new Map<string, Measurement[]>();
  for (const p of quality) {
    if (p.characteristic !== characteristic || p.ts > at) continue;
    const list = byEquipment.get(p.equipment);
    if (list) list.push(p);
    else byEquipment.set(p.equipment, [p]);
  }
  const cycles: { x: number[]; y: number[] }[] = [];
  for (const [e, points] of byEquipment) {
    const maintenance = ctx.maintenance.filter((m) => m.equipment === e);
    const batches = ctx.batches.filter((b) => b.equipment === e);
    cycles.push(...observedCycles(points, maintenance, batches));
  }
  return poolExponent(cycles);
}

function forecastFrom(
  points: readonly Measurement[],
  batches: readonly Span[],
  start: number,
  at: number,
  horizonH: number,
  shape?: PooledShape,
): DriftForecastRow | null {
  if (points.length < MIN_POINTS) return null;
  const last = points[points.length - 1] as Measurement;
  const from = start === -Infinity ? (points[0] as Measurement).ts : start;
  const x = points.map((p) => runningHours(batches, from, p.ts));
  const y = points.map((p) => p.value);
  const now = runningHours(batches, from, at);
  const fit = fitDrift(
    x,
    y,
    shape === undefined ? {} : { exponent: shape.exponent, plausible: shape.plausible },
  );
  const f = forecastDrift(fit, now, horizonH, last.lsl, last.usl);
  return {
    characteristic: last.characteristic,
    fit: f.fit,
    exponent: fit.exponent,
    points: points.length,
    running_hours_since_maintenance: r3(now) ?? 0,
    to_limit_running_h: r3(f.toLimit),
    to_limit_low_h: r3(f.toLimitLow),
    to_limit_high_h: r3(f.toLimitHigh),
    limit: f.limit,
    cpk_now: r3(f.cpkNow),
    cpk_at_horizon: r3(f.cpkAtHorizon),
    beyond_spec_at_horizon: f.beyondSpecAtHorizon,
    horizon_running_h: horizonH,
  };
}

async function loadQuality(store: Store, range: TimeRange, equipment?: string): Promise<Measurement[]> {
  const { rows } = equipment
    ? await query<Record<string, string | number>>(store.pool, sql('quality_equipment', store.tables), [
        equipment,
        microsToIso(range.from),
        microsToIso(range.to),
      ])
    : await query<Record<string, string | number>>(store.pool, sql('quality_range', store.tables), [
        microsToIso(range.from),
        microsToIso(range.to),
      ]);
  return rows.map((r) => ({
    ts: parseTimestampMicros(String(r.ts)),
    equipment: String(r.equipment ?? equipment),
    characteristic: String(r.characteristic),
    value: Number(r.value),
    lsl: Number(r.lsl),
    usl: Number(r.usl),
  }));
}

/** Shapes pooled over the plant, per characteristic, as of an instant (see shapeAt). */
export type DriftShapes = ReadonlyMap<string, PooledShape | null>;

/**
 * The plant's wear-law shapes per characteristic from its last 30 days: one load of the plant's
 * quality and context; the scorer keeps the result for an hour (a shape moves with whole
 * cycles, i.e. days).
 */
export async function driftShapes(store: Store, at: number): Promise<DriftShapes> {
  const range = { from: at - 30 * 86_400e6, to: at + 1 };
  const [ctx, quality] = await Promise.all([loadContext(store, range), loadQuality(store, range)]);
  const out = new Map<string, PooledShape | null>();
  for (const c of new Set(quality.map((p) => p.characteristic))) out.set(c, shapeAt(quality, ctx, c, at));
  return out;
}

/**
 * Drift forecasts of one equipment's characteristics at `at` (30 days of history at most), with
 * the plant's pooled shapes when given (else its own cycles').
 */
export async function qualityDrift(
  store: Store,
  equipment: string,
  at: number,
  horizonH = 168,
  shapes?: DriftShapes,
): Promise<DriftForecastRow[]> {
  const range = { from: at - 30 * 86_400e6, to: at + 1 };
  const ctx = await loadContext(store, range, equipment);
  const maint = ctx.maintenance.filter((m) => m.equipment === equipment);
  const batches = ctx.batches.filter((b) => b.equipment === equipment);
  const start = cycleStart(maint, at);
  const history = await loadQuality(store, range, equipment);
  const q = history.filter((p) => p.ts > start);
  const out: DriftForecastRow[] = [];
  for (const c of new Set(q.map((p) => p.characteristic))) {
    const shape = shapes?.has(c) ? shapes.get(c) : shapeAt(history, ctx, c, at);
    const row = forecastFrom(
      q.filter((p) => p.characteristic === c),
      batches,
      start,
      at,
      horizonH,
      shape ?? undefined,
    );
    if (row !== null) out.push(row);
  }
  return out;
}

export interface DriftBacktest {
  readonly forecasts: number;
  /** Forecasts whose law's shape was pooled over the plant's cycles (the rest chose by validation). */
  readonly pooled_shape: number;
  /** Forecasts whose true time to the limit lies within the horizon (the ones a limit was predicted for or missed). */
  readonly within_horizon: number;
  readonly mae_running_h: number;
  readonly median_abs_error_running_h: number;
  /** Share of in-horizon truths inside the 90 % interval. */
  readonly interval_coverage: number;
  /** Truth crossed within the horizon but no crossing was predicted, and the reverse. */
  readonly missed: number;
  readonly false_alarms: number;
  readonly fits: Record<string, number>;
  readonly baseline: { readonly name: string; readonly mae_running_h: number };
}

/**
 * At every finished batch with enough measurements in its maintenance cycle, forecast the time to
 * the limit from the measurements so far and compare with the simulator's truth (running hours).
 * Baseline: a straight line through the cycle's first and latest measurement.
 */
export async function backtestDrift(store: Store, range: TimeRange, horizonH = 168): Promise<DriftBacktest> {
  const ctx = await loadContext(store, { from: range.from - 30 * 86_400e6, to: range.to });
  const quality = await loadQuality(store, range);
  const { rows: truth } = await query<{
    ts: string;
    equipment: string;
    characteristic: string;
    time_to_limit_h: number;
  }>(store.pool, sql('sim_quality_truth_range', store.tables), [
    microsToIso(range.from),
    microsToIso(range.to),
  ]);
  const errors: number[] = [];
  const baseErrors: number[] = [];
  let inside = 0;
  let within = 0;
  let missed = 0;
  let falseAlarms = 0;
  let n = 0;
  let pooled = 0;
  const fits: Record<string, number> = {};
  for (const t of truth) {
    const at = parseTimestampMicros(t.ts);
    const maint = ctx.maintenance.filter((m) => m.equipment === t.equipment);
    const batches = ctx.batches.filter((b) => b.equipment === t.equipment);
    const start = cycleStart(maint, at);
    const pts = quality.filter(
      (p) =>
        p.equipment === t.equipment && p.characteristic === t.characteristic && p.ts > start && p.ts <= at,
    );
    if (pts.length < MIN_POINTS) continue; // no forecast: spare pooling the shape
    const shape = shapeAt(quality, ctx, t.characteristic, at);
    const f = forecastFrom(pts, batches, start, at, horizonH, shape ?? undefined);
    if (f === null) continue;
    if (shape !== null) pooled++;
    n++;
    fits[f.fit] = (fits[f.fit] ?? 0) + 1;
    const trueH = Number(t.time_to_limit_h);
    const inHorizon = trueH <= horizonH;
    const predicted = f.to_limit_running_h;
    if (inHorizon) {
      within++;
      if (predicted === null) missed++;
      const p = predicted ?? horizonH;
      errors.push(Math.abs(p - trueH));
      if (trueH >= (f.to_limit_low_h ?? horizonH) && trueH <= (f.to_limit_high_h ?? Infinity)) inside++;
      // Baseline: extrapolate the line through the cycle's first and latest measurement.
      const first = pts[0] as Measurement;
      const lastP = pts[pts.length - 1] as Measurement;
      const from = start === -Infinity ? first.ts : start;
      const x0 = runningHours(batches, from, first.ts);
      const x1 = runningHours(batches, from, lastP.ts);
      const slope = x1 > x0 ? (lastP.value - first.value) / (x1 - x0) : 0;
      const limit = slope >= 0 ? lastP.usl : lastP.lsl;
      const base = slope === 0 ? horizonH : Math.max(0, (limit - lastP.value) / slope);
      baseErrors.push(Math.abs(Math.min(base, horizonH) - trueH));
    } else if (predicted !== null) falseAlarms++;
  }
  const mean = (a: number[]) => (a.length ? a.reduce((s, v) => s + v, 0) / a.length : NaN);
  const sorted = [...errors].sort((a, b) => a - b);
  return {
    forecasts: n,
    pooled_shape: pooled,
    within_horizon: within,
    mae_running_h: r3(mean(errors)) ?? NaN,
    median_abs_error_running_h: r3(sorted[Math.floor(sorted.length / 2)] ?? NaN) ?? NaN,
    interval_coverage: r3(within ? inside / within : NaN) ?? NaN,
    missed,
    false_alarms: falseAlarms,
    fits,
    baseline: {
      name: 'line through the cycle’s first and latest measurement',
      mae_running_h: r3(mean(baseErrors)) ?? NaN,
    },
  };
}
