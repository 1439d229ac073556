/**
 * Feature kernels against pandas grouped rolling and numpy's cumsum mean, on the same data written
 * once to disk: 1,000 equipment x 10,000 points (10M readings), windows of 60 and 600 points.
 * Plus the online case: the full feature vector at the latest instant of one equipment from 24 h
 * at 1 s (86,400 points x 8 sensors, windows 1m/10m/1h/24h, every statistic).
 *
 *   npm run bench:features [-- --equipment 1000 --points 10000]
 *
 * Last line: {"values_per_s","pandas_values_per_s","numpy_values_per_s","ratio_mean_std_min_max",
 *             "ratio_vs_numpy_mean","ratio_slope","online_ms","peak_rss_mb",...}
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { defineFeatureSet, featuresAtLast, STATS } from '../features/index.ts';
import type { Stat } from '../features/index.ts';
import { isDense } from '../features/kernels/dense.ts';
import { rollingStats } from '../features/rolling.ts';
import { countWindowStarts } from '../features/window-bounds.ts';
import { Rng } from '../src/sim/rng.ts';

const { values: opts } = parseArgs({
  options: { equipment: { type: 'string', default: '1000' }, points: { type: 'string', default: '10000' } },
});
const N_EQ = Number(opts.equipment);
const N_PTS = Number(opts.points);
const WINDOWS = [60, 600];
const PYTHON = '/usr/bin/python3';
const here = path.dirname(fileURLToPath(import.meta.url));

function ensurePandas(): void {
  const probe = spawnSync(PYTHON, ['-c', 'import pandas, numpy'], { stdio: 'ignore' });
  if (probe.status === 0) return;
  console.error('installing Debian python3-pandas for the reference run...');
  execFileSync('apt-get', ['install', '-y', '-q', 'python3-pandas'], {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
}

// The data: a slow random walk plus noise per equipment, written once as raw float64.
const rng = new Rng(2026, 'bench-features');
const data = new Float64Array(N_EQ * N_PTS);
for (let e = 0; e < N_EQ; e++) {
  let level = 50 + 10 * rng.normal();
  for (let i = 0; i < N_PTS; i++) {
    level += 0.01 * rng.normal();
    data[e * N_PTS + i] = level + rng.normal();
  }
}
const dir = mkdtempSync(path.join(os.tmpdir(), 'pdm-bench-features-'));
const file = path.join(dir, 'values.f64');
writeFileSync(file, new Uint8Array(data.buffer));
const probe = [0, 599, 600, 12_345, 5_000_000 + 777, N_EQ * N_PTS - 1].filter((i) => i < N_EQ * N_PTS);

/** Best of `reps` timings of `fn`, in seconds. */
function best(reps: number, fn: () => void): number {
  let b = Infinity;
  for (let r = 0; r < reps; r++) {
    const t = performance.now();
    fn();
    b = Math.min(b, (performance.now() - t) / 1000);
  }
  return b;
}

// The engine's kernels, reading the buffer in place per equipment, writing into reused buffers.
const out = {
  mean: new Float64Array(N_PTS),
  std: new Float64Array(N_PTS),
  min: new Float64Array(N_PTS),
  max: new Float64Array(N_PTS),
  slope: new Float64Array(N_PTS),
};
const starts = WINDOWS.map((w) => countWindowStarts(N_PTS, w));
const t = Float64Array.from({ length: N_PTS }, (_, i) => i);
const ours: Record<string, number[]> = {};
// Through the engine's dispatcher (rollingStats), which picks the dense fixed-width loops here.
const specs = WINDOWS.map((rows) => ({ kind: 'count' as const, rows }));
// As compute.ts does: per equipment series, density checked once, then every window.
const run = (stats: Stat[]) => () => {
  for (let e = 0; e < N_EQ; e++) {
    const x = data.subarray(e * N_PTS, (e + 1) * N_PTS);
    const dense = isDense(x);
    for (let w = 0; w < WINDOWS.length; w++)
      rollingStats(t, x, specs[w]!, stats, out, starts[w] as Int32Array, dense);
  }
};
const mmsm = best(3, run(['mean', 'std', 'min', 'max']));
const meanOnly = best(3, run(['mean']));
const slopeS = best(3, run(['slope']));
// Probe values for the pandas comparison (pandas needs a full window: min_periods = window).
for (let w = 0; w < WINDOWS.length; w++) {
  for (const stat of ['mean', 'std', 'min', 'max', 'slope'] as const) ours[`${stat}_${WINDOWS[w]}`] = [];
  for (const i of probe) {
    const e = Math.floor(i / N_PTS);
    const k = i % N_PTS;
    const x = data.subarray(e * N_PTS, (e + 1) * N_PTS);
    const s = starts[w] as Int32Array;
    const full = k + 1 >= (WINDOWS[w] as number);
    const pick = (arr: Float64Array) => (full ? (arr[k] as number) : NaN);
    rollingStats(t, x, specs[w]!, ['mean', 'std', 'min', 'max', 'slope'], out, s);
    for (const stat of ['mean', 'std', 'min', 'max', 'slope'] as const)
      ours[`${stat}_${WINDOWS[w]}`]!.push(pick(out[stat]));
  }
}

// Online: 24 h at 1 s, 8 sensors, every statistic over 1m/10m/1h/24h.
const fs = defineFeatureSet({
  name: 'online-bench',
  sensors: ['s0', 's1', 's2', 's3', 's4', 's5', 's6', 's7'],
  windows: [60, 600, 3600, 86400].map((seconds) => ({ kind: 'time' as const, seconds })),
  stats: [...STATS],
});
const day = 86_400;
const tDay = Float64Array.from({ length: day }, (_, i) => 1.7e9 + i);
const sensors = fs.sensors.map((_, k) =>
  data.subarray(k * N_PTS, k * N_PTS + Math.min(day, N_PTS)).length === day
    ? data.subarray(0, day)
    : Float64Array.from({ length: day }, (_, i) => data[(k * day + i) % data.length] as number),
);
const vector = new Float64Array(fs.columns.length);
const onlineTimes: number[] = [];
for (let r = 0; r < 25; r++) {
  const t0 = performance.now();
  featuresAtLast(fs, tDay, sensors, vector);
  onlineTimes.push(performance.now() - t0);
}
onlineTimes.sort((a, b) => a - b);

ensurePandas();
const py = spawnSync(
  PYTHON,
  [
    path.join(here, 'features_reference.py'),
    file,
    String(N_EQ),
    String(N_PTS),
    WINDOWS.join(','),
    probe.join(','),
  ],
  {
    encoding: 'utf8',
    maxBuffer: 1 << 26,
    env: { ...process.env },
  },
);
rmSync(dir, { recursive: true, force: true });
if (py.status !== 0) throw new Error(`reference run failed: ${py.stderr}`);
const ref = JSON.parse(py.stdout.trim().split('\n').at(-1) as string) as {
  pandas_mmsm_s: number;
  pandas_slope_s: number;
  numpy_mean_s: number;
  pandas_version: string;
  numpy_version: string;
  probes: Record<string, (number | null)[]>;
};
let maxDiff = 0;
for (const [k, vals] of Object.entries(ref.probes)) {
  vals.forEach((raw, i) => {
    const v = raw ?? NaN;
    const o = ours[k]?.[i] as number;
    if (Number.isNaN(v) && Number.isNaN(o)) return;
    maxDiff = Math.max(maxDiff, Math.abs(v - o) / Math.max(1, Math.abs(v)));
  });
}
const work = N_EQ * N_PTS * WINDOWS.length; // values per statistic
const result = {
  values_per_s: Math.round((work * 4) / mmsm),
  pandas_values_per_s: Math.round((work * 4) / ref.pandas_mmsm_s),
  numpy_values_per_s: Math.round(work / ref.numpy_mean_s),
  ratio_mean_std_min_max: Math.round((ref.pandas_mmsm_s / mmsm) * 10) / 10,
  ratio_vs_numpy_mean: Math.round((ref.numpy_mean_s / meanOnly) * 100) / 100,
  ratio_slope: Math.round((ref.pandas_slope_s / slopeS) * 10) / 10,
  online_ms: Math.round((onlineTimes[Math.floor(onlineTimes.length / 2)] as number) * 100) / 100,
  peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
  mean_values_per_s: Math.round(work / meanOnly),
  slope_values_per_s: Math.round(work / slopeS),
  max_rel_diff_vs_pandas: maxDiff,
  online_features: fs.columns.length,
  pandas: ref.pandas_version,
  numpy: ref.numpy_version,
};
console.log(JSON.stringify(result));
