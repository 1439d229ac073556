/**
 * The failure model kind: "failure within H hours" (of one mode, or any) fitted on a harness
 * training side. A forest on the fitting rows, an isotonic calibration on the later, purged
 * calibration slice, and beside it the references it must beat, fitted on the same rows: the
 * one-sensor rule and climatology. The alert threshold for a false-alarm budget is chosen on the
 * calibration slice too, so a backtest's test period never chooses it.
 */
import {
  calibrate,
  compileForest,
  fitIsotonic,
  oneSensorScore,
  predictColumns,
  rocAuc,
  trainForestParallel,
} from '../models/index.ts';
import type { CompiledForest, Calibrator, FailureBaseline, Forest, ForestOptions } from '../models/index.ts';
import { failureTrainingSet, pick } from './harness.ts';
import type { Evidence, TrainingSet } from './harness.ts';

/** The forest recipe of the kind: training and every backtest use it (only trees and seed vary). */
export const FAILURE_FOREST = {
  task: 'classification',
  maxDepth: 12,
  minSamplesLeaf: 5,
  maxFeatures: 'sqrt',
  classWeight: 'balanced',
} as const satisfies Partial<ForestOptions>;

export interface FailureKindOptions {
  readonly horizonHours: number;
  readonly mode?: string;
  readonly trees?: number;
  readonly seed?: number;
  readonly forest?: Partial<ForestOptions>;
  /** False alarms allowed per equipment-month at the alert threshold (PDM_ALERT_BUDGET). */
  readonly alertBudget?: number;
  /** Spacing of the instants (s): consecutive alerts closer than 1.5 of it are one episode. */
  readonly everySeconds?: number;
}

export interface FailureFit {
  readonly set: TrainingSet;
  readonly forest: Forest;
  readonly compiled: CompiledForest;
  readonly calibrator: Calibrator;
  readonly oneSensor: Extract<FailureBaseline, { kind: 'one-sensor' }> | null;
  readonly climatology: Extract<FailureBaseline, { kind: 'climatology' }>;
  /**
   * Lowest calibrated probability whose alerts stay within the budget on the calibration slice;
   * null when even the highest one does not (the model then alerts at even odds, UNCHOSEN_ALERT_AT).
   */
  readonly alertThreshold: number | null;
}

export class NotEnoughHistory extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotEnoughHistory';
  }
}

/**
 * Persistence, the ranking reference that needs no model: 1 at an instant whose equipment failed
 * (in `mode`, or any) in the H hours up to it, else 0 (what was true one horizon ago stays true).
 */
export function persistenceScores(
  ev: Evidence,
  rows: readonly number[],
  horizonMicros: number,
  mode?: string,
): number[] {
  return rows.map((i) => {
    const t = ev.ts[i] as number;
    const eq = ev.equipment[i] as string;
    return ev.failures.some(
      (f) =>
        f.equipment === eq &&
        f.ts > t - horizonMicros &&
        f.ts <= t &&
        (mode === undefined || f.mode === mode),
    )
      ? 1
      : 0;
  });
}

/**
 * False alarms: episodes of consecutive alerts on one equipment (instants closer than 1.5 of their
 * spacing) none of whose instants sees a failure within the horizon. An episode that starts early
 * and runs into a failure's horizon is a warning, not a false alarm followed by a true one: the
 * alert replay (`pdm backtest alerts`) judges an alert the same way, so the threshold chosen for a
 * budget counts what the alerts will be judged by.
 */
export function falseAlarmEpisodes(
  ev: Evidence,
  rows: readonly number[],
  alert: (j: number) => boolean,
  label: ArrayLike<number>,
  everySeconds: number,
): number {
  const byEq = new Map<string, { ts: number; positive: boolean }[]>();
  rows.forEach((i, j) => {
    if (!alert(j)) return;
    const eq = ev.equipment[i] as string;
    const item = { ts: ev.ts[i] as number, positive: label[j] === 1 };
    const list = byEq.get(eq);
    if (list) list.push(item);
    else byEq.set(eq, [item]);
  });
  let episodes = 0;
  for (const list of byEq.values()) {
    list.sort((a, b) => a.ts - b.ts);
    let warned = false;
    list.forEach((x, j) => {
      if (j > 0 && x.ts - (list[j - 1] as { ts: number }).ts > 1.5 * everySeconds * 1e6) {
        if (!warned) episodes++;
        warned = false;
      }
      warned ||= x.positive;
    });
    if (list.length > 0 && !warned) episodes++;
  }
  return episodes;
}

/** Equipment-months covered by rows (equipment seen x their time span). */
export function equipmentMonths(ev: Evidence, rows: readonly number[]): number {
  if (rows.length === 0) return 0;
  let t0 = Infinity;
  let t1 = -Infinity;
  const eqs = new Set<string>();
  for (const i of rows) {
    t0 = Math.min(t0, ev.ts[i] as number);
    t1 = Math.max(t1, ev.ts[i] as number);
    eqs.add(ev.equipment[i] as string);
  }
  return (eqs.size * (t1 - t0)) / (30 * 86400e6);
}

/** The lowest threshold on `p` whose false-alarm episodes per equipment-month stay within `budget`. */
export function thresholdForBudget(
  ev: Evidence,
  rows: readonly number[],
  p: ArrayLike<number>,
  label: ArrayLike<number>,
  budget: number,
  everySeconds: number,
): number | null {
  const months = equipmentMonths(ev, rows);
  const levels = [...new Set(Array.from(p))].sort((a, b) => b - a);
  let best: number | null = null;
  // Alerts only grow as the threshold falls: walk down until the budget breaks.
  for (const level of levels) {
    const episodes = falseAlarmEpisodes(ev, rows, (j) => (p[j] as number) >= level, label, everySeconds);
    if (months > 0 && episodes / months > budget) break;
    best = level;
  }
  return best;
}

/** The one feature that ranks the fitting rows' failures best, its direction chosen there too. */
function chooseOneSensor(ev: Evidence, set: TrainingSet): { index: number; direction: 1 | -1 } | null {
  let best = 0.5;
  let choice: { index: number; direction: 1 | -1 } | null = null;
  ev.columns.forEach((col, j) => {
    const a = rocAuc(
      Float64Array.from(set.rows, (i) => oneSensorScore(col[i] as number, 1)),
      set.y,
    );
    const score = Math.max(a, 1 - a);
    if (score > best) {
      best = score;
      choice = { index: j, direction: a >= 0.5 ? 1 : -1 };
    }
  });
  return choice;
}

export async function fitFailure(ev: Evidence, cut: number, o: FailureKindOptions): Promise<FailureFit> {
  const set = failureTrainingSet(ev, cut, o);
  const what = `failure within ${o.horizonHours} h (${o.mode ?? 'any mode'})`;
  const positives = set.y.reduce((s, v) => s + v, 0);
  if (set.rows.length === 0 || set.calRows.length === 0)
    throw new NotEnoughHistory(
      `${what}: no instant whose outcome is known before the calibration slice (the history needs to span several horizons)`,
    );
  if (positives === 0 || positives === set.rows.length)
    throw new NotEnoughHistory(
      `${what}: the fitting rows hold ${positives === 0 ? 'no failure' : 'only failures'}`,
    );
  const forest = await trainForestParallel(pick(ev, set.rows), set.y, {
    ...FAILURE_FOREST,
    trees: o.trees ?? 100,
    seed: o.seed ?? 17,
    ...o.forest,
  });
  const compiled = compileForest(forest);
  const calX = pick(ev, set.calRows);
  const calibrator = fitIsotonic(predictColumns(compiled, calX), set.calY);
  const rule = chooseOneSensor(ev, set);
  const oneSensor =
    rule === null
      ? null
      : (() => {
          const col = ev.columns[rule.index] as Float64Array;
          const c = fitIsotonic(
            Float64Array.from(set.calRows, (i) => oneSensorScore(col[i] as number, rule.direction)),
            set.calY,
          );
          return {
            kind: 'one-sensor' as const,
            feature: ev.names[rule.index] as string,
            index: rule.index,
            direction: rule.direction,
            // JSON has no -Infinity (a block of missing values): the lowest finite number stands for it.
            calibration: { x: Array.from(c.x, (v) => Math.max(v, -Number.MAX_VALUE)), y: Array.from(c.y) },
          };
        })();
  const all = [...set.y, ...set.calY];
  const climatology = { kind: 'climatology' as const, rate: all.reduce((s, v) => s + v, 0) / all.length };
  const calP = predictColumns(compiled, calX).map((s) => calibrate(calibrator, s));
  const alertThreshold = thresholdForBudget(
    ev,
    set.calRows,
    calP,
    set.calY,
    o.alertBudget ?? 1,
    o.everySeconds ?? 600,
  );
  return { set, forest, compiled, calibrator, oneSensor, climatology, alertThreshold };
}

/**
 * Scores of the model and of its references at the given rows: calibrated probabilities (for
 * Brier, reliability and alerts) and the raw scores (for ranking: calibration's steps tie instants
 * that the raw score tells apart, so both sides are ranked raw).
 */
export function failureScores(
  fit: FailureFit,
  ev: Evidence,
  rows: readonly number[],
): {
  model: Float64Array;
  modelRaw: Float64Array;
  oneSensor: Float64Array;
  oneSensorRaw: Float64Array;
  climatology: Float64Array;
} {
  const modelRaw = predictColumns(fit.compiled, pick(ev, rows));
  const model = modelRaw.map((s) => calibrate(fit.calibrator, s));
  const climatology = new Float64Array(rows.length).fill(fit.climatology.rate);
  const rule = fit.oneSensor;
  if (rule === null)
    return { model, modelRaw, oneSensor: climatology, oneSensorRaw: climatology, climatology };
  const c = { x: Float64Array.from(rule.calibration.x), y: Float64Array.from(rule.calibration.y) };
  const col = ev.columns[rule.index] as Float64Array;
  const oneSensorRaw = Float64Array.from(rows, (i) => oneSensorScore(col[i] as number, rule.direction));
  return { model, modelRaw, oneSensor: oneSensorRaw.map((v) => calibrate(c, v)), oneSensorRaw, climatology };
}
