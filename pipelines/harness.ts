/**
 * The one evaluation harness: walk-forward folds, what each fold's training side may see, and the
 * training sets of the model kinds. Backtests, training, first models and champion/challenger all
 * take their rows from here, so a rule about cuts and purges is written once.
 */
import { failureWithin } from '../features/index.ts';
import type { FailureEvent } from '../features/index.ts';
import { rulTargets } from './rul-targets.ts';

/** Instants with their features and the failures observed, as a model kind sees them. */
export interface Evidence {
  /** Epoch µs per row. */
  readonly ts: Float64Array;
  readonly equipment: readonly string[];
  /** One column per feature, in `names` order. */
  readonly columns: readonly Float64Array[];
  readonly names: readonly string[];
  readonly failures: readonly FailureEvent[];
  /** Exclusive end of observation (µs): nothing at or after it is known. */
  readonly observedUntil: number;
}

export interface TrainingSet {
  /** Row indices into the evidence the set was built from, in time order. */
  readonly rows: readonly number[];
  /** Targets aligned with `rows`. */
  readonly y: Float64Array;
  /** Calibration rows (after the fitting rows), when the kind calibrates. */
  readonly calRows: readonly number[];
  readonly calY: Float64Array;
}

/** Failure within `horizonHours` (of `mode`, or any) as the training side at `cut` knows it. */
export function failureTrainingSet(
  ev: Evidence,
  cut: number,
  o: { horizonHours: number; mode?: string },
): TrainingSet {
  const H = o.horizonHours * 3.6e9;
  const y = failureWithin(ev.ts, ev.equipment, ev.failures, H, ev.observedUntil, o.mode);
  const known: number[] = [];
  for (let i = 0; i < ev.ts.length; i++) if (y[i] === y[i] && (ev.ts[i] as number) + H <= cut) known.push(i);
  known.sort((a, b) => (ev.ts[a] as number) - (ev.ts[b] as number));
  const split = Math.floor(known.length * 0.75);
  const rows = known.slice(0, split);
  const calRows = known.slice(split);
  return {
    rows,
    y: Float64Array.from(rows, (i) => y[i] as number),
    calRows,
    calY: Float64Array.from(calRows, (i) => y[i] as number),
  };
}

/** Capped RUL targets (censored instants imputed) as the training side at `cut` knows them. */
export function rulTrainingSet(ev: Evidence, cut: number, o: { capHours: number }): TrainingSet {
  const a = ev.names.indexOf('hours_since_maintenance');
  const age = a < 0 ? undefined : ev.columns[a];
  const target = rulTargets(ev.ts, ev.equipment, ev.failures, cut, o.capHours, age).target;
  const rows: number[] = [];
  for (let i = 0; i < ev.ts.length; i++)
    if ((ev.ts[i] as number) < cut && target[i] === target[i]) rows.push(i);
  rows.sort((x, z) => (ev.ts[x] as number) - (ev.ts[z] as number));
  return {
    rows,
    y: Float64Array.from(rows, (i) => target[i] as number),
    calRows: [],
    calY: new Float64Array(0),
  };
}

export interface Fold {
  readonly k: number;
  /** The training side sees only what is known strictly before this instant (µs). */
  readonly cut: number;
  /** Test instants lie in [cut, end). */
  readonly end: number;
}

/**
 * Walk-forward folds over the instants: the first cut half-way through, the rest of the span split
 * into `folds` test periods, each fold trained on everything before its own cut.
 */
export function walkForwardFolds(ts: Float64Array, folds: number): Fold[] {
  let t0 = Infinity;
  let t1 = -Infinity;
  for (const t of ts) {
    t0 = Math.min(t0, t);
    t1 = Math.max(t1, t);
  }
  const at = (k: number) => t0 + (0.5 + (0.5 * k) / folds) * (t1 - t0);
  return Array.from({ length: folds }, (_, k) => ({
    k,
    cut: at(k),
    end: k === folds - 1 ? t1 + 1 : at(k + 1),
  }));
}
