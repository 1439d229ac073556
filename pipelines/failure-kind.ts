/**
 * The failure model kind: "failure within H hours" (of one mode, or any) fitted on a harness
 * training side, and beside it the references it must beat, fitted on the same side: the
 * one-sensor rule and climatology.
 *
 * Cross-fitted (the default): the training side's labelled instants are split into contiguous
 * time blocks; each block is scored by a forest fitted on the others less purges on both sides
 * (harness.ts), and those out-of-fold scores, covering the whole side, fit the isotonic
 * calibration and choose the alert threshold. The served forest is then fitted on every labelled
 * instant. Before it, a forest on the earlier three quarters was calibrated on the latest quarter
 * alone (`crossFit: 0`, kept for comparison and for models saved that way): a few days that held
 * one or two failure episodes, which left both the calibration and the threshold to chance.
 *
 * The alert threshold for a false-alarm budget is chosen on the training side only, so a
 * backtest's test period never chooses it: the calibrated scores are replayed through the alert
 * policy (hysteresis, holds, maintenance), and the threshold is the lowest whose replayed alerts
 * stay within the budget.
 *
 * Both calibrations are centered isotonic (models/calibration.ts): the forest's top block spans a
 * wide range of scores, and a step calibration leaves a threshold only "the whole top block or
 * nothing" (on the simulated 28-day plants it then sat at a calibrated 1.0 in most folds and warned
 * a third of the failures).
 *
 * The forest also reads each sensor level's context z-score (models/context-z.ts): its departure
 * from normal under the running load and product, fitted on the fitting side's normal instants
 * (a horizon before the calibration slice, away from the failures known there, out of maintenance) and
 * stored with the model, so serving computes the same columns.
 */
import {
  besideTraining,
  calibrate,
  calibratorJson,
  calibratorOf,
  compileForest,
  fitBinsOfSubsets,
  fitIsotonic,
  oneSensorScore,
  predictColumns,
  prepareForest,
  rocAuc,
  trainForestParallel,
  trainPrepared,
} from '../models/index.ts';
import type { CompiledForest, Calibrator, FailureBaseline, Forest, ForestOptions } from '../models/index.ts';
import {
  autoWorkOrderAt,
  DEFAULT_ALERT_BUDGET,
  DEFAULT_ALERT_POLICY,
  DEFAULT_WORK_ORDER_BUDGET,
  failureRiskCondition,
} from './alert-policy.ts';
import type { AlertPolicy, Condition } from './alert-policy.ts';
import { conditionSeries, prepareReplay, replayInstants } from './alert-replay.ts';
import type { AlertFigures, ConditionAt } from './alert-replay.ts';
import { ContextZExpander, contextZOf } from '../models/context-z.ts';
import type { ContextZ } from '../models/context-z.ts';
import { fitAnomaly } from '../models/anomaly.ts';
import { anomalyContext, anomalyFeatures, normalRows } from './anomaly-kind.ts';
import {
  CROSS_FIT_BLOCKS,
  columnsAt,
  equipmentMonths,
  failureCrossFitSet,
  failureTrainingSet,
  maintenanceSeen,
  pick,
} from './harness.ts';
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
  /** False alerts allowed per equipment-month at the alert threshold (PDM_ALERT_BUDGET). */
  readonly alertBudget?: number;
  /**
   * False work orders allowed per equipment-month at the work-order level (PDM_WORK_ORDER_BUDGET,
   * default 0.2): with `work_order_at: auto`, the work-order tier starts no lower than that level.
   */
  readonly workOrderBudget?: number;
  /** The alert policy of each equipment, which the threshold's budget is counted through (default: the default policy). */
  readonly policyOf?: (equipment: string) => AlertPolicy;
  /** false: the forest reads the feature set alone, without context z columns (default true). */
  readonly contextZ?: boolean;
  /**
   * Blocks of the cross-fitting that calibrates the forest and chooses its alert threshold on the
   * whole training side (default CROSS_FIT_BLOCKS); 0: the latest quarter alone calibrates.
   */
  readonly crossFit?: number;
}

export interface FailureFit {
  readonly set: TrainingSet;
  readonly forest: Forest;
  readonly compiled: CompiledForest;
  readonly calibrator: Calibrator;
  readonly oneSensor: Extract<FailureBaseline, { kind: 'one-sensor' }> | null;
  readonly climatology: Extract<FailureBaseline, { kind: 'climatology' }>;
  /**
   * Lowest calibrated probability whose alerts, replayed through the policy over the calibration
   * slice, stay within the budget; null when even the highest one does not (the model then alerts
   * at even odds, UNCHOSEN_ALERT_AT).
   */
  readonly alertThreshold: number | null;
  /**
   * Lowest calibrated probability at or above halfway from the alert threshold to 1 whose work
   * orders, replayed the same way, stay within the work-order budget; null when halfway itself is
   * within it (or there is no alert threshold): the tier then starts halfway.
   */
  readonly workOrderThreshold: number | null;
  /** The context z normaliser whose columns follow the feature set's in the forest's input; null: none. */
  readonly contextZ: ContextZ | null;
  /**
   * Blocks whose out-of-fold scores calibrated the forest and chose its threshold over the whole
   * training side; 0: the latest quarter did (asked for, or failures in one block only).
   */
  readonly crossFitBlocks: number;
  /** The forest's input columns at the given rows (the feature set's, then the z columns). */
  readonly inputs: (ev: Evidence, rows: readonly number[]) => Float64Array[];
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
 * The failure-risk condition of each of `rows` (probability `p[j]`, raised at `threshold(j)`) per
 * equipment, as the live engine observes it where the model answers: what the alert replay takes.
 */
export function failureRiskSeries(
  ev: Evidence,
  rows: readonly number[],
  p: ArrayLike<number>,
  threshold: (j: number) => number,
  policyOf: (equipment: string) => AlertPolicy,
  horizonHours: number,
): Map<string, ConditionAt[]> {
  return conditionSeries(ev, rows, (eq, j) =>
    failureRiskCondition(policyOf(eq), p[j] as number, threshold(j), true, horizonHours),
  );
}

/** How the training side replays its alerts (`thresholdForBudget`, `workOrderLevelForBudget`). */
interface TrainingReplayOptions {
  readonly cut: number;
  readonly horizonHours: number;
  readonly mode?: string;
  readonly policyOf?: (equipment: string) => AlertPolicy;
  /** `maintenanceSeen(ev)`, when the caller already has it (it reads every row of the evidence). */
  readonly maintenance?: Map<string, number[]>;
}

/**
 * The policy's figures over a training side's `rows`, as it knows them (failures before the cut,
 * of the mode its labels count; the maintenance the evidence shows), for conditions given per row:
 * the instants are prepared once for every candidate level replayed over them.
 */
function trainingReplay(
  ev: Evidence,
  rows: readonly number[],
  o: TrainingReplayOptions,
): {
  policyOf: (equipment: string) => AlertPolicy;
  figures: (conditionAt: (equipment: string, j: number) => Condition) => AlertFigures;
} {
  const policyOf = o.policyOf ?? (() => DEFAULT_ALERT_POLICY);
  const failures = ev.failures.filter((f) => f.ts < o.cut && (o.mode === undefined || f.mode === o.mode));
  const prepared = prepareReplay(replayInstants(ev, rows), failures, {
    horizonHours: o.horizonHours,
    policyOf,
    lineOf: () => '',
    maintenance: o.maintenance ?? maintenanceSeen(ev),
  });
  return { policyOf, figures: (conditionAt) => prepared.run(conditionAt).policy };
}

/**
 * Walking down `levels` (highest first; at most 400 candidates, by rank), the last one `within`
 * holds for before the first it does not; undefined when it fails at the highest.
 */
function lowestWithin(levels: readonly number[], within: (level: number) => boolean): number | undefined {
  const steps = Math.min(400, levels.length);
  let best: number | undefined;
  for (let k = 0; k < steps; k++) {
    const level = levels[Math.floor((k / steps) * levels.length)] as number;
    if (!within(level)) break;
    best = level;
  }
  return best;
}

/**
 * The lowest threshold on the calibrated probabilities `p` of `rows` (a calibration slice, every
 * outcome known before `cut`) whose alerts, replayed through the alert policy as the live engine
 * raises them, hold at most `budget` false alerts per equipment-month: what a false alert is, and
 * which failures and maintenance resolve alerts, is the alert backtest's (alert-replay.ts).
 * Candidates from the highest probability down (at most 400, by rank); the walk stops at the
 * first that breaks the budget. Null when even the highest does.
 */
export function thresholdForBudget(
  ev: Evidence,
  rows: readonly number[],
  p: ArrayLike<number>,
  budget: number,
  o: TrainingReplayOptions,
): number | null {
  const months = equipmentMonths(ev, rows);
  const levels = [...new Set(Array.from(p).filter((v) => v === v))].sort((a, b) => b - a);
  if (months === 0 || levels.length === 0) return null;
  const { policyOf, figures } = trainingReplay(ev, rows, o);
  const falseAlerts = (level: number) =>
    figures((eq, j) => failureRiskCondition(policyOf(eq), p[j] as number, level, true, o.horizonHours))
      .false_alerts;
  return lowestWithin(levels, (level) => falseAlerts(level) / months <= budget) ?? null;
}

/**
 * The work-order level for a budget of false work orders per equipment-month, over the same
 * replay as `thresholdForBudget` with alerts raised at `raise`: the lowest candidate level at or
 * above halfway from `raise` to 1 whose work orders stay within `budget` (walking down from the
 * highest probability, stopping at the first that breaks it). Null when halfway already keeps
 * within it (the default tier), or when nothing is above it. When even the highest level breaks
 * the budget, that level: work orders only at the very top of what the side has seen.
 */
export function workOrderLevelForBudget(
  ev: Evidence,
  rows: readonly number[],
  p: ArrayLike<number>,
  raise: number,
  budget: number,
  o: TrainingReplayOptions,
): number | null {
  const months = equipmentMonths(ev, rows);
  const halfway = autoWorkOrderAt(raise);
  const levels = [...new Set(Array.from(p).filter((v) => v === v && v > halfway))].sort((a, b) => b - a);
  if (months === 0 || levels.length === 0) return null;
  const { policyOf, figures } = trainingReplay(ev, rows, o);
  const falseWorkOrders = (level: number) =>
    figures((eq, j) => failureRiskCondition(policyOf(eq), p[j] as number, raise, true, o.horizonHours, level))
      .false_work_orders;
  if (falseWorkOrders(halfway) / months <= budget) return null;
  return lowestWithin(levels, (level) => falseWorkOrders(level) / months <= budget) ?? (levels[0] as number);
}

/** Statistics whose context z the failure forest reads: a sensor's level (spread and slope are left as they are). */
const Z_STATS = new Set(['mean', 'ewma', 'last']);

/**
 * The context z normaliser as the fitting side knows it: fitted on the normal instants (out of
 * maintenance, away from the failures seen) before `before` (the calibration slice's start) less
 * a purge of `purgeHours` (the horizon, as the fitting rows have). The purge matters: an instant
 * is the last reading of its sampling interval, so whether a row exists at all depends on readings
 * up to an interval after it. Null when the feature set has no sensor level or no normal instant.
 */
export function fitContextZ(ev: Evidence, before: number, purgeHours: number): ContextZ | null {
  const features = anomalyFeatures(ev.names, Z_STATS);
  if (features.length === 0) return null;
  const until = before - purgeHours * 3.6e9;
  const rows = normalRows(ev, before).rows.filter((i) => (ev.ts[i] as number) < until);
  if (rows.length === 0) return null;
  // The reference the anomaly model reads its health off is not used here: a few rows suffice.
  return contextZOf(fitAnomaly(ev, features, anomalyContext(ev.names), rows, rows.slice(-1), { trim: 0.1 }));
}

/**
 * The normaliser of (evidence, slice start, purge), fitted once: every mode's model of a fold (and
 * of a first start) has the same calibration slice, and the fit takes a few tenths of a second.
 * Evidence built again from the same feature run shares its column buffers and its failure list;
 * both are the cache's key (a different failure list, e.g. with failures hidden, is fitted anew).
 */
const fittedZ = new WeakMap<ArrayBufferLike, WeakMap<object, Map<string, ContextZ | null>>>();
function contextZFor(ev: Evidence, before: number, purgeHours: number): ContextZ | null {
  const first = ev.columns[0];
  if (first === undefined) return null;
  let byFailures = fittedZ.get(first.buffer);
  if (byFailures === undefined) fittedZ.set(first.buffer, (byFailures = new WeakMap()));
  let byCut = byFailures.get(ev.failures);
  if (byCut === undefined) byFailures.set(ev.failures, (byCut = new Map()));
  const key = `${first.byteOffset}/${ev.ts.length}/${before}/${purgeHours}`;
  if (!byCut.has(key)) byCut.set(key, fitContextZ(ev, before, purgeHours));
  return byCut.get(key) ?? null;
}

/** The forest's input at `rows`: the evidence's columns, then the z columns where there are. */
function inputsOf(cz: ContextZ | null, names: readonly string[]) {
  const expander = cz === null ? null : new ContextZExpander(cz, names);
  return (ev: Evidence, rows: readonly number[]) => {
    const base = pick(ev, rows);
    return expander === null ? base : expander.expandColumns(base);
  };
}

/** The one feature that ranks the fitting rows' failures best, its direction chosen there too. */
function chooseOneSensor(
  ev: Evidence,
  set: Pick<TrainingSet, 'rows' | 'y'>,
): { index: number; direction: 1 | -1 } | null {
  let best = 0.5;
  let choice: { index: number; direction: 1 | -1 } | null = null;
  // One buffer for every feature's scores, filled by a plain loop (Float64Array.from with a
  // mapping function iterates generically: most of this function's time, with hundreds of features).
  const { rows } = set;
  const values = new Float64Array(rows.length);
  ev.columns.forEach((col, j) => {
    for (let k = 0; k < rows.length; k++) values[k] = oneSensorScore(col[rows[k] as number] as number, 1);
    const a = rocAuc(values, set.y);
    const score = Math.max(a, 1 - a);
    if (score > best) {
      best = score;
      choice = { index: j, direction: a >= 0.5 ? 1 : -1 };
    }
  });
  return choice;
}

export async function fitFailure(ev: Evidence, cut: number, o: FailureKindOptions): Promise<FailureFit> {
  const blocks = o.crossFit ?? CROSS_FIT_BLOCKS;
  if (blocks >= 2) return fitCrossFitted(ev, cut, o, blocks);
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
  const contextZ = o.contextZ === false ? null : contextZFor(ev, set.calStart, o.horizonHours);
  const inputs = inputsOf(contextZ, ev.names);
  const [forest, oneSensor] = await besideTraining(
    trainForestParallel(inputs(ev, set.rows), set.y, forestOptionsOf(o)),
    () => oneSensorOf(ev, set.rows, set.y, set.calRows, set.calY),
  );
  const compiled = compileForest(forest);
  const all = [...set.y, ...set.calY];
  return {
    set,
    forest,
    compiled,
    oneSensor,
    climatology: { kind: 'climatology', rate: all.reduce((s, v) => s + v, 0) / all.length },
    contextZ,
    crossFitBlocks: 0,
    inputs,
    ...calibrated(ev, cut, o, predictColumns(compiled, inputs(ev, set.calRows)), set.calRows, set.calY),
  };
}

/** The kind's forest options: its recipe, the trees and seed asked for, then any override. */
function forestOptionsOf(o: FailureKindOptions): ForestOptions {
  return { ...FAILURE_FOREST, trees: o.trees ?? 100, seed: o.seed ?? 17, ...o.forest };
}

/**
 * What a fit's raw calibration scores (`calRaw`, aligned with `calRows`) give: the centered
 * isotonic calibration on them, and the alert threshold and work-order level for the budgets on
 * the calibrated ones. Both ways of fitting (latest quarter, cross-fitted) end here.
 */
function calibrated(
  ev: Evidence,
  cut: number,
  o: FailureKindOptions,
  calRaw: Float64Array,
  calRows: readonly number[],
  calY: Float64Array,
): Pick<FailureFit, 'calibrator' | 'alertThreshold' | 'workOrderThreshold'> {
  const calibrator = fitIsotonic(calRaw, calY, { centered: true });
  const p = calRaw.map((v) => calibrate(calibrator, v));
  const replay = {
    cut,
    horizonHours: o.horizonHours,
    mode: o.mode,
    policyOf: o.policyOf,
    maintenance: maintenanceSeen(ev),
  };
  const alertThreshold = thresholdForBudget(ev, calRows, p, o.alertBudget ?? DEFAULT_ALERT_BUDGET, replay);
  const workOrderThreshold =
    alertThreshold === null
      ? null
      : workOrderLevelForBudget(
          ev,
          calRows,
          p,
          alertThreshold,
          o.workOrderBudget ?? DEFAULT_WORK_ORDER_BUDGET,
          replay,
        );
  return { calibrator, alertThreshold, workOrderThreshold };
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
  const modelRaw = predictColumns(fit.compiled, fit.inputs(ev, rows));
  const model = modelRaw.map((s) => calibrate(fit.calibrator, s));
  const climatology = new Float64Array(rows.length).fill(fit.climatology.rate);
  const rule = fit.oneSensor;
  if (rule === null)
    return { model, modelRaw, oneSensor: climatology, oneSensorRaw: climatology, climatology };
  const c = calibratorOf(rule.calibration);
  const col = ev.columns[rule.index] as Float64Array;
  const oneSensorRaw = Float64Array.from(rows, (i) => oneSensorScore(col[i] as number, rule.direction));
  return { model, modelRaw, oneSensor: oneSensorRaw.map((v) => calibrate(c, v)), oneSensorRaw, climatology };
}

/** The one-sensor reference chosen on `rows` (feature and direction) and calibrated on `calRows`. */
function oneSensorOf(
  ev: Evidence,
  rows: readonly number[],
  y: Float64Array,
  calRows: readonly number[],
  calY: Float64Array,
): FailureFit['oneSensor'] {
  const rule = chooseOneSensor(ev, { rows, y });
  if (rule === null) return null;
  const col = ev.columns[rule.index] as Float64Array;
  const c = fitIsotonic(
    Float64Array.from(calRows, (i) => oneSensorScore(col[i] as number, rule.direction)),
    calY,
    { centered: true },
  );
  return {
    kind: 'one-sensor' as const,
    feature: ev.names[rule.index] as string,
    index: rule.index,
    direction: rule.direction,
    calibration: calibratorJson(c),
  };
}

/**
 * The cross-fitted fit: the training side's labelled rows in `blocks` contiguous blocks, each
 * scored by a forest fitted on the others (purged, harness.ts); the calibration is fitted on those
 * out-of-fold scores and the alert threshold chosen on them, over the whole training side instead
 * of its latest quarter (a few days holding one or two failures). The served forest is fitted on
 * every labelled row, as the out-of-fold forests were on most of them.
 */
async function fitCrossFitted(
  ev: Evidence,
  cut: number,
  o: FailureKindOptions,
  blocks: number,
): Promise<FailureFit> {
  const cf = failureCrossFitSet(ev, cut, { horizonHours: o.horizonHours, mode: o.mode, blocks });
  if (cf.short) return fitFailure(ev, cut, { ...o, crossFit: 0 });
  const what = `failure within ${o.horizonHours} h (${o.mode ?? 'any mode'})`;
  const positives = cf.y.reduce((s, v) => s + v, 0);
  if (cf.rows.length === 0)
    throw new NotEnoughHistory(
      `${what}: no instant whose outcome is known before the cut (the history needs to span several horizons)`,
    );
  if (positives === 0 || positives === cf.rows.length)
    throw new NotEnoughHistory(
      `${what}: the training side holds ${positives === 0 ? 'no failure' : 'only failures'}`,
    );
  const contextZ = o.contextZ === false ? null : contextZFor(ev, cut, o.horizonHours);
  const inputs = inputsOf(contextZ, ev.names);
  const forestOptions = forestOptionsOf(o);
  const oof = new Float64Array(cf.rows.length).fill(NaN);
  const rowsAt = (positions: readonly number[]) => positions.map((p) => cf.rows[p] as number);
  // A block whose fitting rows hold no failure (or nothing else) is left unscored.
  const scoring = [...cf.blocks.entries()].flatMap(([b, block]) => {
    const fitY = Float64Array.from(block.fit, (p) => cf.y[p] as number);
    const pos = fitY.reduce((s, v) => s + v, 0);
    return block.held.length === 0 || pos === 0 || pos === fitY.length ? [] : [{ b, block, fitY }];
  });
  // Every forest's input is a subset of the rows of the last one's (the training side's every
  // labelled instant): its columns are built once (a row's inputs are its own) and each forest
  // is fitted on its rows of them, with its bins fitted on its rows, all in one sort per column.
  const X = inputs(ev, cf.rows);
  const edges = fitBinsOfSubsets(
    X,
    [...scoring.map(({ block }) => block.fit), cf.rows.map((_, p) => p)],
    forestOptions.maxBins,
  );
  // Each forest's rows are binned here while the workers grow the one before it.
  const prepareBlock = (k: number) => {
    const { b, block, fitY } = scoring[k] as (typeof scoring)[number];
    return prepareForest(
      X,
      fitY,
      { ...forestOptions, seed: (forestOptions.seed ?? 17) + 1 + b },
      { at: block.fit, edges: edges[k] },
    );
  };
  const prepareServed = () => prepareForest(X, cf.y, forestOptions, { edges: edges[scoring.length] });
  let next = scoring.length > 0 ? prepareBlock(0) : prepareServed();
  for (const [k, { block }] of scoring.entries()) {
    const [f, after] = await besideTraining(trainPrepared(next), () =>
      k + 1 < scoring.length ? prepareBlock(k + 1) : prepareServed(),
    );
    next = after;
    const s = predictColumns(compileForest(f), columnsAt(X, block.held));
    block.held.forEach((p, j) => (oof[p] = s[j] as number));
  }
  const scored = cf.rows.flatMap((_, p) => (oof[p] === oof[p] ? [p] : []));
  // Failures in one block only (none left to fit the others on): the latest quarter calibrates.
  if (!scored.some((p) => cf.y[p] === 1)) return fitFailure(ev, cut, { ...o, crossFit: 0 });
  const calRows = rowsAt(scored);
  const calY = Float64Array.from(scored, (p) => cf.y[p] as number);
  // The served forest trains while the calibration, the alert levels' walks and the one-sensor
  // reference (none of which reads it) are fitted here.
  const [forest, rest] = await besideTraining(trainPrepared(next), () => ({
    ...calibrated(
      ev,
      cut,
      o,
      Float64Array.from(scored, (p) => oof[p] as number),
      calRows,
      calY,
    ),
    oneSensor: oneSensorOf(ev, cf.rows, cf.y, cf.rows, cf.y),
  }));
  const first = cf.rows[0] as number;
  return {
    set: { rows: cf.rows, y: cf.y, calRows, calY, calStart: ev.ts[first] as number },
    forest,
    compiled: compileForest(forest),
    climatology: { kind: 'climatology', rate: positives / cf.rows.length },
    contextZ,
    crossFitBlocks: cf.blocks.length,
    inputs,
    ...rest,
  };
}
