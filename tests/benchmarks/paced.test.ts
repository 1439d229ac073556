import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import { paced } from '../../benchmarks/paced.ts';

/**
 * The held-rate load generator of bench:api: requests go out evenly over each second (autocannon's
 * rate sent each second's quota as one burst at its start), latency counts from when each was due,
 * and every key and body is used in turn.
 */
describe('the paced load generator', () => {
  let server: http.Server | undefined;
  afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

  function serve(delayMs: (n: number) => number) {
    const arrivals: number[] = [];
    const seen: { auth: string; body: string }[] = [];
    server = http.createServer((req, res) => {
      const n = arrivals.push(performance.now());
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        seen.push({ auth: String(req.headers.authorization), body });
        setTimeout(() => {
          // With a Content-Length, as fastify sends (the generator reads answers to it).
          res.writeHead(n % 10 === 0 ? 503 : 200, {
            'content-type': 'application/json',
            'content-length': 11,
          });
          res.end('{"ok":true}');
        }, delayMs(n));
      });
    });
    return new Promise<{ url: string; arrivals: number[]; seen: typeof seen }>((resolve) =>
      server!.listen(0, '127.0.0.1', () => {
        const { port } = server!.address() as AddressInfo;
        resolve({ url: `http://127.0.0.1:${port}/v1/score`, arrivals, seen });
      }),
    );
  }

  it('spreads the requests evenly over the run, not in a burst at each second', async () => {
    const { url, arrivals, seen } = await serve(() => 0);
    const r = await paced({
      url,
      bodies: ['{"a":1}', '{"a":2}', '{"a":3}'],
      keys: ['k1', 'k2'],
      connections: 4,
      seconds: 2,
      rate: 200,
    });
    expect(r.requests).toBe(400);
    expect(r.errors).toBe(0);
    expect(r.status).toEqual({ 200: 360, 503: 40 });
    expect(r.non2xx).toBe(40);
    // Every 100 ms of the run gets its share (20 requests), give or take timer jitter on a busy
    // machine (wide bounds): a burst generator puts 200 in the first 100 ms of each second and
    // none in the other nine.
    const t0 = arrivals[0]!;
    const per100 = new Array<number>(20).fill(0);
    for (const t of arrivals) per100[Math.min(19, Math.floor((t - t0) / 100))]!++;
    for (const n of per100) expect(n).toBeGreaterThanOrEqual(4);
    for (const n of per100) expect(n).toBeLessThanOrEqual(60);
    expect(new Set(seen.map((s) => s.body))).toEqual(new Set(['{"a":1}', '{"a":2}', '{"a":3}']));
    expect(new Set(seen.map((s) => s.auth))).toEqual(new Set(['Bearer k1', 'Bearer k2']));
  });

  it('counts the wait for a busy server from when each request was due', async () => {
    // Every answer takes 50 ms on 2 connections (40 a second at most) while 100 a second are due:
    // requests queue for a connection, and their latency grows past the 50 ms the server takes.
    const { url } = await serve(() => 50);
    const r = await paced({ url, bodies: ['{}'], keys: ['k'], connections: 2, seconds: 1, rate: 100 });
    expect(r.waited_for_connection).toBeGreaterThan(50);
    expect(r.p50).toBeGreaterThan(200);
    expect(r.max).toBeGreaterThan(r.p50);
  }, 30_000);
});
