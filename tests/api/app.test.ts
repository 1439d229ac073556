import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelRegistry } from '../../models/index.ts';
import { forecastAll, trainFailureModel, trainRulModel } from '../../pipelines/index.ts';
import { buildApp } from '../../src/api/app.ts';
import { KeyStore } from '../../src/api/keys.ts';
import { LiveScorer } from '../../src/scoring/scorer.ts';
import { QuestDbSink, simulate } from '../../src/sim/index.ts';
import { waitForWal } from '../../src/store/index.ts';
import type { Store } from '../../src/store/index.ts';
import { openTestStore } from '../helpers/store.ts';
import { keySecret } from '../helpers/keys.ts';
import { simPlant } from '../helpers/plant.ts';

/** The simulator's plant of this file's machines, and its one model scope. */
const SIM = simPlant(8);

const START = Date.UTC(2025, 5, 1) / 1000;
const DAYS = 12;
const END_ISO = new Date((START + DAYS * 86400 - 60) * 1000).toISOString();

describe('the HTTP API on a simulated plant', () => {
  let store: Store;
  let app: FastifyInstance;
  let keys: KeyStore;
  let mes = '';
  let engineer = '';
  let scheduler = '';
  let written = 0;
  let registryDir = '';
  let registry: ModelRegistry;
  let scorer: LiveScorer;
  const as = (key: string) => ({ authorization: `Bearer ${key}` });
  beforeAll(async () => {
    store = await openTestStore('api');
    const sink = await QuestDbSink.open(store.config, store.tables);
    await simulate(sink, { equipment: 8, days: DAYS, seed: 21, start: START, sampleSeconds: 30 });
    await sink.close();
    for (const t of [store.tables.telemetry, store.tables.maintenance, store.tables.batches])
      await waitForWal(store.pool, store.tables, t);
    registryDir = mkdtempSync(path.join(os.tmpdir(), 'pdm-api-models-'));
    registry = new ModelRegistry(registryDir);
    const range = { from: START * 1e6, to: (START + DAYS * 86400) * 1e6 };
    const f = await trainFailureModel(store, registry, SIM.scope, range, { trees: 30 });
    const r = await trainRulModel(store, registry, SIM.scope, range, { trees: 30 });
    registry.promote(f.name, f.version);
    registry.promote(r.name, r.version);
    keys = new KeyStore(path.join(mkdtempSync(path.join(os.tmpdir(), 'pdm-keys-')), 'keys.json'));
    mes = keys.create('mes').key;
    scheduler = keys.create('scheduler').key;
    engineer = keys.create('engineer').key;
    scorer = new LiveScorer(store, registry, SIM.plant);
    app = await buildApp({ store, registry, scorer, keys });
    written = await forecastAll(store, scorer.current, Date.parse(END_ISO) * 1000);
    await waitForWal(store.pool, store.tables, store.tables.forecasts);
  }, 240_000);
  afterAll(async () => {
    await app?.close();
    await store?.close();
  });

  it('is live and ready (QuestDB answers, models loaded)', async () => {
    expect((await app.inject({ method: 'GET', url: '/health' })).json()).toEqual({ status: 'ok' });
    const ready = await app.inject({ method: 'GET', url: '/ready' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json().models).toEqual(['pooled.failure-any-24h', 'pooled.rul-168h']);
  });

  it('scores an equipment: calibrated failure probability, RUL with an interval, top features', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/score',
      headers: as(mes),
      payload: { equipment: 'cnc-001', at: END_ISO },
    });
    expect(res.statusCode, res.body).toBe(200);
    const s = res.json();
    expect(s.equipment).toBe('cnc-001');
    expect(s.readings).toBeGreaterThan(1000);
    expect(s.failure.probability).toBeGreaterThanOrEqual(0);
    expect(s.failure.probability).toBeLessThanOrEqual(1);
    expect(s.failure.horizon_h).toBe(24);
    expect(s.rul.low).toBeLessThanOrEqual(s.rul.hours);
    expect(s.rul.high).toBeGreaterThanOrEqual(s.rul.hours);
    expect(s.top_features.length).toBeGreaterThan(0);
    expect(s.failure.model).toMatch(/^pooled\.failure-any-24h@v\d{4}$/);
  });

  it('says when quality drift could not be forecast, every time, instead of "no drift"', async () => {
    // The quality table gone (a real failed query on the real QuestDB): the score still answers,
    // with the reason, and a second score does not find a cached empty answer.
    const broken: Store = { ...store, tables: { ...store.tables, quality: `${store.tables.quality}_gone` } };
    const s = new LiveScorer(broken, registry, SIM.plant);
    const at = Date.parse(END_ISO) * 1000;
    for (let i = 0; i < 2; i++) {
      const r = await s.current.score('cnc-001', at);
      expect(r.quality).toEqual([]);
      expect(r.quality_error).toMatch(/^quality drift not forecast: /);
    }
    const ok = await scorer.current.score('cnc-001', at);
    expect(ok.quality_error).toBeNull();
  });

  it('scores with readings not yet ingested and the MES context: quality drift and a recommended action', async () => {
    const base = {
      method: 'POST' as const,
      url: '/v1/score',
      headers: as(mes),
    };
    const plain = (await app.inject({ ...base, payload: { equipment: 'cnc-001', at: END_ISO } })).json();
    const later = new Date(Date.parse(END_ISO) + 1000).toISOString();
    const res = await app.inject({
      ...base,
      payload: {
        equipment: 'cnc-001',
        at: later,
        readings: [{ ts: later, vibration_rms: 40, vibration_kurtosis: 30, bearing_temp: 140 }],
        mes: {
          batch_id: 'B-77',
          order_id: 'O-9',
          batch_end: new Date(Date.parse(END_ISO) + 3_600_000).toISOString(),
        },
      },
    });
    expect(res.statusCode, res.body).toBe(200);
    const s = res.json();
    expect(s.readings_from_request).toBe(1);
    expect(s.at).toBe(later.replace('Z', '000Z'));
    expect(s.mes).toMatchObject({ batch_id: 'B-77', order_id: 'O-9' });
    // The extra reading changed the feature vector the models saw.
    expect(s.top_features).not.toEqual(plain.top_features);
    expect([
      'none',
      'plan_maintenance',
      'maintain_after_batch',
      'maintain_now',
      'hold_for_inspection',
    ]).toContain(s.recommended_action.action);
    expect(s.recommended_action.reason.length).toBeGreaterThan(10);
    // cnc machines report a quality characteristic per batch: a drift forecast with an interval once
    // the maintenance cycle has 6 measurements (cnc-002's has, at this instant; cnc-001 was just maintained).
    const c2 = (await app.inject({ ...base, payload: { equipment: 'cnc-002', at: END_ISO } })).json();
    expect(c2.quality.length).toBe(1);
    const q = c2.quality[0];
    expect(q.points).toBeGreaterThanOrEqual(6);
    expect(q.characteristic).toBe('diameter_mm');
    if (q.to_limit_running_h !== null) expect(q.to_limit_low_h).toBeLessThanOrEqual(q.to_limit_running_h);
    const bad = await app.inject({
      ...base,
      payload: { equipment: 'cnc-001', readings: [{ ts: later, vibraton: 1 }] },
    });
    expect(bad.json().field).toBe('body.readings.0.vibraton');
  });

  it('says insufficient data instead of a risk for a machine with minutes of history or sensors its models read absent', async () => {
    const post = (url: string, key: string, payload: unknown) =>
      app.inject({ method: 'POST', url, headers: as(key), payload: payload as object });
    // A new machine is onboarded as a plant does it: listed in the plant file, applied (the running
    // API serves the new plant at once), so its class's models score it.
    const reg = await app.inject({
      method: 'PUT',
      url: '/v1/plant',
      headers: as(engineer),
      payload: {
        ...SIM.plant,
        equipment: [
          ...SIM.plant.equipment,
          { id: 'cnc-new', class: 'cnc_spindle', site: 'plant-1', line: 'L9' },
          { id: 'silent-1', class: 'cnc_spindle', site: 'plant-1', line: 'L9' },
        ],
      },
    });
    expect(reg.statusCode, reg.body).toBe(200);
    expect(reg.json().scopes).toMatchObject([{ name: 'pooled' }]);
    const end = Date.parse(END_ISO);
    // Ten minutes at 1 s, of a spindle that reports no vibration; and one stray reading a day earlier
    // (history is judged by coverage, not by the first and last timestamps).
    const readings = [
      { ts: new Date(end - 30 * 3_600_000).toISOString(), equipment: 'cnc-new', bearing_temp: 50 },
      ...Array.from({ length: 600 }, (_, i) => ({
        ts: new Date(end - (600 - i) * 1000).toISOString(),
        equipment: 'cnc-new',
        bearing_temp: 50 + i / 600,
        motor_temp: 45,
        current: 12,
        speed: 9000,
        torque: 30,
      })),
    ];
    const t = await post('/v1/telemetry', mes, readings);
    expect(t.statusCode, t.body).toBe(200);
    await waitForWal(store.pool, store.tables, store.tables.telemetry);
    const res = await post('/v1/score', mes, { equipment: 'cnc-new', at: END_ISO });
    expect(res.statusCode, res.body).toBe(200);
    const s = res.json();
    expect(s.status).toBe('insufficient_data');
    expect(s.failure).toBeNull();
    expect(s.rul).toBeNull();
    expect(s.top_features).toEqual([]);
    expect(s.insufficient.required_h).toBe(24);
    expect(s.insufficient.covered_h).toBeLessThan(1);
    expect(s.insufficient.sensors_absent).toEqual(
      expect.arrayContaining(['vibration_kurtosis', 'vibration_rms']),
    );
    expect(s.insufficient.reason).toMatch(/cover 0\.\d h of history; the longest feature window needs 24 h/);
    expect(s.insufficient.reason).toMatch(/no values for .*vibration_rms/);
    expect(s.recommended_action.reason).toMatch(/^insufficient data: /);
    // A machine of the fleet with its day of history and all its sensors is scored as before.
    const ok = (await post('/v1/score', mes, { equipment: 'cnc-002', at: END_ISO })).json();
    expect(ok.status).toBe('ok');
    expect(ok.insufficient).toBeNull();
  });

  it('rejects wrong types and unknown fields with problem+json naming the field', async () => {
    const wrongType = await app.inject({
      method: 'POST',
      url: '/v1/score',
      headers: as(mes),
      payload: { equipment: 12 },
    });
    expect(wrongType.statusCode).toBe(400);
    expect(wrongType.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(wrongType.json().field).toBe('body.equipment');
    const unknown = await app.inject({
      method: 'POST',
      url: '/v1/score',
      headers: as(mes),
      payload: { equipment: 'cnc-001', colour: 'red' },
    });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json()).toMatchObject({ field: 'body.colour', detail: 'body.colour: unknown field' });
    const badTime = await app.inject({
      method: 'POST',
      url: '/v1/score',
      headers: as(mes),
      payload: { equipment: 'cnc-001', at: 'yesterday-ish' },
    });
    expect(badTime.statusCode).toBe(400);
    expect(badTime.json().field).toBe('body.at');
  });

  it('answers 404 with a hint for an unknown equipment, and for an unknown route', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/score',
      headers: as(mes),
      payload: { equipment: 'nope-999', at: END_ISO },
    });
    expect(res.statusCode).toBe(404);
    expect(res.json().detail).toMatch(/"nope-999" is not in the plant file in force/);
    expect(res.json().hint).toMatch(/add it to the plant file/);
    expect((await app.inject({ method: 'GET', url: '/v2/nothing' })).statusCode).toBe(404);
    // Live (no `at`): an unknown equipment, and a known one silent for 24 h (silent-1, in the plant
    // file applied above), are 404 every time (the live window once cached the empty answer and the
    // second call was a 500).
    for (const equipment of ['nope-998', 'silent-1', 'silent-1', 'nope-998']) {
      const live = await app.inject({
        method: 'POST',
        url: '/v1/score',
        headers: as(mes),
        payload: { equipment },
      });
      expect(live.statusCode, `${equipment}: ${live.body}`).toBe(404);
      expect(live.headers['content-type']).toMatch(/application\/problem\+json/);
    }
    // A future instant is the client's mistake, named.
    const future = await app.inject({
      method: 'POST',
      url: '/v1/score',
      headers: as(mes),
      payload: { equipment: 'cnc-001', at: '2099-01-01T00:00:00Z' },
    });
    expect(future.statusCode).toBe(400);
    expect(future.json().field).toBe('body.at');
  });

  it('answers a live score as JSON, the same body to every request until the next reading', async () => {
    // Two minutes of cnc-new (onboarded above) up to a few seconds ago: its live window.
    const now = Math.floor(Date.now() / 1000) * 1000;
    const readings = Array.from({ length: 120 }, (_, i) => ({
      ts: new Date(now - (120 - i) * 1000).toISOString(),
      equipment: 'cnc-new',
      bearing_temp: 50,
      motor_temp: 45,
      current: 12,
      speed: 9000,
      torque: 30,
    }));
    const t = await app.inject({ method: 'POST', url: '/v1/telemetry', headers: as(mes), payload: readings });
    expect(t.statusCode, t.body).toBe(200);
    await waitForWal(store.pool, store.tables, store.tables.telemetry);
    const live = () =>
      app.inject({ method: 'POST', url: '/v1/score', headers: as(mes), payload: { equipment: 'cnc-new' } });
    const [a, b] = [await live(), await live()];
    for (const r of [a, b]) {
      expect(r.statusCode, r.body).toBe(200);
      expect(r.headers['content-type']).toBe('application/json; charset=utf-8');
    }
    expect(b.body).toBe(a.body);
    const s = a.json();
    expect(s.equipment).toBe('cnc-new');
    expect(Date.parse(s.at)).toBe(now - 1000);
    expect(s.readings).toBe(120);
    // The same instant scored from the stored window (no cache on that path): the same answer.
    const stored = await app.inject({
      method: 'POST',
      url: '/v1/score',
      headers: as(mes),
      payload: { equipment: 'cnc-new', at: s.at },
    });
    expect(stored.statusCode, stored.body).toBe(200);
    expect(s).toEqual(stored.json());
  });

  it('needs a key (401), the right role (403), and never stores keys in clear', async () => {
    const none = await app.inject({ method: 'POST', url: '/v1/score', payload: { equipment: 'cnc-001' } });
    expect(none.statusCode).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Bearer');
    const wrong = await app.inject({
      method: 'POST',
      url: '/v1/score',
      headers: as(mes.slice(0, -3) + 'xyz'),
      payload: { equipment: 'cnc-001' },
    });
    expect(wrong.statusCode).toBe(401);
    const role = await app.inject({
      method: 'POST',
      url: '/v1/score',
      headers: as(engineer),
      payload: { equipment: 'cnc-001' },
    });
    expect(role.statusCode).toBe(403);
    expect(role.json().detail).toMatch(/role engineer may not call POST \/v1\/score/);
    const byHeader = await app.inject({
      method: 'GET',
      url: '/v1/models',
      headers: { 'x-api-key': engineer },
    });
    expect(byHeader.statusCode).toBe(200);
    const { readFileSync } = await import('node:fs');
    expect(readFileSync(keys.file, 'utf8')).not.toContain(keySecret(mes));
  });

  it('serves schedulers the ranked forecasts with the running batch, as JSON or CSV', async () => {
    expect(written).toBe(8);
    const res = await app.inject({ method: 'GET', url: '/v1/forecasts?horizon=24', headers: as(scheduler) });
    expect(res.statusCode, res.body).toBe(200);
    const f = res.json().forecasts as {
      equipment: string;
      probability: number;
      line: string;
      running_batch: { batch_id: string } | null;
    }[];
    expect(f).toHaveLength(8);
    for (let i = 1; i < f.length; i++)
      expect(f[i - 1]!.probability).toBeGreaterThanOrEqual(f[i]!.probability);
    // The batch running at the forecast instant is named (the plant runs most of the time).
    expect(f.some((r) => r.running_batch !== null && /^B-/.test(r.running_batch.batch_id))).toBe(true);
    const line = f[0]!.line;
    const filtered = (
      await app.inject({ method: 'GET', url: `/v1/forecasts?line=${line}`, headers: as(scheduler) })
    ).json().forecasts as { line: string }[];
    expect(filtered.length).toBeGreaterThan(0);
    expect(filtered.every((r) => r.line === line)).toBe(true);
    const csv = await app.inject({
      method: 'GET',
      url: '/v1/forecasts',
      headers: { ...as(scheduler), accept: 'text/csv' },
    });
    expect(csv.headers['content-type']).toMatch(/text\/csv/);
    expect(csv.body.split('\n')[0]).toMatch(/^equipment,line,probability,rul_h/);
    expect(
      (await app.inject({ method: 'GET', url: '/v1/forecasts?horizon=abc', headers: as(scheduler) }))
        .statusCode,
    ).toBe(400);
    expect(
      (await app.inject({ method: 'GET', url: '/v1/forecasts?colour=red', headers: as(scheduler) })).json()
        .field,
    ).toBe('querystring.colour');
    expect((await app.inject({ method: 'GET', url: '/v1/forecasts', headers: as(mes) })).statusCode).toBe(
      403,
    );
  });

  it('serves the OpenAPI document generated from the route schemas, and a UI at /docs', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/docs/json' })).json();
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/v1/score', '/v1/forecasts', '/v1/models', '/health']),
    );
    const body = doc.paths['/v1/score'].post.requestBody.content['application/json'].schema;
    expect(body.required).toEqual(['equipment']);
    expect(body.additionalProperties).toBe(false);
    const ui = await app.inject({ method: 'GET', url: '/docs' });
    expect([200, 302]).toContain(ui.statusCode);
  });

  it('exposes Prometheus metrics: latency histograms by route and scores served', async () => {
    const res = await app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toMatch(/pdm_http_request_duration_seconds_bucket\{[^}]*route="\/v1\/score"/);
    expect(res.body).toMatch(/pdm_scores_total\{outcome="ok"\} [1-9]/);
  });

  it('analyses reliability per class and mode: MTBF, MTTR, Pareto, censored Weibull, Kaplan-Meier', async () => {
    const res = await app.inject({
      method: 'GET',
      url: '/v1/analyses/reliability?equipmentClass=pump',
      headers: as(engineer),
    });
    expect(res.statusCode, res.body).toBe(200);
    const r = res.json();
    expect(r.equipment).toBe(2);
    expect(r.failures).toBe(r.pareto.reduce((s: number, p: { failures: number }) => s + p.failures, 0));
    // A pump still running at the end of observation contributes a censored interval (one under
    // repair at the end does not).
    expect(r.censored).toBeGreaterThanOrEqual(1);
    expect(r.availability).toBeGreaterThan(0.5);
    expect(r.availability).toBeLessThanOrEqual(1);
    if (r.failures >= 2) {
      expect(r.weibull.shape).toBeGreaterThan(0);
      expect(r.weibull.shapeCi[0]).toBeLessThan(r.weibull.shape);
      expect(r.kaplan_meier.length).toBeGreaterThan(0);
      expect(r.kaplan_meier.at(-1).survival).toBeLessThan(1);
    }
    expect(
      (await app.inject({ method: 'GET', url: '/v1/analyses/reliability?class=pump', headers: as(engineer) }))
        .statusCode,
    ).toBe(400);
  });

  it('lists the registry', async () => {
    const res = await app.inject({ method: 'GET', url: '/v1/models', headers: as(engineer) });
    const names = res.json().models.map((m: { name: string }) => m.name);
    expect(names).toEqual(['pooled.failure-any-24h', 'pooled.rul-168h']);
  });

  it('serves a version promoted by another process within seconds (pdm models promote, the retrain job)', async () => {
    const score = async () =>
      (
        await app.inject({
          method: 'POST',
          url: '/v1/score',
          headers: as(mes),
          payload: { equipment: 'cnc-001', at: END_ISO },
        })
      ).json().failure.model as string;
    expect(await score()).toMatch(/@v0001$/);
    // Another process: its own registry handle on the same directory saves and promotes v0002.
    const other = new ModelRegistry(registryDir);
    const current = other.load('pooled.failure-any-24h');
    const { name: _n, version: _v, createdAt: _c, checksum: _s, ...info } = current.meta;
    const next = other.save('pooled.failure-any-24h', current.forest, info);
    other.promote('pooled.failure-any-24h', next.version);
    const deadline = Date.now() + 8000;
    let served = await score();
    while (!served.endsWith(next.version) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      served = await score();
    }
    expect(served).toBe(`pooled.failure-any-24h@${next.version}`);
    other.rollback('pooled.failure-any-24h');
  });
});
