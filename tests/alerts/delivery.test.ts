/**
 * Alert delivery against a real local HTTP receiver that is down, then fails, then recovers:
 * retried with back-off, signed (HMAC), one idempotency key per message, nothing lost and nothing
 * acted on twice by a receiver that de-duplicates on the key; a message the receiver refuses (4xx)
 * is dead-lettered; a deliverer that restarts resumes its outbox from the store.
 */
import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { AlertDeliverer, deliveriesOf, receiversOf } from '../../src/alerts/index.ts';
import type { Store } from '../../src/store/index.ts';
import { openTestStore } from '../helpers/store.ts';

const SECRET = 'receiver-secret';

/** A receiver: answers `plan()`'s status per request; acts once per idempotency key. */
function receiver(plan: (n: number, body: { alert?: { id: string } }) => number, port = 0) {
  const seen: { key: string; body: string; signature: string; status: number }[] = [];
  const acted = new Map<string, number>();
  let n = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      const key = String(req.headers['idempotency-key'] ?? '');
      const status = plan(n++, JSON.parse(body) as { alert?: { id: string } });
      seen.push({ key, body, signature: String(req.headers['x-pdm-signature'] ?? ''), status });
      if (status < 300) acted.set(key, (acted.get(key) ?? 0) + 1);
      res.writeHead(status).end();
    });
  });
  return {
    seen,
    acted,
    listen: () =>
      new Promise<string>((resolve) =>
        server.listen(port, '127.0.0.1', () =>
          resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`),
        ),
      ),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const message = (i: number) => ({
  id: `alert${i}.opened.webhook`,
  alertId: `alert${i}`,
  target: 'webhook' as const,
  dueAt: 0,
  payload: { event: 'alert.opened', alert: { id: `alert${i}` } },
});

async function drain(d: AlertDeliverer, until: () => boolean, ms = 20_000) {
  const end = Date.now() + ms;
  while (!until() && Date.now() < end) {
    await d.deliverDue();
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('alert delivery to a webhook receiver', () => {
  let store: Store;
  beforeAll(async () => {
    store = await openTestStore('alertdelivery');
  }, 60_000);
  afterAll(async () => store?.close());

  it('retries through a failing receiver, signs every request, and delivers each message once', async () => {
    // The first 12 requests fail (503 or a dropped connection's equivalent: 500); then it works.
    const r = receiver((n) => (n < 12 ? 503 : 200));
    const url = await r.listen();
    const d = await AlertDeliverer.open(store, {
      receivers: [{ target: 'webhook', url, secret: SECRET }],
      backoffMs: 5,
      maxBackoffMs: 40,
    });
    await d.enqueue([1, 2, 3, 4, 5].map(message));
    // The same message queued again (a change processed twice) is one message.
    await d.enqueue([message(1)]);
    await drain(d, () => d.stats.pending === 0);
    expect(d.stats).toMatchObject({ pending: 0, delivered: 5, dead: 0 });
    expect(d.stats.retried).toBeGreaterThanOrEqual(12);
    // Every key was acted on exactly once; retries carried the same key.
    expect([...r.acted.entries()].sort()).toEqual(
      [1, 2, 3, 4, 5].map((i) => [`alert${i}.opened.webhook`, 1] as [string, number]),
    );
    expect(new Set(r.seen.map((s) => s.key)).size).toBe(5);
    // Each signature is the HMAC of "<t>.<body>" under the shared secret.
    for (const s of r.seen) {
      const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(s.signature);
      expect(m, s.signature).not.toBeNull();
      const want = createHmac('sha256', SECRET).update(`${m![1]}.${s.body}`).digest('hex');
      expect(m![2]).toBe(want);
      expect(JSON.parse(s.body).idempotency_key).toBe(s.key);
    }
    const rows = await deliveriesOf(store, 'alert3');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ status: 'delivered', target: 'webhook' });
    expect(rows[0]!.attempts).toBeGreaterThan(1);
    await r.close();
  });

  it('keeps what was pending across a restart while the receiver is down, and delivers it when it returns', async () => {
    // Down: nothing listens on this port.
    const probe = receiver(() => 200);
    const url = await probe.listen();
    await probe.close();
    const d1 = await AlertDeliverer.open(store, {
      receivers: [{ target: 'webhook', url, secret: SECRET }],
      backoffMs: 5,
      maxBackoffMs: 20,
      timeoutMs: 500,
    });
    await d1.enqueue([10, 11, 12].map(message));
    for (let i = 0; i < 3; i++) await d1.deliverDue();
    expect(d1.stats.delivered).toBe(0);
    expect(d1.stats.pending).toBe(3);
    await d1.stop(); // the process ends; the outbox is in the store
    // The receiver comes back on the same address; a new deliverer resumes the outbox.
    const back = receiver(() => 200, Number(new URL(url).port));
    await back.listen();
    const { waitForWal } = await import('../../src/store/index.ts');
    await waitForWal(store.pool, store.tables, store.tables.alert_deliveries);
    const d2 = await AlertDeliverer.open(store, {
      receivers: [{ target: 'webhook', url, secret: SECRET }],
      backoffMs: 5,
    });
    expect(d2.stats.pending).toBe(3);
    await drain(d2, () => d2.stats.pending === 0, 10_000);
    expect([...back.acted.entries()].sort()).toEqual(
      [10, 11, 12].map((i) => [`alert${i}.opened.webhook`, 1] as [string, number]),
    );
    await back.close();
  });

  it('dead-letters a message the receiver refuses (4xx), with the reason, and delivers the rest', async () => {
    const r = receiver((_n, body) => (body.alert?.id === 'alert21' ? 422 : 200));
    const url = await r.listen();
    const d = await AlertDeliverer.open(store, {
      receivers: [{ target: 'webhook', url, secret: '' }],
      backoffMs: 5,
    });
    await d.enqueue([20, 21, 22].map(message));
    await drain(d, () => d.stats.pending === 0);
    expect(d.stats).toMatchObject({ delivered: 2, dead: 1, pending: 0 });
    const dead = await deliveriesOf(store, 'alert21');
    expect(dead[0]).toMatchObject({ status: 'dead', attempts: 1 });
    expect(dead[0]!.last_error).toMatch(/answered 422/);
    // Unsigned when no secret is configured.
    expect(r.seen.every((s) => s.signature === '')).toBe(true);
    await r.close();
  });

  it("publishes alerts into the plant's MQTT namespace, QoS 1, by line and equipment, each once", async () => {
    const URL = process.env.PDM_TEST_MQTT_URL ?? 'mqtt://127.0.0.1:1883';
    const root = `pdmtest${process.pid}x${Date.now() % 1e6}/pdm/alerts`;
    const receivers = receiversOf(
      loadConfig({
        PDM_MQTT_URL: URL,
        PDM_ALERT_MQTT_TOPIC: root,
        PDM_ALERT_WEBHOOK_URL: 'http://127.0.0.1:9/x',
      }),
    ).filter((r) => r.target === 'mqtt');
    expect(receivers).toEqual([{ target: 'mqtt', url: URL, secret: '', topic: root }]);
    const got: { topic: string; key: unknown; body: { alert: { equipment: string } } }[] = [];
    const sub = await mqtt.connectAsync(URL, { protocolVersion: 5, clientId: `${root.split('/')[0]}-sub` });
    sub.on('message', (topic, payload, packet) =>
      got.push({
        topic,
        key: packet.properties?.userProperties?.['idempotency-key'],
        body: JSON.parse(payload.toString()) as { alert: { equipment: string } },
      }),
    );
    await sub.subscribeAsync(`${root}/#`, { qos: 1 });
    const d = await AlertDeliverer.open(store, { receivers, backoffMs: 5 });
    const msg = (i: number, line: string, equipment: string) => ({
      id: `m${i}.opened.mqtt`,
      alertId: `m${i}`,
      target: 'mqtt' as const,
      dueAt: 0,
      payload: { event: 'alert.opened', alert: { id: `m${i}`, line, equipment } },
    });
    // A webhook message beside them goes nowhere: no webhook receiver here.
    await d.enqueue([msg(1, 'L1', 'press-1'), msg(2, 'L2', 'pump/7+'), { ...message(40) }]);
    await drain(d, () => d.stats.pending === 0);
    for (let i = 0; i < 50 && got.length < 2; i++) await new Promise((r) => setTimeout(r, 20));
    expect(got.map((g) => g.topic).sort()).toEqual([`${root}/L1/press-1`, `${root}/L2/pump_7_`]);
    expect(got.map((g) => g.key).sort()).toEqual(['m1.opened.mqtt', 'm2.opened.mqtt']);
    expect(got.find((g) => g.topic.endsWith('press-1'))?.body.alert.equipment).toBe('press-1');
    expect(d.stats).toMatchObject({ delivered: 2, dead: 0, pending: 0 });
    await d.stop();
    await sub.endAsync();
  });
});
