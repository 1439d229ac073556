/**
 * The MQTT source against the real broker this machine runs (Mosquitto, 127.0.0.1:1883, or
 * PDM_TEST_MQTT_URL) and the run's real QuestDB: Sparkplug B and JSON topics in, readings out,
 * at least once and never twice; a persistent session across a stop; two workers sharing one
 * subscription (the worker killed mid-stream: mqtt-kill.test.ts).
 */
import mqtt from 'mqtt';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyPlant, validatePlant } from '../../src/plant/index.ts';
import type { Plant } from '../../src/plant/index.ts';
import { buildPlant, SENSORS, simulatedPlant, SparkplugPublisher } from '../../src/sim/index.ts';
import { ReadingBuffer } from '../../src/sim/readings.ts';
import { encodePayload, MqttSource } from '../../src/sources/index.ts';
import { query, waitForWal } from '../../src/store/index.ts';
import type { Store } from '../../src/store/index.ts';
import { openTestStore } from '../helpers/store.ts';
import { forgetSession } from '../helpers/mqtt.ts';

const URL = process.env.PDM_TEST_MQTT_URL ?? 'mqtt://127.0.0.1:1883';
/** A Sparkplug group and topic root of this run only: the broker is shared with everything else. */
const G = `pdmtest${process.pid}x${Date.now() % 1e6}`;
const T0 = Math.floor(Date.now() / 1000) * 1000 - 3600e3;

const PLANT: Plant = validatePlant({
  name: 'mqtt-test',
  classes: {
    press: {
      sensors: [
        { name: 'force', unit: 'kN', range: [0, 500] },
        { name: 'motor_temp', unit: 'degC', range: [-20, 200] },
      ],
    },
  },
  equipment: Array.from({ length: 4 }, (_, i) => ({
    id: `press-${i + 1}`,
    class: 'press',
    site: 's',
    line: 'l',
  })),
  mqtt: {
    sparkplug: { groups: [G], metrics: { 'Motor/Temp': 'motor_temp' } },
    topics: [{ pattern: `${G}/+line/+equipment/telemetry`, time: 'ts' }],
  },
});

/** An edge node publishing Sparkplug B for some devices, QoS 1, each publish acknowledged. */
class EdgeNode {
  private seq = 0;
  private constructor(
    readonly client: MqttClient,
    readonly node: string,
  ) {}
  static async connect(node: string): Promise<EdgeNode> {
    const client = await mqtt.connectAsync(URL, {
      clientId: `${G}-${node}`,
      protocolVersion: 5,
      clean: true,
    });
    return new EdgeNode(client, node);
  }
  private next(): number {
    const s = this.seq;
    this.seq = (this.seq + 1) % 256;
    return s;
  }
  async birth(devices: readonly string[]): Promise<void> {
    this.seq = 0;
    await this.client.publishAsync(
      `spBv1.0/${G}/NBIRTH/${this.node}`,
      Buffer.from(
        encodePayload({
          timestamp: T0,
          seq: this.next(),
          metrics: [{ name: 'bdSeq', type: 'UInt64', value: 0 }],
        }),
      ),
      { qos: 1 },
    );
    for (const d of devices)
      await this.client.publishAsync(
        `spBv1.0/${G}/DBIRTH/${this.node}/${d}`,
        Buffer.from(
          encodePayload({
            timestamp: T0,
            seq: this.next(),
            metrics: [
              { name: 'force', alias: 1, type: 'Double', value: null as unknown as number, isNull: true },
              {
                name: 'Motor/Temp',
                alias: 2,
                type: 'Double',
                value: null as unknown as number,
                isNull: true,
              },
            ],
          }),
        ),
        { qos: 1 },
      );
  }
  /** One reading of `force` (and motor temperature) at `t` ms, by alias. */
  data(device: string, t: number, force: number): Promise<unknown> {
    return this.client.publishAsync(
      `spBv1.0/${G}/DDATA/${this.node}/${device}`,
      Buffer.from(
        encodePayload({
          timestamp: t,
          seq: this.next(),
          metrics: [
            { alias: 1, type: 'Double', value: force },
            { alias: 2, type: 'Double', value: 40 + (force % 10) },
          ],
        }),
      ),
      { qos: 1 },
    );
  }
  end(): Promise<void> {
    return this.client.endAsync();
  }
}

describe('the MQTT source, on the real broker and QuestDB', () => {
  let store: Store;
  const sources: MqttSource[] = [];
  const start = async (clientId: string, share?: string) => {
    const s = await MqttSource.start({
      url: URL,
      plant: PLANT,
      store,
      clientId,
      share,
      batchMs: 50,
      sessionExpirySeconds: 600,
    });
    sources.push(s);
    return s;
  };
  const rows = async (where: string, args: unknown[] = []) => {
    await waitForWal(store.pool, store.tables, store.tables.telemetry);
    const { rows: r } = await query<{ n: string }>(
      store.pool,
      `SELECT count() n FROM ${store.tables.telemetry} WHERE ${where}`,
      args,
    );
    return Number(r[0]!.n);
  };
  /** Polls until `count()` reaches `n` (or `ms` pass); returns the last count. */
  const until = async (count: () => Promise<number>, n: number, ms = 20_000) => {
    let c = await count();
    for (let i = 0; i < ms / 100 && c < n; i++) {
      await new Promise((r) => setTimeout(r, 100));
      c = await count();
    }
    return c;
  };

  beforeAll(async () => {
    store = await openTestStore('mqtt');
    await applyPlant(store, PLANT);
  }, 60_000);
  afterAll(async () => {
    for (const s of sources) await s.stop().catch(() => {});
    // Forget the persistent sessions this run made on the shared broker.
    for (const id of [`${G}-w`, `${G}-a`, `${G}-b1`, `${G}-b2`]) {
      await forgetSession(URL, id);
    }
    await store?.close();
  });

  it('stores Sparkplug B and JSON readings, reports every bad message with why, keeps the good ones', async () => {
    const w = await start(`${G}-w`);
    const edge = await EdgeNode.connect('edge1');
    await edge.birth(['press-1', 'press-2']);
    for (let k = 0; k < 20; k++) {
      await edge.data('press-1', T0 + k * 1000, 100 + k);
      await edge.data('press-2', T0 + k * 1000, 200 + k);
    }
    const json = await mqtt.connectAsync(URL, { clientId: `${G}-json`, protocolVersion: 5 });
    const bad: [string, Buffer][] = [
      [`spBv1.0/${G}/DDATA/edge1/press-1`, Buffer.from([0xff, 0x01, 0x02])], // not protobuf
      [
        `spBv1.0/${G}/DDATA/edge1/press-1`,
        Buffer.from(
          encodePayload({ timestamp: T0, seq: 41, metrics: [{ alias: 77, type: 'Double', value: 1 }] }),
        ),
      ],
      [
        `spBv1.0/${G}/DDATA/edge1/press-9`,
        Buffer.from(
          encodePayload({ timestamp: T0, seq: 42, metrics: [{ name: 'force', type: 'Double', value: 1 }] }),
        ),
      ],
      [`${G}/L1/press-3/telemetry`, Buffer.from(JSON.stringify({ ts: T0, force: 9999 }))], // outside [0, 500]
      [`${G}/L1/press-3/telemetry`, Buffer.from(JSON.stringify({ ts: T0, spindle_speed: 3 }))], // not a sensor of press
      [`${G}/L1/press-3/telemetry`, Buffer.from('{"ts":')],
    ];
    for (const [topic, payload] of bad) await json.publishAsync(topic, payload, { qos: 1 });
    // Two sources of one machine at the same instant: Sparkplug sends force, JSON the motor temperature.
    await json.publishAsync(
      `${G}/L1/press-1/telemetry`,
      Buffer.from(JSON.stringify({ ts: T0 + 5000, motor_temp: 77.5 })),
      { qos: 1 },
    );
    await json.publishAsync(
      `${G}/L1/press-3/telemetry`,
      Buffer.from(
        JSON.stringify([
          { ts: T0, force: 1 },
          { ts: T0 + 1000, force: 2 },
        ]),
      ),
      { qos: 1 },
    );
    await json.endAsync();
    expect(await until(() => rows(`equipment IN ('press-1','press-2')`), 41)).toBe(41);
    expect(await until(() => rows(`equipment = 'press-3'`), 2)).toBe(2);
    // Both sensors of press-1 at T0 + 5 s, each from its own source, read back intact.
    const { rows: both } = await query<{ force: number | null; motor_temp: number | null }>(
      store.pool,
      `SELECT force, motor_temp FROM ${store.tables.telemetry} WHERE equipment = 'press-1' AND ts = $1::varchar::timestamp ORDER BY force`,
      [new Date(T0 + 5000).toISOString()],
    );
    expect(both).toEqual(
      expect.arrayContaining([expect.objectContaining({ force: 105 }), { force: null, motor_temp: 77.5 }]),
    );
    // Every bad one is an event saying what and why.
    await new Promise((r) => setTimeout(r, 300));
    await waitForWal(store.pool, store.tables, store.tables.events);
    const { rows: events } = await query<{ equipment: string; kind: string; detail: string }>(
      store.pool,
      `SELECT equipment, kind, detail FROM ${store.tables.events} WHERE kind = 'mqtt_rejected' ORDER BY ts`,
    );
    const details = events.map((e) => e.detail).join('\n');
    expect(details).toMatch(/not a Sparkplug B payload/);
    expect(details).toMatch(/alias 77 is not in its birth: rebirth requested/);
    expect(details).toMatch(/equipment "press-9" is not in the plant file/);
    expect(details).toMatch(/force: 9999 is outside the plausible range \[0, 500\] kN/);
    expect(details).toMatch(/spindle_speed: not a sensor of class press/);
    expect(details).toMatch(/not JSON/);
    expect(events).toHaveLength(6);
    expect(w.stats.rejected).toBe(6);
    await edge.end();
    await w.stop();
  });

  it('keeps a persistent session: what is published while the worker is down arrives when it returns', async () => {
    const edge = await EdgeNode.connect('edge2');
    const w = await start(`${G}-a`);
    await edge.birth(['press-4']);
    await edge.data('press-4', T0 + 100_000, 1);
    expect(await until(() => rows(`equipment = 'press-4'`), 1)).toBe(1);
    await w.stop();
    for (let k = 1; k <= 50; k++) await edge.data('press-4', T0 + 100_000 + k * 1000, k + 1);
    const again = await start(`${G}-a`);
    expect(await until(() => rows(`equipment = 'press-4'`), 51)).toBe(51);
    expect(again.stats.connections).toBe(1);
    await again.stop();
    await edge.end();
  });

  it('splits one shared subscription between two workers, each reading stored exactly once', async () => {
    const a = await start(`${G}-b1`, `${G}share`);
    const b = await start(`${G}-b2`, `${G}share`);
    const edge = await EdgeNode.connect('edge3');
    await edge.birth(['press-2']);
    const from = T0 + 200_000;
    for (let k = 0; k < 300; k++) await edge.data('press-2', from + k * 1000, k % 400);
    const where = `equipment = 'press-2' AND ts >= '${new Date(from).toISOString()}'`;
    expect(await until(() => rows(where), 300)).toBe(300);
    await a.stop();
    await b.stop();
    // Both took part, and together they stored every one once.
    expect(a.stats.rows).toBeGreaterThan(0);
    expect(b.stats.rows).toBeGreaterThan(0);
    expect(await rows(where)).toBe(300);
    await edge.end();
  });
});

describe("the simulator's Sparkplug B publisher, read back by the MQTT source", () => {
  it('publishes births and data the source stores, and answers a rebirth request with births', async () => {
    const group = `${G}sim`;
    const plant = validatePlant({
      ...simulatedPlant({ equipment: 4 }),
      mqtt: { sparkplug: { groups: [group] } },
    });
    const store = await openTestStore('mqttsim');
    await applyPlant(store, plant);
    const source = await MqttSource.start({ url: URL, plant, store, clientId: `${G}-sim`, batchMs: 50 });
    const specs = buildPlant({ equipment: 4, seed: 1 });
    const publisher = await SparkplugPublisher.connect({ url: URL, group, clientId: `${G}-simpub` }, [
      ...new Set(specs.map((s) => s.line)),
    ]);
    await publisher.declare(specs);
    // Two minutes of readings of every machine, at its class's sensors (NaN elsewhere: not sent).
    const rows = 120;
    for (const s of specs) {
      const buf = new ReadingBuffer();
      const row = new Float64Array(SENSORS.length).fill(NaN);
      for (const name of s.cls.sensors) row[SENSORS.indexOf(name)] = 1;
      for (let k = 0; k < rows; k++) buf.push((T0 + 900_000 + k * 1000) * 1000, row);
      await publisher.readings(s.id, buf);
    }
    const ids = specs.map((s) => `'${s.id}'`).join(',');
    const count = async () => {
      await waitForWal(store.pool, store.tables, store.tables.telemetry);
      const { rows: r } = await query<{ n: string }>(
        store.pool,
        `SELECT count() n FROM ${store.tables.telemetry} WHERE equipment IN (${ids})`,
      );
      return Number(r[0]!.n);
    };
    let n = await count();
    for (let i = 0; i < 200 && n < rows * specs.length; i++) {
      await new Promise((r) => setTimeout(r, 100));
      n = await count();
    }
    expect(n).toBe(rows * specs.length);
    // A host asks the first line's node for a rebirth: it publishes its births again.
    const watcher = await mqtt.connectAsync(URL, { clientId: `${G}-watch`, protocolVersion: 5 });
    const births: string[] = [];
    watcher.on('message', (topic) => births.push(topic));
    await watcher.subscribeAsync(`spBv1.0/${group}/NBIRTH/+`, { qos: 1 });
    await watcher.subscribeAsync(`spBv1.0/${group}/DBIRTH/+/+`, { qos: 1 });
    const node = specs[0]!.line;
    await watcher.publishAsync(
      `spBv1.0/${group}/NCMD/${node}`,
      Buffer.from(
        encodePayload({ metrics: [{ name: 'Node Control/Rebirth', type: 'Boolean', value: true }] }),
      ),
      { qos: 1 },
    );
    for (let i = 0; i < 50 && !births.includes(`spBv1.0/${group}/NBIRTH/${node}`); i++)
      await new Promise((r) => setTimeout(r, 100));
    expect(births).toContain(`spBv1.0/${group}/NBIRTH/${node}`);
    expect(births.some((t) => t.startsWith(`spBv1.0/${group}/DBIRTH/${node}/`))).toBe(true);
    await watcher.endAsync();
    await publisher.close(); // deaths: an offline event per machine
    await new Promise((r) => setTimeout(r, 500));
    await source.stop();
    await waitForWal(store.pool, store.tables, store.tables.events);
    const { rows: off } = await query<{ equipment: string }>(
      store.pool,
      `SELECT DISTINCT equipment FROM ${store.tables.events} WHERE kind = 'offline' AND equipment IN (${ids})`,
    );
    expect(off.map((r) => r.equipment).sort()).toEqual(specs.map((s) => s.id).sort());
    await forgetSession(URL, `${G}-sim`);
    await store.close();
  }, 60_000);
});
