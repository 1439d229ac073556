/**
 * Whether the store answers, known before a request needs it: QuestDB is pinged every 2 s, and
 * from the second unanswered ping in a row until one is answered (or from an unanswered first
 * ping at start), routes that read or write it (`config.store`) get 503 with the reason and
 * Retry-After at once instead of waiting out connection timeouts (an MES intake used to hang for
 * 40 s). A failure in flight is mapped to the same 503 by the problems plugin.
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

async function storeHealth(app: FastifyInstance, opts: { everyMs?: number | undefined }): Promise<void> {
  const cfg = app.services.store.config.questdb;
  // Down after two failed pings in a row, not one: under load (a test suite, a retrain beside the
  // API on two cores) one ping can miss its second, and one miss turned every store route into
  // 503 for two seconds (seen in CI). A QuestDB that is really gone refuses at once, twice.
  let misses = 0;
  // One ping at a time: /ready asking while the timer's ping is out shares it (and its count).
  let inflight: Promise<boolean> | undefined;
  const once = async (): Promise<boolean> => {
    const answered = await ping(cfg, 1000);
    misses = answered ? 0 : misses + 1;
    const up = answered || (health.up && misses < 2);
    if (up !== health.up) {
      health.since = Date.now();
      app.log[up ? 'info' : 'warn']({ questdb: up ? 'up' : 'down' }, 'store availability changed');
    }
    health.up = up;
    return up;
  };
  const health = {
    up: true,
    since: Date.now(),
    check(): Promise<boolean> {
      inflight ??= once().finally(() => (inflight = undefined));
      return inflight;
    },
  };
  app.decorate('storeHealth', health);
  // Known from the start, not 2 s after it: a first unanswered ping counts as two.
  health.up = await ping(cfg, 1000);
  misses = health.up ? 0 : 2;
  const every = opts.everyMs ?? 2000;
  const timer = every > 0 ? setInterval(() => void health.check(), every).unref() : undefined;
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
