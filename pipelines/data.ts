/** What pipelines read from the store: readings as Arrow, and MES/maintenance context as plain rows. */
import type { Table } from 'apache-arrow';
import type {
  BatchSpan,
  ContextData,
  FailureEvent,
  FeatureSet,
  MaintenanceEvent,
} from '../features/index.ts';
import {
  exportParquet,
  exportTable,
  joinBySymbol,
  inlineInstants,
  inlineParams,
  inlineSafeSymbol,
  microsToIso,
  parseTimestampMicros,
  query,
  queryTable,
  sql,
} from '../src/store/index.ts';
import { ErrorCodes, PdmError } from '../src/errors.ts';
import type { ExportColumn, Store } from '../src/store/index.ts';

export interface TimeRange {
  /** Epoch microseconds, inclusive. */
  readonly from: number;
  /** Epoch microseconds, exclusive. */
  readonly to: number;
}

export async function loadReadings(
  store: Store,
  fs: FeatureSet,
  range: TimeRange,
  onRows?: (rows: number) => void,
): Promise<Table> {
  const text = sql('readings_range', store.tables, { sensors: fs.sensors });
  const via = store.config.questdb.readVia;
  if (via === 'export') {
    try {
      const perEquipment = await readingsAsParquet(store, fs.sensors, range, onRows);
      if (perEquipment !== undefined) return perEquipment;
    } catch (err) {
      console.error(
        `reading history through QuestDB's Parquet export failed (${(err as Error).message}); reading it through the CSV export instead (PDM_READ_VIA=csv skips the Parquet export)`,
      );
    }
  }
  if (via === 'export' || via === 'csv') {
    try {
      return await exportTable(
        store.config.questdb,
        inlineInstants(text, [range.from, range.to]),
        [
          { name: 'ts', kind: 'timestamp' },
          { name: 'equipment', kind: 'symbol' },
          ...fs.sensors.map((name) => ({ name, kind: 'double' as const })),
        ],
        { ...(onRows ? { onRows } : {}) },
      );
    } catch (err) {
      // The export is the fast path, not the only one: say why, and read over the PG wire.
      console.error(
        `reading history through QuestDB's export failed (${(err as Error).message}); reading it over the PG wire instead (PDM_READ_VIA=pg skips the export)`,
      );
    }
  }
  return queryTable(store.pool, text, [microsToIso(range.from), microsToIso(range.to)], {
    ...(onRows ? { onRows } : {}),
  });
}

/** The columns of `readings_equipment_window`: the time, then each sensor. */
function windowColumns(sensors: readonly string[]): ExportColumn[] {
  return [{ name: 'ts', kind: 'timestamp' }, ...sensors.map((name) => ({ name, kind: 'double' as const }))];
}

/**
 * `loadReadings` as QuestDB's Parquet export, one equipment at a time (a file is held whole until
 * its footer, so one machine's range at a time, not the plant's): the same table as the CSV export
 * gives (ts, equipment, sensors; by equipment, then time; a dictionary per record batch).
 * Undefined when an equipment id cannot be inlined in a query (`inlineSafeSymbol`): the CSV export
 * reads those. Measured on the week of a first start (12 machines at 1 s, 6.85M readings, 2-core
 * AMD VM): 5.7 and 7.3 s against the CSV export's 11.1 and 11.9 s.
 */
async function readingsAsParquet(
  store: Store,
  sensors: readonly string[],
  range: TimeRange,
  onRows?: (rows: number) => void,
): Promise<Table | undefined> {
  const span = [microsToIso(range.from), microsToIso(range.to)];
  const { rows } = await query<{ equipment: string }>(
    store.pool,
    sql('telemetry_equipment_range', store.tables),
    span,
  );
  const ids = rows.map((r) => r.equipment);
  if (!ids.every(inlineSafeSymbol)) return undefined;
  // QuestDB orders symbols by their UTF-16 code units, as this sort does (the ids are ASCII).
  ids.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const text = sql('readings_equipment_window', store.tables, { sensors });
  const columns = windowColumns(sensors);
  const parts: { value: string; table: Table }[] = [];
  let read = 0;
  for (const id of ids) {
    const table = await exportParquet(
      store.config.questdb,
      inlineParams(text, [{ symbol: id }, range.from, range.to]),
      columns,
    );
    parts.push({ value: id, table });
    read += table.numRows;
    onRows?.(read);
  }
  const [ts, ...doubles] = columns;
  return joinBySymbol(parts, [ts!, { name: 'equipment', kind: 'symbol' }, ...doubles]);
}

/**
 * When a path of `loadEquipmentWindow` last failed (ms): it is skipped for a minute after (an
 * external QuestDB without the Parquet export, or one refusing exports beyond its limit, does not
 * cost a failed request per score), then tried again. Said once per failure, not at every score.
 */
const windowPathFailedAt = { parquet: -Infinity, csv: -Infinity };
const WINDOW_PATH_RETRY_MS = 60_000;

function windowPathUp(path: 'parquet' | 'csv'): boolean {
  return Date.now() - windowPathFailedAt[path] >= WINDOW_PATH_RETRY_MS;
}

function windowPathFailure(path: 'parquet' | 'csv', err: unknown, next: string): void {
  console.error(
    `reading a scoring window through QuestDB's ${path === 'parquet' ? 'Parquet' : 'CSV'} export failed (${(err as Error).message}); reading ${next} for the next minute (PDM_READ_VIA=pg skips the exports)`,
  );
  windowPathFailedAt[path] = Date.now();
}

/**
 * One equipment's readings in a range, in time order (`ts` and the sensors): the window a score
 * at an instant of the past reads, and a live window's full load. When the equipment id can be
 * inlined (`inlineSafeSymbol`), through QuestDB's Parquet export, whose doubles are read as the
 * bytes they are; if that fails, its CSV export; otherwise and then over the PG wire with bind
 * parameters. Measured on a day at 1 s (86,401 rows of 9 sensors, half of them null): 60-97 ms
 * as Parquet, 114-300 ms as CSV, 260-400 ms over the PG wire (whose per-value strings also cost
 * the API's thread garbage collection); every cell the same (tests/store/export.test.ts).
 */
export async function loadEquipmentWindow(
  store: Store,
  sensors: readonly string[],
  equipment: string,
  range: TimeRange,
  signal?: AbortSignal,
): Promise<Table> {
  const text = sql('readings_equipment_window', store.tables, { sensors });
  const via = store.config.questdb.readVia;
  if (via !== 'pg' && inlineSafeSymbol(equipment)) {
    const inlined = inlineParams(text, [{ symbol: equipment }, range.from, range.to]);
    const columns = windowColumns(sensors);
    const o = signal === undefined ? {} : { signal };
    if (via === 'export' && windowPathUp('parquet')) {
      try {
        return await exportParquet(store.config.questdb, inlined, columns, o);
      } catch (err) {
        if (signal?.aborted) throw err;
        windowPathFailure('parquet', err, "through QuestDB's CSV export");
      }
    }
    if (windowPathUp('csv')) {
      try {
        return await exportTable(store.config.questdb, inlined, columns, o);
      } catch (err) {
        if (signal?.aborted) throw err;
        windowPathFailure('csv', err, 'over the PG wire');
      }
    }
  }
  return queryTable(store.pool, text, [equipment, microsToIso(range.from), microsToIso(range.to)]);
}

/**
 * Maintenance and batches over a range, of the whole plant or of one equipment (the scorer's hot
 * path). `maintenanceFrom` (µs) reaches further back for maintenance alone: an equipment's age is
 * counted from its last maintenance however long ago that was (or from its installation when
 * there was none), so features and scores load the whole maintenance history up to `range.to`.
 */
export async function loadContext(
  store: Store,
  range: TimeRange,
  equipment?: string,
  o: { maintenanceFrom?: number } = {},
): Promise<ContextData & { failures: FailureEvent[] }> {
  const span = [microsToIso(range.from), microsToIso(range.to)];
  const mspan = [microsToIso(Math.min(range.from, o.maintenanceFrom ?? range.from)), span[1]!];
  const args = equipment === undefined ? span : [equipment, ...span];
  const margs = equipment === undefined ? mspan : [equipment, ...mspan];
  const suffix = equipment === undefined ? '' : '_equipment';
  const m = await query<{
    ts: string;
    equipment: string;
    kind: string;
    mode: string | null;
    ended_at: string | null;
  }>(store.pool, sql(`maintenance_range${suffix}`, store.tables), margs);
  const b = await query<{
    ts: string;
    equipment: string;
    product: string;
    load: number | null;
    ended_at: string | null;
  }>(store.pool, sql(`batches_range${suffix}`, store.tables), args);
  const maintenance: MaintenanceEvent[] = m.rows.map((r) => ({
    equipment: r.equipment,
    ts: parseTimestampMicros(r.ts),
    endedAt: parseTimestampMicros(r.ended_at),
  }));
  const failures: FailureEvent[] = m.rows
    .filter((r) => r.kind === 'failure')
    .map((r) => ({ equipment: r.equipment, ts: parseTimestampMicros(r.ts), mode: r.mode ?? 'unknown' }));
  const batches: BatchSpan[] = b.rows.map((r) => ({
    equipment: r.equipment,
    ts: parseTimestampMicros(r.ts),
    endedAt: parseTimestampMicros(r.ended_at),
    load: r.load ?? NaN,
    product: r.product ?? '',
  }));
  return { maintenance, batches, failures };
}

/** First and last reading time (µs) and the number of readings; NaN times when empty. */
export async function telemetrySpan(
  store: Store,
): Promise<{ first: number; last: number; readings: number }> {
  const { rows } = await query<{ first_ts: string | null; last_ts: string | null; readings: string }>(
    store.pool,
    sql('time_range', store.tables),
  );
  const r = rows[0];
  return {
    first: parseTimestampMicros(r?.first_ts ?? null),
    last: parseTimestampMicros(r?.last_ts ?? null),
    readings: Number(r?.readings ?? 0),
  };
}

/**
 * The span of stored telemetry as a range [first, last + 1 µs), for work that needs history;
 * throws, naming `who`, when nothing is stored yet.
 */
/**
 * The last `days` of a history (all of it when `days` is 0 or the history is shorter): what
 * training, retraining and backtests read, so a plant that has run for a year trains in the same
 * memory as one that has run for a month.
 */
export function historyWindow(history: TimeRange, days: number): TimeRange {
  if (!(days > 0)) return history;
  return { from: Math.max(history.from, history.to - days * 86_400e6), to: history.to };
}

export async function storedHistory(store: Store, who: string): Promise<TimeRange> {
  const span = await telemetrySpan(store);
  if (span.readings === 0)
    throw new PdmError(
      ErrorCodes.CLI_USAGE,
      `${who}: the telemetry table is empty; ingest or \`pdm simulate\` first`,
    );
  return { from: span.first, to: span.last + 1 };
}
