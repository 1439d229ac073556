import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_ALERT_POLICY } from '../../pipelines/alert-policy.ts';
import { backtestAlerts, replayAlerts } from '../../pipelines/backtest-alerts.ts';
import type { TestScores } from '../../pipelines/backtest-alerts.ts';
import { backtestFailure, computeStoreFeatures, writeBacktestReport } from '../../pipelines/index.ts';
import { evidenceOf } from '../../pipelines/features.ts';
import { maintenanceSeen } from '../../pipelines/harness.ts';
import type { FeatureRun } from '../../pipelines/index.ts';
import type { FailureBacktest } from '../../pipelines/index.ts';
import { QuestDbSink, simulate } from '../../src/sim/index.ts';
import { waitForWal } from '../../src/store/index.ts';
import type { Store } from '../../src/store/index.ts';
import { openTestStore } from '../helpers/store.ts';
import { simPlant } from '../helpers/plant.ts';

/** The simulator's plant of this file's machines, and its one model scope. */
const SIM = simPlant(8);

const START = Date.UTC(2025, 3, 1) / 1000;
const DAYS = 24;

describe('walk-forward failure backtest on a simulated plant', () => {
  let store: Store;
  let r: FailureBacktest;
  let features: FeatureRun;
  const scores: TestScores = new Map();
  const range = { from: START * 1e6, to: (START + DAYS * 86400) * 1e6 };
  beforeAll(async () => {
    store = await openTestStore('backtest');
    const sink = await QuestDbSink.open(store.config, store.tables);
    await simulate(sink, { equipment: 8, days: DAYS, seed: 12, start: START, sampleSeconds: 60 });
    await sink.close();
    for (const t of [store.tables.telemetry, store.tables.maintenance, store.tables.batches])
      await waitForWal(store.pool, store.tables, t);
    features = await computeStoreFeatures(store, SIM.scope, range);
    r = await backtestFailure(store, SIM.scope, range, {
      horizonHours: 24,
      folds: 2,
      features,
      onTestScore: (ts, equipment, p, threshold) => {
        const list = scores.get(equipment) ?? [];
        list.push({ ts, p, threshold });
        scores.set(equipment, list);
      },
    });
  }, 240_000);
  afterAll(async () => store?.close());

  it('ranks failures within 24 h well above chance, out of time', () => {
    expect(r.test_rows).toBeGreaterThan(1000);
    expect(r.positives).toBeGreaterThan(20);
    expect(r.roc_auc).toBeGreaterThan(0.7);
    expect(r.pr_auc).toBeGreaterThan(r.positives / r.test_rows); // better than the base rate
  });

  it('sets the model beside persistence and a one-feature rule whose direction was chosen on training rows', () => {
    // Persistence ("failed within the last 24 h, so it will fail within the next") scores 0/1.
    expect(r.persistence.roc_auc).toBeGreaterThanOrEqual(0);
    expect(r.persistence.roc_auc).toBeLessThanOrEqual(1);
    expect(r.persistence.recall).toBeGreaterThanOrEqual(0);
    expect(r.persistence.recall).toBeLessThanOrEqual(1);
    expect(r.roc_auc).toBeGreaterThan(r.persistence.roc_auc);
    expect([1, -1]).toContain(r.baseline.direction);
    expect(SIM.scope.featureSet.columns).toContain(r.baseline.feature);
  });

  it('a longer horizon: backtested, registered and judged by the gate; scored and written beside the 24 h one, by the model or the reference it lost to', async () => {
    const { ModelRegistry } = await import('../../models/index.ts');
    const { ensureInitialModels, failureGate, forecastAll } = await import('../../pipelines/index.ts');
    const { PlantScorer } = await import('../../src/scoring/scorer.ts');
    const { query } = await import('../../src/store/index.ts');
    const registry = new ModelRegistry(mkdtempSync(path.join(os.tmpdir(), 'pdm-horizons-')));
    const range = { from: START * 1e6, to: (START + DAYS * 86400) * 1e6 };
    // 24 days = 576 h: a 400 h horizon needs 848 h of history to be backtested.
    const m = await ensureInitialModels(store, registry, SIM.scope, range, {
      horizons: [24, 72, 400],
      trees: 20,
      minModeFailures: 1000,
      alertBudget: 2,
      anomalyAlarmBudget: 0.5,
    });
    expect('model' in m.failure).toBe(true);
    const [three, long] = m.horizons;
    expect(long && 'skipped' in long && long.skipped).toMatch(/spans 576 h; a 400 h horizon needs 848 h/);
    expect(registry.promoted('pooled.failure-any-400h')).toBeNull();
    // The 72 h version is in service with the gate's verdict on its walk-forward recorded beside it.
    expect(three && 'model' in three).toBe(true);
    const meta = registry.meta('pooled.failure-any-72h', 'v0001');
    const backtest = registry.backtest('pooled.failure-any-72h', 'v0001') as unknown as FailureBacktest;
    expect(meta.gate).toEqual(failureGate(backtest));
    // The walk-forward judged the budget the model was trained for (it used its own default before).
    expect(backtest.alert_budget_per_equipment_month).toBe(2);
    expect(meta.recipe?.alertBudget).toBe(2);
    expect(meta.gate).toEqual(backtest.gate);
    expect(registry.promoted('pooled.failure-any-72h')).toBe('v0001');
    const answeredBy = meta.gate!.passed ? 'pooled.failure-any-72h@v0001' : meta.gate!.serve;
    expect(answeredBy).toMatch(
      /^(pooled\.failure-any-72h@v0001|baseline:one-sensor .+|baseline:climatology)$/,
    );

    const scorer = PlantScorer.load(store, registry, SIM.plant);
    const at = range.to;
    const s = await scorer.score('cnc-001', at);
    expect(s.status, s.insufficient?.reason).toBe('ok');
    expect(s.failure_by_horizon.map((h) => h.horizon_h)).toEqual([24, 72]);
    expect(s.failure_by_horizon[0]).toEqual(s.failure);
    // The anomaly model was learnt beside them and is shown beside the failure model's answer.
    expect('model' in m.anomaly).toBe(true);
    // ...at its own alarm budget, not the failure model's (the budget was ignored before).
    expect(registry.meta('pooled.anomaly', 'v0001').recipe?.alarmBudget).toBe(0.5);
    expect(s.anomaly?.model).toBe('pooled.anomaly@v0001');
    expect(s.anomaly!.health).toBeGreaterThan(0);
    expect(s.anomaly!.health).toBeLessThanOrEqual(1);
    expect(s.anomaly!.drivers.length).toBeGreaterThan(0);
    expect(s.answered_by.risk).toBe(s.failure!.note === undefined ? 'failure_model' : 'failure_baseline');
    // What answers is named: the version, or the reference it lost to (with why, and the version behind it).
    expect(s.failure_by_horizon[1]!.model).toBe(answeredBy);
    expect(s.failure_by_horizon[1]!.version).toBe('pooled.failure-any-72h@v0001');
    expect(s.failure_by_horizon[1]!.note === undefined).toBe(meta.gate!.passed);
    for (const h of s.failure_by_horizon) {
      expect(h.probability).toBeGreaterThanOrEqual(0);
      expect(h.probability).toBeLessThanOrEqual(1);
    }
    const written = await forecastAll(store, scorer, at);
    await waitForWal(store.pool, store.tables, store.tables.forecasts);
    const rows = await query<{ horizon_h: number; n: number }>(
      store.pool,
      `select horizon_h, count() n from ${store.tables.forecasts} where mode = 'any' and not (model_version like 'backtest:%') order by horizon_h`,
    );
    expect(written).toBe(8);
    const healthRows = await query<{ n: number }>(
      store.pool,
      `select count() n from ${store.tables.forecasts} where mode = 'any' and horizon_h = 24 and health >= 0 and health <= 1 and not (model_version like 'backtest:%')`,
    );
    expect(Number(healthRows.rows[0]!.n)).toBe(written);
    expect(rows.rows.map((x) => [Number(x.horizon_h), Number(x.n)])).toEqual([
      [24, written],
      [72, written],
    ]);

    // The nightly retrain challenges it alone (failure-any-72h) on a holdout of 72 + 24 h.
    const { retrainFailureHorizon } = await import('../../pipelines/index.ts');
    const outcome = await retrainFailureHorizon(store, registry, SIM.scope, range, {
      metric: 'brier',
      trees: 20,
      horizonHours: 72,
    });
    if ('error' in outcome) throw new Error(outcome.error);
    expect(outcome.champion?.version).toBe('v0001');
    expect(outcome.challenger.version).toBe('v0002');
    expect(outcome.holdout.rows).toBeGreaterThan(0);
    expect(new Date(outcome.holdout.from).getTime() * 1000).toBe(range.to - 96 * 3.6e9);
    expect(registry.challenges('pooled.failure-any-72h').at(-1)).toEqual(outcome);
    expect(registry.promoted('pooled.failure-any-72h')).toBe(outcome.promoted ? 'v0002' : 'v0001');
    // The champion's recipe (20 trees) was the challenger's: its re-fit at the cut is the
    // challenger's fit, scored once. A challenger of another recipe (10 trees) makes the champion's
    // re-fit real, and that re-fit scores exactly what the first challenge took for it.
    expect(outcome.champion?.sameRecipe).toBe(true);
    expect(outcome.champion?.value).toBe(outcome.challenger.value);
    const other = await retrainFailureHorizon(store, registry, SIM.scope, range, {
      metric: 'brier',
      trees: 10,
      horizonHours: 72,
    });
    if ('error' in other) throw new Error(other.error);
    const champion = registry.meta('pooled.failure-any-72h', other.champion!.version);
    expect(champion.recipe?.trees).toBe(20);
    expect(other.holdout).toEqual(outcome.holdout);
    expect(other.champion?.refit).toBe(true);
    expect(other.champion?.sameRecipe).toBeUndefined();
    expect(other.compared_on).not.toMatch(/was not repeated/);
    expect(other.champion?.value).toBe(outcome.champion?.value);
  }, 300_000);

  it('cold start: with only the anomaly model promoted, it answers the risk, says why, and its forecasts carry the health index', async () => {
    const { ModelRegistry } = await import('../../models/index.ts');
    const { trainAnomalyModel, forecastAll, plantForecasts } = await import('../../pipelines/index.ts');
    const { PlantScorer } = await import('../../src/scoring/scorer.ts');
    const { query } = await import('../../src/store/index.ts');
    const registry = new ModelRegistry(mkdtempSync(path.join(os.tmpdir(), 'pdm-cold-')));
    // A plant with no failure recorded: the same history with every failure taken out.
    const blind = { ...features, failures: [] };
    const a = await trainAnomalyModel(store, registry, SIM.scope, range, { features: blind });
    expect(a.backtest).toBeNull(); // nothing to judge it by
    expect(a.model.kind).toBe('anomaly');
    registry.promote(a.model.name, a.model.version);
    const scorer = PlantScorer.load(store, registry, SIM.plant);
    expect(scorer.ready).toBe(true);
    const s = await scorer.score('pump-001', range.to);
    expect(s.status).toBe('ok');
    expect(s.failure).toBeNull();
    expect(s.answered_by.risk).toBe('anomaly');
    expect(s.answered_by.reason).toMatch(/no failure model is promoted.*pooled\.anomaly@v0001/);
    expect(s.anomaly!.percentile).toBeGreaterThanOrEqual(0);
    expect(s.anomaly!.alarm).toBe(s.anomaly!.health <= s.anomaly!.alarm_health);
    // The fleet's forecasts: one anomaly-only row per equipment, no probability, its health set.
    const at = range.to + 60e6; // after the forecasts written above: the latest is this one
    const written = await forecastAll(store, scorer, at);
    await waitForWal(store.pool, store.tables, store.tables.forecasts);
    expect(written).toBe(8);
    const rows = await query<{ probability: number | null; health: number | null }>(
      store.pool,
      `select probability, health from ${store.tables.forecasts} where ts = $1::varchar::timestamp and model_version = 'pooled.anomaly@v0001'`,
      [new Date(at / 1000).toISOString()],
    );
    expect(rows.rows.length).toBe(8);
    for (const r of rows.rows) {
      expect(r.probability).toBeNull();
      expect(Number(r.health)).toBeGreaterThan(0);
    }
    const fleet = await plantForecasts(store, 24, {});
    const pump = fleet.find((f) => f.equipment === 'pump-001');
    expect(pump?.model_version).toBe('pooled.anomaly@v0001');
    expect(pump?.health).toBeGreaterThan(0);
  }, 120_000);

  it('pdm backtest anomaly: no failure label reaches training; warns ahead of failures and ranks them above chance', async () => {
    const { backtestAnomaly } = await import('../../pipelines/backtest-anomaly.ts');
    const b = await backtestAnomaly(store, SIM.scope, range, { folds: 2, features });
    expect(b.failure_labels_used_in_training).toBe(false);
    expect(b.failures_in_test).toBeGreaterThan(3);
    expect(b.roc_auc).toBeGreaterThan(0.6);
    expect(b.alarm_health.every((h) => h > 0 && h <= 0.5)).toBe(true);
    expect(b.failures_warned).toBeGreaterThan(0);
    // The same run with the failures moved a day: training and alarm levels do not change.
    const moved = await backtestAnomaly(store, SIM.scope, range, {
      folds: 2,
      features: { ...features, failures: features.failures.map((f) => ({ ...f, ts: f.ts - 86_400e6 })) },
    });
    expect(moved.alarm_health).toEqual(b.alarm_health);
  }, 120_000);

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
    // Calibrated and informative: better than forecasting the training failure rate everywhere.
    expect(r.brier).toBeLessThan(r.base_rate_brier);
  });

  it('replays the alert policy over the out-of-sample scores; without its controls it is the raw threshold', () => {
    const lineOf = new Map(SIM.plant.equipment.map((e) => [e.id, e.line]));
    const o = { horizonHours: 24, lineOf: (e: string) => lineOf.get(e) ?? '' };
    const withControls = replayAlerts(
      scores,
      features.failures,
      { ...o, policyOf: () => DEFAULT_ALERT_POLICY },
      true,
    );
    expect(withControls.test_instants).toBe(r.test_rows);
    for (const f of [withControls.policy, withControls.raw_threshold]) {
      expect(f.failures).toBeGreaterThan(0);
      expect(f.failures_warned + f.failures_missed).toBe(f.failures);
      expect(f.false_alerts).toBeLessThanOrEqual(f.alerts);
      expect(f.work_orders).toBeLessThanOrEqual(f.alerts);
      expect(f.false_work_orders).toBeLessThanOrEqual(f.work_orders);
      expect(f.failures_warned === 0 || f.lead_time_h.p90 <= 24).toBe(true);
    }
    expect(withControls.policy.failures).toBe(withControls.raw_threshold.failures);
    // Each policy alert opens on its own upward crossing of the threshold: never more of them.
    expect(withControls.policy.alerts).toBeLessThanOrEqual(withControls.raw_threshold.alerts);
    expect(withControls.policy.notifications).toBeLessThanOrEqual(withControls.policy.alerts * 2);
    // Hold 0, no hysteresis, no grouping, every alert a work order: exactly the raw threshold.
    const none = {
      ...DEFAULT_ALERT_POLICY,
      hold_minutes: 0,
      clear_minutes: 0,
      clear_ratio: 1,
      group_by_line: false,
      work_order_at: 1e-9,
    };
    const bare = replayAlerts(scores, features.failures, { ...o, policyOf: () => none }, true);
    expect(bare.policy).toEqual(bare.raw_threshold);
  });

  it('pdm backtest alerts: the same replay behind the walk-forward backtest it runs', async () => {
    const lineOf = new Map(SIM.plant.equipment.map((e) => [e.id, e.line]));
    const a = await backtestAlerts(store, SIM.scope, range, {
      horizonHours: 24,
      folds: 2,
      features,
      policyOf: () => DEFAULT_ALERT_POLICY,
      lineOf: (e) => lineOf.get(e) ?? '',
    });
    expect(a.failure.roc_auc).toBe(r.roc_auc);
    expect(a.test_instants).toBe(r.test_rows);
    // Maintenance resolves alerts in the replay as it does live.
    const maintenance = maintenanceSeen(evidenceOf(features, SIM.scope.featureSet, range.to));
    expect([...maintenance.values()].flat().length).toBeGreaterThan(8);
    const replay = replayAlerts(
      scores,
      features.failures,
      {
        horizonHours: 24,
        policyOf: () => DEFAULT_ALERT_POLICY,
        lineOf: (e) => lineOf.get(e) ?? '',
        maintenance,
      },
      a.failure.gate.passed,
    );
    expect(a.policy).toEqual(replay.policy);
    expect(a.raw_threshold).toEqual(replay.raw_threshold);
  }, 120_000);

  it('holds equipment out: trained on the others, tested on them alone', async () => {
    const steps: string[] = [];
    const h = await backtestFailure(
      store,
      SIM.scope,
      { from: START * 1e6, to: (START + DAYS * 86400) * 1e6 },
      {
        horizonHours: 24,
        folds: 2,
        holdOutEquipment: ['cnc-001', 'pump-001'],
        forest: { trees: 30 },
        onProgress: (done, total, what) => steps.push(`${done}/${total} ${what}`),
      },
    );
    // A long run says where it is: features, then each fold.
    expect(steps).toEqual([
      '0/3 reading the history and computing features',
      '1/3 fold 1 of 2: fitting and testing',
      '2/3 fold 2 of 2: fitting and testing',
    ]);
    expect(h.held_out_equipment).toEqual(['cnc-001', 'pump-001']);
    // Only the held-out machines' instants are tested: a quarter of the plant's (2 of 8).
    expect(h.test_rows).toBeGreaterThan(0);
    expect(h.test_rows).toBeLessThan(r.test_rows * 0.4);
    await expect(
      backtestFailure(
        store,
        SIM.scope,
        { from: START * 1e6, to: (START + DAYS * 86400) * 1e6 },
        {
          horizonHours: 24,
          holdOutEquipment: ['nope-9'],
        },
      ),
    ).rejects.toThrow(/hold-out equipment not in the history: nope-9/);
  });

  it('RUL walk-forward on 24 days: the forest beats both the mean-life and the Weibull baselines', async () => {
    const { backtestRul, rulGate } = await import('../../pipelines/index.ts');
    const b = await backtestRul(
      store,
      SIM.scope,
      { from: START * 1e6, to: (START + DAYS * 86400) * 1e6 },
      { trees: 40 },
    );
    expect(b.test_rows).toBeGreaterThan(1000);
    expect(b.weibull_baseline.rows).toBeGreaterThan(b.test_rows / 2);
    expect(b.rmse_h).toBeLessThan(b.baseline.rmse_h);
    expect(b.rmse_h).toBeLessThan(b.weibull_baseline.rmse_h);
    // Instants whose machine ran on past the end are scored apart (a bound, not a truth).
    expect(b.censored.rows).toBeGreaterThan(0);
    expect(b.censored.model_too_low).toBeGreaterThanOrEqual(0);
    expect(b.censored.model_too_low).toBeLessThanOrEqual(1);
    // The gate's verdict is the one its figures give; coverage is reported per nominal level.
    expect(b.gate).toEqual(rulGate(b));
    expect(b.coverage.map((c) => c.level)).toEqual([0.5, 0.8, 0.9]);
    for (const c of b.coverage) {
      expect(c.observed).toBeGreaterThanOrEqual(0);
      expect(c.observed).toBeLessThanOrEqual(1);
    }
  }, 120_000);

  it('quality drift on 24 days: the plant-pooled wear law beats a straight line to the spec limit', async () => {
    const { backtestDrift } = await import('../../pipelines/index.ts');
    const d = await backtestDrift(store, { from: START * 1e6, to: (START + DAYS * 86400) * 1e6 });
    expect(d.within_horizon).toBeGreaterThan(100);
    expect(d.pooled_shape).toBeGreaterThan(d.forecasts / 2);
    expect(d.mae_running_h).toBeLessThan(d.baseline.mae_running_h);
  });

  it('writes a markdown report with ROC, calibration and lead-time plots', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pdm-report-'));
    const file = writeBacktestReport(dir, r, 'test report');
    const md = readFileSync(file, 'utf8');
    const svgs = [...md.matchAll(/\]\(([^)]+\.svg)\)/g)].map((m) => m[1] as string);
    expect(svgs).toHaveLength(3);
    for (const svg of svgs)
      expect(readFileSync(path.join(dir, svg), 'utf8')).toMatch(/^<svg [^>]+>.*<\/svg>\n$/s);
    const roc = readFileSync(path.join(dir, svgs[0]!), 'utf8');
    // One polyline per series: the diagonal and the curve with every ROC point.
    const curve = [...roc.matchAll(/points="([^"]+)"/g)].map((m) => (m[1] as string).split(' ').length);
    expect(curve).toEqual([2, r.roc.length]);
  });

  it('trains and registers the failure and RUL models on all history', async () => {
    const { ModelRegistry, predictColumns } = await import('../../models/index.ts');
    const { trainFailureModel, trainRulModel } = await import('../../pipelines/index.ts');
    const registry = new ModelRegistry(mkdtempSync(path.join(os.tmpdir(), 'pdm-train-')));
    const range = { from: START * 1e6, to: (START + DAYS * 86400) * 1e6 };
    const failure = await trainFailureModel(store, registry, SIM.scope, range, { trees: 30 });
    const rul = await trainRulModel(store, registry, SIM.scope, range, { trees: 30, rulCapHours: 168 });
    expect(failure.name).toBe('pooled.failure-any-24h');
    expect(failure.calibration!.y.every((v, i, a) => i === 0 || v >= a[i - 1]!)).toBe(true); // isotonic
    const loaded = registry.load('pooled.rul-168h', rul.version, SIM.scope.featureSet.hash);
    expect(loaded.meta.featureNames).toEqual(SIM.scope.featureSet.columns);
    const zeros = SIM.scope.featureSet.columns.map(() => Float64Array.of(0));
    const p = predictColumns(loaded.compiled, zeros)[0]!;
    expect(p).toBeGreaterThanOrEqual(0);
    expect(p).toBeLessThanOrEqual(168);
  }, 120_000);

  it('writes a markdown report an engineer can read', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pdm-report-'));
    const file = writeBacktestReport(dir, r, 'Test backtest');
    expect(existsSync(file)).toBe(true);
    const md = readFileSync(file, 'utf8');
    expect(md).toContain('| ROC-AUC |');
    expect(md).toContain('## Reliability (calibration)');
  });
});
