/**
 * Where job runs are recorded: the job_runs table (QuestDB). A run is written at its start and
 * upserted at its end on the same (ts, job) key, so a crash mid-run leaves it visible as running.
 */
import os from 'node:os';
import { microsToIso, parseTimestampMicros, query, sql } from '../store/index.ts';
import type { Store } from '../store/index.ts';

/** partial: the run finished but some of its work failed (the error says which). */
export type RunStatus = 'running' | 'ok' | 'partial' | 'failed';

export interface JobRun {
  readonly job: string;
  readonly started: string;
  readonly ended: string | null;
  readonly status: RunStatus;
  readonly rows: number;
  readonly detail: string;
  readonly error: string | null;
  readonly host: string;
}

export interface RunLog {
  record(run: JobRun): Promise<void>;
  recent(job?: string, limit?: number): Promise<JobRun[]>;
}

export class StoreRunLog implements RunLog {
  private readonly host = `${os.hostname()}:${process.pid}`;
  constructor(private readonly store: Store) {}

  async record(run: JobRun): Promise<void> {
    await query(this.store.pool, sql('job_run_record', this.store.tables), [
      run.started,
      run.job,
      run.status,
      run.ended,
      run.rows,
      run.detail,
      run.error,
      run.host || this.host,
    ]);
  }

  async recent(job = '', limit = 50): Promise<JobRun[]> {
    const { rows } = await query<Record<string, string | null>>(
      this.store.pool,
      sql('job_runs_recent', this.store.tables),
      [job, limit],
    );
    return rows.map((r) => ({
      job: String(r.job),
      started: microsToIso(parseTimestampMicros(r.ts ?? null)),
      ended: r.ended_at === null ? null : microsToIso(parseTimestampMicros(r.ended_at ?? null)),
      status: r.status as RunStatus,
      rows: Number(r.rows ?? 0),
      detail: r.detail ?? '',
      error: r.error ?? null,
      host: r.host ?? '',
    }));
  }

  get hostId(): string {
    return this.host;
  }
}

/** Keeps runs in memory (the scheduler's own tests, and a dry run without a store). */
export class MemoryRunLog implements RunLog {
  readonly runs: JobRun[] = [];
  async record(run: JobRun): Promise<void> {
    const i = this.runs.findIndex((r) => r.job === run.job && r.started === run.started);
    if (i >= 0) this.runs[i] = run;
    else this.runs.push(run);
  }
  async recent(job = '', limit = 50): Promise<JobRun[]> {
    return this.runs
      .filter((r) => job === '' || r.job === job)
      .sort((a, b) => b.started.localeCompare(a.started))
      .slice(0, limit);
  }
}
