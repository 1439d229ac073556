/**
 * Random forests with the engine's own trainer: features binned once, histogram trees, bootstrap
 * rows and per-node feature sampling, reproducible from a seed. Classification averages class
 * probabilities over trees; regression averages values and keeps the spread of the trees'
 * predictions for intervals.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { applyBins, fitBins, fitBinsOfSubsets } from './binning.ts';
import { mulberry32 } from './rng.ts';
import { buildTree } from './tree.ts';
import type { Criterion, Tree, TreeParams } from './tree.ts';

export type Task = 'classification' | 'regression';

export interface ForestOptions {
  readonly task: Task;
  readonly trees?: number;
  readonly maxDepth?: number;
  readonly minSamplesLeaf?: number;
  readonly minSamplesSplit?: number;
  readonly maxLeaves?: number;
  /** 'sqrt' (classification default), 'third' (regression default), a count, or a fraction in (0, 1]. */
  readonly maxFeatures?: 'sqrt' | 'third' | 'all' | number;
  readonly criterion?: Criterion;
  readonly bootstrap?: boolean;
  /** 'balanced' weights classes inversely to their frequency (rare failures count as much). */
  readonly classWeight?: 'balanced';
  readonly maxBins?: number;
  readonly seed?: number;
}

export interface Forest {
  readonly task: Task;
  readonly classes: number;
  readonly features: number;
  readonly trees: readonly Tree[];
  readonly edges: readonly Float64Array[];
  readonly options: Required<Omit<ForestOptions, 'classWeight'>> & Pick<ForestOptions, 'classWeight'>;
  /** Normalised impurity-decrease importance per feature. */
  readonly importance: Float64Array;
}

export class ForestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ForestError';
  }
}

function resolveMaxFeatures(option: ForestOptions['maxFeatures'], task: Task, p: number): number {
  const o = option ?? (task === 'classification' ? 'sqrt' : 'third');
  if (o === 'sqrt') return Math.max(1, Math.floor(Math.sqrt(p)));
  if (o === 'third') return Math.max(1, Math.floor(p / 3));
  if (o === 'all') return p;
  if (o > 0 && o <= 1) return Math.max(1, Math.floor(o * p));
  if (Number.isInteger(o) && o >= 1) return Math.min(p, o);
  throw new ForestError(
    `maxFeatures must be 'sqrt', 'third', 'all', a fraction in (0, 1] or a count, got ${o}`,
  );
}

/**
 * Trains a forest. `columns[f][r]` is feature f of row r (NaN = missing); `target[r]` the class
 * label (0..k-1) or the value. Rows with a NaN target are refused: label first, then train.
 */
export function trainForest(
  columns: readonly Float64Array[],
  target: Float64Array,
  options: ForestOptions,
): Forest {
  const prepared = prepare(columns, target, options);
  const trees = trainTrees(
    prepared.binned,
    target,
    prepared.params,
    prepared.resolved,
    prepared.classWeight,
    0,
    prepared.resolved.trees,
  );
  return finish(prepared, trees);
}

/**
 * The same forest, its trees built on worker threads (`threads` workers, default the CPU count):
 * each tree's randomness depends only on (seed, tree index), so the result equals trainForest's.
 */
export async function trainForestParallel(
  columns: readonly Float64Array[],
  target: Float64Array,
  options: ForestOptions,
  threads = availableParallelism(),
  rows: Rows = {},
): Promise<Forest> {
  return trainPrepared(prepareForest(columns, target, options, rows), threads);
}

/** A forest's inputs checked and binned, ready for `trainPrepared` (what to do meanwhile: below). */
export interface PreparedForest {
  readonly prepared: Prepared;
  readonly target: Float64Array;
}

/**
 * The first half of `trainForestParallel`, on the calling thread: the inputs checked (a bad one
 * throws here) and binned. Split off so that a caller fitting forests in turn can bin the next
 * forest's rows while the workers grow this one's trees.
 */
export function prepareForest(
  columns: readonly Float64Array[],
  target: Float64Array,
  options: ForestOptions,
  rows: Rows = {},
): PreparedForest {
  return { prepared: prepare(columns, target, options, rows), target };
}

/**
 * The second half: the trees grown on the worker threads. Their jobs are sent before this returns,
 * so the calling thread is free for other work until it awaits the forest.
 */
export async function trainPrepared(
  { prepared, target }: PreparedForest,
  threads = availableParallelism(),
): Promise<Forest> {
  const total = prepared.resolved.trees;
  const workers = Math.max(1, Math.min(threads, total));
  if (workers === 1)
    return finish(
      prepared,
      trainTrees(prepared.binned, target, prepared.params, prepared.resolved, prepared.classWeight, 0, total),
    );
  const parts = await Promise.all(
    Array.from({ length: workers }, (_, w) =>
      trainPool().run({
        binned: prepared.binned,
        target,
        params: prepared.params,
        options: prepared.resolved,
        classWeight: prepared.classWeight,
        from: Math.floor((w * total) / workers),
        to: Math.floor(((w + 1) * total) / workers),
      }),
    ),
  );
  return finish(prepared, parts.flat());
}

/**
 * Runs `work` on this thread while a forest trains on the worker threads (its jobs are sent before
 * `trainForestParallel` or `trainPrepared` returns), and returns both: work that does not need the
 * forest no longer waits for it, nor leaves a core idle after it. The results are the same as one
 * after the other. If `work` throws, the training is waited for (its workers free again) before
 * the error goes on.
 */
export async function besideTraining<T, U>(training: Promise<T>, work: () => U): Promise<[T, U]> {
  let done: U;
  try {
    done = work();
  } catch (err) {
    await training.catch(() => undefined);
    throw err;
  }
  return [await training, done];
}

/**
 * Which rows of the columns a forest is fitted on, for fits that share their columns (a
 * cross-fitted fit's forests, one per block of rows): `at`, row positions (the target aligned
 * with them; all rows when absent), and `edges`, the bins `fitBins` gives those rows, fitted
 * beforehand for every fit at once (`fitBinsOfSubsets`). The forest is the one fitted on those
 * rows' values picked into columns of their own.
 */
export interface Rows {
  readonly at?: readonly number[];
  readonly edges?: readonly Float64Array[];
}

/** What a training worker is sent: trees [from, to) of one forest. */
export interface TrainJob {
  readonly binned: ReturnType<typeof applyBins>;
  readonly target: Float64Array;
  readonly params: TreeParams;
  readonly options: { readonly bootstrap: boolean; readonly seed: number };
  readonly classWeight: Float64Array;
  readonly from: number;
  readonly to: number;
}

/**
 * Training workers kept between forests. Starting one costs ~0.2 s (it loads the trainer's
 * TypeScript), and a first start or a backtest fits dozens of forests (one per fold and model):
 * a worker per fit spent seconds starting workers. A worker keeps the process alive only while it
 * trains; one idle for 30 s is stopped. A worker that fails or dies fails its forest and is
 * replaced by a new one at the next fit.
 */
class TrainPool {
  private readonly idle: Worker[] = [];
  private readonly idleTimers = new Map<Worker, NodeJS.Timeout>();

  run(job: TrainJob): Promise<Tree[]> {
    const worker = this.idle.pop() ?? this.spawn();
    clearTimeout(this.idleTimers.get(worker));
    this.idleTimers.delete(worker);
    worker.ref();
    return new Promise<Tree[]>((resolve, reject) => {
      const done = () => {
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
      };
      const onMessage = (m: { trees?: Tree[]; error?: string }) => {
        done();
        if (m.trees === undefined) {
          void worker.terminate();
          reject(new ForestError(`training worker failed: ${m.error ?? 'no trees'}`));
          return;
        }
        this.release(worker);
        resolve(m.trees);
      };
      const onError = (err: Error) => {
        done();
        void worker.terminate();
        reject(err);
      };
      const onExit = (code: number) => {
        done();
        reject(new ForestError(`training worker exited with code ${code}`));
      };
      worker.on('message', onMessage);
      worker.once('error', onError);
      worker.once('exit', onExit);
      worker.postMessage(job);
    });
  }

  private spawn(): Worker {
    const worker = new Worker(new URL('./train-worker.js', import.meta.url));
    // Between forests nobody listens for the job's events: an idle worker that dies leaves the
    // pool instead of raising an unhandled 'error' in the process.
    worker.on('error', () => {});
    worker.on('exit', () => {
      const i = this.idle.indexOf(worker);
      if (i >= 0) this.idle.splice(i, 1);
      clearTimeout(this.idleTimers.get(worker));
      this.idleTimers.delete(worker);
    });
    return worker;
  }

  private release(worker: Worker): void {
    worker.unref();
    this.idle.push(worker);
    const timer = setTimeout(() => {
      // Out of the pool before it stops: a fit must not pick a worker that is exiting.
      const i = this.idle.indexOf(worker);
      if (i >= 0) this.idle.splice(i, 1);
      this.idleTimers.delete(worker);
      void worker.terminate();
    }, 30_000);
    timer.unref();
    this.idleTimers.set(worker, timer);
  }
}

let pool: TrainPool | undefined;
const trainPool = () => (pool ??= new TrainPool());

interface Prepared {
  readonly binned: ReturnType<typeof applyBins>;
  readonly edges: Float64Array[];
  readonly params: TreeParams;
  readonly resolved: Forest['options'];
  readonly classWeight: Float64Array;
  readonly classes: number;
  readonly task: Task;
  readonly features: number;
}

function finish(prep: Prepared, trees: Tree[]): Forest {
  const p = prep.features;
  const importance = new Float64Array(p);
  for (const t of trees)
    for (let f = 0; f < p; f++) importance[f] = (importance[f] as number) + (t.gain[f] as number);
  const total = importance.reduce((s, v) => s + v, 0);
  if (total > 0) for (let f = 0; f < p; f++) importance[f] = (importance[f] as number) / total;
  return {
    task: prep.task,
    classes: prep.task === 'classification' ? prep.classes : 1,
    features: p,
    trees,
    edges: prep.edges,
    options: prep.resolved,
    importance,
  };
}

function prepare(
  columns: readonly Float64Array[],
  target: Float64Array,
  options: ForestOptions,
  rows: Rows = {},
): Prepared {
  const p = columns.length;
  const n = target.length;
  if (p === 0) throw new ForestError('no feature columns');
  const at = rows.at;
  const height = at === undefined ? n : (columns[0] as Float64Array).length;
  columns.forEach((c, f) => {
    if (c.length !== height)
      throw new ForestError(
        at === undefined
          ? `feature ${f} has ${c.length} rows, target has ${n}`
          : `feature ${f} has ${c.length} rows, feature 0 has ${height}`,
      );
  });
  if (at !== undefined) {
    if (at.length !== n) throw new ForestError(`${at.length} rows picked, target has ${n}`);
    for (const r of at)
      if (!(Number.isInteger(r) && r >= 0 && r < height))
        throw new ForestError(`row ${r} picked from columns of ${height} rows`);
  }
  if (rows.edges !== undefined && rows.edges.length !== p)
    throw new ForestError(`${rows.edges.length} features' bin edges for ${p} features`);
  for (let r = 0; r < n; r++)
    if (target[r] !== target[r])
      throw new ForestError(`target is NaN at row ${r}: drop unlabelled rows first`);
  let classes = 1;
  if (options.task === 'classification') {
    for (let r = 0; r < n; r++) {
      const y = target[r] as number;
      if (!Number.isInteger(y) || y < 0)
        throw new ForestError(`class label must be an integer >= 0, got ${y} at row ${r}`);
      classes = Math.max(classes, y + 1);
    }
    classes = Math.max(2, classes);
  }
  const resolved = {
    task: options.task,
    trees: options.trees ?? 100,
    maxDepth: options.maxDepth ?? 32,
    minSamplesLeaf: options.minSamplesLeaf ?? 1,
    minSamplesSplit: options.minSamplesSplit ?? 2,
    maxLeaves: options.maxLeaves ?? Number.MAX_SAFE_INTEGER,
    maxFeatures: options.maxFeatures ?? (options.task === 'classification' ? 'sqrt' : 'third'),
    criterion: options.criterion ?? (options.task === 'classification' ? 'gini' : 'mse'),
    bootstrap: options.bootstrap ?? true,
    classWeight: options.classWeight,
    maxBins: options.maxBins ?? 256,
    seed: options.seed ?? 1,
  } as const;
  if ((resolved.criterion === 'mse') !== (options.task === 'regression')) {
    throw new ForestError(`criterion ${resolved.criterion} does not fit ${options.task}`);
  }
  const edges =
    rows.edges?.slice() ??
    (at === undefined
      ? fitBins(columns, resolved.maxBins)
      : fitBinsOfSubsets(columns, [at], resolved.maxBins)[0]!);
  const binned = applyBins(columns, edges, at);
  const params: TreeParams = {
    criterion: resolved.criterion,
    classes,
    maxDepth: resolved.maxDepth,
    minSamplesLeaf: resolved.minSamplesLeaf,
    minSamplesSplit: resolved.minSamplesSplit,
    maxLeaves: resolved.maxLeaves,
    maxFeatures: resolveMaxFeatures(resolved.maxFeatures, options.task, p),
  };
  const classWeight = new Float64Array(classes).fill(1);
  if (resolved.classWeight === 'balanced') {
    const counts = new Float64Array(classes);
    for (let r = 0; r < n; r++) counts[target[r] as number] = (counts[target[r] as number] as number) + 1;
    for (let k = 0; k < classes; k++)
      classWeight[k] = (counts[k] as number) > 0 ? n / (classes * (counts[k] as number)) : 0;
  }
  return { binned, edges, params, resolved, classWeight, classes, task: options.task, features: p };
}

/** Trees [from, to) of a forest; each tree's randomness comes from (seed, tree index) alone. */
export function trainTrees(
  binned: ReturnType<typeof applyBins>,
  target: Float64Array,
  params: TreeParams,
  options: { bootstrap: boolean; seed: number },
  classWeight: Float64Array,
  from: number,
  to: number,
): Tree[] {
  const n = binned.rows;
  const trees: Tree[] = [];
  const weights = new Float64Array(n);
  const classify = params.criterion !== 'mse';
  for (let t = from; t < to; t++) {
    const random = mulberry32((options.seed * 0x9e3779b1 + t * 0x85ebca6b) >>> 0);
    weights.fill(options.bootstrap ? 0 : 1);
    if (options.bootstrap) {
      weights.fill(0);
      for (let i = 0; i < n; i++) {
        const r = Math.floor(random() * n);
        weights[r] = (weights[r] as number) + 1;
      }
    }
    if (classify)
      for (let r = 0; r < n; r++)
        weights[r] = (weights[r] as number) * (classWeight[target[r] as number] as number);
    trees.push(buildTree(binned, target, weights, params, random));
  }
  return trees;
}
