/**
 * Delivering alerts to receivers: a webhook (people's channels), a CMMS work-order endpoint, and
 * the plant's MQTT broker (`<root>/<line>/<equipment>`, QoS 1, beside the telemetry it reads).
 * An outbox in the store (`alert_deliveries`): a message is written there before anything is sent,
 * sent by a loop apart from scoring (a receiver that is down never slows a forecast), retried with
 * exponential back-off, and given up on (status `dead`, the dead-letter record, with the last
 * error) after `maxAttempts` or at once on a 4xx other than 408/429 (the receiver refuses the
 * message itself). Pending messages are read back at start: nothing is lost across a restart.
 *
 * Each request carries `Idempotency-Key` (the delivery id: the same on every retry, so a receiver
 * that de-duplicates on it acts once) and `X-PDM-Signature: t=<unix s>,v1=<hex>`, the HMAC-SHA256
 * of `<t>.<body>` under the receiver's secret (a receiver checks it and refuses old `t`).
 */
import { createHmac } from 'node:crypto';
import { hostname } from 'node:os';
import mqtt from 'mqtt';
import type { MqttClient } from 'mqtt';
import { microsToIso, parseTimestampMicros, query, sql, waitForWal, Writer } from '../store/index.ts';
import type { Store } from '../store/index.ts';

export type DeliveryTarget = 'webhook' | 'work_order' | 'mqtt';

export interface Receiver {
  readonly target: DeliveryTarget;
  /** http(s):// for webhooks and work orders; mqtt:// (the plant's broker) for `mqtt`. */
  readonly url: string;
  /** HMAC secret; empty: requests are not signed. */
  readonly secret: string;
  /** mqtt: the topic root; a message goes to `<root>/<line>/<equipment>`. */
  readonly topic?: string;
}

export interface DeliveryOptions {
  readonly receivers: readonly Receiver[];
  /** Attempts before a message is dead-lettered (default 12: about 1.1 h of back-off). */
  readonly maxAttempts?: number;
  /** First retry after this long; doubles each time, at most `maxBackoffMs` (defaults 1 s, 10 min). */
  readonly backoffMs?: number;
  readonly maxBackoffMs?: number;
  /** Per-request deadline (default 10 s). */
  readonly timeoutMs?: number;
  /** How often the outbox is looked at (default 1 s). */
  readonly pollMs?: number;
  readonly now?: () => number;
  readonly log?: (line: string) => void;
  /** Whether this process sends now (the jobs' leader); default: always. */
  readonly leader?: () => boolean;
}

interface Item {
  readonly ts: number;
  readonly id: string;
  readonly alertId: string;
  readonly target: DeliveryTarget;
  status: 'pending' | 'delivered' | 'dead';
  attempts: number;
  dueAt: number;
  lastError: string | null;
  readonly payload: string;
}

/** An outbox row as the queries read it (sql/queries/alert_deliveries_*.sql). */
interface DeliveryRow {
  ts: string;
  delivery_id: string;
  alert_id: string;
  target: string;
  status: string;
  attempts: number | null;
  due_at: string | null;
  updated_at: string | null;
  last_error: string | null;
}

export interface DeliveryStats {
  delivered: number;
  retried: number;
  dead: number;
  pending: number;
}

/** The signature header value of `body` at `t` (unix seconds) under `secret`. */
export function signature(secret: string, t: number, body: string): string {
  return `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`;
}

export class AlertDeliverer {
  private readonly queue = new Map<string, Item>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();
  private stopped = false;
  readonly stats: DeliveryStats = { delivered: 0, retried: 0, dead: 0, pending: 0 };

  private constructor(
    private readonly store: Store,
    private readonly o: DeliveryOptions,
  ) {}

  /** Opens the outbox: pending messages from before (a restart) are queued again. */
  static async open(store: Store, o: DeliveryOptions): Promise<AlertDeliverer> {
    const d = new AlertDeliverer(store, o);
    // Everything written before (a previous process's last outcomes) is read, not a stale state.
    await waitForWal(store.pool, store.tables, store.tables.alert_deliveries);
    const { rows } = await query<DeliveryRow & { payload: string }>(
      store.pool,
      sql('alert_deliveries_pending', store.tables),
    );
    for (const r of rows)
      d.queue.set(r.delivery_id, {
        ts: parseTimestampMicros(r.ts),
        id: r.delivery_id,
        alertId: r.alert_id,
        target: r.target as DeliveryTarget,
        status: 'pending',
        attempts: r.attempts ?? 0,
        dueAt: parseTimestampMicros(r.due_at),
        lastError: r.last_error,
        payload: r.payload,
      });
    d.stats.pending = d.queue.size;
    return d;
  }

  get receivers(): readonly Receiver[] {
    return this.o.receivers;
  }

  private now(): number {
    return (this.o.now ?? Date.now)() * 1000;
  }

  /**
   * Queues messages (written to the outbox before this resolves). `id` is stable for one message:
   * queuing it again is a no-op, so a change processed twice is delivered once.
   */
  async enqueue(
    messages: readonly {
      id: string;
      alertId: string;
      target: DeliveryTarget;
      dueAt: number;
      payload: unknown;
    }[],
  ): Promise<void> {
    const fresh: Item[] = [];
    for (const m of messages) {
      if (this.queue.has(m.id) || !this.o.receivers.some((r) => r.target === m.target)) continue;
      const item: Item = {
        ts: this.now(),
        id: m.id,
        alertId: m.alertId,
        target: m.target,
        status: 'pending',
        attempts: 0,
        dueAt: m.dueAt,
        lastError: null,
        payload: JSON.stringify({ ...(m.payload as object), idempotency_key: m.id }),
      };
      fresh.push(item);
    }
    await this.record(fresh);
    for (const i of fresh) this.queue.set(i.id, i);
    this.stats.pending = this.queue.size;
  }

  /** Drops messages of an alert held for later (quiet hours) that were never tried: the alert closed. */
  async drop(alertId: string, targets: readonly DeliveryTarget[] = ['webhook']): Promise<void> {
    const now = this.now();
    const gone = [...this.queue.values()].filter(
      (i) => i.alertId === alertId && targets.includes(i.target) && i.attempts === 0 && i.dueAt > now,
    );
    for (const i of gone) {
      i.status = 'dead';
      i.lastError = 'not sent: the alert closed before its notification was due';
      this.queue.delete(i.id);
    }
    await this.record(gone);
    this.stats.pending = this.queue.size;
  }

  private async record(items: readonly Item[]): Promise<void> {
    if (items.length === 0) return;
    const w = await Writer.open(this.store.config.questdb, this.store.config.ingest, {
      table: this.store.tables.alert_deliveries,
      symbols: ['delivery_id', 'alert_id', 'target', 'status'],
      doubles: [],
      ints: ['attempts'],
      timestamps: ['due_at', 'updated_at'],
      strings: ['last_error', 'payload'],
    });
    try {
      const now = this.now();
      for (const i of items)
        await w.append(
          i.ts,
          [i.id, i.alertId, i.target, i.status],
          [],
          [i.attempts],
          [i.dueAt, now],
          [i.lastError, i.payload],
        );
      await w.close();
    } catch (err) {
      await w.close().catch(() => {});
      throw err;
    }
  }

  /** Starts the delivery loop. */
  start(): void {
    const tick = () => {
      if (this.stopped) return;
      this.running = this.deliverDue()
        .catch((err) => this.o.log?.(`alerts: delivery loop: ${(err as Error).message}`))
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(tick, this.o.pollMs ?? 1000);
        });
    };
    this.timer = setTimeout(tick, 0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    await this.running;
    await this.mqtt?.endAsync().catch(() => {});
    this.mqtt = undefined;
  }

  private mqtt: MqttClient | undefined;

  /** Publishes at QoS 1 into the plant's namespace; resolves once the broker acknowledged it. */
  private async publish(r: Receiver, i: Item): Promise<{ ok: boolean; final: boolean; error: string }> {
    try {
      this.mqtt ??= await mqtt.connectAsync(r.url, {
        protocolVersion: 5,
        clientId: `pdm-alerts-${hostname()}-${process.pid}`.slice(0, 64),
        connectTimeout: this.o.timeoutMs ?? 10_000,
        reconnectPeriod: 0,
      });
      const body = JSON.parse(i.payload) as { alert?: { line?: string; equipment?: string } };
      // A topic level may hold neither wildcard nor separator: those characters become _.
      // eslint-disable-next-line no-control-regex -- MQTT forbids NUL in a topic: it is replaced
      const level = (v: string | undefined) => (v || '_').replace(/[+#/\u0000]/g, '_');
      const topic = `${r.topic ?? 'pdm/alerts'}/${level(body.alert?.line)}/${level(body.alert?.equipment)}`;
      await this.mqtt.publishAsync(topic, i.payload, {
        qos: 1,
        properties: { contentType: 'application/json', userProperties: { 'idempotency-key': i.id } },
      });
      return { ok: true, final: false, error: '' };
    } catch (err) {
      await this.mqtt?.endAsync(true).catch(() => {});
      this.mqtt = undefined;
      return { ok: false, final: false, error: `${r.url}: ${(err as Error).message}` };
    }
  }

  /** Sends every message that is due, once each; records the outcomes. */
  async deliverDue(): Promise<void> {
    if (this.o.leader !== undefined && !this.o.leader()) return;
    const now = this.now();
    const due = [...this.queue.values()].filter((i) => i.dueAt <= now);
    if (due.length === 0) return;
    const changed: Item[] = [];
    for (const i of due) {
      const r = this.o.receivers.find((x) => x.target === i.target);
      if (r === undefined) continue;
      const outcome = await this.send(r, i);
      i.attempts++;
      if (outcome.ok) {
        i.status = 'delivered';
        i.lastError = null;
        this.stats.delivered++;
      } else if (outcome.final || i.attempts >= (this.o.maxAttempts ?? 12)) {
        i.status = 'dead';
        i.lastError = outcome.error;
        this.stats.dead++;
        this.o.log?.(`alerts: gave up on ${i.target} ${i.id} after ${i.attempts} attempts: ${outcome.error}`);
      } else {
        const back = Math.min(
          (this.o.backoffMs ?? 1000) * 2 ** (i.attempts - 1),
          this.o.maxBackoffMs ?? 600_000,
        );
        i.dueAt = this.now() + back * 1000;
        i.lastError = outcome.error;
        this.stats.retried++;
      }
      if (i.status !== 'pending') this.queue.delete(i.id);
      changed.push(i);
    }
    await this.record(changed);
    this.stats.pending = this.queue.size;
  }

  private async send(r: Receiver, i: Item): Promise<{ ok: boolean; final: boolean; error: string }> {
    if (r.target === 'mqtt') return this.publish(r, i);
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'pdm-engine',
      'idempotency-key': i.id,
    };
    if (r.secret !== '')
      headers['x-pdm-signature'] = signature(r.secret, Math.floor(Date.now() / 1000), i.payload);
    try {
      const res = await fetch(r.url, {
        method: 'POST',
        headers,
        body: i.payload,
        signal: AbortSignal.timeout(this.o.timeoutMs ?? 10_000),
      });
      await res.arrayBuffer().catch(() => undefined);
      if (res.ok) return { ok: true, final: false, error: '' };
      const final = res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429;
      return { ok: false, final, error: `${r.url} answered ${res.status}` };
    } catch (err) {
      return { ok: false, final: false, error: `${r.url}: ${(err as Error).message}` };
    }
  }
}

/** The deliveries of an alert (or all, with ''), latest first, as answers show them. */
export async function deliveriesOf(store: Store, alertId: string) {
  await waitForWal(store.pool, store.tables, store.tables.alert_deliveries);
  const { rows } = await query<DeliveryRow>(store.pool, sql('alert_deliveries_of', store.tables), [alertId]);
  return rows.map((r) => ({
    id: r.delivery_id,
    alert_id: r.alert_id,
    target: r.target,
    status: r.status,
    attempts: r.attempts ?? 0,
    queued_at: microsToIso(parseTimestampMicros(r.ts)),
    due_at: r.due_at === null ? null : microsToIso(parseTimestampMicros(r.due_at)),
    updated_at: r.updated_at === null ? null : microsToIso(parseTimestampMicros(r.updated_at)),
    last_error: r.last_error,
  }));
}
