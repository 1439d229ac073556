/**
 * One equipment's recent history for engineers and the dashboard: sensor traces downsampled to
 * buckets (mean, min, max), a rolling mean and band (1 h window) over each, maintenance and
 * failure markers, the batches that ran (which product), data events, and the forecasts over time.
 */
import { microsToIso, parseTimestampMicros, query, sql } from '../src/store/index.ts';
import type { Store } from '../src/store/index.ts';

export interface SensorTrace {
  readonly sensor: string;
  readonly mean: (number | null)[];
  readonly min: (number | null)[];
  readonly max: (number | null)[];
  /** Rolling mean and standard deviation over the last hour, at each bucket's end. */
  readonly rolling_mean_1h: (number | null)[];
  readonly rolling_std_1h: (number | null)[];
}

export interface EquipmentHealth {
  readonly equipment: string;
  readonly from: string;
  readonly to: string;
  readonly step_s: number;
  readonly readings: number;
  /** Bucket start instants (ISO), shared by every trace. */
  readonly t: string[];
  readonly sensors: SensorTrace[];
  readonly maintenance: { ts: string; kind: string; mode: string | null; ended_at: string | null }[];
  readonly batches: { batch_id: string; product: string; start: string; end: string | null }[];
  readonly events: { ts: string; kind: string; sensor: string | null; detail: string }[];
  readonly forecasts: {
    ts: string;
    horizon_h: number;
    probability: number | null;
    /** The anomaly model's health index (1 healthy ... 0), null without one. */
    health: number | null;
    rul_h: number | null;
    rul_lo_h: number | null;
    rul_hi_h: number | null;
    model_version: string;
  }[];
}

const round = (v: number) => (Number.isFinite(v) ? Math.round(v * 1e4) / 1e4 : null);
const HOUR = 3.6e9;
const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

export async function equipmentHealth(
  store: Store,
  equipment: string,
  sensors: readonly string[],
  toMicros: number,
  hours: number,
  stepSeconds: number,
): Promise<EquipmentHealth> {
  const from = toMicros - hours * HOUR;
  const args = [equipment, microsToIso(from), microsToIso(toMicros)];
  // Bucketed in QuestDB, not pulled row by row: a day at 1 s of 8 sensors is ~700k values, a
  // bucket of sums is a few. The query's buckets (`sub`) divide both the step and the hour, so
  // each step and each rolling hour is a whole number of them and every figure is exact. The
  // query starts one hour before the window so the rolling band is full from the first bucket.
  const step = stepSeconds * 1e6;
  const sub = gcd(stepSeconds, 3600) * 1e6;
  const origin = from - HOUR;
  const perStep = step / sub;
  const perHour = HOUR / sub;
  const nb = Math.max(1, Math.ceil((toMicros - from) / step));
  const rows = await query<Record<string, string | number | null>>(
    store.pool,
    sql('readings_equipment_buckets', store.tables, { sensors }),
    [equipment, microsToIso(origin), microsToIso(toMicros), String(origin), String(sub)],
  );
  const t = Array.from({ length: nb }, (_, b) => microsToIso(from + b * step));
  let readings = 0;
  const at = rows.rows.map((r) => Number(r.bucket));
  for (const r of rows.rows) readings += Number(r.rows_n);
  const traces: SensorTrace[] = sensors.map((s) => {
    // The query's buckets that hold a value of this sensor, in time order (absent ones hold none).
    const m = rows.rows.length;
    const n = new Float64Array(m);
    const sum = new Float64Array(m);
    const sq = new Float64Array(m);
    const mnq = new Float64Array(m);
    const mxq = new Float64Array(m);
    rows.rows.forEach((r, i) => {
      n[i] = Number(r[`${s}__n`] ?? 0);
      sum[i] = n[i]! > 0 ? Number(r[`${s}__sum`]) : 0;
      sq[i] = n[i]! > 0 ? Number(r[`${s}__sq`]) : 0;
      mnq[i] = n[i]! > 0 ? Number(r[`${s}__min`]) : Infinity;
      mxq[i] = n[i]! > 0 ? Number(r[`${s}__max`]) : -Infinity;
    });
    const mean: (number | null)[] = [];
    const min: (number | null)[] = [];
    const max: (number | null)[] = [];
    const rm: (number | null)[] = [];
    const rs: (number | null)[] = [];
    // Three pointers over the query's buckets: this step's, and the rolling hour ending with it.
    let p = 0;
    let lo = 0;
    let hi = 0;
    let wN = 0;
    let wSum = 0;
    let wSq = 0;
    for (let b = 0; b < nb; b++) {
      const first = perHour + b * perStep; // this step's first query bucket
      const end = first + perStep; // exclusive
      while (p < m && (at[p] as number) < first) p++;
      let bn = 0;
      let bs = 0;
      let bmn = Infinity;
      let bmx = -Infinity;
      for (; p < m && (at[p] as number) < end; p++) {
        bn += n[p] as number;
        bs += sum[p] as number;
        if ((mnq[p] as number) < bmn) bmn = mnq[p] as number;
        if ((mxq[p] as number) > bmx) bmx = mxq[p] as number;
      }
      mean.push(bn > 0 ? round(bs / bn) : null);
      min.push(Number.isFinite(bmn) ? round(bmn) : null);
      max.push(Number.isFinite(bmx) ? round(bmx) : null);
      for (; hi < m && (at[hi] as number) < end; hi++) {
        wN += n[hi] as number;
        wSum += sum[hi] as number;
        wSq += sq[hi] as number;
      }
      for (; lo < hi && (at[lo] as number) < end - perHour; lo++) {
        wN -= n[lo] as number;
        wSum -= sum[lo] as number;
        wSq -= sq[lo] as number;
      }
      if (wN > 0) {
        const mu = wSum / wN;
        rm.push(round(mu));
        rs.push(round(Math.sqrt(Math.max(0, wSq / wN - mu * mu))));
      } else {
        rm.push(null);
        rs.push(null);
      }
    }
    return { sensor: s, mean, min, max, rolling_mean_1h: rm, rolling_std_1h: rs };
  });
  const range = [microsToIso(from), microsToIso(toMicros)];
  // Every query below takes args = [equipment, from, to]: this equipment's rows only.
  const iso = (s: string | null) => (s === null ? null : microsToIso(parseTimestampMicros(s)));
  const m = await query<{
    ts: string;
    equipment: string;
    kind: string;
    mode: string | null;
    ended_at: string | null;
  }>(store.pool, sql('maintenance_range_equipment', store.tables), args);
  const b = await query<{
    ts: string;
    equipment: string;
    batch_id: string;
    product: string;
    ended_at: string | null;
  }>(store.pool, sql('batches_range_equipment', store.tables), args);
  const f = await query<Record<string, string | number | null>>(
    store.pool,
    sql('forecasts_equipment', store.tables),
    args,
  );
  const e = await query<{ ts: string; kind: string; sensor: string | null; detail: string }>(
    store.pool,
    sql('events_equipment', store.tables),
    args,
  );
  const num = (x: string | number | null | undefined) =>
    x === null || x === undefined ? null : round(Number(x));
  return {
    equipment,
    from: range[0]!,
    to: range[1]!,
    step_s: stepSeconds,
    readings,
    t,
    sensors: traces.filter((tr) => tr.mean.some((x) => x !== null)), // sensors this equipment has
    maintenance: m.rows.map((r) => ({
      ts: iso(r.ts)!,
      kind: r.kind,
      mode: r.mode,
      ended_at: iso(r.ended_at),
    })),
    batches: b.rows.map((r) => ({
      batch_id: r.batch_id,
      product: r.product,
      start: iso(r.ts)!,
      end: iso(r.ended_at),
    })),
    events: e.rows.map((r) => ({ ts: iso(r.ts)!, kind: r.kind, sensor: r.sensor || null, detail: r.detail })),
    forecasts: f.rows.map((r) => ({
      ts: iso(r.ts as string)!,
      horizon_h: Number(r.horizon_h),
      // An anomaly-only row (no failure model yet) has no probability: null, never 0.
      probability: num(r.probability),
      health: num(r.health),
      rul_h: num(r.rul_h),
      rul_lo_h: num(r.rul_lo_h),
      rul_hi_h: num(r.rul_hi_h),
      model_version: String(r.model_version),
    })),
  };
}
