/**
 * Peak memory of the nightly retrain against the length of the plant's history. For each plant
 * length (default 7, 30 and 90 days) a simulated plant is backfilled into a QuestDB of its own
 * (12 machines, one reading every 10 s by default, so that 90 days fit on a small disk), then
 * `pdm jobs run retrain` runs in a process of its own, whose retrain runs in a child process
 * (retrain-runner.ts): each reports its peak RSS on exit (`process.resourceUsage().maxRSS`, worker
 * threads included) and the larger of the two is reported, with the wall time. The retrain reads a bounded
 * window of history (PDM_TRAIN_HISTORY_DAYS, default 30): a plant older than the window must
 * retrain in about the memory of one the window's length, not in memory growing with its age.
 *
 *   npm run bench:retrain-memory [-- --days 7,30,90 --equipment 12 --sample-seconds 10]
 *
 * The job trains its forests as deployed (100 trees).
 *
 * Last line: {"plants":[{"days","readings","retrain_s","peak_rss_mb"}...],"ratio_longest_to_window"}
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config.ts';
import { connectStore, query } from '../src/store/index.ts';
import { benchEnv } from './load.ts';

const { values: o } = parseArgs({
  options: {
    days: { type: 'string', default: '7,30,90' },
    equipment: { type: 'string', default: '12' },
    'sample-seconds': { type: 'string', default: '10' },
  },
});
const here = path.dirname(fileURLToPath(import.meta.url));
const PDM = path.resolve(here, '../bin/pdm.js');
/**
 * Preloaded into `pdm jobs run retrain` and, inherited, into its retrain process: each one's peak
 * RSS (kB), printed as it exits. Worker threads run preloads too: only main threads print (the
 * process's peak, worker threads included).
 */
const PEAK_RSS =
  "data:text/javascript,import{isMainThread}from'node:worker_threads';if(isMainThread)process.on('exit',()=>process.stderr.write('PEAK_RSS_KB '+process.resourceUsage().maxRSS+'\\n'))";

/** Runs a command, echoing its stderr; resolves with its stderr text, rejects on a non-zero exit. */
function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      process.stderr.write(d);
    });
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(err) : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}`)),
    );
  });
}

const plants: { days: number; readings: number; retrain_s: number; peak_rss_mb: number }[] = [];
for (const days of o.days.split(',').map(Number)) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pdm-bench-retrain-'));
  const env = await benchEnv(dir, { PDM_LOG_LEVEL: 'error' });
  const store = await connectStore(loadConfig(env), { onLog: (l) => console.error(l) });
  try {
    console.error(
      `\n${days}-day plant: simulating ${o.equipment} machines, one reading per ${o['sample-seconds']} s...`,
    );
    await run(
      process.execPath,
      [
        PDM,
        'simulate',
        '--equipment',
        o.equipment,
        '--days',
        String(days),
        '--sample-seconds',
        o['sample-seconds'],
      ],
      env,
    );
    const { rows } = await query<{ n: string }>(
      store.pool,
      `SELECT count() n FROM ${store.tables.telemetry}`,
    );
    const readings = Number(rows[0]!.n);
    console.error(
      `${days}-day plant: ${readings.toLocaleString()} readings; retraining (first models, then challengers)...`,
    );
    const t0 = performance.now();
    const err = await run(process.execPath, ['--import', PEAK_RSS, PDM, 'jobs', 'run', 'retrain'], env);
    const retrain_s = Math.round((performance.now() - t0) / 100) / 10;
    const kb = Math.max(...[...err.matchAll(/PEAK_RSS_KB (\d+)/g)].map((m) => Number(m[1])));
    plants.push({ days, readings, retrain_s, peak_rss_mb: Math.round(kb / 1024) });
    console.error(`${days}-day plant: retrain ${retrain_s} s, peak RSS ${Math.round(kb / 1024)} MB`);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
const window = loadConfig(process.env).models.historyDays;
const within = plants.filter((p) => p.days <= window).at(-1);
const longest = plants.at(-1);
console.log(
  JSON.stringify({
    plants,
    history_window_days: window,
    equipment: Number(o.equipment),
    sample_seconds: Number(o['sample-seconds']),
    ratio_longest_to_window:
      within && longest && within !== longest
        ? Math.round((longest.peak_rss_mb / within.peak_rss_mb) * 100) / 100
        : null,
  }),
);
