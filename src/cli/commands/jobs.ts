import { ModelRegistry } from '../../../models/index.ts';
import { ErrorCodes, PdmError } from '../../errors.ts';
import { StoreRunLog, startEngineJobs } from '../../jobs/index.ts';
import { secondsOf } from '../../jobs/index.ts';
import type { JobRun } from '../../jobs/index.ts';
import { LiveScorer } from '../../scoring/scorer.ts';
import { connectStore } from '../../store/index.ts';
import { intOption, parseOptions } from '../args.ts';
import type { CommandContext } from '../main.ts';

function table(runs: JobRun[]): string {
  if (runs.length === 0) return 'no job runs recorded';
  return runs
    .map(
      (r) =>
        `${r.started}  ${r.job.padEnd(10)} ${r.status.padEnd(8)} ${String(r.rows).padStart(7)} rows  ${secondsOf(r).padStart(6)} s  ${r.error ?? r.detail}`,
    )
    .join('\n');
}

/** `pdm jobs list [--job NAME] [--limit N]` reads the run history; `pdm jobs run NAME` runs one job now. */
export async function jobsCommand({ args, config, out }: CommandContext): Promise<void> {
  const { positionals, values } = parseOptions('jobs', args, {
    job: { type: 'string' },
    limit: { type: 'string' },
  });
  const [action, name] = positionals;
  const store = await connectStore(config, { start: false });
  try {
    switch (action) {
      case 'list': {
        const runs = await new StoreRunLog(store).recent(
          values.job ?? '',
          intOption('jobs', 'limit', values.limit, 30),
        );
        out.result({ ok: true, runs }, table(runs));
        return;
      }
      case 'run': {
        if (name === undefined) throw new PdmError(ErrorCodes.CLI_USAGE, 'usage: pdm jobs run NAME');
        const registry = new ModelRegistry(config.modelsDir);
        const started = performance.now();
        const jobs = await startEngineJobs({
          store,
          registry,
          scorer: await LiveScorer.open(store, registry, config.models.failureHorizonsHours[0]),
          schedule: false,
          // A retrain runs for minutes: each step on stderr with the time since the start.
          onProgress: (what) =>
            process.stderr.write(
              `pdm jobs run ${name}: ${((performance.now() - started) / 1000).toFixed(0)} s: ${what}...\n`,
            ),
        });
        try {
          const run = await jobs.scheduler.runNow(name);
          if (run.status === 'failed')
            throw new PdmError(ErrorCodes.JOB_FAILED, `job ${name} failed: ${run.error}`);
          out.result({ ok: true, run }, table([run]));
        } finally {
          await jobs.stop();
        }
        return;
      }
      default:
        throw new PdmError(
          ErrorCodes.CLI_USAGE,
          'usage: pdm jobs list [--job NAME] [--limit N] | jobs run NAME',
        );
    }
  } finally {
    await store.close();
  }
}
