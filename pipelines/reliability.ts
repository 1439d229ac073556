/**
 * Reliability analysis of stored history for an equipment class (and optionally one failure mode):
 * operating intervals between repairs and failures (a failure of another mode, or the end of
 * observation, censors an interval), then MTBF, MTTR, availability, the failure Pareto by mode, a
 * censored Weibull fit and the Kaplan-Meier curve.
 */
import { availability, fitWeibull, kaplanMeierWithCensors } from '../models/index.ts';
import type { KmPoint } from '../models/index.ts';
import type { Availability, WeibullFit } from '../models/index.ts';
import { parseTimestampMicros, query, sql } from '../src/store/index.ts';
import type { Store } from '../src/store/index.ts';

export interface ReliabilityAnalysis extends Availability {
  readonly equipment_class: string | null;
  readonly mode: string | null;
  readonly equipment: number;
  readonly failures: number;
  readonly censored: number;
  readonly pareto: { mode: string; failures: number; cumulative_share: number }[];
  readonly weibull: WeibullFit | null;
  /** Survival after each failure time, with its 95 % pointwise interval (log-log Greenwood). */
  readonly kaplan_meier: KmPoint[];
  /** Each censored run's running time and the survival there (a plot's censor ticks). */
  readonly kaplan_meier_censored: { hours: number; survival: number }[];
}

export async function reliabilityAnalysis(
  store: Store,
  filter: { equipmentClass?: string; mode?: string },
): Promise<ReliabilityAnalysis> {
  const places = (
    await query<{ equipment: string; equipment_class: string }>(
      store.pool,
      sql('equipment_current', store.tables),
    )
  ).rows;
  const classOf = new Map(places.map((p) => [p.equipment, p.equipment_class]));
  const spans = (
    await query<{ equipment: string; first_ts: string; last_ts: string }>(
      store.pool,
      sql('telemetry_span_by_equipment', store.tables),
    )
  ).rows.filter(
    (s) => filter.equipmentClass === undefined || classOf.get(s.equipment) === filter.equipmentClass,
  );
  const failures = (
    await query<{ ts: string; equipment: string; mode: string | null; ended_at: string | null }>(
      store.pool,
      sql('failures_all', store.tables),
    )
  ).rows;
  const hours: number[] = [];
  const failed: number[] = [];
  const repairs: number[] = [];
  const byMode = new Map<string, number>();
  for (const span of spans) {
    let cursor = parseTimestampMicros(span.first_ts);
    const last = parseTimestampMicros(span.last_ts);
    for (const f of failures.filter((x) => x.equipment === span.equipment)) {
      const ts = parseTimestampMicros(f.ts);
      const end = parseTimestampMicros(f.ended_at);
      const mode = f.mode ?? 'unknown';
      const counts = filter.mode === undefined || filter.mode === mode;
      if (ts > cursor) {
        hours.push((ts - cursor) / 3.6e9);
        failed.push(counts ? 1 : 0);
      }
      if (counts) {
        byMode.set(mode, (byMode.get(mode) ?? 0) + 1);
        if (end === end) repairs.push((end - ts) / 3.6e9);
      }
      cursor = end === end ? end : ts;
    }
    if (last > cursor) {
      hours.push((last - cursor) / 3.6e9);
      failed.push(0);
    }
  }
  const lifetimes = { hours, failed };
  const total = [...byMode.values()].reduce((s, v) => s + v, 0);
  let cum = 0;
  const pareto = [...byMode.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([mode, n]) => {
      cum += n;
      return { mode, failures: n, cumulative_share: Math.round((cum / total) * 1000) / 1000 };
    });
  let weibull: WeibullFit | null = null;
  try {
    weibull = fitWeibull(lifetimes);
  } catch {
    weibull = null; // fewer than two failures: no fit, said as null
  }
  return {
    equipment_class: filter.equipmentClass ?? null,
    mode: filter.mode ?? null,
    equipment: spans.length,
    failures: failed.reduce((s, v) => s + v, 0),
    censored: failed.filter((v) => v === 0).length,
    ...availability(lifetimes, repairs),
    pareto,
    weibull,
    ...(({ curve, censored }) => ({ kaplan_meier: curve, kaplan_meier_censored: censored }))(
      kaplanMeierWithCensors(lifetimes),
    ),
  };
}
