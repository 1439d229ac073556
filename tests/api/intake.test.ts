import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelRegistry } from '../../models/index.ts';
import { buildApp } from '../../src/api/app.ts';
import { KeyStore } from '../../src/api/keys.ts';
import { LiveScorer } from '../../src/scoring/scorer.ts';
import { connectStore, query, waitForWal } from '../../src/store/index.ts';
import type { Store } from '../../src/store/index.ts';
import { testConfig, uniquePrefix } from '../helpers/store.ts';
import { simPlant } from '../helpers/plant.ts';

/** The simulator's plant of this file's machines, and its one model scope. */
const SIM = simPlant(8);

/** MES context and telemetry intake against the real QuestDB, through the real HTTP stack (inject). */
describe('intake routes', () => {
  let store: Store;
  let app: FastifyInstance;
  let mes = '';
  let engineer = '';
  let scheduler = '';
  const as = (key: string) => ({ authorization: `Bearer ${key}` });
  const count = async (table: string) => {
    await waitForWal(store.pool, store.tables, table);
    const { rows } = await query<{ n: string }>(store.pool, `SELECT count() n FROM ${table}`);
    return Number(rows[0]!.n);
  };
  const post = (url: string, key: string, payload: unknown, headers: Record<string, string> = {}) =>
    app.inject({ method: 'POST', url, headers: { ...as(key), ...headers }, payload: payload as string });

  beforeAll(async () => {
    store = await connectStore(testConfig({ PDM_API_RATE_LIMIT: '40' }), {
      start: false,
      tablePrefix: uniquePrefix('intake'),
    });
    const registry = new ModelRegistry(mkdtempSync(path.join(os.tmpdir(), 'pdm-intake-models-')));
    const keys = new KeyStore(path.join(mkdtempSync(path.join(os.tmpdir(), 'pdm-intake-keys-')), 'k.json'));
    mes = keys.create('mes').key;
    engineer = keys.create('engineer').key;
    scheduler = keys.create('scheduler').key;
    app = await buildApp({ store, registry, scorer: new LiveScorer(store, registry, SIM.plant), keys });
    const res = await post('/v1/equipment', engineer, [
      { equipment: 'press-01', site: 'plant-9', line: 'L1', equipment_class: 'press', name: 'Press 1' },
      { equipment: 'press-02', site: 'plant-9', line: 'L1', equipment_class: 'press' },
    ]);
    expect(res.statusCode, res.body).toBe(200);
    await waitForWal(store.pool, store.tables, store.tables.equipment);
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    await store?.close();
  });

  it('takes MES orders, batches, quality and maintenance; a retried request changes nothing', async () => {
    const orders = [
      {
        order_id: 'O-1',
        released_at: '2026-01-05T06:00:00Z',
        product: 'lid',
        line: 'L1',
        quantity: 500,
        status: 'released',
      },
    ];
    const batches = [
      {
        batch_id: 'B-1',
        equipment: 'press-01',
        order_id: 'O-1',
        product: 'lid',
        status: 'done',
        start: '2026-01-05T06:10:00Z',
        end: '2026-01-05T08:00:00Z',
        load: 0.8,
      },
      {
        batch_id: 'B-2',
        equipment: 'press-01',
        order_id: 'O-1',
        product: 'lid',
        status: 'planned',
        start: '2026-01-05T09:00:00Z',
        // A plan says when the batch ends: the MES can send it (kept as planned_end, not as an actual end).
        end: '2026-01-05T11:30:00Z',
      },
    ];
    const quality = [
      {
        ts: '2026-01-05T08:01:00Z',
        equipment: 'press-01',
        batch_id: 'B-1',
        characteristic: 'thickness_mm',
        value: 1.02,
        lsl: 0.95,
        usl: 1.05,
      },
    ];
    const maintenance = [
      {
        ts: '2026-01-05T08:30:00Z',
        equipment: 'press-01',
        kind: 'failure',
        mode: 'hydraulic',
        end: '2026-01-05T09:30:00Z',
        work_order: 'WO-7',
      },
    ];
    for (let attempt = 0; attempt < 2; attempt++) {
      for (const [url, body] of [
        ['/v1/mes/orders', orders],
        ['/v1/mes/batches', batches],
        ['/v1/quality', quality],
        ['/v1/maintenance', maintenance],
      ] as const) {
        const res = await post(url, mes, body);
        expect(res.statusCode, `${url}: ${res.body}`).toBe(200);
        expect(res.json().accepted).toBe(body.length);
      }
    }
    expect(await count(store.tables.orders)).toBe(1);
    expect(await count(store.tables.batches)).toBe(2);
    expect(await count(store.tables.quality)).toBe(1);
    expect(await count(store.tables.maintenance)).toBe(1);
    const { rows } = await query<{ ended_at: string; status: string }>(
      store.pool,
      `SELECT ended_at, status FROM ${store.tables.batches} WHERE batch_id = 'B-1'`,
    );
    expect(rows[0]).toMatchObject({ status: 'done' });
    expect(String(rows[0]!.ended_at)).toMatch(/^2026-01-05 08:00:00/);
    const plan = await query<{ ended_at: string | null; planned_end: string }>(
      store.pool,
      `SELECT ended_at, planned_end FROM ${store.tables.batches} WHERE batch_id = 'B-2'`,
    );
    expect(plan.rows[0]!.ended_at).toBeNull();
    expect(String(plan.rows[0]!.planned_end)).toMatch(/^2026-01-05 11:30:00/);
  });

  it('refuses a whole request for one bad item, naming it, and writes nothing', async () => {
    const before = await count(store.tables.batches);
    const good = {
      batch_id: 'B-9',
      equipment: 'press-02',
      order_id: 'O-1',
      product: 'lid',
      status: 'running',
      start: '2026-01-06T06:00:00Z',
    };
    const cases: [unknown[], string, RegExp][] = [
      [
        [good, { ...good, batch_id: 'B-10', status: 'paused' }],
        'body.1.status',
        /must be one of "planned", "replanned", "running", "done", "aborted"/,
      ],
      [[good, { ...good, batch_id: 'B-10', colour: 'red' }], 'body.1.colour', /unknown field/],
      [[good, { ...good, batch_id: 'B-10', start: 'tomorrow' }], 'body.1.start', /RFC 3339/],
      [[good, { ...good, batch_id: 'B-10', start: '2026-01-06T06:00:00+05' }], 'body.1.start', /ambiguous/],
      [[good, { ...good, batch_id: 'B-10', load: '0.5' }], 'body.1.load', /number/],
      [[{ ...good, status: 'done', end: '2026-01-06T05:00:00Z' }], 'body.0.end', /before it starts/],
      [
        [good, { ...good, end: '2026-01-06T09:00:00Z' }],
        'body.1.end',
        /running batch has not ended yet: send its expected end as planned_end/,
      ],
      [[{ ...good, planned_end: '2026-01-06T05:00:00Z' }], 'body.0.planned_end', /before it starts/],
      [[good, { ...good, equipment: 'press-99' }], 'body.1.equipment', /unknown equipment "press-99"/],
      [[], 'body', /fewer than 1/],
    ];
    for (const [body, field, reason] of cases) {
      const res = await post('/v1/mes/batches', mes, body);
      expect(res.statusCode, res.body).toBe(400);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(res.json().field).toBe(field);
      expect(res.json().detail).toMatch(reason);
    }
    const q = await post('/v1/quality', mes, [
      {
        ts: '2026-01-05T08:01:00Z',
        equipment: 'press-01',
        batch_id: 'B-1',
        characteristic: 'x',
        value: 1,
        lsl: 2,
        usl: 1,
      },
    ]);
    expect(q.json().field).toBe('body.0.usl');
    const m = await post('/v1/maintenance', mes, [
      { ts: '2026-01-05T08:30:00Z', equipment: 'press-01', kind: 'failure' },
    ]);
    expect(m.json().field).toBe('body.0.mode');
    expect(await count(store.tables.batches)).toBe(before);
    expect(await count(store.tables.quality)).toBe(1);
    expect(await count(store.tables.maintenance)).toBe(1);
  });

  it('takes telemetry as a JSON array (all or nothing) and as NDJSON (bad lines rejected, the rest kept)', async () => {
    const t0 = Date.UTC(2026, 0, 7);
    const arr = Array.from({ length: 50 }, (_, i) => ({
      ts: new Date(t0 + i * 1000).toISOString(),
      equipment: 'press-01',
      pressure: 100 + i,
      motor_temp: i % 7 === 0 ? null : 40,
    }));
    const ok = await post('/v1/telemetry', mes, arr);
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json().accepted).toBe(50);
    const bad = await post('/v1/telemetry', mes, [...arr, { ts: t0, equipment: 'press-01', presure: 1 }]);
    expect(bad.statusCode).toBe(400);
    expect(bad.json().field).toBe('body.50.presure');
    expect(await count(store.tables.telemetry)).toBe(50);

    const lines = [
      JSON.stringify({ ts: t0 + 100_000, equipment: 'press-02', pressure: 1.5 }),
      JSON.stringify({ ts: t0 + 101_000, equipment: 'press-02', pressure: 'high' }),
      '{not json',
      JSON.stringify({ ts: t0 + 102_000, equipment: 'press-77', pressure: 2 }),
      JSON.stringify({ ts: t0 + 103_000, equipment: 'press-02', pressure: 2.5 }),
    ].join('\n');
    const nd = await post('/v1/telemetry', mes, lines, { 'content-type': 'application/x-ndjson' });
    expect(nd.statusCode, nd.body).toBe(200);
    expect(nd.json()).toMatchObject({ accepted: 2, rejected: 3 });
    expect(nd.json().rejections).toEqual([
      { row: 2, field: 'pressure', reason: 'not a number: "high"' },
      expect.objectContaining({ row: 3, field: '*' }),
      { row: 4, field: 'equipment', reason: 'unknown equipment "press-77"' },
    ]);
    const col = await post(
      '/v1/telemetry',
      mes,
      JSON.stringify({ ts: t0, equipment: 'press-02', colour: 3 }),
      {
        'content-type': 'application/x-ndjson',
      },
    );
    expect(col.statusCode).toBe(400);
    expect(col.json().field).toBe('body.line 1.colour');
    expect(await count(store.tables.telemetry)).toBe(52);
  });

  it('lists equipment and serves one equipment health; 404 with a hint for an unknown one', async () => {
    const list = await app.inject({ method: 'GET', url: '/v1/equipment', headers: as(scheduler) });
    expect(list.statusCode, list.body).toBe(200);
    expect(list.json().equipment.map((e: { equipment: string }) => e.equipment)).toEqual([
      'press-01',
      'press-02',
    ]);
    const h = await app.inject({
      method: 'GET',
      url: '/v1/equipment/press-01/health?hours=1&step=60&at=2026-01-07T00:10:00Z',
      headers: as(engineer),
    });
    expect(h.statusCode, h.body).toBe(200);
    const body = h.json();
    expect(body.t.length).toBe(60);
    const p = body.sensors.find((s: { sensor: string }) => s.sensor === 'pressure');
    // Readings at t0 .. t0+49 s fall in the bucket starting at t0 (00:00 .. 00:01): mean of 100..149.
    expect(body.t[50]).toBe('2026-01-07T00:00:00.000000Z');
    expect(p.mean[50]).toBeCloseTo(124.5, 6);
    expect(p.min[50]).toBe(100);
    expect(p.max[50]).toBe(149);
    expect(body.sensors.map((s: { sensor: string }) => s.sensor)).not.toContain('flow');
    const none = await app.inject({ method: 'GET', url: '/v1/equipment/nope/health', headers: as(engineer) });
    expect(none.statusCode).toBe(404);
    expect(none.json().hint).toMatch(/GET \/v1\/equipment/);
  });

  it('checks roles on intake and limits requests per key', async () => {
    const wrong = await post('/v1/mes/orders', scheduler, []);
    expect(wrong.statusCode).toBe(403);
    expect((await app.inject({ method: 'POST', url: '/v1/quality', payload: [] })).statusCode).toBe(401);
    // The limit (40 per minute here) counts per key: the engineer key runs out, the scheduler key does not.
    let limited;
    for (let i = 0; i < 45 && limited === undefined; i++) {
      const r = await app.inject({ method: 'GET', url: '/v1/models', headers: as(engineer) });
      if (r.statusCode === 429) limited = r;
    }
    expect(limited?.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(limited?.json().detail).toMatch(/requests a minute for key/);
    const other = await app.inject({ method: 'GET', url: '/v1/equipment', headers: as(scheduler) });
    expect(other.statusCode).toBe(200);
  });
});
