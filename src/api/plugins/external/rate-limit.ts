/**
 * Requests per client address (`req.ip`: the TCP peer, or the client a trusted proxy names, see
 * PDM_API_TRUST_PROXY), counted in an application-level onRequest hook, so it runs before any
 * key is checked and counts 401s too (the auth plugin then limits failed checks and verified keys).
 * @fastify/rate-limit's own route hooks would run after the auth hook: its limiter is used directly.
 */
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { sendProblem, titleOf } from '../app/problem.ts';

async function addressLimit(app: FastifyInstance): Promise<void> {
  const max = app.services.store.config.api.addressRateLimitPerMinute;
  await app.register(rateLimit, { global: false });
  if (max === 0) return;
  const limiter = app.createRateLimit({ max, timeWindow: 60_000, keyGenerator: (req) => req.ip });
  app.addHook('onRequest', async (req, reply) => {
    const r = await limiter(req);
    if (r.isAllowed || !r.isExceeded) return;
    return sendProblem(reply.header('retry-after', String(r.ttlInSeconds)), {
      title: titleOf(429),
      status: 429,
      detail: `more than ${max} requests a minute from ${req.ip}; retry in ${r.ttlInSeconds} s`,
    });
  });
}

export default fp(addressLimit, { name: 'address-rate-limit', dependencies: ['services', 'problems'] });
