/**
 * Data freshness: which equipment stopped reporting and which sensors went silent while the rest
 * of their equipment still reports. Each finding is raised as an event whose time is when the
 * condition began (the last reading, or the sensor's last value), so checking the same episode
 * again upserts the same event instead of adding one per check.
 */
import { float64Values, stringCodes } from '../features/index.ts';
import { microsToIso, parseTimestampMicros, query, queryTable, sql, Writer } from '../src/store/index.ts';
import type { Store } from '../src/store/index.ts';

export interface DataEvent {
  readonly ts: string;
  /** ts in epoch microseconds (the event's key in the store). */
  readonly tsMicros: number;
  readonly equipment: string;
  readonly kind: 'stale' | 'sensor_silent';
  readonly sensor: string;
  readonly detail: string;
}

export interface FreshnessOptions {
  /** An equipment without readings for this long is stale. */
  readonly staleAfterSeconds: number;
  /** A sensor without a value over this window, while its equipment reports, is silent. */
  readonly silentWindowSeconds?: number;
  readonly sensors: readonly string[];
  /** The sensors an equipment has, where the plant file says (others among `sensors` are not checked for it). */
  readonly sensorsOf?: (equipment: string) => ReadonlySet<string> | undefined;
  /**
   * Remembers (equipment, sensor) pairs found without a value for a week (a sensor its class
   * does not have) until the given time, so each check does not scan a week of that equipment's readings
   * again for them: pass the same map on every run (the freshness job does). Rechecked hourly.
   */
  readonly absent?: Map<string, number>;
}

const ABSENT_RECHECK_MICROS = 3600e6;

/** How far back a sensor's last value is looked for; a sensor silent longer is taken as absent. */
const SENSOR_MEMORY_MICROS = 7 * 86_400e6;

const fmtAge = (s: number) => (s >= 3600 ? `${(s / 3600).toFixed(1)} h` : `${Math.round(s)} s`);

export async function checkFreshness(
  store: Store,
  nowMicros: number,
  o: FreshnessOptions,
): Promise<DataEvent[]> {
  const events: DataEvent[] = [];
  const known = await query<{ equipment: string }>(store.pool, sql('equipment_current', store.tables));
  const spans = await query<{ equipment: string; last_ts: string }>(
    store.pool,
    sql('telemetry_last_seen', store.tables),
  );
  const last = new Map(spans.rows.map((r) => [r.equipment, parseTimestampMicros(r.last_ts)]));
  for (const { equipment } of known.rows) {
    const seen = last.get(equipment);
    if (seen === undefined) continue; // never reported: commissioning, not staleness
    const age = (nowMicros - seen) / 1e6;
    if (age >= o.staleAfterSeconds) {
      events.push({
        ts: microsToIso(seen),
        tsMicros: seen,
        equipment,
        kind: 'stale',
        sensor: '',
        detail: `no readings for ${fmtAge(age)} (threshold ${fmtAge(o.staleAfterSeconds)})`,
      });
    }
  }
  // Silent sensors over the recent window.
  const window = (o.silentWindowSeconds ?? 600) * 1e6;
  const recent = await queryTable(store.pool, sql('telemetry_recent', store.tables, { sensors: o.sensors }), [
    microsToIso(nowMicros - window),
  ]);
  if (recent.numRows > 0) {
    const { codes, labels } = stringCodes(recent.getChild('equipment')!);
    const counts = labels.map(() => 0);
    const valued = labels.map(() => o.sensors.map(() => 0));
    const values = o.sensors.map((s) => float64Values(recent.getChild(s)!));
    for (let i = 0; i < recent.numRows; i++) {
      const e = codes[i] as number;
      counts[e]!++;
      for (let j = 0; j < values.length; j++)
        if ((values[j] as Float64Array)[i] === (values[j] as Float64Array)[i]) valued[e]![j]!++;
    }
    for (let e = 0; e < labels.length; e++) {
      if ((counts[e] as number) < 10) continue; // too few readings to call a sensor silent
      const has = o.sensorsOf?.(labels[e] as string);
      for (let j = 0; j < o.sensors.length; j++) {
        if ((valued[e] as number[])[j] !== 0) continue;
        const sensor = o.sensors[j] as string;
        if (has !== undefined && !has.has(sensor)) continue;
        const key = `${labels[e]}\u0000${sensor}`;
        if ((o.absent?.get(key) ?? -Infinity) > nowMicros) continue;
        const { rows } = await query<{ last_ts: string | null }>(
          store.pool,
          sql('sensor_last_value', store.tables, { sensor: [sensor] }),
          [labels[e], microsToIso(nowMicros - SENSOR_MEMORY_MICROS), microsToIso(nowMicros)],
        );
        const lastValue = parseTimestampMicros(rows[0]?.last_ts ?? null);
        // No value in a week: not a sensor this equipment has (its class lacks it).
        if (lastValue !== lastValue) {
          o.absent?.set(key, nowMicros + ABSENT_RECHECK_MICROS);
          continue;
        }
        events.push({
          ts: microsToIso(lastValue),
          tsMicros: lastValue,
          equipment: labels[e] as string,
          kind: 'sensor_silent',
          sensor,
          detail: `no value for ${fmtAge((nowMicros - lastValue) / 1e6)} while ${counts[e]} readings arrived`,
        });
      }
    }
  }
  return events;
}

/** Writes events (idempotent: DEDUP on ts, equipment, kind, sensor). */
export async function raiseEvents(
  store: Store,
  events: readonly DataEvent[],
  nowMicros: number,
): Promise<number> {
  if (events.length === 0) return 0;
  const writer = await Writer.open(store.config.questdb, store.config.ingest, {
    table: store.tables.events,
    symbols: ['equipment', 'kind', 'sensor'],
    doubles: [],
    strings: ['detail'],
    timestamps: ['detected_at'],
  });
  for (const e of events) {
    await writer.append(e.tsMicros, [e.equipment, e.kind, e.sensor], [], [], [nowMicros], [e.detail]);
  }
  await writer.close();
  return events.length;
}
