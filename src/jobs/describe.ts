/** Human-readable lines for job events, shared by `npm start` and `pdm serve --jobs`. */
import type { JobRun } from './run-log.ts';
import type { SchedulerEvent } from './scheduler.ts';

/** One log line per job event worth a person's attention (ticks skipped as a follower are not). */
export function describeJobEvent(e: SchedulerEvent): string | undefined {
  switch (e.type) {
    case 'finished':
      return e.run.status === 'partial'
        ? `job ${e.run.job}: PARTIAL in ${secondsOf(e.run)} s, ${e.run.rows} rows (${e.run.detail}); ${e.run.error}`
        : `job ${e.run.job}: ok in ${secondsOf(e.run)} s, ${e.run.rows} rows (${e.run.detail})`;
    case 'failed':
      return `job ${e.run.job}: FAILED after ${secondsOf(e.run)} s: ${e.run.error}`;
    case 'overlap':
      return `job ${e.job}: skipped a tick, the previous run is still going`;
    case 'log-error':
      return `job ${e.job}: could not record the run: ${e.error}`;
    default:
      return undefined;
  }
}

/** The scheduler's and the leader's callbacks, logging one line per event worth reading. */
export function jobLogging(log: (line: string) => void): {
  onEvent: (e: SchedulerEvent) => void;
  onLeaderChange: (leader: boolean, reason: string) => void;
} {
  return {
    onEvent: (e) => {
      const line = describeJobEvent(e);
      if (line !== undefined) log(line);
    },
    onLeaderChange: (leader, reason) => log(`jobs: ${leader ? 'leading' : 'following'} (${reason})`),
  };
}

export function secondsOf(r: JobRun): string {
  return r.ended === null ? '?' : ((Date.parse(r.ended) - Date.parse(r.started)) / 1000).toFixed(1);
}
