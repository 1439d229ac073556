import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PLANT_FEATURES, backtestFailure, writeBacktestReport } from '../../pipelines/index.ts';
import type { FailureBacktest } from '../../pipelines/index.ts';
import { QuestDbSink, simulate } from '../../src/sim/index.ts';
import { waitForWal } from '../../src/store/index.ts';
import type { Store } from '../../src/store/index.ts';
import { openTestStore } from '../helpers/store.ts';

const START = Date.UTC(2025, 3, 1) / 1000;
const DAYS = 24;

describe('walk-forward failure backtest on a simulated plant', () => {
  let store: Store;
  let r: FailureBacktest;
  beforeAll(async () => {
    store = await openTestStore('backtest');
    const sink = await QuestDbSink.open(store.config, store.tables);
    await simulate(sink, { equipment: 8, days: DAYS, seed: 12, start: START, sampleSeconds: 60 });
    await sink.close();
    for (const t of [store.tables.telemetry, store.tables.maintenance, store.tables.batches])
      await waitForWal(store.pool, store.tables, t);
    r = await backtestFailure(
      store,
      PLANT_FEATURES,
      { from: START * 1e6, to: (START + DAYS * 86400) * 1e6 },
      { horizonHours: 24, folds: 2 },
    );
  }, 240_000);
  afterAll(async () => store?.close());

  it('ranks failures within 24 h well above chance, out of time', () => {
    expect(r.test_rows).toBeGreaterThan(1000);
    expect(r.positives).toBeGreaterThan(20);
    expect(r.roc_auc).toBeGreaterThan(0.7);
    expect(r.pr_auc).toBeGreaterThan(r.positives / r.test_rows); // better than the base rate
  });

  it('reports calibration, lead times and false alarms consistently', () => {
    expect(r.reliability.reduce((s, b) => s + b.count, 0)).toBe(r.test_rows);
    expect(r.failures_warned).toBeLessThanOrEqual(r.failures_in_test);
    expect(r.lead_time_h.values).toHaveLength(r.failures_warned);
    for (const h of r.lead_time_h.values) {
      expect(h).toBeGreaterThan(0);
      expect(h).toBeLessThanOrEqual(24);
    }
    expect(r.false_alarms_per_equipment_month).toBeGreaterThanOrEqual(0);
    expect(r.brier).toBeLessThan(0.25);
  });

  it('writes a markdown report an engineer can read', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pdm-report-'));
    const file = writeBacktestReport(dir, r, 'Test backtest');
    expect(existsSync(file)).toBe(true);
    const md = readFileSync(file, 'utf8');
    expect(md).toContain('| ROC-AUC |');
    expect(md).toContain('## Reliability (calibration)');
  });
});
