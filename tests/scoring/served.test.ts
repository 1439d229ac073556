import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ModelRegistry, trainForest } from '../../models/index.ts';
import type { ModelMeta } from '../../models/index.ts';
import { failureGate, rulGate } from '../../pipelines/index.ts';
import { resolveServed } from '../../src/scoring/served.ts';
import { reconcile } from '../../models/index.ts';
import { Rng } from '../../src/sim/rng.ts';
import { defineFeatureSet } from '../../features/index.ts';
import type { FeatureSet } from '../../features/index.ts';
import type { ModelScope } from '../../pipelines/index.ts';

const FS = defineFeatureSet({
  name: 'served-test',
  sensors: ['a', 'b'],
  windows: [{ kind: 'time', seconds: 600 }],
  stats: ['mean'],
  context: ['hours_since_maintenance'],
});
const scopeOf = (name: string, featureSet: FeatureSet): ModelScope => ({
  name,
  classes: [name],
  equipment: [],
  classOf: new Map(),
  installedAt: new Map(),
  featureSet,
  everySeconds: 600,
  sampleSeconds: 1,
  why: '',
});
const SCOPE = scopeOf('served', FS);

function registryWith(
  gate: ModelMeta['gate'],
  o: { scope?: string; registry?: ModelRegistry; fs?: FeatureSet } = {},
): ModelRegistry {
  const rng = new Rng(3, 'served');
  const n = 400;
  const X = FS.columns.map(() => Float64Array.from({ length: n }, () => rng.normal()));
  const y = Float64Array.from(X[0]!, (v) => (v > 0.5 ? 1 : 0));
  const forest = trainForest(X, y, { task: 'classification', trees: 5, maxDepth: 4, seed: 1 });
  const registry = o.registry ?? new ModelRegistry(mkdtempSync(path.join(os.tmpdir(), 'pdm-served-')));
  const scope = o.scope ?? 'served';
  const fs = o.fs ?? FS;
  const meta = registry.save(`${scope}.failure-any-24h`, forest, {
    kind: 'failure-classifier',
    target: 'failure within 24 h (any mode)',
    horizonHours: 24,
    mode: 'any',
    scope,
    classes: [scope],
    featureSet: fs.name,
    featureSetHash: fs.hash,
    featureNames: fs.columns,
    trainingWindow: null,
    rows: n,
    metrics: {},
    baselines: [
      {
        kind: 'one-sensor',
        feature: 'b__mean__10m',
        index: 1,
        direction: 1,
        calibration: { x: [0, 1e300], y: [0.1, 0.7] },
      },
      { kind: 'climatology', rate: 0.05 },
    ],
    ...(gate ? { gate } : {}),
  });
  registry.promote(meta.name, meta.version);
  return registry;
}

describe('what answers a score', () => {
  it('the gate passes a model only when it beats the best ranking reference and climatology', () => {
    const base = {
      roc_auc: 0.9,
      brier: 0.05,
      base_rate_brier: 0.08,
      baseline: { feature: 'x', roc_auc: 0.85, brier: 0.06 },
      persistence: { roc_auc: 0.6 },
    };
    expect(failureGate(base).passed).toBe(true);
    expect(failureGate(base).serve).toBe('model');
    const ranksWorse = failureGate({ ...base, roc_auc: 0.84 });
    expect(ranksWorse).toMatchObject({ passed: false, serve: 'baseline:one-sensor x' });
    expect(ranksWorse.reason).toMatch(/ROC-AUC 0.840 does not beat the one-sensor rule \(x\)'s 0.850/);
    const worseThanClimatology = failureGate({
      ...base,
      brier: 0.09,
      baseline: { ...base.baseline, brier: 0.1 },
    });
    expect(worseThanClimatology).toMatchObject({ passed: false, serve: 'baseline:climatology' });
    expect(failureGate({ ...base, persistence: { roc_auc: 0.95 } }).reason).toMatch(/persistence's 0.950/);
    expect(failureGate({ ...base, roc_auc: NaN }).passed).toBe(false);
    const rul = { rmse_h: 20, baseline: { rmse_h: 30 }, weibull_baseline: { rmse_h: 25, model_rmse_h: 19 } };
    expect(rulGate(rul).passed).toBe(true);
    expect(rulGate({ ...rul, weibull_baseline: { rmse_h: 18, model_rmse_h: 19 } })).toMatchObject({
      passed: false,
      serve: 'baseline:weibull',
    });
  });

  it('a version whose gate failed answers through the named reference, and says why', () => {
    const reason = "ROC-AUC 0.790 does not beat the one-sensor rule (b__mean__10m)'s 0.840 (walk-forward)";
    const served = resolveServed(
      registryWith({ passed: false, serve: 'baseline:one-sensor b__mean__10m', reason }),
      SCOPE,
      24,
    ).failure!;
    expect(served.answeredBy).toBe('baseline:one-sensor b__mean__10m');
    expect(served.version).toBe('served.failure-any-24h@v0001');
    expect(served.note).toContain(reason);
    expect(served.sensors).toEqual(['b']);
    // The rule's calibrated probability, whatever the forest would say.
    expect(served.probability(Float64Array.of(5, -1, 0))).toBe(0.1);
    expect(served.probability(Float64Array.of(-5, 1, 0))).toBe(0.7);
    expect(served.drivers(Float64Array.of(-5, 1, 0), 5)).toEqual([
      { feature: 'b__mean__10m', contribution: 0.7 - 0.05 },
    ]);
    const clim = resolveServed(
      registryWith({ passed: false, serve: 'baseline:climatology', reason: 'Brier ...' }),
      SCOPE,
      24,
    ).failure!;
    expect(clim.probability(Float64Array.of(5, 5, 0))).toBe(0.05);
    // The walk-forward's first fold named another feature than the version's own rule (each picks
    // its feature on its training rows): the version's one-sensor rule answers, named as it is.
    const other = resolveServed(
      registryWith({
        passed: false,
        serve: 'baseline:one-sensor a__mean__10m',
        reason: "ROC-AUC 0.790 does not beat the one-sensor rule (a__mean__10m)'s 0.840 (walk-forward)",
      }),
      SCOPE,
      24,
    ).failure!;
    expect(other.answeredBy).toBe('baseline:one-sensor b__mean__10m');
    expect(other.note).toMatch(/; baseline:one-sensor b__mean__10m answers$/);
    expect(other.probability(Float64Array.of(-5, 1, 0))).toBe(0.7);
    expect(clim.drivers(Float64Array.of(5, 5, 0), 5)).toEqual([]);
  });

  it('a passing model answers itself; one no backtest judged answers and says so', () => {
    const passed = resolveServed(
      registryWith({ passed: true, serve: 'model', reason: 'beats' }),
      SCOPE,
      24,
    ).failure!;
    expect(passed.answeredBy).toBe('model');
    expect(passed.note).toBeNull();
    const unjudged = resolveServed(registryWith(undefined), SCOPE, 24).failure!;
    expect(unjudged.answeredBy).toBe('model');
    expect(unjudged.note).toMatch(/no backtest judged/);
  });

  it("serves a scope's own models only, and names those trained on a feature set the plant has since changed", () => {
    const pass = { passed: true, serve: 'model', reason: 'beats' };
    const registry = registryWith(pass);
    registryWith(pass, { registry, scope: 'other' });
    // The plant file changed the scope's windows: the promoted version no longer fits its features.
    const changed = defineFeatureSet({ ...FS, windows: [{ kind: 'time', seconds: 3600 }] });
    const served = resolveServed(registry, SCOPE, 24);
    expect(served.failure?.version).toBe('served.failure-any-24h@v0001');
    expect(served.stale).toEqual([]);
    const after = resolveServed(registry, scopeOf('served', changed), 24);
    expect(after.failure).toBeUndefined();
    expect(after.stale).toEqual(['served.failure-any-24h@v0001']);
    expect(resolveServed(registry, scopeOf('other', FS), 24).failure?.version).toBe(
      'other.failure-any-24h@v0001',
    );
  });
});

describe('one story: RUL quantiles agree with the failure probability at its horizon', () => {
  it('over random forecasts, a quantile at level u lies within H exactly when p >= u, in order', () => {
    const rng = new Rng(9, 'story');
    for (let k = 0; k < 5000; k++) {
      const p = rng.chance(0.1) ? rng.pick([0, 0.1, 0.5, 0.9, 1]) : rng.next();
      const H = rng.pick([24, 72]);
      const low = rng.uniform(0, 100);
      const hours = low + rng.uniform(0, 80);
      const r = reconcile(p, H, { low, hours, high: hours + rng.uniform(0, 80) }, 168);
      const what = `p ${p}, H ${H}, in ${low} ${hours}, out ${r.low} ${r.hours} ${r.high}`;
      expect(r.low <= H, what).toBe(p >= 0.1);
      expect(r.hours <= H, what).toBe(p >= 0.5);
      expect(r.high <= H, what).toBe(p >= 0.9);
      expect(r.low).toBeLessThanOrEqual(r.hours);
      expect(r.hours).toBeLessThanOrEqual(r.high);
    }
  });

  it('leaves an agreeing forecast alone', () => {
    // Its own probability within 24 h is 0.1 + (24 - 10) / (38 - 10) * 0.4 = 0.3: it agrees with p.
    const same = reconcile(0.3, 24, { low: 10, hours: 38, high: 90 }, 168);
    expect(same.reconciled).toBe(false);
    expect(same.low).toBeCloseTo(10, 9);
    expect(same.hours).toBeCloseTo(38, 9);
    // p = 0.95 within 24 h: the RUL's own shape within 24 h, squeezed into 95 % of the mass.
    const urgent = reconcile(0.95, 24, { low: 10, hours: 38, high: 90 }, 168);
    expect(urgent.high).toBeLessThanOrEqual(24);
    expect(urgent.low).toBeLessThan(urgent.hours);
    expect(urgent.hours).toBeLessThan(urgent.high);
  });
});
