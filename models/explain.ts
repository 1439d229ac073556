/**
 * Per-prediction explanations by path attribution (Saabas): along each tree's path, the change in
 * node value at a split is credited to the split's feature; averaged over trees. The parts add up
 * exactly: bias (the average root value) + the sum of contributions = the prediction.
 */
import type { CompiledForest } from './compiled.ts';

export interface Explanation {
  /** Average root value: the prediction before any feature is looked at. */
  readonly bias: number;
  /** Signed contribution per feature (same order as the model's features). */
  readonly contributions: Float64Array;
  readonly prediction: number;
}

/** Explains one row: positive-class probability for classification, the value for regression. */
export function explainRow(c: CompiledForest, x: ArrayLike<number>): Explanation {
  const { roots, links, threshold, value, nOut } = c;
  const k = nOut - 1;
  const contributions = new Float64Array(c.features);
  let bias = 0;
  let prediction = 0;
  for (let t = 0; t < c.trees; t++) {
    let node = roots[t] as number;
    bias += value[node * nOut + k] as number;
    let f = links[node * 2] as number;
    while (f >= 0) {
      const before = value[node * nOut + k] as number;
      node = (links[node * 2 + 1] as number) + ((x[f] as number) > (threshold[node] as number) ? 1 : 0);
      contributions[f] = (contributions[f] as number) + (value[node * nOut + k] as number) - before;
      f = links[node * 2] as number;
    }
    prediction += value[node * nOut + k] as number;
  }
  for (let j = 0; j < contributions.length; j++) contributions[j] = (contributions[j] as number) / c.trees;
  return { bias: bias / c.trees, contributions, prediction: prediction / c.trees };
}

/** The `n` largest contributions by magnitude, named. */
export function topContributions(
  e: Explanation,
  names: readonly string[],
  n = 5,
): { feature: string; contribution: number }[] {
  return Array.from(e.contributions, (v, j) => ({ feature: names[j] ?? `f${j}`, contribution: v }))
    .filter((c) => c.contribution !== 0)
    .sort((a, b) => Math.abs(b.contribution) - Math.abs(a.contribution))
    .slice(0, n);
}
