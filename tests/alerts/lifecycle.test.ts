/**
 * The alert lifecycle on the real QuestDB and through the real HTTP stack: forecasts raise alerts
 * (with the forecast, model version and MES context behind them), people acknowledge, resolve and
 * suppress them with their keys' roles, every change is in the audit trail with who and when, a
 * maintenance resolves what it fixed, a restarted manager keeps the open alerts, and receivers get
 * one notification per group and a work order only at the top tier.
 */
import { mkdtempSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelRegistry } from '../../models/index.ts';
import { AlertDeliverer, AlertManager } from '../../src/alerts/index.ts';
import type { AlertView } from '../../src/alerts/index.ts';
import { buildApp } from '../../src/api/app.ts';
import { KeyStore } from '../../src/api/keys.ts';
import { validatePlant } from '../../src/plant/index.ts';
import type { Plant } from '../../src/plant/index.ts';
import type { Score } from '../../src/scoring/scorer.ts';
import { LiveScorer } from '../../src/scoring/scorer.ts';
import { connectStore, waitForWal, Writer } from '../../src/store/index.ts';
import type { Store } from '../../src/store/index.ts';
import { testConfig, uniquePrefix } from '../helpers/store.ts';

const H = 3600e6;
const T0 = Date.UTC(2026, 5, 1, 8) * 1000; // 08:00 UTC

const PLANT: Plant = validatePlant({
  name: 'alert-plant',
  classes: {
    press: {
      sensors: [{ name: 'force', unit: 'kN', range: [0, 500] }],
      failure_modes: [{ code: 'BRD', name: 'bearing' }],
    },
  },
  equipment: ['p1', 'p2', 'p3'].map((id) => ({
    id,
    class: 'press',
    site: 's',
    line: id === 'p3' ? 'L2' : 'L1',
  })),
  alerts: { hold_minutes: 0, clear_minutes: 0, clear_ratio: 0.5 },
});

/** A score as the scorer makes it, with the figures a test sets. */
function score(
  equipment: string,
  p: number,
  o: { batchEnd?: number; rulLow?: number; at?: number } = {},
): Score {
  return {
    equipment,
    at: new Date((o.at ?? T0) / 1000).toISOString(),
    status: 'ok',
    insufficient: null,
    readings: 100,
    readings_from_request: 0,
    mes: { order_id: 'O-7', batch_id: 'B-9', product: 'lid', batch_end: o.batchEnd },
    quality: [],
    quality_error: null,
    recommended_action: { action: 'plan_maintenance', reason: 'test', before: '2026-06-02T00:00:00.000Z' },
    failure: {
      horizon_h: 24,
      probability: p,
      model: 'pooled.failure-any-24h@v0003',
      version: 'pooled.failure-any-24h@v0003',
      alert_threshold: 0.4,
    },
    failure_by_horizon: [],
    failure_by_mode: [{ horizon_h: 24, probability: 0.8, model: 'x', mode: 'bearing' }],
    rul:
      o.rulLow === undefined
        ? null
        : { hours: o.rulLow * 2, low: o.rulLow, high: o.rulLow * 3, model: 'rul@v1' },
    top_features: [],
    anomaly: null,
    answered_by: { risk: 'failure_model', reason: 'test' },
  };
}

describe('the alert lifecycle', () => {
  let store: Store;
  let app: FastifyInstance;
  let engineer = '';
  let scheduler = '';
  let mes = '';
  let engineerId = '';
  let hook = '';
  const received: { target: string; key: string; body: Record<string, unknown> }[] = [];
  let server: http.Server;
  const as = (key: string) => ({ authorization: `Bearer ${key}` });

  beforeAll(async () => {
    store = await connectStore(testConfig(), { start: false, tablePrefix: uniquePrefix('alerts') });
    const registry = new ModelRegistry(mkdtempSync(path.join(os.tmpdir(), 'pdm-alerts-models-')));
    const keys = new KeyStore(path.join(mkdtempSync(path.join(os.tmpdir(), 'pdm-alerts-keys-')), 'k.json'));
    const e = keys.create('engineer');
    engineer = e.key;
    engineerId = e.id;
    scheduler = keys.create('scheduler').key;
    mes = keys.create('mes').key;
    app = await buildApp({ store, registry, scorer: new LiveScorer(store, registry, PLANT), keys });
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({
          target: req.url ?? '',
          key: String(req.headers['idempotency-key']),
          body: JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown>,
        });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    hook = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    await new Promise((r) => server?.close(r));
    await store?.close();
  });

  it('raises, updates, groups, acknowledges, resolves and suppresses, every change in the audit trail', async () => {
    const deliverer = await AlertDeliverer.open(store, {
      receivers: [
        { target: 'webhook', url: `${hook}/notify`, secret: 's' },
        { target: 'work_order', url: `${hook}/cmms`, secret: 's' },
      ],
    });
    const m = await AlertManager.open(store, { deliverer });
    // p1 and p2 (line L1) cross the threshold (0.4); p3 stays low. RUL's pessimistic end (3 h)
    // falls inside p2's batch (ends in 5 h).
    let out = await m.evaluate(T0, PLANT, [
      score('p1', 0.5),
      score('p2', 0.55, { batchEnd: T0 + 5 * H, rulLow: 3 }),
      score('p3', 0.1),
    ]);
    expect(out).toMatchObject({ opened: 3, open: 3 });
    // Observed again, higher: updated (escalated to the work-order tier at 0.7), not duplicated.
    out = await m.evaluate(T0 + H, PLANT, [
      score('p1', 0.8),
      score('p2', 0.5, { batchEnd: T0 + 5 * H, rulLow: 3 }),
      score('p3', 0.1),
    ]);
    expect(out).toMatchObject({ opened: 0, escalated: 1, open: 3 });

    const list = await app.inject({ method: 'GET', url: '/v1/alerts', headers: as(scheduler) });
    expect(list.statusCode, list.body).toBe(200);
    const alerts = list.json().alerts as AlertView[];
    expect(alerts.map((a) => `${a.equipment}:${a.cause}`).sort()).toEqual([
      'p1:failure_risk',
      'p2:failure_risk',
      'p2:rul_before_batch_end',
    ]);
    const p1 = alerts.find((a) => a.equipment === 'p1')!;
    expect(p1).toMatchObject({
      state: 'open',
      top_tier: 'work_order',
      model_version: 'pooled.failure-any-24h@v0003',
      mes: { order_id: 'O-7', batch_id: 'B-9', product: 'lid' },
      value: 0.8,
    });
    // Same cause on the same line: one group.
    const p2 = alerts.find((a) => a.equipment === 'p2' && a.cause === 'failure_risk')!;
    expect(p2.group_id).toBe(p1.group_id);
    expect(list.json().by_line).toEqual({ L1: 3 });

    // People: the MES's operator acknowledges p1; the scheduler may not resolve; the engineer does.
    const ack = await app.inject({
      method: 'POST',
      url: `/v1/alerts/${p1.id}/ack`,
      headers: as(mes),
      payload: { note: 'on it' },
    });
    expect(ack.statusCode, ack.body).toBe(200);
    expect(ack.json().alert.state).toBe('acknowledged');
    const again = await app.inject({ method: 'POST', url: `/v1/alerts/${p1.id}/ack`, headers: as(mes) });
    expect(again.statusCode, again.body).toBe(409);
    const denied = await app.inject({
      method: 'POST',
      url: `/v1/alerts/${p2.id}/resolve`,
      headers: as(scheduler),
    });
    expect(denied.statusCode).toBe(403);
    const resolved = await app.inject({
      method: 'POST',
      url: `/v1/alerts/${p2.id}/resolve`,
      headers: as(engineer),
      payload: { note: 'inspected: loose guard, fixed' },
    });
    expect(resolved.statusCode, resolved.body).toBe(200);
    const none = await app.inject({ method: 'POST', url: '/v1/alerts/nope/ack', headers: as(engineer) });
    expect(none.statusCode).toBe(404);
    const badUntil = await app.inject({
      method: 'POST',
      url: `/v1/alerts/${p1.id}/suppress`,
      headers: as(engineer),
      payload: {},
    });
    expect(badUntil.statusCode).toBe(400);

    // The manager reads the people's changes (p2's failure risk, resolved by hand, is not carried
    // on); p2's RUL alert resolves by itself: its pessimistic end is now beyond the batch.
    out = await m.evaluate(T0 + 2 * H, PLANT, [
      score('p1', 0.85),
      score('p2', 0.1, { batchEnd: T0 + 5 * H, rulLow: 30 }),
      score('p3', 0.1),
    ]);
    expect(out).toMatchObject({ opened: 0, resolved: 1, open: 1 });

    // The audit trail of p1: opened, escalated, acknowledged (by the MES key).
    const one = await app.inject({ method: 'GET', url: `/v1/alerts/${p1.id}`, headers: as(engineer) });
    expect(one.statusCode, one.body).toBe(200);
    expect((one.json().history as AlertView[]).map((h) => `${h.last_change}:${h.by}`)).toEqual([
      'opened:engine',
      'escalated:engine',
      expect.stringMatching(/^acknowledged:[0-9a-f]{12}$/),
    ]);
    expect(one.json().history[2].note).toBe('on it');
    const p2view = await app.inject({ method: 'GET', url: `/v1/alerts/${p2.id}`, headers: as(engineer) });
    expect(p2view.json().alert).toMatchObject({
      state: 'resolved',
      by: engineerId,
      note: 'inspected: loose guard, fixed',
    });

    // A maintenance on p1 resolves its alert (the work was done).
    const w = await Writer.open(store.config.questdb, store.config.ingest, {
      table: store.tables.maintenance,
      symbols: ['equipment', 'kind', 'mode'],
      doubles: [],
      timestamps: ['ended_at'],
    });
    await w.append(T0 + 2.5 * H, ['p1', 'preventive', null], [], [], [T0 + 3 * H]);
    await w.close();
    await waitForWal(store.pool, store.tables, store.tables.maintenance);
    out = await m.evaluate(T0 + 3 * H, PLANT, [score('p1', 0.1), score('p2', 0.1), score('p3', 0.1)]);
    expect(out).toMatchObject({ resolved: 1, open: 0 });
    const after = await app.inject({ method: 'GET', url: `/v1/alerts/${p1.id}`, headers: as(engineer) });
    expect(after.json().alert).toMatchObject({ state: 'resolved', note: 'resolved by a maintenance' });

    // Suppression: p3 suppressed for 2 h; high risk raises nothing until then.
    out = await m.evaluate(T0 + 4 * H, PLANT, [score('p3', 0.6)]);
    expect(out.opened).toBe(1);
    const p3 = (
      await app.inject({ method: 'GET', url: '/v1/alerts?equipment=p3', headers: as(engineer) })
    ).json().alerts[0];
    // The API refuses an `until` in the past (this test's clock is): suppressed far ahead.
    const sup = await app.inject({
      method: 'POST',
      url: `/v1/alerts/${p3.id}/suppress`,
      headers: as(engineer),
      payload: { until: '2099-01-01T00:00:00Z', note: 'line stopped for retooling' },
    });
    expect(sup.statusCode, sup.body).toBe(200);
    out = await m.evaluate(T0 + 5 * H, PLANT, [score('p3', 0.7)]);
    expect(out).toMatchObject({ opened: 0, open: 0 });

    // A restarted manager keeps what is open: a new episode on p1, then a restart.
    await m.evaluate(T0 + 6 * H, PLANT, [score('p1', 0.6)]);
    const m2 = await AlertManager.open(store, { deliverer });
    out = await m2.evaluate(T0 + 7 * H, PLANT, [score('p1', 0.6)]);
    expect(out).toMatchObject({ opened: 0, open: 1 });

    // Receivers: L1's failure-risk group told once (p1; p2 joined it), p1's escalation, p2's RUL
    // alert, p3's alert, p1's second episode; one work order: p1's escalation to the top tier.
    for (let i = 0; i < 50 && deliverer.stats.pending > 0; i++) await deliverer.deliverDue();
    const notes = received.filter((r) => r.target === '/notify');
    const orders = received.filter((r) => r.target === '/cmms');
    expect(new Set(received.map((r) => r.key)).size).toBe(received.length);
    expect(orders).toHaveLength(1);
    const wo = orders[0]!.body.work_order as Record<string, unknown>;
    expect(wo).toMatchObject({ asset: 'p1', functional_location: 'L1', failure_code: 'BRD', priority: 2 });
    expect(notes.map((n) => (n.body.alert as AlertView).equipment).sort()).toEqual([
      'p1',
      'p1',
      'p1',
      'p2',
      'p3',
    ]);
  }, 120_000);
});
