/** Load generation shared by the API benchmarks: the load (cannon.ts) and servers in processes of their own. */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import type { CannonSpec } from './cannon.ts';
import { ModelRegistry } from '../models/index.ts';
import { modelScopes, trainFailureModel, trainRulModel } from '../pipelines/index.ts';
import { applyPlant } from '../src/plant/index.ts';
import type { Plant } from '../src/plant/index.ts';
import { QuestDbSink, simulate, simulatedPlant } from '../src/sim/index.ts';
import { waitForWal } from '../src/store/index.ts';
import type { Store } from '../src/store/index.ts';
import { freePort } from '../tests/helpers/ports.ts';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const CANNON = path.resolve(path.dirname(fileURLToPath(import.meta.url)), 'cannon.ts');

export interface Load {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
  requests: number;
  /** Answers by HTTP status (the cannon runs only). */
  status?: Record<string, number>;
  /** Held rates (paced.ts) only: the tail beyond the p99, and how late requests went out. */
  p999?: number;
  max?: number;
  waited_for_connection?: number;
  /** Held rates only: requests still unanswered 10 s after the last was due (not errors). */
  unanswered?: number;
  send_lag_p99_ms?: number;
  /** Held rates, when asked: every answer's latency (ms), ascending. */
  latencies_ms?: number[];
}

/**
 * A load run through benchmarks/cannon.ts: every body of `spec.bodies` in turn, each connection a
 * client with its own key of `spec.keys`.
 */
export function cannon(spec: CannonSpec): Promise<Load> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pdm-cannon-'));
  const file = path.join(dir, 'spec.json');
  writeFileSync(file, JSON.stringify(spec));
  return new Promise<Load>((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CANNON, file], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      rmSync(dir, { recursive: true, force: true });
      try {
        resolve(JSON.parse(out.trim().split('\n').at(-1) as string) as Load);
      } catch {
        reject(new Error(`the load run exited (${code}) without a summary: ${out.slice(0, 300)}`));
      }
    });
  });
}

/** Starts a server process and resolves with its URL (from its "API at URL" line). */
export function serveChild(
  args: string[],
  childEnv: NodeJS.ProcessEnv,
  stops: (() => Promise<unknown>)[],
): Promise<string> {
  const child = spawn(process.execPath, args, { env: childEnv, stdio: ['ignore', 'pipe', 'inherit'] });
  stops.push(
    () =>
      new Promise((resolve) => {
        child.once('exit', resolve);
        child.kill('SIGTERM');
      }),
  );
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /API at (http:\/\/[^\s]+)/.exec(out);
      if (m) resolve(m[1] as string);
    });
    child.once('exit', (code) => reject(new Error(`server exited (${code}) before listening: ${out}`)));
  });
}

/**
 * The environment of a benchmark's own engine: a managed QuestDB on free ports in `dir`, models
 * and keys beside it, plus `extra` (each benchmark's limits).
 */
export async function benchEnv(dir: string, extra: Record<string, string> = {}): Promise<NodeJS.ProcessEnv> {
  return {
    ...process.env,
    PDM_QUESTDB_DATA_DIR: path.join(dir, 'questdb'),
    PDM_QUESTDB_HTTP_PORT: String(await freePort()),
    PDM_QUESTDB_PG_PORT: String(await freePort()),
    PDM_QUESTDB_ILP_TCP_PORT: String(await freePort()),
    PDM_QUESTDB_HEALTH_PORT: String(await freePort()),
    PDM_MODELS_DIR: path.join(dir, 'models'),
    PDM_KEYS_FILE: path.join(dir, 'keys.json'),
    ...extra,
  };
}

/**
 * The API benchmarks' plant: `equipment` simulated machines over the last `days` at one reading per
 * `sampleSeconds`, then failure and RUL forests trained on it and promoted in `modelsDir`; the
 * registry and the plant's first instant (epoch seconds).
 */
export async function plantWithModels(
  store: Store,
  modelsDir: string,
  o: { equipment: number; days: number; sampleSeconds: number; trees: number },
): Promise<{ registry: ModelRegistry; start: number; plant: Plant }> {
  const start = Math.floor(Date.now() / 1000) - o.days * 86400;
  console.error(
    `simulating ${o.equipment} machines x ${o.days} days (one reading per ${o.sampleSeconds} s)...`,
  );
  const sink = await QuestDbSink.open(store.config, store.tables);
  await simulate(sink, {
    equipment: o.equipment,
    days: o.days,
    seed: 3,
    start,
    sampleSeconds: o.sampleSeconds,
  });
  await sink.close();
  for (const t of [store.tables.telemetry, store.tables.maintenance, store.tables.batches])
    await waitForWal(store.pool, store.tables, t, 300_000);
  // The simulator's plant, applied as any plant is: the served API reads it from the store.
  const plant = (await applyPlant(store, simulatedPlant({ equipment: o.equipment }))).plant;
  const registry = new ModelRegistry(modelsDir);
  const range = { from: start * 1e6, to: (start + o.days * 86400) * 1e6 };
  console.error(`training (${o.trees} trees)...`);
  for (const scope of modelScopes(plant)) {
    const f = await trainFailureModel(store, registry, scope, range, { trees: o.trees });
    const r = await trainRulModel(store, registry, scope, range, { trees: o.trees });
    registry.promote(f.name, f.version);
    registry.promote(r.name, r.version);
  }
  return { registry, start, plant };
}
