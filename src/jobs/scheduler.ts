/**
 * The job scheduler: declared jobs on cron expressions (node-cron), each run recorded in the run
 * log with its start, end, status, rows and error. A job never overlaps itself (a tick that finds
 * the previous run still going is skipped and reported); a failed run is recorded and the next
 * tick runs as usual; only the leader (see leader.ts) runs scheduled ticks.
 */
import cron from 'node-cron';
import type { ScheduledTask } from 'node-cron';
import { errorMessage } from '../errors.ts';
import { microsToIso } from '../store/index.ts';
import type { Leadership } from './leader.ts';
import type { JobRun, RunLog } from './run-log.ts';

export interface JobContext {
  /** The instant the run is for (the cron slot, or now for a manual run). */
  readonly at: Date;
  readonly reason: 'scheduled' | 'manual';
  /** Aborted when the scheduler stops: long jobs should check it between steps. */
  readonly signal: AbortSignal;
}

export interface JobResult {
  readonly rows: number;
  /** One line for the run history, e.g. "promoted failure-any-24h@v0004 (brier 0.061 < 0.074)". */
  readonly detail?: string;
  /** 'partial' when some of the work failed (default 'ok'), with what failed in `error`. */
  readonly status?: 'ok' | 'partial';
  readonly error?: string | null;
}

export interface JobSpec {
  readonly name: string;
  /** node-cron expression; '' declares the job without scheduling it (runs only when asked). */
  readonly cron: string;
  readonly description: string;
  run(ctx: JobContext): Promise<JobResult>;
}

export type SchedulerEvent =
  | { type: 'started' | 'finished'; run: JobRun }
  | { type: 'failed'; run: JobRun }
  | { type: 'overlap'; job: string }
  | { type: 'not-leader'; job: string }
  | { type: 'log-error'; job: string; error: string };

export interface JobStatus {
  readonly name: string;
  readonly cron: string;
  readonly description: string;
  readonly running: boolean;
  readonly next_run: string | null;
}

export interface SchedulerOptions {
  readonly log: RunLog;
  readonly leader: Leadership;
  readonly timezone?: string;
  readonly onEvent?: (e: SchedulerEvent) => void;
  /** Who runs the jobs, recorded with each run (e.g. hostname:pid). */
  readonly host?: string;
}

export class JobScheduler {
  private readonly specs = new Map<string, JobSpec>();
  private readonly tasks = new Map<string, ScheduledTask>();
  private readonly inFlight = new Map<string, Promise<JobRun>>();
  private readonly abort = new AbortController();
  private lastMicros = 0;

  constructor(private readonly o: SchedulerOptions) {}

  add(spec: JobSpec): this {
    if (this.specs.has(spec.name)) throw new Error(`job ${spec.name} is declared twice`);
    if (spec.cron !== '' && !cron.validate(spec.cron))
      throw new Error(`job ${spec.name}: ${JSON.stringify(spec.cron)} is not a cron expression`);
    this.specs.set(spec.name, spec);
    return this;
  }

  get jobs(): JobSpec[] {
    return [...this.specs.values()];
  }

  /** Arms every scheduled job. */
  start(): void {
    for (const spec of this.specs.values()) {
      if (spec.cron === '' || this.tasks.has(spec.name)) continue;
      const task = cron.schedule(
        spec.cron,
        async (ctx) => {
          if (!this.o.leader.isLeader()) {
            this.o.onEvent?.({ type: 'not-leader', job: spec.name });
            return;
          }
          await this.execute(spec, 'scheduled', ctx.date);
        },
        { name: spec.name, timezone: this.o.timezone ?? 'UTC', noOverlap: false },
      );
      this.tasks.set(spec.name, task);
    }
  }

  status(): JobStatus[] {
    return this.jobs.map((s) => {
      const next = this.tasks.get(s.name)?.getNextRun() ?? null;
      return {
        name: s.name,
        cron: s.cron,
        description: s.description,
        running: this.inFlight.has(s.name),
        next_run: next === null ? null : next.toISOString(),
      };
    });
  }

  /** Runs a job now (leader or not: a person asked); resolves with the recorded run, or throws if it is already running. */
  async runNow(name: string): Promise<JobRun> {
    const spec = this.specs.get(name);
    if (spec === undefined)
      throw new Error(`no job ${JSON.stringify(name)}; jobs: ${[...this.specs.keys()].join(', ')}`);
    const run = await this.execute(spec, 'manual', new Date());
    if (run === undefined) throw new Error(`job ${name} is already running`);
    return run;
  }

  /** Distinct, increasing start instants: the run's key in the log is (start, job). */
  private startMicros(): number {
    const now = Date.now() * 1000;
    this.lastMicros = Math.max(now, this.lastMicros + 1);
    return this.lastMicros;
  }

  private async record(run: JobRun): Promise<void> {
    try {
      await this.o.log.record(run);
    } catch (err) {
      // The run log is the store: if it is down the job most likely fails too; never crash the tick.
      this.o.onEvent?.({ type: 'log-error', job: run.job, error: errorMessage(err) });
    }
  }

  private execute(spec: JobSpec, reason: JobContext['reason'], at: Date): Promise<JobRun | undefined> {
    if (this.inFlight.has(spec.name)) {
      this.o.onEvent?.({ type: 'overlap', job: spec.name });
      return Promise.resolve(undefined);
    }
    const started = microsToIso(this.startMicros());
    const base = { job: spec.name, started, host: this.o.host ?? '' };
    const done = (async (): Promise<JobRun> => {
      const running: JobRun = {
        ...base,
        ended: null,
        status: 'running',
        rows: 0,
        detail: reason,
        error: null,
      };
      await this.record(running);
      this.o.onEvent?.({ type: 'started', run: running });
      let run: JobRun;
      try {
        const r = await spec.run({ at, reason, signal: this.abort.signal });
        run = {
          ...base,
          ended: microsToIso(Date.now() * 1000),
          status: r.status ?? 'ok',
          rows: r.rows,
          detail: r.detail ?? '',
          error: r.error ?? null,
        };
      } catch (err) {
        run = {
          ...base,
          ended: microsToIso(Date.now() * 1000),
          status: 'failed',
          rows: 0,
          detail: reason,
          error: errorMessage(err),
        };
      }
      await this.record(run);
      this.o.onEvent?.({ type: run.status === 'failed' ? 'failed' : 'finished', run } as SchedulerEvent);
      return run;
    })();
    this.inFlight.set(spec.name, done);
    void done.finally(() => this.inFlight.delete(spec.name));
    return done;
  }

  /** Stops the schedule, asks running jobs to stop, and waits for them. */
  async stop(): Promise<void> {
    for (const task of this.tasks.values()) await task.destroy();
    this.tasks.clear();
    this.abort.abort();
    await Promise.allSettled([...this.inFlight.values()]);
  }
}
