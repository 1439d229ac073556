import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computeFeatures, float64Values } from '../../features/index.ts';
import {
  computeStoreFeatures,
  loadReadings,
  persistFeatures,
  summariseFeatures,
} from '../../pipelines/index.ts';
import { QuestDbSink, simulate } from '../../src/sim/index.ts';
import { query, waitForWal } from '../../src/store/index.ts';
import type { Store } from '../../src/store/index.ts';
import { openTestStore } from '../helpers/store.ts';
import { simPlant } from '../helpers/plant.ts';

/** The simulator's plant of this file's machines, and its one model scope. */
const SIM = simPlant(4);

const START = Date.UTC(2025, 1, 1) / 1000;
const DAYS = 6;

describe('the feature pipeline on a simulated plant in QuestDB', () => {
  let store: Store;
  const range = { from: START * 1e6, to: (START + DAYS * 86400) * 1e6 };
  beforeAll(async () => {
    store = await openTestStore('pipeline_features');
    const sink = await QuestDbSink.open(store.config, store.tables);
    await simulate(sink, { equipment: 4, days: DAYS, seed: 5, start: START, sampleSeconds: 30 });
    await sink.close();
    for (const t of [store.tables.telemetry, store.tables.maintenance, store.tables.batches])
      await waitForWal(store.pool, store.tables, t);
  }, 120_000);
  afterAll(async () => store?.close());

  it('computes one row per equipment and 10 minutes, equal to the kernels on the same readings', async () => {
    const run = await computeStoreFeatures(store, SIM.scope, range, 600);
    expect(run.features.numRows).toBeGreaterThan(4 * DAYS * 144 * 0.8); // silent while down (repairs, PM)
    expect(run.features.numRows).toBeLessThanOrEqual(4 * DAYS * 144);
    expect(run.features.schema.fields.map((f) => f.name)).toEqual([
      'ts',
      'equipment',
      ...SIM.scope.featureSet.columns,
    ]);
    const again = computeFeatures(
      await loadReadings(store, SIM.scope.featureSet, range),
      SIM.scope.featureSet,
      {
        everySeconds: 600,
      },
    );
    const col = 'vibration_rms__mean__1h';
    expect(Array.from(float64Values(again.getChild(col)!))).toEqual(
      Array.from(float64Values(run.features.getChild(col)!)),
    );
    // Context came from the MES tables: a running batch has its recipe's load (idle is 0).
    const load = float64Values(run.features.getChild('batch_load')!);
    expect(load.some((v) => v > 0.5)).toBe(true);
    expect(load.some((v) => v === 0)).toBe(true);
    expect(run.failures.length).toBeGreaterThan(0);
    // The pooled scope's classes are a feature: one code per class (four machines, four classes).
    const cls = float64Values(run.features.getChild('equipment_class')!);
    expect(new Set(cls).size).toBe(4);
    expect(cls.every((v) => Number.isFinite(v))).toBe(true);
  });

  it('persists to the features table idempotently', async () => {
    const run = await computeStoreFeatures(store, SIM.scope, range, 3600);
    expect(await persistFeatures(store.config, store, SIM.scope.featureSet, run.features)).toBe(
      run.features.numRows,
    );
    expect(await persistFeatures(store.config, store, SIM.scope.featureSet, run.features)).toBe(
      run.features.numRows,
    );
    await waitForWal(store.pool, store.tables, store.tables.features);
    const { rows } = await query<{ n: string }>(store.pool, `SELECT count() n FROM ${store.tables.features}`);
    expect(Number(rows[0]?.n)).toBe(run.features.numRows);
  });

  it('summarises for an engineer: label correlations and describe() per equipment as CSV', async () => {
    const run = await computeStoreFeatures(store, SIM.scope, range, 600);
    const s = await summariseFeatures(run.features, SIM.scope.featureSet, run.failures, 24, range.to);
    expect(s.positives).toBeGreaterThan(0);
    expect(s.correlations).toHaveLength(SIM.scope.featureSet.columns.length);
    const csv = s.describeCsv.trim().split('\n');
    expect(csv[0]!.startsWith('equipment,stat,')).toBe(true);
    expect(csv.some((l) => /^cnc-001,mean,/.test(l))).toBe(true);
    expect(s.describeText).toContain('equipment cnc-001');
  }, 60_000);
});
