import { describe, expect, it } from 'vitest';
import { CMAPSS_FOREST, evaluateCmapss } from '../../pipelines/cmapss.ts';
import {
  compileForest,
  mae,
  phm08,
  predictColumns,
  predictRow,
  rmse,
  rocAuc,
  trainForest,
  treePredictions,
} from '../../models/index.ts';
import type { Tree } from '../../models/index.ts';
import { Rng } from '../../src/sim/rng.ts';
import { cmapssFile } from '../helpers/data.ts';

/** A classification problem: the label depends on two of eight features, with noise and NaN. */
function problem(n: number, seed: number) {
  const rng = new Rng(seed, 'forest');
  const cols = Array.from({ length: 8 }, () => new Float64Array(n));
  const y = new Float64Array(n);
  for (let r = 0; r < n; r++) {
    for (const c of cols) c[r] = rng.normal();
    if (rng.chance(0.05)) cols[5]![r] = NaN;
    const z = 1.5 * (cols[0]![r] as number) - (cols[3]![r] as number) + 0.5 * rng.normal();
    y[r] = z > 0 ? 1 : 0;
  }
  return { cols, y };
}

/** Walks a Tree object (not the compiled arrays): the reference for compiled predictions. */
function walk(tree: Tree, x: ArrayLike<number>): number {
  let node = 0;
  while ((tree.feature[node] as number) >= 0) {
    const f = tree.feature[node] as number;
    node =
      (x[f] as number) > (tree.threshold[node] as number)
        ? (tree.right[node] as number)
        : (tree.left[node] as number);
  }
  return tree.value[node * tree.nOut + (tree.nOut - 1)] as number;
}

describe('the forest trainer', () => {
  const train = problem(4000, 1);
  const test = problem(2000, 2);

  it('learns a classification problem and ranks well (AUC)', () => {
    const forest = trainForest(train.cols, train.y, {
      task: 'classification',
      trees: 50,
      maxDepth: 10,
      seed: 3,
    });
    const p = predictColumns(compileForest(forest), test.cols);
    expect(rocAuc(p, test.y)).toBeGreaterThan(0.93);
    let correct = 0;
    p.forEach((v, i) => (correct += (v > 0.5 ? 1 : 0) === test.y[i] ? 1 : 0));
    expect(correct / p.length).toBeGreaterThan(0.85);
    // The informative features carry the importance.
    const top = Array.from(forest.importance)
      .map((v, f) => [v, f] as const)
      .sort((a, b) => b[0] - a[0]);
    expect(new Set([top[0]![1], top[1]![1]])).toEqual(new Set([0, 3]));
  });

  it('is reproducible from its seed, and another seed gives another forest', () => {
    const a = predictColumns(
      compileForest(trainForest(train.cols, train.y, { task: 'classification', trees: 10, seed: 5 })),
      test.cols,
    );
    const b = predictColumns(
      compileForest(trainForest(train.cols, train.y, { task: 'classification', trees: 10, seed: 5 })),
      test.cols,
    );
    const c = predictColumns(
      compileForest(trainForest(train.cols, train.y, { task: 'classification', trees: 10, seed: 6 })),
      test.cols,
    );
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a)).not.toEqual(Array.from(c));
  });

  it('compiled predictions equal walking every tree (NaN goes left in both)', () => {
    const forest = trainForest(train.cols, train.y, { task: 'regression', trees: 20, maxDepth: 8, seed: 9 });
    const compiled = compileForest(forest);
    const x = new Float64Array(8);
    const out = new Float64Array(1);
    for (let r = 0; r < 300; r++) {
      test.cols.forEach((c, f) => (x[f] = c[r] as number));
      if (r % 7 === 0) x[0] = NaN;
      const ref = forest.trees.reduce((s, t) => s + walk(t, x), 0) / forest.trees.length;
      expect(predictRow(compiled, x, out)[0]).toBeCloseTo(ref, 12);
      const each = treePredictions(compiled, x);
      expect(each.reduce((s, v) => s + v, 0) / each.length).toBeCloseTo(ref, 12);
    }
  });

  /** Columns of random values where a quarter are the forest's thresholds, NaN or infinite. */
  function trickyColumns(rng: Rng, forest: { trees: readonly Tree[] }, p: number, n: number) {
    const thresholds = forest.trees.flatMap((t) =>
      Array.from(t.threshold).filter((v, i) => t.feature[i]! >= 0),
    );
    const cols = Array.from({ length: p }, () => new Float64Array(n));
    for (let r = 0; r < n; r++) {
      for (const c of cols) {
        const u = rng.uniform(0, 1);
        c[r] =
          u < 0.05
            ? NaN
            : u < 0.08
              ? rng.chance(0.5)
                ? Infinity
                : -Infinity
              : u < 0.4
                ? (thresholds[Math.floor(rng.uniform(0, 1) * thresholds.length)] as number)
                : rng.normal();
      }
    }
    return cols;
  }

  /** Every row's batch and single-row predictions are exactly the average of the trees' walks. */
  function expectPlainWalk(
    compiled: ReturnType<typeof compileForest>,
    forest: { trees: readonly Tree[] },
    cols: Float64Array[],
    every = 1,
  ) {
    const n = cols[0]!.length;
    const batch = predictColumns(compiled, cols);
    const x = new Float64Array(cols.length);
    const out = new Float64Array(compiled.nOut);
    for (let r = 0; r < n; r += every) {
      cols.forEach((c, f) => (x[f] = c[r] as number));
      const ref = forest.trees.reduce((s, t) => s + walk(t, x), 0) / forest.trees.length;
      expect(batch[r]).toBe(ref);
      expect(predictRow(compiled, x, out)[compiled.nOut - 1]).toBe(ref);
    }
  }

  it('the coded batch and row paths give exactly the plain walk: NaN, infinities, values on a threshold', () => {
    const rng = new Rng(17, 'coded');
    for (const task of ['classification', 'regression'] as const) {
      const forest = trainForest(train.cols, task === 'classification' ? train.y : train.cols[0]!, {
        task,
        trees: 12,
        maxDepth: 9,
        seed: 4,
      });
      const compiled = compileForest(forest);
      expect(compiled.coded).not.toBeNull();
      // More rows than one coding block (4096) and not a multiple of eight.
      expectPlainWalk(compiled, forest, trickyColumns(rng, forest, 8, 4096 + 8 * 3 + 5));
    }
  });

  it('forests of more than 256 features (the failure models read 275) take the coded paths too, exactly', () => {
    const rng = new Rng(3, 'wide');
    for (const p of [300, 700]) {
      const n = 600;
      const cols = Array.from({ length: p }, () => Float64Array.from({ length: n }, () => rng.normal()));
      // The label reads features on both sides of 256, so splits use feature indices above it.
      const y = Float64Array.from({ length: n }, (_, r) =>
        (cols[7]![r] as number) + (cols[p - 3]![r] as number) > 0 ? 1 : 0,
      );
      for (const task of ['classification', 'regression'] as const) {
        const forest = trainForest(cols, task === 'classification' ? y : cols[p - 3]!, {
          task,
          trees: 9,
          seed: 1,
        });
        expect(forest.trees.some((t) => t.feature.some((f) => f >= 256))).toBe(true);
        const compiled = compileForest(forest);
        expect(compiled.coded, `${p} features`).not.toBeNull();
        expectPlainWalk(compiled, forest, trickyColumns(rng, forest, p, 4096 + 8 + 3), 7);
      }
    }
  });

  /**
   * A forest of one hand-made tree: a chain of `splits` nodes, each splitting on a feature of its
   * own (cycling through `features`) with its left child a leaf: children in pairs, after their parent.
   */
  function chainForest(splits: number, features: number) {
    const m = 2 * splits + 1;
    const tree: Tree = {
      feature: new Int32Array(m).fill(-1),
      threshold: new Float64Array(m),
      thresholdBin: new Int32Array(m),
      left: new Int32Array(m).fill(-1),
      right: new Int32Array(m).fill(-1),
      value: new Float64Array(m),
      cover: new Float64Array(m).fill(1),
      nOut: 1,
      gain: new Float64Array(features),
    };
    for (let k = 0, node = 0; k < splits; k++, node += 2) {
      tree.feature[node] = (k * 7919) % features;
      tree.threshold[node] = (k % 5) - 2;
      tree.left[node] = node + 1;
      tree.right[node] = node + 2;
      tree.value[node + 1] = k;
    }
    tree.value[m - 1] = -1;
    return {
      task: 'regression' as const,
      classes: 0,
      features,
      trees: [tree],
      edges: [],
      options: {} as never,
      importance: new Float64Array(features),
    };
  }

  it('a forest the coded form cannot hold (a tree too large for its node bits, too many features) still predicts by the plain walk', () => {
    const rng = new Rng(5, 'uncoded');
    // 300 features leave 15 bits for the left child: a tree of 40,001 nodes does not fit.
    for (const [splits, features] of [
      [20_000, 300],
      [50, 70_000],
    ] as const) {
      const forest = chainForest(splits, features);
      const compiled = compileForest(forest);
      expect(compiled.coded).toBeNull();
      const cols = Array.from({ length: features }, () =>
        Float64Array.from({ length: 20 }, () => Math.round(rng.normal() * 3)),
      );
      expectPlainWalk(compiled, forest, cols);
    }
    // The same chain within the bits is coded, and walks the same leaves.
    const small = chainForest(2_000, 300);
    const coded = compileForest(small);
    expect(coded.coded).not.toBeNull();
    expectPlainWalk(
      coded,
      small,
      Array.from({ length: 300 }, () =>
        Float64Array.from({ length: 50 }, () => Math.round(rng.normal() * 3)),
      ),
    );
  });

  it('fits a regression step and respects minSamplesLeaf and maxDepth', () => {
    const n = 2000;
    const x = Float64Array.from({ length: n }, (_, i) => i / n);
    const y = Float64Array.from(x, (v) => (v > 0.3 ? 10 : 2));
    const forest = trainForest([x], y, {
      task: 'regression',
      trees: 5,
      maxFeatures: 'all',
      minSamplesLeaf: 50,
      maxDepth: 3,
      seed: 1,
    });
    const pred = predictColumns(compileForest(forest), [Float64Array.of(0.1, 0.29, 0.31, 0.9)]);
    expect(Array.from(pred).map((v) => Math.round(v))).toEqual([2, 2, 10, 10]);
    for (const t of forest.trees) {
      for (let i = 0; i < t.feature.length; i++)
        if ((t.feature[i] as number) < 0) expect(t.cover[i]).toBeGreaterThanOrEqual(50);
    }
  });

  it('refuses unlabelled rows and bad options with a reason', () => {
    expect(() =>
      trainForest([Float64Array.of(1, 2)], Float64Array.of(0, NaN), { task: 'regression' }),
    ).toThrow(/target is NaN at row 1/);
    expect(() =>
      trainForest([Float64Array.of(1, 2)], Float64Array.of(0, 1.5), { task: 'classification' }),
    ).toThrow(/integer >= 0/);
    expect(() => trainForest([Float64Array.of(1)], Float64Array.of(0, 1), { task: 'regression' })).toThrow(
      /feature 0 has 1 rows/,
    );
  });
});

describe('metrics', () => {
  it('RMSE, MAE, PHM08 and AUC on hand-checked values', () => {
    expect(rmse([1, 2, 3], [1, 2, 5])).toBeCloseTo(Math.sqrt(4 / 3), 12);
    expect(mae([1, 2, 3], [1, 2, 5])).toBeCloseTo(2 / 3, 12);
    // late by 10: e^1 - 1; early by 13: e^1 - 1
    expect(phm08([20, 0], [10, 13])).toBeCloseTo(2 * (Math.E - 1), 12);
    expect(rocAuc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])).toBeCloseTo(0.75, 12);
  });
});

describe('NASA C-MAPSS FD001, standard protocol (one prediction per test unit, RUL capped at 125 for training)', () => {
  it('a small forest (40 trees) already beats the published random forest RMSE of 17.91', async () => {
    const r = await evaluateCmapss(
      cmapssFile('train_FD001.txt'),
      cmapssFile('test_FD001.txt'),
      cmapssFile('RUL_FD001.txt'),
      125,
      {
        ...CMAPSS_FOREST,
        trees: 40,
      },
    );
    expect(r.units).toBe(100);
    expect(r.train_rows).toBe(20631);
    expect(r.rmse).toBeLessThan(15);
    expect(r.score).toBeLessThan(400);
    // The capped-truth convention forgives over-long predictions on young engines: never worse.
    expect(r.capped_truth.rmse).toBeLessThanOrEqual(r.rmse);
    expect(r.true_rul_capped).toBe(false);
  }, 120_000);
});

describe('training on worker threads', () => {
  it('gives exactly the forest of the single-threaded trainer', async () => {
    const { trainForestParallel } = await import('../../models/index.ts');
    const data = problem(3000, 4);
    const opts = { task: 'classification' as const, trees: 12, maxDepth: 8, seed: 21 };
    const serial = predictColumns(compileForest(trainForest(data.cols, data.y, opts)), data.cols);
    const parallel = predictColumns(
      compileForest(await trainForestParallel(data.cols, data.y, opts, 2)),
      data.cols,
    );
    expect(Array.from(parallel)).toEqual(Array.from(serial));
  }, 60_000);

  it('work done beside a training: both results; a failure of either is thrown only once the training has ended', async () => {
    const { besideTraining, prepareForest, trainPrepared } = await import('../../models/index.ts');
    const data = problem(2000, 6);
    const opts = { task: 'classification' as const, trees: 8, maxDepth: 6, seed: 8 };
    const serial = predictColumns(compileForest(trainForest(data.cols, data.y, opts)), data.cols);
    // The prepared forest trains on the workers while this thread computes something else.
    const [forest, sum] = await besideTraining(trainPrepared(prepareForest(data.cols, data.y, opts), 2), () =>
      data.y.reduce((s, v) => s + v, 0),
    );
    expect(Array.from(predictColumns(compileForest(forest), data.cols))).toEqual(Array.from(serial));
    expect(sum).toBe(data.y.reduce((s, v) => s + v, 0));
    // The work throws: the error comes once the forest's workers are done, not while they train.
    let ended = false;
    const training = trainPrepared(prepareForest(data.cols, data.y, opts), 2).then((f) => {
      ended = true;
      return f;
    });
    const failed = await besideTraining(training, () => {
      throw new Error('calibration failed');
    }).catch((e: Error) => ({ message: e.message, ended }));
    expect(failed).toEqual({ message: 'calibration failed', ended: true });
    // The training fails: its error, after the work ran.
    let worked = false;
    await expect(
      besideTraining(Promise.reject(new Error('worker died')), () => (worked = true)),
    ).rejects.toThrow('worker died');
    expect(worked).toBe(true);
  }, 60_000);

  it('the kept workers train later and concurrent forests exactly as the single-threaded trainer', async () => {
    const { trainForestParallel } = await import('../../models/index.ts');
    const a = problem(2000, 5);
    const b = problem(2500, 6);
    const optsA = { task: 'classification' as const, trees: 10, maxDepth: 6, seed: 3 };
    const optsB = { task: 'regression' as const, trees: 9, maxDepth: 7, seed: 4 };
    const serialA = predictColumns(compileForest(trainForest(a.cols, a.y, optsA)), a.cols);
    const serialB = predictColumns(compileForest(trainForest(b.cols, b.y, optsB)), b.cols);
    // One after the other (the second on the workers the first left idle), then two at once.
    for (const concurrent of [false, true]) {
      const runA = () => trainForestParallel(a.cols, a.y, optsA, 2);
      const runB = () => trainForestParallel(b.cols, b.y, optsB, 2);
      const [fa, fb] = concurrent ? await Promise.all([runA(), runB()]) : [await runA(), await runB()];
      expect(Array.from(predictColumns(compileForest(fa), a.cols))).toEqual(Array.from(serialA));
      expect(Array.from(predictColumns(compileForest(fb), b.cols))).toEqual(Array.from(serialB));
    }
  }, 60_000);
});

describe('a forest on some rows of shared columns', () => {
  it('is the forest fitted on those rows picked into columns of their own, with its edges fitted beforehand or not', async () => {
    const { trainForestParallel, fitBinsOfSubsets } = await import('../../models/index.ts');
    const data = problem(3000, 7);
    // Every third row left out, as a cross-fit leaves out a block (and its purge).
    const at = Array.from({ length: 3000 }, (_, i) => i).filter((i) => i % 3 !== 1 && (i < 1000 || i > 1400));
    const y = Float64Array.from(at, (r) => data.y[r]!);
    const picked = data.cols.map((c) => Float64Array.from(at, (r) => c[r]!));
    for (const opts of [
      { task: 'classification' as const, trees: 8, maxDepth: 8, seed: 31 },
      { task: 'regression' as const, trees: 6, maxDepth: 7, seed: 32, maxBins: 32 },
    ]) {
      const target = opts.task === 'classification' ? y : picked[0]!;
      const want = trainForest(picked, target, opts);
      const [edges] = fitBinsOfSubsets(data.cols, [at], opts.maxBins);
      const given = await trainForestParallel(data.cols, target, opts, 2, { at, edges });
      const fitted = await trainForestParallel(data.cols, target, opts, 2, { at });
      for (const f of [given, fitted]) {
        expect(JSON.stringify(f.trees)).toBe(JSON.stringify(want.trees));
        expect(f.edges.map((e) => Array.from(e))).toEqual(want.edges.map((e) => Array.from(e)));
      }
    }
  }, 60_000);

  it('refuses picked rows that do not match the target or the columns, and edges of another width', async () => {
    const { trainForestParallel } = await import('../../models/index.ts');
    const cols = [Float64Array.of(1, 2, 3, 4), Float64Array.of(4, 3, 2, 1)];
    const opts = { task: 'classification' as const, trees: 2, seed: 1 };
    await expect(
      trainForestParallel(cols, Float64Array.of(0, 1), opts, 2, { at: [0, 1, 2] }),
    ).rejects.toThrow(/3 rows picked, target has 2/);
    await expect(trainForestParallel(cols, Float64Array.of(0, 1), opts, 2, { at: [0, 4] })).rejects.toThrow(
      /row 4 picked from columns of 4 rows/,
    );
    await expect(
      trainForestParallel(cols, Float64Array.of(0, 1, 0, 1), opts, 2, { edges: [Float64Array.of(Infinity)] }),
    ).rejects.toThrow(/1 features' bin edges for 2 features/);
  });
});

describe('export to ml-random-forest (the interchange format)', () => {
  it('RandomForestRegression.load() predicts what the compiled forest predicts; the classifier, its vote', async () => {
    const { RandomForestRegression, RandomForestClassifier } = await import('ml-random-forest');
    const { toMlRandomForestJSON, predictVotes, nextUp } = await import('../../models/index.ts');
    expect(nextUp(1)).toBe(1 + Number.EPSILON);
    expect(nextUp(-1)).toBeGreaterThan(-1);
    const train = problem(1500, 11);
    const test = problem(300, 12);
    const rows = Array.from({ length: 300 }, (_, r) =>
      test.cols.map((c) => (Number.isNaN(c[r]) ? 0 : (c[r] as number))),
    );
    const reg = trainForest(train.cols, train.y, { task: 'regression', trees: 15, maxDepth: 8, seed: 2 });
    const regLoaded = RandomForestRegression.load(JSON.parse(JSON.stringify(toMlRandomForestJSON(reg))));
    const theirs = regLoaded.predict(rows) as number[];
    const compiled = compileForest(reg);
    const out = new Float64Array(1);
    rows.forEach((x, i) => expect(theirs[i]).toBeCloseTo(predictRow(compiled, x, out)[0] as number, 12));
    const clf = trainForest(train.cols, train.y, { task: 'classification', trees: 15, maxDepth: 8, seed: 2 });
    const clfLoaded = RandomForestClassifier.load(JSON.parse(JSON.stringify(toMlRandomForestJSON(clf))));
    const votes = clfLoaded.predict(rows) as number[];
    const cc = compileForest(clf);
    rows.forEach((x, i) => expect(votes[i]).toBe(predictVotes(cc, x)));
  });
});

describe('explanations', () => {
  it('bias + contributions add up to the prediction, and the informative features lead', async () => {
    const { explainRow, topContributions } = await import('../../models/index.ts');
    const data = problem(3000, 31);
    const forest = trainForest(data.cols, data.y, {
      task: 'classification',
      trees: 30,
      maxDepth: 8,
      seed: 4,
    });
    const c = compileForest(forest);
    const out = new Float64Array(2);
    const leaders = new Map<string, number>();
    for (let r = 0; r < 200; r++) {
      const x = data.cols.map((col) => col[r] as number);
      const e = explainRow(c, x);
      const sum = e.bias + e.contributions.reduce((s, v) => s + v, 0);
      expect(sum).toBeCloseTo(predictRow(c, x, out)[1] as number, 12);
      expect(e.prediction).toBeCloseTo(out[1] as number, 12);
      const top = topContributions(
        e,
        data.cols.map((_, f) => `f${f}`),
        1,
      )[0]!.feature;
      leaders.set(top, (leaders.get(top) ?? 0) + 1);
    }
    // The label depends on f0 and f3: they lead most explanations.
    expect((leaders.get('f0') ?? 0) + (leaders.get('f3') ?? 0)).toBeGreaterThan(150);
  });
});
