/**
 * Inside the retrain job's child process (retrain-runner.ts): each message is a run
 * (`RetrainChildData`, one at a time); a store connection and registry of its own over the same
 * QuestDB and model directory, the plant's scopes rebuilt from the plant file, each scope retrained
 * in turn. Progress goes to the parent as it happens; the last message of a run is its result (with
 * this process's peak memory) or its error. The process waits for the next run; it ends when the
 * parent stops it (idle) or goes away.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { getPriority } from 'node:os';
import { ModelRegistry } from '../../models/index.ts';
import { modelScopes } from '../../pipelines/scopes.ts';
import type { Config } from '../config.ts';
import { errorMessage } from '../errors.ts';
import type { Plant } from '../plant/index.ts';
import { connectStore } from '../store/index.ts';
import { retrainScopes } from './retrain-scope.ts';
import type { RetrainScopeOptions, RetrainScopeResult } from './retrain-scope.ts';

export interface RetrainChildData {
  readonly config: Config;
  readonly tablePrefix: string;
  readonly registryDir: string;
  readonly plant: Plant;
  readonly scopes: readonly string[];
  readonly range: { from: number; to: number };
  readonly metric: RetrainScopeOptions['metric'];
  readonly trees?: number;
}

export interface RetrainChildDone {
  readonly results: RetrainScopeResult[];
  /** The lowest nice value of this process's threads (the entry lowered every one). */
  readonly nice: number;
  /** Every thread of this process in Linux's idle scheduling class (SCHED_IDLE). */
  readonly idleClass: boolean;
  /** This process's peak resident memory, MB. */
  readonly peakRssMb: number;
}

export type RetrainChildMessage =
  | { readonly ready: true }
  | { readonly progress: string }
  | { readonly done: RetrainChildDone }
  | { readonly error: string };

/** Fields of /proc/self/task/TID/stat from the third on (the name, field 2, may hold spaces). */
function threadStats(): string[][] {
  const stats: string[][] = [];
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      stats.push(stat.slice(stat.lastIndexOf(')') + 2).split(' '));
    } catch {
      // a thread that ended meanwhile
    }
  }
  return stats;
}

/**
 * How low this process runs: its least-lowered thread's nice value (field 19; Linux keeps one per
 * thread, elsewhere the process's), and whether every thread is in the idle class (field 41, 5).
 */
function priorityOfEveryThread(): { nice: number; idleClass: boolean } {
  if (process.platform !== 'linux') return { nice: getPriority(0), idleClass: false };
  const stats = threadStats();
  const nice = Math.min(...stats.map((f) => Number(f[16])));
  return {
    nice: Number.isFinite(nice) ? nice : getPriority(0),
    idleClass: stats.length > 0 && stats.every((f) => f[38] === '5'),
  };
}

const post = (m: RetrainChildMessage) =>
  new Promise<void>((resolve) => {
    if (process.send === undefined) resolve();
    else process.send(m, undefined, {}, () => resolve());
  });

async function run(d: RetrainChildData): Promise<void> {
  try {
    const store = await connectStore(d.config, { start: false, tablePrefix: d.tablePrefix });
    try {
      const registry = new ModelRegistry(d.registryDir);
      const byName = new Map(modelScopes(d.plant).map((s) => [s.name, s]));
      const scopes = d.scopes.map((name) => {
        const scope = byName.get(name);
        if (scope === undefined) throw new Error(`the plant file has no model scope ${name} any more`);
        return scope;
      });
      const results = await retrainScopes(store, registry, scopes, d.range, {
        metric: d.metric,
        trees: d.trees,
        onProgress: (progress) => void post({ progress }),
      });
      const peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
      await post({ done: { results, ...priorityOfEveryThread(), peakRssMb } });
    } finally {
      await store.close();
    }
  } catch (err) {
    await post({ error: errorMessage(err) });
  }
}

// The parent gone (stopped, or killed mid-retrain): nobody is left to take a result.
process.once('disconnect', () => process.exit(0));
// Stopped (idle, or the engine stopping): an orderly exit, so that exit handlers run.
process.once('SIGTERM', () => process.exit(0));
process.on('message', (d: RetrainChildData) => void run(d));
void post({ ready: true });
