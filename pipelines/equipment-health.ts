/**
 * One equipment's recent history for engineers and the dashboard: sensor traces downsampled to
 * buckets (mean, min, max), a rolling mean and band (1 h window) over each, maintenance and
 * failure markers, the batches that ran (which product), data events, and the forecasts over time.
 */
import { float64Values, timestampMicros } from '../features/index.ts';
import { microsToIso, parseTimestampMicros, query, queryTable, sql } from '../src/store/index.ts';
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
  // One hour before the window so the rolling band is full from the first bucket.
  const table = await queryTable(store.pool, sql('readings_equipment_window', store.tables, { sensors }), [
    equipment,
    microsToIso(from - HOUR),
    microsToIso(toMicros),
  ]);
  const ts = timestampMicros(table.getChild('ts')!);
  const step = stepSeconds * 1e6;
  const nb = Math.max(1, Math.ceil((toMicros - from) / step));
  const t = Array.from({ length: nb }, (_, b) => microsToIso(from + b * step));
  const traces: SensorTrace[] = sensors.map((s) => {
    const v = float64Values(table.getChild(s)!);
    const sum = new Float64Array(nb);
    const cnt = new Float64Array(nb);
    const mn = new Float64Array(nb).fill(Infinity);
    const mx = new Float64Array(nb).fill(-Infinity);
    const rm = new Float64Array(nb).fill(NaN);
    const rs = new Float64Array(nb).fill(NaN);
    // Two pointers over time-ordered readings: the rolling 1 h window ending at each bucket end.
    let lo = 0;
    let hi = 0;
    let wSum = 0;
    let wSq = 0;
    let wN = 0;
    for (let b = 0; b < nb; b++) {
      const end = from + (b + 1) * step;
      while (hi < ts.length && (ts[hi] as number) < end) {
        const x = v[hi] as number;
        const at = ts[hi] as number;
        if (x === x) {
          wSum += x;
          wSq += x * x;
          wN++;
          if (at >= from) {
            const k = Math.floor((at - from) / step);
            sum[k]! += x;
            cnt[k]!++;
            if (x < mn[k]!) mn[k] = x;
            if (x > mx[k]!) mx[k] = x;
          }
        }
        hi++;
      }
      while (lo < hi && (ts[lo] as number) < end - HOUR) {
        const x = v[lo] as number;
        if (x === x) {
          wSum -= x;
          wSq -= x * x;
          wN--;
        }
        lo++;
      }
      if (wN > 0) {
        const m = wSum / wN;
        rm[b] = m;
        rs[b] = Math.sqrt(Math.max(0, wSq / wN - m * m));
      }
    }
    return {
      sensor: s,
      mean: Array.from(sum, (x, k) => (cnt[k]! > 0 ? round(x / cnt[k]!) : null)),
      min: Array.from(mn, (x) => (Number.isFinite(x) ? round(x) : null)),
      max: Array.from(mx, (x) => (Number.isFinite(x) ? round(x) : null)),
      rolling_mean_1h: Array.from(rm, round),
      rolling_std_1h: Array.from(rs, round),
    };
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
    readings: table.numRows,
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
