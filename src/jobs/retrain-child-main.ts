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
  /** This process's peak resident memory, MB. */
  readonly peakRssMb: number;
}

export type RetrainChildMessage =
  { readonly progress: string } | { readonly done: RetrainChildDone } | { readonly error: string };

/** The least-lowered thread's nice value (Linux keeps one per thread; elsewhere the process's). */
function niceOfEveryThread(): number {
  if (process.platform !== 'linux') return getPriority(0);
  let min = Infinity;
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      // Field 19 of stat; the name (field 2) is in parentheses and may hold spaces.
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      min = Math.min(min, Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]));
    } catch {
      // a thread that ended meanwhile
    }
  }
  return Number.isFinite(min) ? min : getPriority(0);
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
      await post({ done: { results, nice: niceOfEveryThread(), peakRssMb } });
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
