/**
 * Forecasts for the whole plant: score every equipment at an instant, write the forecasts to the
 * store (the scheduled job's work), and read them back joined with MES context for schedulers:
 * the batch running when the forecast was made, the planned batches ahead, and a suggested
 * maintenance window (the first gap of at least `windowHours` between planned work before the
 * predicted failure).
 */
import { microsToIso, parseTimestampMicros, query, sql, Writer } from '../src/store/index.ts';
import type { Store } from '../src/store/index.ts';
import type { Scorer } from '../src/scoring/scorer.ts';
import { errorMessage } from '../src/errors.ts';

export interface PlantForecast {
  readonly equipment: string;
  readonly site: string | null;
  readonly line: string | null;
  readonly equipment_class: string | null;
  readonly forecast_at: string;
  readonly probability: number;
  readonly rul_h: number;
  readonly rul_lo_h: number;
  readonly rul_hi_h: number;
  readonly model_version: string;
  readonly running_batch: { batch_id: string; order_id: string; product: string; started: string } | null;
  readonly planned_batches: {
    batch_id: string;
    order_id: string;
    product: string;
    start: string;
    end: string | null;
  }[];
  readonly maintenance_window: { start: string; end: string } | null;
  /** Failure probability per mode at the same instant, where per-mode models are promoted. */
  readonly by_mode: Record<string, number>;
}

/**
 * Scores every equipment at `atMicros` and writes the forecasts; returns how many equipment got
 * one. Equipment that cannot be scored (no readings in the 24 h before) are passed to `onSkip`.
 */
export async function forecastAll(
  store: Store,
  scorer: Scorer,
  atMicros: number,
  onSkip?: (equipment: string, reason: string) => void,
): Promise<number> {
  const eq = await query<{ equipment: string }>(store.pool, sql('equipment_current', store.tables));
  const writer = await Writer.open(store.config.questdb, store.config.ingest, {
    table: store.tables.forecasts,
    symbols: ['equipment', 'mode', 'model_version'],
    doubles: ['probability', 'rul_h', 'rul_lo_h', 'rul_hi_h'],
    ints: ['horizon_h'],
  });
  let written = 0;
  const context = await scorer.contextAt(atMicros); // once for the plant, not once per equipment
  for (const { equipment } of eq.rows) {
    let s;
    try {
      s = await scorer.score(equipment, atMicros, context);
    } catch (err) {
      onSkip?.(equipment, errorMessage(err)); // e.g. silent for 24 h: nothing to forecast from
      continue;
    }
    if (s.failure === null) continue;
    await writer.append(
      atMicros,
      [equipment, 'any', s.failure.model],
      [s.failure.probability, s.rul?.hours ?? NaN, s.rul?.low ?? NaN, s.rul?.high ?? NaN],
      [s.failure.horizon_h],
    );
    // Longer horizons (any mode), then per-mode probabilities beside it (RUL is not per mode).
    for (const h of s.failure_by_horizon)
      if (h.horizon_h !== s.failure.horizon_h)
        await writer.append(
          atMicros,
          [equipment, 'any', h.model],
          [h.probability, NaN, NaN, NaN],
          [h.horizon_h],
        );
    for (const m of s.failure_by_mode)
      await writer.append(
        atMicros,
        [equipment, m.mode, m.model],
        [m.probability, NaN, NaN, NaN],
        [m.horizon_h],
      );
    written++;
  }
  await writer.close();
  return written;
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
  const modeRows = await query<{ ts: string; equipment: string; mode: string; probability: number }>(
    store.pool,
    sql('forecasts_latest_modes', store.tables),
    [horizonHours],
  );
  // Planned work of every equipment from the earliest forecast to the latest one's horizon: one query.
  const times = latest.rows.map((r) => parseTimestampMicros(r.ts as string));
  const from = Math.min(...times);
  const to = Math.max(...times) + horizonHours * 3.6e9;
  const plannedAll =
    latest.rows.length === 0
      ? []
      : (
          await query<Record<string, string | null>>(store.pool, sql('batches_planned', store.tables), [
            microsToIso(from),
            microsToIso(to),
          ])
        ).rows;
  const out: PlantForecast[] = [];
  for (const r of latest.rows) {
    const equipment = String(r.equipment);
    const place = places.get(equipment);
    if (filter.line !== undefined && place?.line !== filter.line) continue;
    if (filter.site !== undefined && place?.site !== filter.site) continue;
    const at = parseTimestampMicros(r.ts as string);
    const batchEnd = parseTimestampMicros(r.batch_end as string | null);
    const running = r.batch_id !== null && !(batchEnd <= at);
    const rulH = Number(r.rul_h);
    const failAt = at + (Number.isFinite(rulH) ? rulH : horizonHours) * 3.6e9;
    const planned = plannedAll.filter((b) => {
      const start = parseTimestampMicros(b.ts as string);
      return b.equipment === equipment && start >= at && start < at + horizonHours * 3.6e9;
    });
    // The first gap of windowHours in the planned work (after the running batch) before the failure.
    // A batch still running with no end yet: assume the window can start once it is reported done.
    let cursor = running && batchEnd === batchEnd ? batchEnd : at;
    let window: PlantForecast['maintenance_window'] = null;
    for (const b of [...planned, null]) {
      const start = b === null ? failAt : parseTimestampMicros(b.ts as string);
      if (start - cursor >= windowHours * 3.6e9 && cursor + windowHours * 3.6e9 <= failAt) {
        window = { start: microsToIso(cursor), end: microsToIso(cursor + windowHours * 3.6e9) };
        break;
      }
      if (b !== null) {
        const end = parseTimestampMicros(b.ended_at as string | null);
        cursor = Math.max(cursor, end === end ? end : start);
      }
    }
    out.push({
      equipment,
      site: place?.site ?? null,
      line: place?.line ?? null,
      equipment_class: place?.equipment_class ?? null,
      forecast_at: microsToIso(at),
      probability: Number(r.probability),
      rul_h: rulH,
      rul_lo_h: Number(r.rul_lo_h),
      rul_hi_h: Number(r.rul_hi_h),
      model_version: String(r.model_version),
      running_batch: running
        ? {
            batch_id: String(r.batch_id),
            order_id: String(r.order_id),
            product: String(r.product),
            started: microsToIso(parseTimestampMicros(r.batch_start as string)),
          }
        : null,
      planned_batches: planned.map((b) => ({
        batch_id: String(b.batch_id),
        order_id: String(b.order_id),
        product: String(b.product),
        start: microsToIso(parseTimestampMicros(b.ts as string)),
        end: (b.ended_at ?? null) === null ? null : microsToIso(parseTimestampMicros(b.ended_at ?? null)),
      })),
      maintenance_window: window,
      by_mode: Object.fromEntries(
        modeRows.rows
          .filter((m) => m.equipment === equipment && parseTimestampMicros(m.ts) === at)
          .map((m) => [m.mode, Number(m.probability)]),
      ),
    });
  }
  return out.sort((a, b) => b.probability - a.probability || a.rul_h - b.rul_h);
}
