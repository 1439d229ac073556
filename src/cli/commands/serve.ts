import { ModelRegistry } from '../../../models/index.ts';
import { PLANT_FEATURES } from '../../../pipelines/index.ts';
import { buildApp } from '../../api/app.ts';
import { KeyStore } from '../../api/keys.ts';
import { Scorer } from '../../scoring/scorer.ts';
import { connectStore } from '../../store/index.ts';
import type { CommandContext } from '../main.ts';

/** Serves the API until Ctrl-C (the QuestDB must be running: `pdm db start`). */
export async function serveCommand({ config, out }: CommandContext): Promise<void> {
  const store = await connectStore(config, { start: false });
  const registry = new ModelRegistry(config.modelsDir);
  const scorer = Scorer.load(store, registry, PLANT_FEATURES);
  const keys = new KeyStore(config.api.keysFile);
  const app = await buildApp({ store, registry, scorer, keys });
  const url = await app.listen({ host: config.api.host, port: config.api.port });
  out.info(
    `API at ${url} (models: ${scorer.ready ? 'loaded' : 'none promoted yet: pdm train failure'}); Ctrl-C stops`,
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await app.close();
  await store.close();
  out.result({ ok: true, url, stopped: true }, 'stopped');
}
