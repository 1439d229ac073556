/**
 * The engine's services as typed decorators (the store, the model registry, the live scorer, the
 * key store, the jobs when this process runs them), so route files take them
 * from the instance instead of a closure; what they watch is stopped in onClose.
 */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { ModelRegistry } from '../../../../models/index.ts';
import type { EngineJobs } from '../../../jobs/engine.ts';
import type { LiveScorer } from '../../../scoring/scorer.ts';
import type { Store } from '../../../store/index.ts';
import type { KeyStore } from '../../keys.ts';

export interface Services {
  readonly store: Store;
  readonly registry: ModelRegistry;
  readonly scorer: LiveScorer;
  readonly keys: KeyStore;
  /** The scheduler when this process runs the jobs; the run history is read from the store either way. */
  readonly jobs?: EngineJobs;
}

declare module 'fastify' {
  interface FastifyInstance {
    services: Services;
  }
}

async function services(app: FastifyInstance, opts: { services: Services }): Promise<void> {
  app.decorate('services', opts.services);
  // Revocations and promotions made by another process (pdm keys revoke, pdm models promote,
  // the retrain job) reach this one within seconds.
  opts.services.keys.watch(1000);
  opts.services.scorer.watch(2000);
  app.addHook('onClose', async () => {
    opts.services.keys.close();
    opts.services.scorer.unwatch();
  });
}

export default fp(services, { name: 'services' });
