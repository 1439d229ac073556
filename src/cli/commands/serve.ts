import { ModelRegistry } from '../../../models/index.ts';
import { buildApp } from '../../api/app.ts';
import { KeyStore } from '../../api/keys.ts';
import { jobLogging, startEngineJobs } from '../../jobs/index.ts';
import type { EngineJobs } from '../../jobs/index.ts';
import { LiveScorer } from '../../scoring/scorer.ts';
import { connectStore } from '../../store/index.ts';
import type { CommandContext } from '../main.ts';
import { parseOptions } from '../args.ts';

/** Serves the API until Ctrl-C (the QuestDB must be running: `pdm db start`); --jobs runs the scheduled jobs too. */
export async function serveCommand({ args, config, out }: CommandContext): Promise<void> {
  const store = await connectStore(config, { start: false });
  const registry = new ModelRegistry(config.modelsDir);
  const scorer = await LiveScorer.open(store, registry, config.models.failureHorizonsHours[0]);
  const keys = new KeyStore(config.api.keysFile);
  let jobs: EngineJobs | undefined;
  const { values } = parseOptions('serve', args, { jobs: { type: 'boolean' } });
  if (values.jobs === true) {
    jobs = await startEngineJobs({
      store,
      registry,
      scorer,
      ...jobLogging((line) => out.info(line)),
    });
  }
  const app = await buildApp({ store, registry, scorer, keys, jobs });
  const url = await app.listen({ host: config.api.host, port: config.api.port });
  out.info(
    `API at ${url} (models: ${
      scorer.current.ready
        ? 'loaded'
        : scorer.current.scorers.length === 0
          ? 'no plant file applied yet: pdm plant apply FILE'
          : 'none promoted yet: pdm train failure'
    })` +
      `${jobs ? `, jobs: ${jobs.scheduler.jobs.map((j) => j.name).join(', ')} (${jobs.leader.describe})` : ''}; Ctrl-C stops`,
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await jobs?.stop();
  await app.close();
  await store.close();
  out.result({ ok: true, url, stopped: true }, 'stopped');
}
