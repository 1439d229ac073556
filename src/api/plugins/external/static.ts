/** The dashboard's built files at / (data from /v1 only); a 503 naming the build step when absent. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { sendProblem, titleOf } from '../app/problem.ts';

/** The dashboard's built files (npm run build:dashboard). */
export const DASHBOARD_DIR = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../../../dashboard/dist',
);

async function dashboard(app: FastifyInstance): Promise<void> {
  if (existsSync(path.join(DASHBOARD_DIR, 'index.html'))) {
    await app.register(fastifyStatic, {
      root: DASHBOARD_DIR,
      prefix: '/',
      wildcard: true,
      index: 'index.html',
    });
    return;
  }
  app.get('/', { schema: { hide: true } }, (_req, reply) =>
    sendProblem(reply, {
      title: titleOf(503),
      status: 503,
      detail: `the dashboard is not built: no ${path.join(DASHBOARD_DIR, 'index.html')}`,
      hint: 'npm run build:dashboard (npm run setup does it)',
    }),
  );
}

export default fp(dashboard, { name: 'dashboard' });
