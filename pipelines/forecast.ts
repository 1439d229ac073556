/**
 * Forecasts for the whole plant: score every equipment at an instant, write the forecasts to the
 * store (the scheduled job's work), and read them back joined with MES context for schedulers:
 * the batch running when the forecast was made, the planned batches ahead, and a suggested
 * maintenance window (maintenance-window.ts: the first gap of at least `windowHours` between the
 * running and planned batches that ends before the pessimistic failure time, the RUL's low end;
 * else when to stop and which batch that interrupts).
 */
import { microsToIso, parseTimestampMicros, query, sql, Writer } from '../src/store/index.ts';
import type { Store } from '../src/store/index.ts';
import type { PlantScorer, Score } from '../src/scoring/scorer.ts';
import { reconcile } from '../models/index.ts';
import type { RulQuantiles } from '../models/index.ts';
import { errorMessage } from '../src/errors.ts';
import { batchEnd, maintenanceWindow, medianDuration } from './maintenance-window.ts';
import type { BusySpan } from './maintenance-window.ts';

/** The model_version of a forecast row written for an equipment that could not be scored. */
export const INSUFFICIENT = 'insufficient_data';

export interface PlantForecast {
  readonly equipment: string;
  /** `insufficient_data`: the equipment could not be scored (too little history or sensors absent). */
  readonly status: 'ok' | 'insufficient_data';
  readonly site: string | null;
  readonly line: string | null;
  readonly equipment_class: string | null;
  readonly forecast_at: string;
  readonly probability: number;
  readonly rul_h: number;
  readonly rul_lo_h: number;
  readonly rul_hi_h: number;
  readonly model_version: string;
  /** The anomaly model's health index (1 healthy ... 0), null without one. */
  readonly health: number | null;
  /** The sensor departing most from normal while the health index is in alarm, else null. */
  readonly health_driver: string | null;
  readonly running_batch: { batch_id: string; order_id: string; product: string; started: string } | null;
  readonly planned_batches: {
    batch_id: string;
    order_id: string;
    product: string;
    start: string;
    /** The planned end, else start plus the product's median duration there; null if neither is known. */
    end: string | null;
  }[];
  /** Until when the running batch keeps the equipment busy (its end, planned end or typical length). */
  readonly running_until: string | null;
  readonly maintenance_window: { start: string; end: string } | null;
  /** Without a window: no gap fits before the predicted failure; stop by then, and what it interrupts. */
  readonly no_window: { stop_at: string; interrupts: string | null; reason: string } | null;
  /** Failure probability per mode at the same instant, where per-mode models are promoted. */
  readonly by_mode: Record<string, number>;
}

/**
 * Scores every equipment of the plant file at `atMicros` and writes the forecasts; returns how many
 * equipment got one. Equipment that cannot be scored are passed to `onSkip`: with the error when
 * scoring failed (silent for 24 h, or a real failure the caller must not hide), without one when
 * the data was insufficient (that forecast row is written as such).
 */
export async function forecastAll(
  store: Store,
  scorer: PlantScorer,
  atMicros: number,
  onSkip?: (equipment: string, reason: string, error?: unknown) => void,
  /** Receives every score made (the alert policy reads them). */
  onScore?: (score: Score) => void,
): Promise<number> {
  const writer = await Writer.open(store.config.questdb, store.config.ingest, {
    table: store.tables.forecasts,
    symbols: ['equipment', 'mode', 'model_version', 'health_driver'],
    doubles: ['probability', 'rul_h', 'rul_lo_h', 'rul_hi_h', 'health'],
    ints: ['horizon_h'],
  });
  let written = 0;
  const context = await scorer.contextAt(atMicros); // once for the plant, not once per equipment
  // The fleet's readings in one bulk read, not a query per equipment (the per-equipment query of
  // an equipment with none in the window still says why it cannot be scored).
  const windows = await scorer.storedWindows(atMicros);
  for (const equipment of scorer.equipment) {
    let s;
    try {
      const stored = windows.get(equipment);
      s = await scorer.score(equipment, atMicros, context, stored === undefined ? {} : { stored });
      onScore?.(s);
    } catch (err) {
      onSkip?.(equipment, errorMessage(err), err); // e.g. silent for 24 h: nothing to forecast from
      continue;
    }
    if (s.status === 'insufficient_data') {
      // Written as such (no probability), so schedulers and the fleet view see why there is no risk.
      onSkip?.(equipment, s.recommended_action.reason);
      await writer.append(
        atMicros,
        [equipment, 'any', INSUFFICIENT, ''],
        [NaN, NaN, NaN, NaN, NaN],
        [scorer.find(equipment)?.failure?.horizonHours ?? scorer.primaryHorizonHours],
      );
      continue;
    }
    // The health index rides on the primary row; with no failure model it is the row (no probability).
    const health = s.anomaly?.health ?? NaN;
    const driver = s.anomaly?.alarm === true ? (s.anomaly.drivers[0]?.sensor ?? '') : '';
    if (s.failure === null) {
      if (s.anomaly === null) continue;
      await writer.append(
        atMicros,
        [equipment, 'any', s.anomaly.model, driver],
        [NaN, s.rul?.hours ?? NaN, s.rul?.low ?? NaN, s.rul?.high ?? NaN, health],
        [scorer.primaryHorizonHours],
      );
      written++;
      continue;
    }
    // Longer horizons (any mode) and per-mode probabilities first (RUL is not per mode), the
    // primary row last: rows commit in the order sent, so a reader that sees the primary row of
    // an instant sees the rest of it too, even when a flush splits an equipment's rows.
    for (const h of s.failure_by_horizon)
      if (h.horizon_h !== s.failure.horizon_h)
        await writer.append(
          atMicros,
          [equipment, 'any', h.model, ''],
          [h.probability, NaN, NaN, NaN, NaN],
          [h.horizon_h],
        );
    for (const m of s.failure_by_mode)
      await writer.append(
        atMicros,
        [equipment, m.mode, m.model, ''],
        [m.probability, NaN, NaN, NaN, NaN],
        [m.horizon_h],
      );
    await writer.append(
      atMicros,
      [equipment, 'any', s.failure.model, driver],
      [s.failure.probability, s.rul?.hours ?? NaN, s.rul?.low ?? NaN, s.rul?.high ?? NaN, health],
      [s.failure.horizon_h],
    );
    written++;
  }
  await writer.close();
  return written;
}

/** The model_version prefix of forecast rows that are a walk-forward's out-of-sample scores. */
export const BACKTEST_PREFIX = 'backtest:';

/**
 * Writes a walk-forward's out-of-sample scores as forecast history, marked `backtest:<model>`: a
 * fresh install's equipment views then show the past weeks' probability and RUL with the failures
 * on them (every score was made by a fold that never saw that instant). The RUL is reconciled with
 * the probability the same way the live scorer does it. Returns the rows written.
 */
export async function writeBacktestHistory(
  store: Store,
  model: string,
  horizonHours: number,
  scores: ReadonlyMap<string, { ts: number; equipment: string; p: number; rul?: RulQuantiles }>,
  capHours: number,
): Promise<number> {
  const writer = await Writer.open(store.config.questdb, store.config.ingest, {
    table: store.tables.forecasts,
    symbols: ['equipment', 'mode', 'model_version'],
    doubles: ['probability', 'rul_h', 'rul_lo_h', 'rul_hi_h'],
    ints: ['horizon_h'],
  });
  for (const s of scores.values()) {
    const r = s.rul === undefined ? undefined : reconcile(s.p, horizonHours, s.rul, capHours);
    await writer.append(
      s.ts,
      [s.equipment, 'any', `${BACKTEST_PREFIX}${model}`],
      [s.p, r?.hours ?? NaN, r?.low ?? NaN, r?.high ?? NaN],
      [horizonHours],
    );
  }
  await writer.close();
  return writer.stats.rowsAcknowledged;
}

export async function plantForecasts(
  store: Store,
  horizonHours: number,
  filter: { line?: string; site?: string },
  windowHours = 2,
): Promise<PlantForecast[]> {
  const places = new Map(
    (
      await query<{ equipment: string; site: string; line: string; equipment_class: string }>(
        store.pool,
        sql('equipment_current', store.tables),
      )
    ).rows.map((r) => [r.equipment, r]),
  );
  const latest = await query<Record<string, string | number | null>>(
    store.pool,
    sql('forecasts_latest', store.tables),
    [horizonHours],
  );
  // Planned work of every equipment from the earliest forecast to the latest one's horizon: one query.
  const times = latest.rows.map((r) => parseTimestampMicros(r.ts as string));
  const from = Math.min(...times);
  const to = Math.max(...times) + horizonHours * 3.6e9;
  // Per-mode rows no later than the latest forecast read: a score run committed between the two
  // queries would otherwise give every equipment newer mode rows than its forecast (by_mode empty).
  const modeRows =
    latest.rows.length === 0
      ? { rows: [] }
      : await query<{ ts: string; equipment: string; mode: string; probability: number }>(
          store.pool,
          sql('forecasts_latest_modes', store.tables),
          [horizonHours, microsToIso(Math.max(...times))],
        );
  const plannedAll =
    latest.rows.length === 0
      ? []
      : (
          await query<Record<string, string | null>>(store.pool, sql('batches_planned', store.tables), [
            microsToIso(from),
            microsToIso(to),
          ])
        ).rows;
  // A product's typical length per equipment, from the last 30 days' finished batches.
  const typical = new Map<string, number>();
  if (latest.rows.length > 0) {
    const done = await query<{ equipment: string; product: string; ts: string; ended_at: string }>(
      store.pool,
      sql('batches_durations', store.tables),
      [microsToIso(from - 30 * 86_400e6), microsToIso(to)],
    );
    const lists = new Map<string, number[]>();
    for (const b of done.rows) {
      const key = `${b.equipment}\u0000${b.product}`;
      const d = parseTimestampMicros(b.ended_at) - parseTimestampMicros(b.ts);
      lists.set(key, [...(lists.get(key) ?? []), d]);
    }
    for (const [k, v] of lists) typical.set(k, medianDuration(v));
  }
  const typicalOf = (equipment: string, product: string) =>
    typical.get(`${equipment}\u0000${product}`) ?? NaN;
  const out: PlantForecast[] = [];
  for (const r of latest.rows) {
    const equipment = String(r.equipment);
    const place = places.get(equipment);
    if (filter.line !== undefined && place?.line !== filter.line) continue;
    if (filter.site !== undefined && place?.site !== filter.site) continue;
    const at = parseTimestampMicros(r.ts as string);
    const ended = parseTimestampMicros(r.batch_end as string | null);
    const running = r.batch_id !== null && !(ended <= at);
    const rulH = Number(r.rul_h);
    const rulLo = Number(r.rul_lo_h);
    // The pessimistic failure time: the RUL's low end, else its point, else the horizon's end.
    const failAt =
      at + (Number.isFinite(rulLo) ? rulLo : Number.isFinite(rulH) ? rulH : horizonHours) * 3.6e9;
    const planned = plannedAll.filter((b) => {
      const start = parseTimestampMicros(b.ts as string);
      return b.equipment === equipment && start >= at && start < at + horizonHours * 3.6e9;
    });
    const busy: BusySpan[] = [];
    let runningUntil = NaN;
    if (running) {
      const start = parseTimestampMicros(r.batch_start as string);
      runningUntil = batchEnd({
        start,
        endedAt: ended,
        plannedEnd: parseTimestampMicros(r.batch_planned_end as string | null),
        typicalMicros: typicalOf(equipment, String(r.product)),
      });
      busy.push({ batch_id: String(r.batch_id), start, end: runningUntil });
    }
    const plannedSpans = planned.map((b) => {
      const start = parseTimestampMicros(b.ts as string);
      const end = batchEnd({
        start,
        endedAt: NaN,
        plannedEnd: parseTimestampMicros(b.planned_end ?? null),
        typicalMicros: typicalOf(equipment, String(b.product)),
      });
      busy.push({ batch_id: String(b.batch_id), start, end });
      return { b, start, end };
    });
    const answer = maintenanceWindow(at, busy, failAt, windowHours * 3.6e9);
    out.push({
      equipment,
      status: r.model_version === INSUFFICIENT ? 'insufficient_data' : 'ok',
      site: place?.site ?? null,
      line: place?.line ?? null,
      equipment_class: place?.equipment_class ?? null,
      forecast_at: microsToIso(at),
      probability: Number(r.probability),
      rul_h: rulH,
      rul_lo_h: rulLo,
      rul_hi_h: Number(r.rul_hi_h),
      model_version: String(r.model_version),
      health: r.health === null || r.health === undefined ? null : Number(r.health),
      health_driver: typeof r.health_driver === 'string' && r.health_driver !== '' ? r.health_driver : null,
      running_batch: running
        ? {
            batch_id: String(r.batch_id),
            order_id: String(r.order_id),
            product: String(r.product),
            started: microsToIso(parseTimestampMicros(r.batch_start as string)),
          }
        : null,
      running_until: running && runningUntil === runningUntil ? microsToIso(runningUntil) : null,
      planned_batches: plannedSpans.map(({ b, start, end }) => ({
        batch_id: String(b.batch_id),
        order_id: String(b.order_id),
        product: String(b.product),
        start: microsToIso(start),
        end: end === end ? microsToIso(end) : null,
      })),
      maintenance_window:
        answer.window === null
          ? null
          : { start: microsToIso(answer.window.start), end: microsToIso(answer.window.end) },
      no_window:
        answer.stop === null
          ? null
          : {
              stop_at: microsToIso(answer.stop.at),
              interrupts: answer.stop.interrupts,
              reason: answer.stop.reason,
            },
      by_mode: Object.fromEntries(
        modeRows.rows
          .filter((m) => m.equipment === equipment && parseTimestampMicros(m.ts) === at)
          .map((m) => [m.mode, Number(m.probability)]),
      ),
    });
  }
  // Most at risk first; equipment without a probability (insufficient data) last.
  const risk = (f: PlantForecast) => (Number.isFinite(f.probability) ? f.probability : -1);
  return out.sort((a, b) => risk(b) - risk(a) || a.rul_h - b.rul_h);
}
