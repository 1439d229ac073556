/**
 * Whether the store answers, known before a request needs it: QuestDB is pinged every 2 s, and
 * while it does not answer, routes that read or write it (`config.store`) get 503 with the reason
 * and Retry-After at once instead of waiting out connection timeouts (an MES intake used to hang
 * for 40 s). A failure in flight is mapped to the same 503 by the problems plugin.
 */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { ping } from '../../../store/index.ts';
import { sendProblem, titleOf } from './problem.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route reads or writes the store: refused with 503 while QuestDB does not answer. */
    store?: boolean;
  }
  interface FastifyInstance {
    storeHealth: { up: boolean; since: number; check(): Promise<boolean> };
  }
}

async function storeHealth(app: FastifyInstance, opts: { everyMs?: number }): Promise<void> {
  const cfg = app.services.store.config.questdb;
  const health = {
    up: true,
    since: Date.now(),
    async check(): Promise<boolean> {
      const up = await ping(cfg, 1000);
      if (up !== health.up) {
        health.since = Date.now();
        app.log[up ? 'info' : 'warn']({ questdb: up ? 'up' : 'down' }, 'store availability changed');
      }
      health.up = up;
      return up;
    },
  };
  app.decorate('storeHealth', health);
  await health.check(); // known from the start, not 2 s after it
  let checking = false;
  const timer = setInterval(() => {
    if (checking) return;
    checking = true;
    void health.check().finally(() => (checking = false));
  }, opts.everyMs ?? 2000).unref();
  app.addHook('onClose', async () => clearInterval(timer));
  app.addHook('onRequest', async (req, reply) => {
    if (health.up || req.routeOptions.config.store !== true) return;
    return sendProblem(reply.header('retry-after', '5'), {
      title: titleOf(503),
      status: 503,
      detail: `the store (QuestDB at ${cfg.host}:${cfg.pgPort}) does not answer since ${new Date(health.since).toISOString()}`,
      code: 'PDM_ERR_QUESTDB_UNREACHABLE',
    });
  });
}

export default fp(storeHealth, { name: 'store-health', dependencies: ['services', 'problems'] });
