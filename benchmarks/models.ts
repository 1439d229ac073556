/**
 * The engine's forest against scikit-learn's RandomForestClassifier on the same data: 50,000 rows x
 * 40 features (a nonlinear problem with noise), 100 trees, sqrt features per split, depth 12; the
 * engine trains on both cores, scikit-learn gets n_jobs=2. Two scikit-learn references: its exact
 * splits on the raw values, and like for like on the engine's own 256 quantile bins (the codes, so
 * its candidate thresholds are the engine's). Then inference with the compiled forest: single-row
 * latency (scikit-learn's with n_jobs=2 as trained and with n_jobs=1, its best for one row) and
 * batch throughput against ml-random-forest on the same forest.
 *
 * Needs /usr/bin/python3 with numpy and scikit-learn (scripts/install-python-refs.sh).
 *
 *   npm run bench:models [-- --rows 50000 --features 40 --trees 100 --depth 12]
 *
 * Last line: {"train_s","sklearn_train_s","sklearn_binned_train_s","auc","sklearn_auc",
 *             "sklearn_binned_auc","predict_us_p50","predict_us_p99","sklearn_predict_us_p50",
 *             "sklearn_predict_us_p50_n_jobs_1","batch_rows_per_s",...}
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  applyBins,
  compileForest,
  fitBins,
  predictColumns,
  predictRow,
  rocAuc,
  toMlRandomForestJSON,
  trainForestParallel,
} from '../models/index.ts';
import { Rng } from '../src/sim/rng.ts';
import { PYTHON, requirePython } from './python.ts';

const { values: o } = parseArgs({
  options: {
    rows: { type: 'string', default: '50000' },
    features: { type: 'string', default: '40' },
    trees: { type: 'string', default: '100' },
    depth: { type: 'string', default: '12' },
  },
});
const N = Number(o.rows);
const TEST = Math.round(N * 0.4);
const P = Number(o.features);
const TREES = Number(o.trees);
const DEPTH = Number(o.depth);
const here = path.dirname(fileURLToPath(import.meta.url));
requirePython(['numpy', 'sklearn']);

// A problem with 8 informative features (interactions and thresholds) among P, and label noise.
const rng = new Rng(42, 'bench-models');
const total = N + TEST;
const cols = Array.from({ length: P }, () => new Float64Array(total));
const y = new Float64Array(total);
for (let r = 0; r < total; r++) {
  for (const c of cols) c[r] = rng.normal();
  const x = (f: number) => cols[f]![r] as number;
  const z =
    x(0) * x(1) +
    Math.sin(2 * x(2)) +
    (x(3) > 0.5 ? 1 : -0.5) +
    0.5 * x(4) -
    0.7 * Math.abs(x(5)) +
    0.3 * x(6) * x(7) +
    0.8 * rng.normal();
  y[r] = z > 0 ? 1 : 0;
}
const dir = mkdtempSync(path.join(os.tmpdir(), 'pdm-bench-models-'));
const file = path.join(dir, 'data.f64');
const flat = new Float64Array(P * total + total);
cols.forEach((c, f) => flat.set(c, f * total));
flat.set(y, P * total);
writeFileSync(file, new Uint8Array(flat.buffer));
// The same rows as the engine's trainer sees them: its 256 quantile bins, fitted on the training
// rows (bin codes, feature-major): scikit-learn's exact splits over these are the engine's
// candidate thresholds, so a forest on them is the like-for-like reference.
const binned = applyBins(cols, fitBins(cols.map((c) => c.subarray(0, N))));
const codes = new Float64Array(P * total);
for (let r = 0; r < total; r++)
  for (let f = 0; f < P; f++) codes[f * total + r] = binned.codes[r * P + f] as number;
writeFileSync(`${file}.bins`, new Uint8Array(codes.buffer));

const trainCols = cols.map((c) => c.subarray(0, N));
const testCols = cols.map((c) => c.subarray(N));
const t0 = performance.now();
const forest = await trainForestParallel(trainCols, y.subarray(0, N), {
  task: 'classification',
  trees: TREES,
  maxDepth: DEPTH,
  maxFeatures: 'sqrt',
  seed: 1,
});
const trainS = (performance.now() - t0) / 1000;
const compiled = compileForest(forest);
const auc = rocAuc(predictColumns(compiled, testCols), y.subarray(N));

// Single-row latency: one predictRow call per row of the test set, timed each.
const row = new Float64Array(P);
const out = new Float64Array(2);
const lat: number[] = [];
for (let r = 0; r < Math.min(TEST, 20_000); r++) {
  for (let f = 0; f < P; f++) row[f] = testCols[f]![r] as number;
  const t = process.hrtime.bigint();
  predictRow(compiled, row, out);
  lat.push(Number(process.hrtime.bigint() - t) / 1000);
}
lat.sort((a, b) => a - b);
let batchBest = Infinity;
for (let k = 0; k < 3; k++) {
  const t = performance.now();
  predictColumns(compiled, testCols);
  batchBest = Math.min(batchBest, (performance.now() - t) / 1000);
}

// ml-random-forest predicting the same forest (exported to its JSON), on the same rows.
const { RandomForestClassifier } = await import('ml-random-forest');
const mlrf = RandomForestClassifier.load(JSON.parse(JSON.stringify(toMlRandomForestJSON(forest))));
const mlRows = Math.min(TEST, 5000);
const rowsArr = Array.from({ length: mlRows }, (_, r) => testCols.map((c) => c[r] as number));
// Warmed up and best of three, as the compiled batch is: a cold first call is ~15 % slower and
// would flatter the ratio.
mlrf.predict(rowsArr.slice(0, 1000));
let mlBest = Infinity;
for (let k = 0; k < 3; k++) {
  const tMl = performance.now();
  mlrf.predict(rowsArr);
  mlBest = Math.min(mlBest, (performance.now() - tMl) / 1000);
}
const mlRowsPerS = mlRows / mlBest;

const py = spawnSync(
  PYTHON,
  [
    path.join(here, 'models_reference.py'),
    file,
    String(N),
    String(TEST),
    String(P),
    String(TREES),
    String(DEPTH),
  ],
  { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
);
rmSync(dir, { recursive: true, force: true });
if (py.status !== 0) throw new Error('the scikit-learn run failed (its output is above)');
const ref = JSON.parse(py.stdout.trim().split('\n').at(-1) as string) as {
  sklearn: string;
  train_s: number;
  auc: number;
  predict_us_p50: number;
  predict_us_p50_n_jobs_1: number;
  binned_train_s: number;
  binned_auc: number;
};
const nodes = forest.trees.reduce((s, t) => s + t.feature.length, 0);
console.log(
  JSON.stringify({
    train_s: Math.round(trainS * 100) / 100,
    sklearn_train_s: Math.round(ref.train_s * 100) / 100,
    auc: Math.round(auc * 10000) / 10000,
    sklearn_auc: Math.round(ref.auc * 10000) / 10000,
    sklearn_binned_train_s: Math.round(ref.binned_train_s * 100) / 100,
    sklearn_binned_auc: Math.round(ref.binned_auc * 10000) / 10000,
    train_speedup_vs_sklearn: Math.round((ref.train_s / trainS) * 100) / 100,
    train_speedup_vs_sklearn_binned: Math.round((ref.binned_train_s / trainS) * 100) / 100,
    predict_us_p50: Math.round((lat[Math.floor(lat.length / 2)] as number) * 100) / 100,
    predict_us_p99: Math.round((lat[Math.floor(lat.length * 0.99)] as number) * 100) / 100,
    batch_rows_per_s: Math.round(TEST / batchBest),
    batch_speedup_vs_ml_random_forest: Math.round((TEST / batchBest / mlRowsPerS) * 10) / 10,
    ml_random_forest_rows_per_s: Math.round(mlRowsPerS),
    sklearn_predict_us_p50: Math.round(ref.predict_us_p50),
    sklearn_predict_us_p50_n_jobs_1: Math.round(ref.predict_us_p50_n_jobs_1),
    rows: N,
    features: P,
    trees: TREES,
    depth: DEPTH,
    nodes,
    sklearn: ref.sklearn,
  }),
);
