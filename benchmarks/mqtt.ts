/**
 * MQTT benchmark: Sparkplug B readings from publish to visible in QuestDB, through the engine's MQTT
 * source (one worker, then two sharing a subscription) against a bare loop doing the same work with
 * the same clients: an `mqtt` client subscribed at QoS 1 (acknowledging at once, as MQTT.js does by
 * default), decoding the same payloads with `sparkplug-payload`, writing the same rows (equipment,
 * sensor set, ten doubles) through a bare `@questdb/nodejs-client` Sender flushed on the same
 * cadence. The same publisher in the same process feeds each run, so both sides share its cost.
 * Then the engine's worker at a fixed rate of 50,000 readings a second: p99 publish-to-visible.
 *
 *   npm run bench:mqtt [-- --messages 40000 --rate-seconds 10]
 *
 * The broker is a Mosquitto of its own (Debian's `mosquitto`, on a free port) configured as a plant
 * reading at this rate must configure it: no limit on the in-flight window (MQTT 5 clients then get
 * what their Receive Maximum asks) or on queued messages. A default Mosquitto (20 in flight, 1,000
 * queued per client) drops what a worker that acknowledges after writing cannot take at once;
 * `--broker URL` runs against another broker all the same. Last line:
 * {"readings_per_s","bare_readings_per_s","ratio","two_workers_readings_per_s","published","stored",
 *  "p99_publish_to_visible_ms","peak_rss_mb",...}
 */
import { Sender } from '@questdb/nodejs-client';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import mqtt from 'mqtt';
import type { MqttClient } from 'mqtt';
import { loadConfig } from '../src/config.ts';
import { applyPlant, validatePlant } from '../src/plant/index.ts';
import type { Plant } from '../src/plant/index.ts';
import { decodePayload, encodePayload, MqttSource } from '../src/sources/index.ts';
import {
  connectStore,
  makeTables,
  migrate,
  query,
  senderConfig,
  sensorSetOf,
  waitForWal,
} from '../src/store/index.ts';
import type { Store, Tables } from '../src/store/index.ts';
import { freePort } from '../tests/helpers/ports.ts';

const { values: opts } = parseArgs({
  options: {
    messages: { type: 'string', default: '40000' },
    'rate-seconds': { type: 'string', default: '10' },
    broker: { type: 'string' },
  },
});
const MESSAGES = Number(opts.messages);
const RATE_SECONDS = Number(opts['rate-seconds']);
let URL = opts.broker ?? '';
const BROKER_CONF = 'max_inflight_messages 0\nmax_queued_messages 0\npersistence false\n';
const SENSORS = Array.from({ length: 10 }, (_, i) => `s${i}`);
const DEVICES = Array.from({ length: 20 }, (_, i) => `m-${String(i).padStart(2, '0')}`);
const RUN = `pdmbench${Date.now().toString(36)}`;
const T0 = Date.UTC(2025, 0, 1);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function plantFor(group: string): Plant {
  return validatePlant({
    name: 'bench',
    classes: { machine: { sensors: SENSORS.map((name) => ({ name, unit: '1', range: [-1e9, 1e9] })) } },
    equipment: DEVICES.map((id) => ({ id, class: 'machine', site: 's', line: 'l' })),
    mqtt: { sparkplug: { groups: [group] } },
  });
}

/** The publisher: births, then `n` DDATA of 10 metrics each (message k of device k % 20). */
class Publisher {
  private seq = 0;
  private constructor(
    private readonly client: MqttClient,
    private readonly group: string,
  ) {}
  static async connect(group: string): Promise<Publisher> {
    return new Publisher(
      await mqtt.connectAsync(URL, { clientId: `${group}-pub`, protocolVersion: 5 }),
      group,
    );
  }
  private next(): number {
    return (this.seq = (this.seq + 1) % 256);
  }
  async births(): Promise<void> {
    await this.client.publishAsync(
      `spBv1.0/${this.group}/NBIRTH/gw`,
      Buffer.from(
        encodePayload({ timestamp: T0, seq: 0, metrics: [{ name: 'bdSeq', type: 'UInt64', value: 0 }] }),
      ),
      { qos: 1 },
    );
    for (const d of DEVICES)
      await this.client.publishAsync(
        `spBv1.0/${this.group}/DBIRTH/gw/${d}`,
        Buffer.from(
          encodePayload({
            timestamp: T0,
            seq: this.next(),
            metrics: SENSORS.map((name, i) => ({
              name,
              alias: i + 1,
              type: 'Double' as const,
              value: null as unknown as number,
              isNull: true,
            })),
          }),
        ),
        { qos: 1 },
      );
  }
  message(k: number): [string, Buffer] {
    const d = DEVICES[k % DEVICES.length] as string;
    const t = T0 + Math.floor(k / DEVICES.length) * 1000;
    return [
      `spBv1.0/${this.group}/DDATA/gw/${d}`,
      Buffer.from(
        encodePayload({
          timestamp: t,
          seq: this.next(),
          metrics: SENSORS.map((_, i) => ({
            alias: i + 1,
            type: 'Double' as const,
            value: (k % 1000) * 0.01 + i,
          })),
        }),
      ),
    ];
  }
  /** `n` messages, at most `window` unacknowledged by the broker at a time; `onSent(k)` at each publish. */
  async publish(
    n: number,
    opts: { window?: number; perSecond?: number; onSent?: (k: number) => void } = {},
  ): Promise<void> {
    const window = opts.window ?? 500;
    const inflight = new Set<Promise<unknown>>();
    const started = performance.now();
    for (let k = 0; k < n; k++) {
      if (opts.perSecond !== undefined) {
        const due = started + (k / opts.perSecond) * 1000;
        const wait = due - performance.now();
        if (wait > 1) await sleep(wait);
      }
      const [topic, payload] = this.message(k);
      opts.onSent?.(k);
      const p = this.client.publishAsync(topic, payload, { qos: 1 }).finally(() => inflight.delete(p));
      inflight.add(p);
      if (inflight.size >= window) await Promise.race(inflight);
    }
    await Promise.all(inflight);
  }
  end(): Promise<void> {
    return this.client.endAsync();
  }
}

async function rows(store: Store, tables: Tables): Promise<number> {
  const { rows: r } = await query<{ n: string }>(store.pool, `SELECT count() n FROM ${tables.telemetry}`);
  return Number(r[0]?.n);
}

/** Polls the row count until it reaches `n`; returns when (performance.now()) it did. */
async function visible(store: Store, tables: Tables, n: number, timeoutMs = 600_000): Promise<number> {
  const end = performance.now() + timeoutMs;
  for (;;) {
    await waitForWal(store.pool, store.tables, tables.telemetry, 600_000).catch(() => {});
    if ((await rows(store, tables)) >= n) return performance.now();
    if (performance.now() > end) throw new Error(`only ${await rows(store, tables)} of ${n} rows visible`);
    await sleep(50);
  }
}

/** The bare loop: subscribe, decode, write through a bare Sender flushed every 100 ms. */
async function bareConsumer(store: Store, tables: Tables, group: string): Promise<() => Promise<void>> {
  const sender = await Sender.fromConfig(
    senderConfig(store.config.questdb, store.config.ingest.flushTimeoutMs),
  );
  const client = await mqtt.connectAsync(URL, { clientId: `${group}-bare`, protocolVersion: 5, clean: true });
  const aliases = new Map<string, Map<number, string>>();
  let pending = 0;
  client.on('message', (topic, payload) => {
    const p = decodePayload(payload);
    const device = topic.split('/')[4] as string;
    if (topic.includes('/DBIRTH/')) {
      aliases.set(device, new Map((p.metrics ?? []).map((m) => [Number(m.alias), m.name as string])));
      return;
    }
    const names = aliases.get(device);
    if (names === undefined) return;
    const values: [string, number][] = [];
    for (const m of p.metrics ?? []) values.push([names.get(Number(m.alias)) as string, m.value as number]);
    sender
      .table(tables.telemetry)
      .symbol('equipment', device)
      .symbol('sensor_set', sensorSetOf(values.map((v) => v[0])));
    for (const [name, v] of values) sender.floatColumn(name, v);
    void sender.at(Number(p.timestamp) * 1000, 'us');
    pending++;
  });
  await client.subscribeAsync([`spBv1.0/${group}/DBIRTH/+/+`, `spBv1.0/${group}/DDATA/+/+`], { qos: 1 });
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      await sleep(100);
      if (pending > 0) {
        pending = 0;
        await sender.flush();
      }
    }
  })();
  return async () => {
    stopped = true;
    await loop;
    await sender.flush();
    await client.endAsync();
    await sender.close();
  };
}

/** A Mosquitto of the benchmark's own on a free port; `stop` ends it and removes its configuration. */
async function privateBroker(): Promise<{ url: string; stop: () => void }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pdm-bench-mosquitto-'));
  const port = await freePort();
  writeFileSync(path.join(dir, 'm.conf'), `listener ${port} 127.0.0.1\nallow_anonymous true\n${BROKER_CONF}`);
  const child = spawn('mosquitto', ['-c', path.join(dir, 'm.conf')], { stdio: 'ignore' });
  const url = `mqtt://127.0.0.1:${port}`;
  for (let i = 0; i < 50; i++) {
    const ok = await mqtt
      .connectAsync(url, { reconnectPeriod: 0, connectTimeout: 500 })
      .then((c) => c.endAsync().then(() => true))
      .catch(() => false);
    if (ok) break;
    await sleep(100);
  }
  return {
    url,
    stop: () => {
      child.kill('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function main(): Promise<void> {
  const config = loadConfig();
  const broker = URL === '' ? await privateBroker() : undefined;
  if (broker !== undefined) URL = broker.url;
  const store = await connectStore(config, { onLog: (l) => console.error(l) });
  const made: Tables[] = [];
  const tablesFor = async (tag: string) => {
    const t = makeTables(`bench_${RUN}_${tag}_`);
    await migrate(store.pool, t);
    made.push(t);
    return t;
  };
  const engineRun = async (tag: string, workers: number) => {
    const tables = await tablesFor(tag);
    const group = `${RUN}${tag}`;
    const plant = plantFor(group);
    const s = { ...store, tables };
    await applyPlant(s, plant);
    const sources = [];
    for (let w = 0; w < workers; w++)
      sources.push(
        await MqttSource.start({
          url: URL,
          plant,
          store: s,
          clientId: `${group}-w${w}`,
          share: workers > 1 ? group : undefined,
          batchMs: 100,
          sessionExpirySeconds: 60,
        }),
      );
    const pub = await Publisher.connect(group);
    await pub.births();
    const t0 = performance.now();
    await pub.publish(MESSAGES);
    const t1 = await visible(store, tables, MESSAGES);
    await pub.end();
    for (const src of sources) await src.stop();
    return { seconds: (t1 - t0) / 1000, stored: await rows(store, tables) };
  };
  const bareRun = async () => {
    const tables = await tablesFor('bare');
    const group = `${RUN}bare`;
    const stop = await bareConsumer(store, tables, group);
    const pub = await Publisher.connect(group);
    await pub.births();
    await sleep(200);
    const t0 = performance.now();
    await pub.publish(MESSAGES);
    const t1 = await visible(store, tables, MESSAGES);
    await pub.end();
    await stop();
    return { seconds: (t1 - t0) / 1000, stored: await rows(store, tables) };
  };
  try {
    console.error(`${MESSAGES} messages x ${SENSORS.length} readings, publish to visible:`);
    const bare = await bareRun();
    console.error(`  bare loop: ${((MESSAGES * SENSORS.length) / bare.seconds).toFixed(0)} readings/s`);
    const one = await engineRun('one', 1);
    console.error(
      `  engine, one worker: ${((MESSAGES * SENSORS.length) / one.seconds).toFixed(0)} readings/s`,
    );
    const two = await engineRun('two', 2);
    console.error(
      `  engine, two workers: ${((MESSAGES * SENSORS.length) / two.seconds).toFixed(0)} readings/s`,
    );

    // Latency at 50,000 readings/s (5,000 messages/s): each message's publish time against the
    // moment the row count first covered it (rows become visible in publish order, near enough).
    const rate = 5000;
    const n = rate * RATE_SECONDS;
    const tables = await tablesFor('lat');
    const group = `${RUN}lat`;
    const plant = plantFor(group);
    const s = { ...store, tables };
    await applyPlant(s, plant);
    const src = await MqttSource.start({ url: URL, plant, store: s, clientId: `${group}-w`, batchMs: 100 });
    const pub = await Publisher.connect(group);
    await pub.births();
    const sentAt = new Float64Array(n);
    const seenAt = new Float64Array(n).fill(NaN);
    let seen = 0;
    let polling = true;
    const poller = (async () => {
      while (polling || seen < n) {
        const c = Math.min(n, await rows(store, tables));
        const now = performance.now();
        for (; seen < c; seen++) seenAt[seen] = now;
        if (!polling && seen >= n) break;
        await sleep(20);
      }
    })();
    await pub.publish(n, { perSecond: rate, window: 2000, onSent: (k) => (sentAt[k] = performance.now()) });
    polling = false;
    await Promise.race([poller, sleep(120_000)]);
    await pub.end();
    await src.stop();
    const lat = Array.from(sentAt, (t, k) => (seenAt[k] as number) - t)
      .filter((v) => v === v)
      .sort((a, b) => a - b);
    const p99 = lat[Math.min(lat.length - 1, Math.floor(0.99 * lat.length))] ?? NaN;
    const r = (v: number) => Math.round(v);
    const readings = MESSAGES * SENSORS.length;
    console.log(
      JSON.stringify({
        readings_per_s: r(readings / one.seconds),
        bare_readings_per_s: r(readings / bare.seconds),
        ratio: Math.round((bare.seconds / one.seconds) * 1000) / 1000,
        two_workers_readings_per_s: r(readings / two.seconds),
        published: MESSAGES,
        stored: one.stored,
        stored_two_workers: two.stored,
        stored_bare: bare.stored,
        readings_per_message: SENSORS.length,
        p99_publish_to_visible_ms: r(p99),
        p50_publish_to_visible_ms: r(lat[Math.floor(0.5 * lat.length)] ?? NaN),
        latency_rate_readings_per_s: rate * SENSORS.length,
        latency_published: n,
        latency_stored: seen,
        broker: broker === undefined ? URL : `private mosquitto (${BROKER_CONF.trim().replace(/\n/g, ', ')})`,
        peak_rss_mb: r(process.resourceUsage().maxRSS / 1024),
      }),
    );
  } finally {
    for (const t of made)
      for (const name of Object.values(t))
        await query(store.pool, `DROP TABLE IF EXISTS ${name}`).catch(() => {});
    await store.close();
    broker?.stop();
  }
}

await main();
