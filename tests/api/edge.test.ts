import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ModelRegistry } from '../../models/index.ts';
import { buildApp } from '../../src/api/app.ts';
import { KeyStore } from '../../src/api/keys.ts';
import { storedWindowGate } from '../../src/scoring/gate.ts';
import { LiveScorer } from '../../src/scoring/scorer.ts';
import { connectStore, createPool } from '../../src/store/index.ts';
import type { Store } from '../../src/store/index.ts';
import { keySecret } from '../helpers/keys.ts';
import { freePort } from '../helpers/ports.ts';
import { testConfig, uniquePrefix } from '../helpers/store.ts';
import { simPlant } from '../helpers/plant.ts';

/** The simulator's plant of this file's machines, and its one model scope. */
const SIM = simPlant(8);

/**
 * The HTTP edge over real sockets: keyless local reads only for a loopback peer, Host and bind
 * address without proxy headers; failed key checks limited per address before any scrypt; keys
 * revoked or expired refused by a running server; 500s logged with the stack under the request id
 * the answer quotes, keys redacted; security headers; a QuestDB that does not answer is a 503.
 */
/**
 * Date.now shifted so that the test starts at the beginning of a clock minute: the failed-key
 * limits count per clock minute, and a flood across a minute's end would get a second budget.
 */
function clockAtMinuteStart() {
  const realNow = Date.now.bind(Date);
  const shift = 60_000 - (realNow() % 60_000);
  return vi.spyOn(Date, 'now').mockImplementation(() => realNow() + shift);
}

describe('the hardened HTTP edge', () => {
  let store: Store;
  let registry: ModelRegistry;
  let modelsDir = '';
  let keysFile = '';
  const logs: string[] = [];
  const open: FastifyInstance[] = [];

  const app = async (env: Record<string, string> = {}) => {
    const st: Store = { ...store, config: testConfig(env) };
    const stream = new PassThrough();
    stream.on('data', (b: Buffer) => logs.push(...b.toString().split('\n').filter(Boolean)));
    const keys = new KeyStore(keysFile);
    const a = await buildApp(
      { store: st, registry, scorer: new LiveScorer(st, registry, SIM.plant), keys },
      { logStream: stream, logLevel: 'info' },
    );
    open.push(a);
    return a;
  };
  const get = (url: string, headers: Record<string, string> = {}) =>
    new Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }>((resolve, reject) => {
      const req = http.get(url, { headers }, (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      });
      req.on('error', reject);
    });

  beforeAll(async () => {
    store = await connectStore(testConfig(), { start: false, tablePrefix: uniquePrefix('edge') });
    modelsDir = mkdtempSync(path.join(os.tmpdir(), 'pdm-edge-models-'));
    registry = new ModelRegistry(modelsDir);
    keysFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'pdm-edge-keys-')), 'k.json');
  }, 60_000);
  afterAll(async () => {
    for (const a of open) await a.close();
    await store?.close();
  });

  it('opens read views without a key only to a loopback peer, loopback Host, loopback bind, no proxy', async () => {
    const a = await app();
    // Its close waits for handlers still running (tests/api/inflight.test.ts).
    expect(a.hasPlugin('inflight')).toBe(true);
    const base = await a.listen({ host: '127.0.0.1', port: 0 });
    const port = (a.server.address() as AddressInfo).port;
    expect((await get(`${base}/v1/models`)).status).toBe(200);
    // DNS rebinding: the browser sends the attacker's name as Host.
    expect((await get(`${base}/v1/models`, { host: 'attacker.example' })).status).toBe(401);
    expect((await get(`${base}/v1/models`, { 'x-forwarded-for': '203.0.113.9' })).status).toBe(401);
    expect((await get(`${base}/v1/models`, { forwarded: 'for=203.0.113.9' })).status).toBe(401);
    // A 20-line same-host reverse proxy that says whom it forwards for.
    const proxy = http.createServer((req, res) => {
      const up = http.request(
        {
          host: '127.0.0.1',
          port,
          path: req.url,
          method: req.method,
          headers: { ...req.headers, 'x-forwarded-for': '198.51.100.7' },
        },
        (r) => {
          res.writeHead(r.statusCode ?? 502, r.headers);
          r.pipe(res);
        },
      );
      req.pipe(up);
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    const via = await get(`http://127.0.0.1:${(proxy.address() as AddressInfo).port}/v1/models`);
    proxy.close();
    expect(via.status).toBe(401);
    expect(via.headers['content-type']).toMatch(/application\/problem\+json/);
    // Writes never open without a key, even locally.
    const post = await fetch(`${base}/v1/mes/orders`, {
      method: 'POST',
      body: '[]',
      headers: { 'content-type': 'application/json' },
    });
    expect(post.status).toBe(401);
    // Bound to every interface: a loopback peer is no longer enough.
    const b = await app();
    const wide = await b.listen({ host: '0.0.0.0', port: await freePort() });
    expect((await get(wide.replace('0.0.0.0', '127.0.0.1') + '/v1/models')).status).toBe(401);
  });

  it('drops a score waiting for a stored window once its client has closed the connection', async () => {
    const st: Store = { ...store, config: testConfig() };
    const keys = new KeyStore(keysFile);
    const key = keys.create('mes').key;
    const a = await buildApp({ store: st, registry, scorer: new LiveScorer(st, registry, SIM.plant), keys });
    open.push(a);
    const base = await a.listen({ host: '127.0.0.1', port: 0 });
    // Both slots of the gate taken by reads that last until released.
    const gate = storedWindowGate(st);
    const hold: (() => void)[] = [];
    const busy = [0, 1].map(() => gate.run(() => new Promise<void>((r) => hold.push(r)), false));
    const until = async (ok: () => boolean) => {
      for (const end = Date.now() + 5000; !ok() && Date.now() < end;)
        await new Promise((r) => setTimeout(r, 20));
      return ok();
    };
    // A score at a past instant waits for a slot; its client gives up and closes the connection.
    const body = JSON.stringify({
      equipment: SIM.plant.equipment[0]!.id,
      at: new Date(Date.now() - 3600e3).toISOString(),
    });
    const req = http.request(`${base}/v1/score`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
        authorization: `Bearer ${key}`,
      },
    });
    req.on('error', () => {});
    req.end(body);
    expect(await until(() => gate.stats.waiting === 1)).toBe(true);
    req.destroy();
    // It leaves the queue at once, without waiting for a slot to read a day of readings.
    expect(await until(() => gate.stats.waiting === 0)).toBe(true);
    expect(gate.stats).toEqual({ running: 2, waiting: 0 });
    for (const r of hold) r();
    await Promise.all(busy);
    expect(gate.stats).toEqual({ running: 0, waiting: 0 });
  });

  it('limits failed key checks per address before any scrypt, while a valid key keeps working', async () => {
    const keys = new KeyStore(keysFile);
    const good = keys.create('engineer').key;
    // The limit counts per clock minute: a flood that straddled a minute's end got 20 more checks
    // in the next (22 answered 401 once in CI). The app's clock starts at a minute's beginning.
    const clock = clockAtMinuteStart();
    const a = await app({ PDM_API_AUTH_FAILURES: '20' });
    // The MES is connected (its key checked once) when the flood starts.
    const first = await a.inject({
      method: 'GET',
      url: '/v1/models',
      headers: { authorization: `Bearer ${good}` },
    });
    expect(first.statusCode).toBe(200);
    const statuses: number[] = [];
    for (let i = 0; i < 60; i++) {
      const made = `pdm_${i.toString(16).padStart(12, '0')}_${'A'.repeat(32)}`;
      const r = await a.inject({
        method: 'GET',
        url: '/v1/models',
        headers: { authorization: `Bearer ${made}` },
      });
      statuses.push(r.statusCode);
    }
    expect(statuses.filter((s) => s === 401)).toHaveLength(20);
    expect(statuses.slice(20).every((s) => s === 429)).toBe(true);
    const ok = await a.inject({
      method: 'GET',
      url: '/v1/models',
      headers: { authorization: `Bearer ${good}` },
    });
    expect(ok.statusCode).toBe(200);
    // A fake second credential does not buy a fresh bucket: the key limit counts the verified key.
    const dual = await a.inject({
      method: 'GET',
      url: '/v1/models',
      headers: { authorization: 'Basic pdm_aaaaaaaaaaaa_', 'x-api-key': good },
    });
    expect(dual.statusCode).toBe(200);
    clock.mockRestore();
  });

  it('checks keys off the event loop, bounded, and remembers wrong ones', async () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'pdm-edge-k2-')), 'k.json');
    const keys = new KeyStore(file, { concurrency: 2, queue: 8 });
    const wrong = (i: number) => `pdm_${i.toString(16).padStart(12, '0')}_${'B'.repeat(32)}`;
    // While 30 checks run, the event loop keeps turning (scrypt is on the thread pool).
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    const verdicts = await Promise.all(Array.from({ length: 30 }, (_, i) => keys.verify(wrong(i))));
    clearInterval(timer);
    expect(ticks).toBeGreaterThan(0);
    const busy = verdicts.filter((v) => !v.ok && v.reason === 'busy').length;
    expect(busy).toBe(20); // 2 running + 8 queued; the rest refused at once
    expect(keys.cached(wrong(0))).toEqual({ ok: false, reason: 'unknown' });
    expect(keys.cached(wrong(29))).toBeUndefined(); // refused as busy: not judged, not remembered
  });

  it('refuses a revoked key within seconds and an expired one', async () => {
    let clock = Date.now();
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'pdm-edge-k3-')), 'k.json');
    const server = new KeyStore(file, { now: () => clock }).watch(200);
    const cli = new KeyStore(file, { now: () => clock });
    const k = cli.create('mes');
    const soon = cli.create('mes', { expiresAt: new Date(clock + 60_000) });
    expect(await server.verify(k.key)).toEqual({ ok: true, id: k.id, role: 'mes' });
    expect((await server.verify(soon.key)).ok).toBe(true);
    cli.revoke(k.id);
    await new Promise((r) => setTimeout(r, 600));
    expect(await server.verify(k.key)).toEqual({ ok: false, reason: 'revoked' });
    clock += 120_000;
    expect(await server.verify(soon.key)).toEqual({ ok: false, reason: 'expired' });
    expect(cli.list().map((x) => x.status)).toEqual(['revoked', 'expired']);
    server.close();
  });

  it('logs a 500 with its stack under the request id the answer quotes, keys redacted', async () => {
    const keys = new KeyStore(keysFile);
    const key = keys.create('engineer').key;
    const secret = keySecret(key);
    const a = await app();
    // A registry file that is not JSON: an internal error, not the client's.
    const broken = path.join(modelsDir, 'pooled.failure-any-24h');
    mkdirSync(broken, { recursive: true });
    writeFileSync(path.join(broken, 'registry.json'), '{');
    try {
      const res = await a.inject({
        method: 'GET',
        url: '/v1/models',
        headers: { authorization: `Bearer ${key}` },
      });
      expect(res.statusCode).toBe(500);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      const id = res.json().request_id as string;
      expect(res.headers['x-request-id']).toBe(id);
      expect(res.json().detail).toContain(id);
      const line = logs
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .find((l) => l.reqId === id && l.level === 50);
      expect(line).toBeDefined();
      expect(String((line!.err as { stack?: string }).stack)).toMatch(/JSON|SyntaxError/);
      expect(logs.join('\n')).not.toContain(secret);
    } finally {
      // Later tests build scorers over the same registry: never leave the broken file behind.
      rmSync(broken, { recursive: true, force: true });
    }
  });

  it('sends a strict Content-Security-Policy and the usual security headers', async () => {
    const a = await app();
    const res = await a.inject({ method: 'GET', url: '/health' });
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("object-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-frame-options']).toBeDefined();
    // Computed once, sent on every answer: a refusal and an unknown path carry the same.
    for (const other of [
      await a.inject({ method: 'POST', url: '/v1/score', payload: {} }),
      await a.inject({ method: 'GET', url: '/no/such/path' }),
    ]) {
      expect(other.statusCode).toBeGreaterThanOrEqual(400);
      expect(other.headers['content-security-policy']).toBe(res.headers['content-security-policy']);
      expect(other.headers['x-content-type-options']).toBe('nosniff');
    }
  });

  it('takes a QuestDB for down after two unanswered pings in a row, not after one slow one', async () => {
    // A stand-in for QuestDB's /ping that can be made to miss its second.
    let slow = false;
    const pinger = http.createServer((_req, res) => {
      if (slow) setTimeout(() => res.writeHead(204).end(), 1500);
      else res.writeHead(204).end();
    });
    await new Promise<void>((r) => pinger.listen(0, '127.0.0.1', r));
    const port = (pinger.address() as AddressInfo).port;
    const cfg = testConfig({ PDM_QUESTDB_HTTP_PORT: String(port) });
    const a = await buildApp(
      {
        store: { ...store, config: cfg },
        registry,
        scorer: new LiveScorer(store, registry, SIM.plant),
        keys: new KeyStore(keysFile),
      },
      { logStream: new PassThrough(), storeCheckMs: 0 }, // checked by hand below, nothing else
    );
    open.push(a);
    expect(a.storeHealth.up).toBe(true);
    slow = true;
    expect(await a.storeHealth.check()).toBe(true); // one miss under load: still up
    expect(await a.storeHealth.check()).toBe(false); // two in a row: down, store routes get 503
    slow = false;
    expect(await a.storeHealth.check()).toBe(true); // answered again: up at once
    slow = true;
    expect(await a.storeHealth.check()).toBe(true); // the count starts over
    slow = false;
    pinger.closeAllConnections();
    await new Promise((r) => pinger.close(r));
  });

  it('answers 503 with Retry-After when QuestDB does not answer, within a second', async () => {
    const deadPort = await freePort();
    const dead = testConfig({
      PDM_QUESTDB_PG_PORT: String(deadPort),
      PDM_QUESTDB_HTTP_PORT: String(await freePort()),
    });
    const down: Store = { ...store, config: dead, pool: createPool(dead.questdb) };
    const keys = new KeyStore(keysFile);
    const mes = keys.create('mes').key;
    const a = await buildApp(
      { store: down, registry, scorer: new LiveScorer(down, registry, SIM.plant), keys },
      { logStream: new PassThrough() },
    );
    open.push(a);
    // Known down (the health check) and found down in flight (the check still says up: the
    // failure itself must become the 503, within the request timeout).
    for (const [known, limit] of [
      [true, 3000],
      [false, 15_000],
    ] as const)
      for (const [method, url, payload] of [
        ['POST', '/v1/score', { equipment: 'cnc-001' }],
        [
          'POST',
          '/v1/mes/orders',
          [{ order_id: 'O', released_at: '2025-06-01T00:00:00Z', product: 'p', status: 'released' }],
        ],
        ['GET', '/v1/equipment', undefined],
        ['GET', '/ready', undefined],
      ] as const) {
        if (!known && url === '/ready') continue; // /ready asks QuestDB itself
        a.storeHealth.up = !known;
        const t0 = performance.now();
        const res = await a.inject({
          method,
          url,
          headers: { authorization: `Bearer ${mes}` },
          ...(payload ? { payload } : {}),
        });
        expect(performance.now() - t0, url).toBeLessThan(limit);
        expect(res.statusCode, `${url}: ${res.body}`).toBe(503);
        expect(res.headers['retry-after']).toBeDefined();
        expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      }
    await down.pool.end();
  });

  it('bounds headers time and answers a slow client no later than the headers timeout', async () => {
    const a = await app({ PDM_API_HEADERS_TIMEOUT_MS: '1000', PDM_API_REQUEST_TIMEOUT_MS: '1000' });
    await a.listen({ host: '127.0.0.1', port: 0 });
    const port = (a.server.address() as AddressInfo).port;
    const t0 = performance.now();
    const closed = await new Promise<string>((resolve) => {
      const sock = net.connect(port, '127.0.0.1', () =>
        sock.write('GET /health HTTP/1.1\r\nHost: localhost\r\n'),
      );
      let got = '';
      sock.on('data', (d) => (got += d.toString()));
      sock.on('close', () => resolve(got));
    });
    expect(performance.now() - t0).toBeLessThan(5000);
    expect(closed === '' || /^HTTP\/1\.1 408/.test(closed)).toBe(true);
  });

  it('answers 413 naming the limit for an NDJSON body or line over it, before reading it', async () => {
    const keys = new KeyStore(keysFile);
    const mes = keys.create('mes').key;
    const a = await app({ PDM_API_NDJSON_MAX_BYTES: '4096', PDM_API_NDJSON_MAX_LINE: '512' });
    const send = (payload: string) =>
      a.inject({
        method: 'POST',
        url: '/v1/telemetry',
        headers: { authorization: `Bearer ${mes}`, 'content-type': 'application/x-ndjson' },
        payload,
      });
    const big = await send(`${'{"ts":1,"equipment":"x"}\n'.repeat(400)}`);
    expect(big.statusCode).toBe(413);
    expect(big.json().detail).toMatch(/4096 bytes.*PDM_API_NDJSON_MAX_BYTES/);
    const long = await send(`{"ts":1,"equipment":"${'x'.repeat(1000)}"}\n`);
    expect(long.statusCode).toBe(413);
    expect(long.json().field).toBe('body.line 1');
  });

  it('behind a trusted proxy, counts clients by X-Forwarded-For, not the proxy', async () => {
    // Per clock minute, as above (a flood across a minute's end answered a fourth 401 once in CI).
    const clock = clockAtMinuteStart();
    const a = await app({ PDM_API_TRUST_PROXY: '127.0.0.1', PDM_API_AUTH_FAILURES: '3' });
    let n = 0;
    const from = (client: string) =>
      a.inject({
        method: 'GET',
        url: '/v1/models',
        headers: {
          authorization: `Bearer pdm_${(++n).toString(16).padStart(12, 'e')}_${'C'.repeat(32)}`,
          'x-forwarded-for': client,
        },
      });
    const first = [];
    for (let i = 0; i < 5; i++) first.push((await from('198.51.100.1')).statusCode);
    expect(first).toEqual([401, 401, 401, 429, 429]);
    expect((await from('198.51.100.2')).statusCode).toBe(401); // another client: its own budget
    clock.mockRestore();
  });
});
