/**
 * Closing waits for the handlers still running. A client that disconnects mid-request leaves its
 * handler running with no connection to hold up the server's close, and the store was then closed
 * under it: every stop of a loaded `pdm serve` logged "Cannot use a pool after calling end on the
 * pool" at error level. Each route's handler is tracked while its promise is pending; the app's
 * close waits for them, at most `graceMs` (default 5 s, inside the 10 s stop deadline), then says
 * how many it left.
 */
import type { FastifyInstance, RouteHandlerMethod } from 'fastify';
import fp from 'fastify-plugin';

const settle = (): void => {};

async function inflight(app: FastifyInstance, opts: { graceMs?: number | undefined }): Promise<void> {
  const running = new Set<Promise<void>>();
  app.addHook('onRoute', (route) => {
    const handler = route.handler as (...args: unknown[]) => unknown;
    route.handler = function (this: unknown, ...args: unknown[]): unknown {
      const out = handler.apply(this, args);
      if (out instanceof Promise) {
        // Settled either way: a rejection is the error handler's to answer, not this one's.
        const done: Promise<void> = out.then(settle, settle);
        running.add(done);
        void done.then(() => running.delete(done));
      }
      return out;
    } as RouteHandlerMethod;
  });
  app.addHook('onClose', async () => {
    if (running.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const drained = await Promise.race([
      Promise.all(running).then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), opts.graceMs ?? 5000);
      }),
    ]);
    clearTimeout(timer);
    if (!drained)
      app.log.warn(
        { running: running.size },
        'closing with request handlers still running after the grace period',
      );
  });
}

export default fp(inflight, { name: 'inflight' });
