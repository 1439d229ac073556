import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import inflight from '../../src/api/plugins/app/inflight.ts';

/** A server whose GET /slow handler runs until `release()`, over a real socket. */
async function slowServer(graceMs: number) {
  const logs: string[] = [];
  const stream = new PassThrough();
  stream.on('data', (b: Buffer) => logs.push(...b.toString().split('\n').filter(Boolean)));
  const app = Fastify({ logger: { level: 'warn', stream } });
  await app.register(inflight, { graceMs });
  const events: string[] = [];
  let entered!: () => void;
  const inHandler = new Promise<void>((r) => (entered = r));
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  app.get('/slow', async () => {
    entered();
    await gate;
    events.push('handler finished');
    return { ok: true };
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const port = (app.server.address() as AddressInfo).port;
  // The client asks, then goes away while the handler runs (a client timeout, a killed benchmark).
  const req = http.get(`http://127.0.0.1:${port}/slow`);
  req.on('error', () => {});
  await inHandler;
  req.destroy();
  await new Promise((r) => setTimeout(r, 50));
  return { app, events, release, logs };
}

describe('closing the API with handlers still running', () => {
  it('waits for a handler whose client disconnected before the app counts as closed (the store closes after it)', async () => {
    const { app, events, release } = await slowServer(5000);
    const closing = app.close().then(() => events.push('closed'));
    await new Promise((r) => setTimeout(r, 200));
    expect(events).toEqual([]);
    release();
    await closing;
    expect(events).toEqual(['handler finished', 'closed']);
  });

  it('stops waiting after the grace period and says how many it left', async () => {
    const { app, events, release, logs } = await slowServer(150);
    const t0 = performance.now();
    await app.close();
    expect(performance.now() - t0).toBeGreaterThanOrEqual(140);
    expect(events).toEqual([]);
    expect(logs.map((l) => JSON.parse(l) as { msg: string; running: number })).toContainEqual(
      expect.objectContaining({
        msg: 'closing with request handlers still running after the grace period',
        running: 1,
      }),
    );
    release();
  });
});
