/**
 * The retrain job's work in a child process of its own (`retrain-child.js`), lowered below the API
 * with every one of its threads, with a store connection and registry of its own for each run; it
 * retrains every scope and reports progress as it goes. Minutes of feature computation,
 * walk-forward backtests and forest fits then leave the API's event loop free (a nightly retrain
 * stalled every `/v1/score` answer while it ran on it).
 *
 * A process rather than a worker thread: a worker shares the API's V8 platform threads (its
 * garbage collection and compilation ran at the API's priority), and the API's thread waited for
 * each worker's start and teardown. Starting a process costs the API's thread too (the parent's
 * page tables are copied: 22-35 ms with 750 MB resident; docs/performance.md, "The retrain beside
 * the API"), so runs that follow each other share one process; once idle for `idleMs` it ends, and
 * with it the few hundred MB a retrain leaves resident.
 *
 * On Linux it starts through util-linux's `chrt` in the idle scheduling class (SCHED_IDLE), which
 * every thread it starts inherits: a waking API thread takes the core from it at once, where a
 * nice value only weighs the two (held p99 during back-to-back retrains 4.3-5.1 ms against
 * 5.3-5.8 ms at nice 10, alternated). Where `chrt` is missing or refused, nice 10 alone.
 */
import { fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ModelRegistry } from '../../models/index.ts';
import type { ModelScope } from '../../pipelines/scopes.ts';
import type { Plant } from '../plant/index.ts';
import { prefixOf } from '../store/index.ts';
import type { Store } from '../store/index.ts';
import type { RetrainChildData, RetrainChildDone, RetrainChildMessage } from './retrain-child-main.ts';
import type { RetrainScopeOptions } from './retrain-scope.ts';

const ENTRY = fileURLToPath(new URL('./retrain-child.js', import.meta.url));
/**
 * The parent's Node options for the child, less the inspector's: a child given the parent's
 * `--inspect` would try to listen on the parent's debugging port.
 */
export function childExecArgv(execArgv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const a = execArgv[i] as string;
    if (/^--inspect(-brk|-wait)?(=|$)/.test(a)) continue;
    if (a === '--inspect-port' || a === '--debug-port') {
      i++;
      continue;
    }
    if (/^--(inspect|debug)-port=/.test(a)) continue;
    out.push(a);
  }
  return out;
}

const CHRT =
  process.platform === 'linux' ? ['/usr/bin/chrt', '/bin/chrt'].find((f) => existsSync(f)) : undefined;

/** What the process needs to retrain `scopes` over `range` (it opens its own store and registry). */
export function retrainData(
  store: Store,
  registry: ModelRegistry,
  plant: Plant,
  scopes: readonly ModelScope[],
  range: { from: number; to: number },
  o: Pick<RetrainScopeOptions, 'metric' | 'trees'>,
): RetrainChildData {
  return {
    config: store.config,
    tablePrefix: prefixOf(store.tables),
    registryDir: registry.dir,
    plant,
    scopes: scopes.map((s) => s.name),
    range,
    metric: o.metric,
    trees: o.trees,
  };
}

interface Run {
  readonly child: ChildProcess;
  readonly onProgress?: (what: string) => void;
  resolve(done: RetrainChildDone): void;
  reject(err: Error): void;
}

export interface RetrainProcessOptions {
  /** How long the process waits for another run before it ends (default 60 s). */
  readonly idleMs?: number;
  /** `chrt` to start it in the idle scheduling class (default: util-linux's, on Linux); null: none. */
  readonly chrt?: string | null;
}

export class RetrainProcess {
  private child: ChildProcess | undefined;
  /** Settles when the child's entry has loaded (rejects if it ended before). */
  private ready: Promise<void> = Promise.resolve();
  private idleTimer: NodeJS.Timeout | undefined;
  private run: Run | undefined;
  /** Runs wait for the one before them: the process retrains one thing at a time. */
  private queue: Promise<unknown> = Promise.resolve();
  private stopped = false;
  private readonly idleMs: number;
  private chrt: string | undefined;

  constructor(o: RetrainProcessOptions = {}) {
    this.idleMs = o.idleMs ?? 60_000;
    this.chrt = o.chrt === null ? undefined : (o.chrt ?? CHRT);
  }

  /** The process's id while it runs. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts the process if it is not running (idle, it never keeps this process alive). */
  start(): void {
    if (this.child !== undefined || this.stopped) return;
    const chrt = this.chrt;
    const execArgv = childExecArgv(process.execArgv);
    const child = fork(ENTRY, [], {
      serialization: 'advanced',
      // Its output goes to this process's stderr: stdout may be a CLI's JSON answer.
      stdio: ['ignore', 2, 2, 'ipc'],
      ...(chrt === undefined
        ? { execArgv }
        : { execPath: chrt, execArgv: ['--idle', '0', process.execPath, ...execArgv] }),
    });
    this.child = child;
    let loaded = false;
    let ready!: { resolve(): void; reject(err: Error): void };
    this.ready = new Promise<void>((resolve, reject) => (ready = { resolve, reject }));
    this.ready.catch(() => undefined);
    this.idle(child);
    child.on('message', (m: RetrainChildMessage) => {
      if ('ready' in m) {
        loaded = true;
        ready.resolve();
        return;
      }
      const run = this.run;
      if (run?.child !== child) return;
      if ('progress' in m) {
        run.onProgress?.(m.progress);
        return;
      }
      this.run = undefined;
      this.idle(child);
      if ('done' in m) run.resolve(m.done);
      else run.reject(new Error(m.error));
    });
    const gone = (why: string) => {
      if (this.child === child) this.child = undefined;
      if (!loaded) {
        // Ended before its entry loaded: through chrt, most likely refused (a container without
        // the right to change scheduling class), and the next start goes without it.
        if (chrt !== undefined) this.chrt = undefined;
        ready.reject(new Error(`the retrain process stopped (${why}) as it started`));
      }
      const run = this.run;
      if (run?.child !== child) return;
      this.run = undefined;
      run.reject(
        new Error(
          this.stopped
            ? 'the retrain was stopped before it ended: the engine is stopping'
            : `the retrain process stopped (${why}) before it answered`,
        ),
      );
    };
    child.once('error', (err) => gone(err.message));
    child.once('exit', (code, signal) => gone(signal ?? `exit code ${code}`));
  }

  /** Runs a retrain in the process (started if it is not running); see `retrainData`. */
  retrain(data: RetrainChildData, onProgress?: (what: string) => void): Promise<RetrainChildDone> {
    const next = this.queue.then(() => this.send(data, onProgress));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async send(data: RetrainChildData, onProgress?: (what: string) => void): Promise<RetrainChildDone> {
    for (let attempt = 0; ; attempt++) {
      if (this.stopped) throw new Error('the retrain process was stopped');
      const viaChrt = this.chrt !== undefined;
      this.start();
      const child = this.child as ChildProcess;
      // While it works, this process waits for it (a CLI's `pdm jobs run retrain` has nothing else).
      clearTimeout(this.idleTimer);
      child.ref();
      child.channel?.ref();
      try {
        await this.ready;
      } catch (err) {
        // Once more without chrt, if chrt was what failed.
        if (attempt === 0 && viaChrt && this.chrt === undefined) continue;
        throw err;
      }
      if (this.child !== child) throw new Error('the retrain process was stopped');
      return await new Promise<RetrainChildDone>((resolve, reject) => {
        this.run = { child, onProgress, resolve, reject };
        child.send(data);
      });
    }
  }

  private idle(child: ChildProcess): void {
    child.unref();
    child.channel?.unref();
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      if (this.child !== child || this.run !== undefined) return;
      // Let go of it at once: a run that comes while it ends starts another.
      this.child = undefined;
      child.kill('SIGTERM');
    }, this.idleMs).unref();
  }

  /** Stops the process; a run in progress fails with a message that says so. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.idleTimer);
    const child = this.child ?? this.run?.child;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  }
}
