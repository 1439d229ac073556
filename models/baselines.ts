/**
 * The references a model must beat before it answers, kept as data so the engine can serve one
 * when the model loses (a model that loses to its baseline is never served in silence):
 * - failure: a one-sensor rule (the feature that ranked failures best on the training rows, its
 *   direction chosen there, its score calibrated on the calibration slice) and climatology (the
 *   training failure rate for every instant);
 * - RUL: mean life (mean hours from a maintenance to a failure, minus the age) and a Weibull fitted
 *   to the lives seen (expected capped RUL at the age).
 * Each is a function of one feature vector, as a forest is.
 */
import { calibrate, calibratorOf } from './calibration.ts';
import type { Calibrator, CalibratorJson } from './calibration.ts';
import { expectedCappedRul } from './reliability.ts';

export type FailureBaseline =
  | {
      readonly kind: 'one-sensor';
      readonly feature: string;
      /** Position of the feature in the vector. */
      readonly index: number;
      /** 1: higher values mean failure; -1: lower values do. */
      readonly direction: 1 | -1;
      /** Isotonic map from direction x value to probability. */
      readonly calibration: CalibratorJson;
    }
  | { readonly kind: 'climatology'; readonly rate: number };

/** Conformal residual bounds per nominal level (truth - prediction lies in [low, high]). */
export type ResidualIntervals = readonly {
  readonly level: number;
  readonly low: number;
  readonly high: number;
}[];

export type RulBaseline =
  | {
      readonly kind: 'mean-life';
      readonly ageIndex: number;
      readonly meanLifeHours: number;
      readonly capHours: number;
      readonly intervals?: ResidualIntervals;
    }
  | {
      readonly kind: 'weibull';
      readonly ageIndex: number;
      readonly shape: number;
      readonly scale: number;
      readonly capHours: number;
      readonly intervals?: ResidualIntervals;
    };

/** How a baseline is named wherever it answers: `baseline:one-sensor <feature>`, `baseline:climatology`, ... */
export function baselineName(b: FailureBaseline | RulBaseline): string {
  return b.kind === 'one-sensor' ? `baseline:one-sensor ${b.feature}` : `baseline:${b.kind}`;
}

/** The rule's raw score: missing ranks lowest (no evidence of failure). */
export function oneSensorScore(value: number, direction: 1 | -1): number {
  return value === value ? direction * value : -Infinity;
}

/** Each stored calibration read once: a served baseline answers every scoring of its equipment. */
const calibrators = new WeakMap<CalibratorJson, Calibrator>();

export function failureBaselineAt(b: FailureBaseline, x: ArrayLike<number>): number {
  if (b.kind === 'climatology') return b.rate;
  let c = calibrators.get(b.calibration);
  if (c === undefined) calibrators.set(b.calibration, (c = calibratorOf(b.calibration)));
  return calibrate(c, oneSensorScore(x[b.index] as number, b.direction));
}

/** Capped RUL hours of a baseline at a vector; the Weibull gives NaN when the age is unknown. */
export function rulBaselineAt(b: RulBaseline, x: ArrayLike<number>): number {
  const age = x[b.ageIndex] as number;
  // Mean life without a known age (no maintenance seen yet) is the mean life itself.
  if (b.kind === 'mean-life')
    return Math.min(b.capHours, Math.max(0, b.meanLifeHours - (age >= 0 ? age : 0)));
  return age >= 0 ? expectedCappedRul(b, age, 0, b.capHours) : NaN;
}
