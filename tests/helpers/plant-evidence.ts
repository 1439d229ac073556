/**
 * A simulated plant held in memory (no database): its readings as an Arrow table, its maintenance
 * and batches as context, and the plant feature set computed over them, as the harness sees it.
 * Tests that need to change history row by row use this; integration tests go through QuestDB.
 */
import { Float64, Table, TimestampMicrosecond, Utf8, Vector, makeData, vectorFromArray } from 'apache-arrow';
import { computeFeatures } from '../../features/index.ts';
import type { BatchSpan, FailureEvent, FeatureSet, MaintenanceEvent } from '../../features/index.ts';
import type { Evidence } from '../../pipelines/harness.ts';
import { featureMatrix } from '../../pipelines/features.ts';
import { MemorySink, SENSORS, simulate } from '../../src/sim/index.ts';

export interface PlantHistory {
  /** One reading per row: µs, equipment, a value per sensor (SENSORS order). */
  readings: { ts: number; equipment: string; values: number[] }[];
  maintenance: (MaintenanceEvent & { kind: string; mode: string })[];
  batches: BatchSpan[];
  from: number;
  to: number;
}

export async function simulatedHistory(o: {
  equipment: number;
  days: number;
  seed: number;
  start: number;
  sampleSeconds: number;
}): Promise<PlantHistory> {
  const sink = new MemorySink();
  await simulate(sink, o);
  const readings: PlantHistory['readings'] = [];
  for (const [equipment, s] of sink.series)
    s.ts.forEach((ts, i) => readings.push({ ts, equipment, values: s.values[i] as number[] }));
  return {
    readings,
    maintenance: sink.log.maintenance.map((m) => ({
      equipment: m.equipment,
      ts: m.ts,
      endedAt: m.endedAt,
      kind: m.kind,
      mode: m.mode,
    })),
    batches: sink.log.batches
      .filter((b) => b.status !== 'planned' && b.status !== 'replanned')
      .map((b) => ({
        equipment: b.equipment,
        ts: b.ts,
        endedAt: b.endedAt,
        load: b.load,
        product: b.product,
      })),
    from: o.start * 1e6,
    to: (o.start + o.days * 86400) * 1e6,
  };
}

export function readingsTable(h: PlantHistory): Table {
  const n = h.readings.length;
  const big = BigInt64Array.from(h.readings, (r) => BigInt(Math.round(r.ts)));
  const cols: Record<string, Vector> = {
    ts: new Vector([makeData({ type: new TimestampMicrosecond(), length: n, data: big })]),
    equipment: vectorFromArray(
      h.readings.map((r) => r.equipment),
      new Utf8(),
    ),
  };
  SENSORS.forEach((s, j) => {
    const v = Float64Array.from(h.readings, (r) => r.values[j] ?? NaN);
    cols[s] = new Vector([makeData({ type: new Float64(), length: n, data: v })]);
  });
  return new Table(cols);
}

/** The plant feature set over the history, every `everySeconds`, with the failures observed. */
export function evidenceOf(h: PlantHistory, fs: FeatureSet, everySeconds = 600): Evidence {
  const features = computeFeatures(readingsTable(h), fs, {
    everySeconds,
    context: { maintenance: h.maintenance, batches: h.batches },
  });
  const m = featureMatrix(features, fs);
  const failures: FailureEvent[] = h.maintenance
    .filter((e) => e.kind === 'failure')
    .map((e) => ({ equipment: e.equipment, ts: e.ts, mode: e.mode }));
  return { ...m, names: fs.columns, failures, observedUntil: h.to, everySeconds };
}
