/**
 * The feature pipeline over the store: readings and context of a time range in, the declared
 * feature set out (an Arrow table), optionally persisted to the features table.
 */
import type { Table } from 'apache-arrow';
import { computeFeatures, float64Values, stringCodes, timestampMicros } from '../features/index.ts';
import type { FailureEvent, FeatureSet } from '../features/index.ts';
import type { Config } from '../src/config.ts';
import type { Store } from '../src/store/index.ts';
import { Writer } from '../src/store/index.ts';
import { loadContext, loadReadings } from './data.ts';
import type { TimeRange } from './data.ts';
import type { Evidence } from './harness.ts';
import type { ModelScope } from './scopes.ts';

export interface FeatureRun {
  readonly features: Table;
  readonly failures: FailureEvent[];
  readonly readings: number;
  /** The sampling interval of the rows (s): one row per equipment and interval, its last reading. */
  readonly everySeconds?: number;
}

/**
 * Features of a scope's equipment over `range`, one row per `everySeconds` (default the scope's).
 * Windows reach back: rows in the first `lookback` of the range see less history (their
 * count/missing columns say so). Failures are those of the scope's equipment.
 */
export async function computeStoreFeatures(
  store: Store,
  scope: ModelScope,
  range: TimeRange,
  everySeconds = scope.everySeconds,
  /** Progress lines on a long run: readings read so far (every 5 s), then the feature step. */
  onProgress?: (what: string) => void,
): Promise<FeatureRun> {
  const fs = scope.featureSet;
  const started = performance.now();
  let told = started;
  const readings = await loadReadings(
    store,
    fs,
    range,
    onProgress &&
      ((rows) => {
        const now = performance.now();
        if (now - told < 5000) return;
        told = now;
        onProgress(
          `read ${rows.toLocaleString('en')} readings so far (${((now - started) / 1000).toFixed(0)} s)`,
        );
      }),
  );
  onProgress?.(
    `read ${readings.numRows.toLocaleString('en')} readings in ${((performance.now() - started) / 1000).toFixed(1)} s; computing ${fs.columns.length} features every ${everySeconds} s`,
  );
  // Every maintenance before the range too: ages count from the last one, however old.
  const loaded = await loadContext(store, range, undefined, { maintenanceFrom: 0 });
  const only = new Set(scope.equipment);
  const context = { ...loaded, classOf: scope.classOf, installedAt: scope.installedAt };
  const features = computeFeatures(readings, fs, { everySeconds, context, only });
  return {
    features,
    failures: loaded.failures.filter((f) => only.has(f.equipment) && f.ts >= range.from),
    readings: readings.numRows,
    ...(everySeconds > 0 ? { everySeconds } : {}),
  };
}

/** A feature table as arrays: instants (µs), equipment per row, and one column per feature. */
export interface FeatureMatrix {
  readonly ts: Float64Array;
  readonly equipment: string[];
  readonly columns: Float64Array[];
}

export function featureMatrix(features: Table, fs: FeatureSet): FeatureMatrix {
  const { codes, labels } = stringCodes(features.getChild('equipment')!);
  return {
    ts: timestampMicros(features.getChild('ts')!),
    equipment: Array.from(codes, (c) => labels[c] as string),
    columns: fs.columns.map((c) => float64Values(features.getChild(c)!)),
  };
}

/** A feature run as the harness takes it, observed until `observedUntil` (exclusive, µs). */
export function evidenceOf(run: FeatureRun, fs: FeatureSet, observedUntil: number): Evidence {
  const lookback = Math.max(...fs.windows.map((w) => (w.kind === 'time' ? w.seconds : 0)));
  return {
    ...featureMatrix(run.features, fs),
    names: fs.columns,
    failures: run.failures,
    observedUntil,
    ...(lookback > 0 ? { lookbackHours: lookback / 3600 } : {}),
    ...(run.everySeconds !== undefined ? { everySeconds: run.everySeconds } : {}),
  };
}

/**
 * Writes a feature table to the store's features table (idempotent: DEDUP on ts, equipment, set),
 * the rows at or after `fromMicros` only (earlier rows of a refresh only carried its windows' lookback).
 */
export async function persistFeatures(
  config: Config,
  store: Store,
  fs: FeatureSet,
  features: Table,
  fromMicros = -Infinity,
): Promise<number> {
  const writer = await Writer.open(config.questdb, config.ingest, {
    table: store.tables.features,
    symbols: ['equipment', 'feature_set'],
    doubles: [...fs.columns],
  });
  const ts = timestampMicros(features.getChild('ts')!);
  const { codes, labels } = stringCodes(features.getChild('equipment')!);
  const cols = fs.columns.map((c) => float64Values(features.getChild(c)!));
  const row = new Float64Array(cols.length);
  const sym: string[] = ['', `${fs.name}@${fs.hash}`];
  for (let i = 0; i < ts.length; i++) {
    if ((ts[i] as number) < fromMicros) continue;
    for (let j = 0; j < cols.length; j++) row[j] = (cols[j] as Float64Array)[i] as number;
    sym[0] = labels[codes[i] as number] as string;
    await writer.append(ts[i] as number, sym, row);
  }
  await writer.close();
  return writer.stats.rowsAcknowledged;
}
