/**
 * Export to ml-random-forest's JSON, the interchange format: `RandomForestRegression.load(json)`
 * predicts exactly what the compiled forest predicts; `RandomForestClassifier.load(json)` predicts
 * the majority vote of the trees' most likely classes (its rule; ours averages probabilities, so
 * `predictVotes` reproduces its answer for comparison).
 *
 * ml-cart goes left when `x < splitValue`; ours when `x <= threshold`: the exported split value is
 * the next double above our threshold, which makes the two tests agree for every finite x. A
 * missing value (NaN) goes left here and right there: the export is exact for finite inputs.
 */
import { leafOf } from './compiled.ts';
import type { CompiledForest } from './compiled.ts';
import type { Forest } from './forest.ts';
import type { Tree } from './tree.ts';

const f64 = new Float64Array(1);
const i64 = new BigInt64Array(f64.buffer);

/** The smallest double greater than v (v finite). */
export function nextUp(v: number): number {
  if (v === 0) return Number.MIN_VALUE;
  f64[0] = v;
  i64[0] = v > 0 ? (i64[0] as bigint) + 1n : (i64[0] as bigint) - 1n;
  return f64[0] as number;
}

interface MlNode {
  splitValue?: number;
  splitColumn?: number;
  gain?: number;
  left?: MlNode;
  right?: MlNode;
  distribution?: number | number[][];
}

function node(tree: Tree, i: number, classify: boolean): MlNode {
  if ((tree.feature[i] as number) < 0) {
    if (!classify) return { distribution: tree.value[i] as number };
    return { distribution: [Array.from(tree.value.subarray(i * tree.nOut, (i + 1) * tree.nOut))] };
  }
  return {
    splitValue: nextUp(tree.threshold[i] as number),
    splitColumn: tree.feature[i] as number,
    gain: 0,
    left: node(tree, tree.left[i] as number, classify),
    right: node(tree, tree.right[i] as number, classify),
  };
}

export function toMlRandomForestJSON(forest: Forest): Record<string, unknown> {
  const classify = forest.task === 'classification';
  const all = Array.from({ length: forest.features }, (_, f) => f);
  const treeOptions = {
    gainFunction: classify ? 'gini' : 'regression',
    splitFunction: 'mean',
    minNumSamples: 3,
    maxDepth: forest.options.maxDepth,
    gainThreshold: 0,
  };
  const baseModel = {
    indexes: forest.trees.map(() => all),
    n: forest.trees.length,
    replacement: forest.options.bootstrap,
    maxFeatures: 1,
    nEstimators: forest.trees.length,
    treeOptions,
    isClassifier: classify,
    seed: forest.options.seed,
    useSampleBagging: forest.options.bootstrap,
    noOOB: true,
    estimators: forest.trees.map((t) => ({
      options: { ...treeOptions, kind: classify ? 'classifier' : 'regression' },
      root: node(t, 0, classify),
      name: classify ? 'DTClassifier' : 'DTRegression',
    })),
  };
  return classify
    ? { baseModel, name: 'RFClassifier' }
    : { baseModel, selectionMethod: 'mean', name: 'RFRegression' };
}

/** ml-random-forest's classifier rule on the compiled forest: the most frequent per-tree argmax. */
export function predictVotes(c: CompiledForest, x: ArrayLike<number>): number {
  const votes = new Float64Array(c.nOut);
  for (let t = 0; t < c.trees; t++) {
    const n = leafOf(c, c.roots[t] as number, x);
    let best = 0;
    for (let k = 1; k < c.nOut; k++)
      if ((c.value[n * c.nOut + k] as number) > (c.value[n * c.nOut + best] as number)) best = k;
    votes[best] = (votes[best] as number) + 1;
  }
  let win = 0;
  for (let k = 1; k < c.nOut; k++) if ((votes[k] as number) > (votes[win] as number)) win = k;
  return win;
}
