import { describe, expect, it } from 'vitest';
import { AnomalyScorer } from '../../models/anomaly.ts';
import {
  anomalyContext,
  anomalyFeatures,
  fitAnomalyKind,
  NORMAL_MARGIN_HOURS,
  normalRows,
} from '../../pipelines/anomaly-kind.ts';
import { anomalyCmapss, backtestAnomalyEvidence, spearman } from '../../pipelines/backtest-anomaly.ts';
import type { Evidence } from '../../pipelines/harness.ts';
import { DEFAULT_ALERT_POLICY } from '../../pipelines/alert-policy.ts';
import { Rng } from '../../src/sim/rng.ts';

const HOUR = 3.6e9;
const NAMES = [
  'vib__mean__1h',
  'vib__missing__1h',
  'temp__ewma__1h',
  'batch_load',
  'hours_since_maintenance',
];

/**
 * Four machines sampled every 10 min for `days`: vibration that follows the load and rises in
 * the `rampHours` before each failure (a wearing bearing), temperature that does not, maintenance
 * for 2 h after each failure. Failures at random, one every few days per machine.
 */
function evidence(seed: number, days = 30, rampHours = 36): Evidence {
  const rng = new Rng(seed);
  const eqs = ['m1', 'm2', 'm3', 'm4'];
  const failures: { ts: number; equipment: string; mode: string }[] = [];
  for (const e of eqs) {
    let t = rng.uniform(2, 6) * 24 * HOUR;
    while (t < days * 24 * HOUR) {
      failures.push({ ts: t, equipment: e, mode: 'bearing' });
      t += rng.uniform(6, 12) * 24 * HOUR;
    }
  }
  const ts: number[] = [];
  const equipment: string[] = [];
  const cols: number[][] = NAMES.map(() => []);
  for (let k = 0; k < days * 144; k++) {
    const t = k * 600e6;
    for (const e of eqs) {
      const own = failures.filter((f) => f.equipment === e);
      const next = own.find((f) => f.ts >= t);
      const prev = [...own].reverse().find((f) => f.ts < t);
      const toFail = next === undefined ? Infinity : (next.ts - t) / HOUR;
      const sinceRepair = prev === undefined ? t / HOUR + 100 : (t - prev.ts) / HOUR;
      const load =
        Math.floor(t / (3 * HOUR)) % 3 === 0 ? 0 : 0.5 + 0.4 * ((Math.floor(t / (3 * HOUR)) % 2) as number);
      const wear = toFail < rampHours ? 1 - toFail / rampHours : 0;
      ts.push(t);
      equipment.push(e);
      cols[0]!.push(1 + 4 * load + 3 * wear * wear + 0.15 * rng.normal());
      cols[1]!.push(0);
      cols[2]!.push(40 + 20 * load + 0.5 * rng.normal());
      cols[3]!.push(load);
      cols[4]!.push(sinceRepair < 2 ? 0 : sinceRepair);
    }
  }
  return {
    ts: Float64Array.from(ts),
    equipment,
    columns: cols.map((c) => Float64Array.from(c)),
    names: NAMES,
    failures,
    observedUntil: days * 24 * HOUR,
    lookbackHours: 1,
  };
}

describe('the anomaly kind', () => {
  it('scores level and spread statistics of sensors, conditioned on the context the feature set has', () => {
    expect(anomalyFeatures(NAMES)).toEqual(['vib__mean__1h', 'temp__ewma__1h']);
    expect(anomalyContext(NAMES)).toEqual({ load: 'batch_load', product: null, group: null });
  });

  it('learns from normal operation only: instants near a known failure and in maintenance are left out', () => {
    const ev = evidence(1);
    const cut = 20 * 24 * HOUR;
    const { rows, excluded } = normalRows(ev, cut);
    expect(excluded.failure).toBeGreaterThan(0);
    expect(excluded.maintenance).toBeGreaterThan(0);
    for (const i of rows) {
      const t = ev.ts[i]!;
      expect(t).toBeLessThan(cut);
      expect(ev.columns[4]![i]).toBeGreaterThanOrEqual(1);
      for (const f of ev.failures)
        if (f.equipment === ev.equipment[i] && f.ts < cut)
          expect(f.ts - t > NORMAL_MARGIN_HOURS * HOUR || f.ts <= t).toBe(true);
    }
    // The proof: whatever the sensors read inside the failure windows (and after the cut), the
    // fitted model is the same to the last bit.
    const fit = fitAnomalyKind(ev, cut);
    const scrambled = { ...ev, columns: ev.columns.map((c) => Float64Array.from(c)) };
    const inWindow = (i: number) =>
      ev.ts[i]! >= cut ||
      ev.failures.some(
        (f) =>
          f.equipment === ev.equipment[i] &&
          f.ts < cut &&
          f.ts >= ev.ts[i]! &&
          f.ts - ev.ts[i]! <= NORMAL_MARGIN_HOURS * HOUR,
      );
    let changed = 0;
    for (let i = 0; i < ev.ts.length; i++)
      if (inWindow(i)) {
        scrambled.columns[0]![i] = 1000 + i;
        scrambled.columns[2]![i] = -1000;
        changed++;
      }
    expect(changed).toBeGreaterThan(500);
    expect(fitAnomalyKind(scrambled, cut)).toEqual(fit);
    // ... while the same change seen as normal (failures not known) moves the model.
    expect(fitAnomalyKind({ ...scrambled, failures: [] }, cut).model).not.toEqual(
      fitAnomalyKind({ ...ev, failures: [] }, cut).model,
    );
  });

  it('leaves out the sampling interval the cut falls in: whether a row exists there depends on readings after the cut', () => {
    // Rows are the last reading of each 10 min interval. Cut 5 min into an interval: a machine
    // whose readings stop 2 min into it has its row there before the cut; one that read on until
    // 8 min in has it after. The fit at the cut cannot know which; it must not depend on it.
    const base = { ...evidence(1), everySeconds: 600 };
    const cut = 20 * 24 * HOUR + 300e6;
    const interval = 20 * 24 * HOUR;
    const at = (offsetSeconds: number): Evidence => ({
      ...base,
      ts: Float64Array.from(base.ts, (t) => (t === interval ? t + offsetSeconds * 1e6 : t)),
    });
    const silent = at(120);
    const readOn = at(480);
    expect(Array.from(silent.ts).filter((t) => t >= interval && t < cut)).toHaveLength(4);
    expect(fitAnomalyKind(silent, cut)).toEqual(fitAnomalyKind(readOn, cut));
  });

  it('hidden failures: the backtest learns without them, warns ahead of most and ranks failure within 24 h above chance', () => {
    for (const seed of [2, 3, 4]) {
      const ev = evidence(seed, 40);
      const b = backtestAnomalyEvidence(ev, { folds: 2, everySeconds: 600 });
      expect(b.failure_labels_used_in_training).toBe(false);
      expect(b.failures_in_test).toBeGreaterThan(4);
      expect(b.roc_auc).toBeGreaterThan(0.8);
      expect(b.failures_warned / b.failures_in_test).toBeGreaterThan(0.7);
      expect(b.lead_time_h.median).toBeGreaterThan(4);
      expect(b.top_drivers[0]?.feature).toBe('vib__mean__1h');
      // Identical whatever the failures say: none reaches training.
      const moved = { ...ev, failures: ev.failures.map((f) => ({ ...f, ts: f.ts + 24 * HOUR })) };
      const m = backtestAnomalyEvidence(moved, { folds: 2, everySeconds: 600 });
      expect(m.alarm_health).toEqual(b.alarm_health);
    }
  });

  it('the backtest judges the alerts the policy would raise: without fatigue controls they are the raw threshold, with them no more', () => {
    const bare = {
      ...DEFAULT_ALERT_POLICY,
      hold_minutes: 0,
      anomaly_hold_minutes: 0,
      clear_minutes: 0,
      clear_ratio: 1,
    };
    for (const seed of [2, 5]) {
      // Transients: single 10-minute spikes of vibration, far from any failure (a recipe change
      // settling, a knock), every ~12 h per machine.
      const base = evidence(seed, 40);
      const rng = new Rng(seed + 100);
      const vib = Float64Array.from(base.columns[0]!);
      for (let i = 0; i < vib.length; i++) {
        const far = !base.failures.some(
          (f) => f.equipment === base.equipment[i] && Math.abs(f.ts - base.ts[i]!) < 48 * HOUR,
        );
        if (far && rng.uniform(0, 1) < 1 / 72) vib[i] = vib[i]! + 6;
      }
      const ev: Evidence = { ...base, columns: [vib, ...base.columns.slice(1)] };
      const b = backtestAnomalyEvidence(ev, { folds: 2, everySeconds: 600, policyOf: () => bare });
      expect(b.raw_threshold.false_alarms).toBeGreaterThan(0);
      expect({
        failures_warned: b.failures_warned,
        lead_time_h: b.lead_time_h,
        false_alarms: b.false_alarms,
        false_alarms_per_equipment_month: b.false_alarms_per_equipment_month,
      }).toEqual(b.raw_threshold);
      const served = backtestAnomalyEvidence(ev, { folds: 2, everySeconds: 600 });
      // The default hold of the anomaly cause lets no 10-minute spike through.
      expect(served.false_alarms).toBeLessThan(b.false_alarms);
      expect(served.false_alarms).toBeLessThanOrEqual(served.raw_threshold.false_alarms);
      expect(served.alarms_per_equipment_month * served.equipment_months).toBeGreaterThanOrEqual(
        served.false_alarms - 1e-9,
      );
    }
  });

  it('a scorer on the fitted model gives each instant a health in (0, 1] and a percentile', () => {
    const ev = evidence(4);
    const fit = fitAnomalyKind(ev, 25 * 24 * HOUR);
    const s = new AnomalyScorer(fit.model).scoreColumns(ev, [0, 1, 2, 3]);
    for (const x of s) {
      expect(x.health).toBeGreaterThan(0);
      expect(x.health).toBeLessThanOrEqual(1);
      expect(x.percentile).toBeGreaterThanOrEqual(0);
      expect(x.percentile).toBeLessThanOrEqual(1);
    }
    expect(fit.alarmHealth).toBeGreaterThan(0);
    expect(fit.alarmHealth).toBeLessThan(1);
  });

  it('spearman matches its definition on ties and on monotone maps', () => {
    const rng = new Rng(5);
    for (let k = 0; k < 20; k++) {
      const a = Array.from({ length: 30 }, () => Math.round(rng.normal() * 3));
      expect(
        spearman(
          a,
          a.map((v) => Math.exp(v)),
        ),
      ).toBeCloseTo(1, 10);
      expect(
        spearman(
          a,
          a.map((v) => -v * 7),
        ),
      ).toBeCloseTo(-1, 10);
    }
    expect(spearman([1, 2, 3, 4], [1, 3, 2, 4])).toBeCloseTo(0.8, 10);
  });

  it('C-MAPSS FD001: learnt on the first 30 % of each unit, the health index falls over its life', () => {
    const c = anomalyCmapss('datasets/cmapss/train_FD001.txt.gz');
    expect(c.units).toBe(100);
    expect(c.spearman_cycle.median).toBeGreaterThanOrEqual(0.8);
    expect(c.pearson_capped_rul).toBeGreaterThan(0.5);
    // Healthy early, worn late: the last tenth of life well below the first.
    expect(c.health_by_life_decile[9]!).toBeLessThan(c.health_by_life_decile[0]! - 0.3);
  });
});
