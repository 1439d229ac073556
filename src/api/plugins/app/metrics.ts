/** Prometheus metrics at /metrics: request latency by route and status, scores served (a registry per app). */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

async function metrics(app: FastifyInstance): Promise<void> {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const latency = new Histogram({
    name: 'pdm_http_request_duration_seconds',
    help: 'HTTP request latency',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const scores = new Counter({
    name: 'pdm_scores_total',
    help: 'Scores served',
    labelNames: ['outcome'],
    registers: [registry],
  });
  app.addHook('onResponse', async (req, reply) => {
    // Unmatched URLs share one label: a scanner must not grow the label set.
    const route = req.routeOptions.url ?? 'unmatched';
    latency.observe(
      { method: req.method, route, status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
    if (route === '/v1/score') scores.inc({ outcome: reply.statusCode < 400 ? 'ok' : 'error' });
  });
  app.get(
    '/metrics',
    { schema: { summary: 'Prometheus metrics (text exposition format)', tags: ['operations'] } },
    async (_req, reply) => reply.type(registry.contentType).send(await registry.metrics()),
  );
}

export default fp(metrics, { name: 'metrics' });
