/**
 * The simulator publishing its live telemetry as a plant does: Sparkplug B to an MQTT broker. Each
 * line's gateway is an edge node (`spBv1.0/<group>/NBIRTH/<line>`), each machine a device
 * (DBIRTH with its class's sensors and their aliases), each reading a DDATA by alias with its own
 * timestamp; a rebirth request (NCMD `Node Control/Rebirth`) is answered with births again, the
 * MQTT will is the node's NDEATH, and a stop publishes DDEATH and NDEATH. The engine reads it back
 * through its MQTT source (src/sources), so `npm start` can run broker -> engine end to end.
 *
 * `PublishingSink` sends the backfilled history straight to QuestDB (fast first start) and, from
 * `goLive()` on, the telemetry to the broker; MES context and ground truth always go to QuestDB.
 */
import mqtt from 'mqtt';
import type { MqttClient } from 'mqtt';
import { decodePayload, encodePayload, NAMESPACE, REBIRTH_METRIC } from '../sources/sparkplug.ts';
import type { EventLog } from './events.ts';
import type { EquipmentSpec } from './plant.ts';
import { SENSORS } from './plant.ts';
import type { ReadingBuffer } from './readings.ts';
import type { SimSink } from './sink.ts';

export interface PublisherOptions {
  readonly url: string;
  /** The Sparkplug group (the plant file's mqtt.sparkplug.groups names it). */
  readonly group: string;
  readonly clientId?: string;
}

interface Node {
  readonly id: string;
  readonly devices: EquipmentSpec[];
  seq: number;
}

export class SparkplugPublisher {
  private readonly nodes = new Map<string, Node>();
  private readonly nodeOf = new Map<string, Node>();
  published = 0;

  private constructor(
    private readonly client: MqttClient,
    private readonly o: PublisherOptions,
  ) {
    client.on('message', (topic, payload) => {
      // NCMD to one of our nodes: a host asks for a rebirth.
      const node = this.nodes.get(topic.split('/')[3] ?? '');
      if (node === undefined) return;
      try {
        const p = decodePayload(payload);
        if ((p.metrics ?? []).some((m) => m.name === REBIRTH_METRIC && m.value === true))
          void this.birth(node);
      } catch {
        // not a command we read
      }
    });
  }

  static async connect(o: PublisherOptions, lines: readonly string[]): Promise<SparkplugPublisher> {
    // One client per simulated plant; its will is the first line's NDEATH (Sparkplug: one edge
    // node per MQTT session; several lines behind one gateway share its fate here).
    const client = await mqtt.connectAsync(o.url, {
      clientId: o.clientId ?? `pdm-sim-${o.group}`,
      protocolVersion: 5,
      clean: true,
      will: {
        topic: `${NAMESPACE}/${o.group}/NDEATH/${lines[0] ?? 'gateway'}`,
        payload: Buffer.from(encodePayload({ metrics: [{ name: 'bdSeq', type: 'UInt64', value: 0 }] })),
        qos: 1,
        retain: false,
      },
    });
    await client.subscribeAsync(`${NAMESPACE}/${o.group}/NCMD/+`, { qos: 1 });
    return new SparkplugPublisher(client, o);
  }

  private next(node: Node): number {
    const s = node.seq;
    node.seq = (node.seq + 1) % 256;
    return s;
  }

  private send(topic: string, payload: Uint8Array): Promise<unknown> {
    this.published++;
    return this.client.publishAsync(topic, Buffer.from(payload), { qos: 1 });
  }

  /** Declares the machines: one edge node per line, a device per machine, its class's sensors. */
  async declare(specs: readonly EquipmentSpec[]): Promise<void> {
    for (const s of specs) {
      let node = this.nodes.get(s.line);
      if (node === undefined) this.nodes.set(s.line, (node = { id: s.line, devices: [], seq: 0 }));
      node.devices.push(s);
      this.nodeOf.set(s.id, node);
    }
    for (const node of this.nodes.values()) await this.birth(node);
  }

  private async birth(node: Node): Promise<void> {
    node.seq = 0;
    const t = Date.now();
    await this.send(
      `${NAMESPACE}/${this.o.group}/NBIRTH/${node.id}`,
      encodePayload({
        timestamp: t,
        seq: this.next(node),
        metrics: [
          { name: 'bdSeq', type: 'UInt64', value: 0 },
          { name: REBIRTH_METRIC, type: 'Boolean', value: false },
        ],
      }),
    );
    for (const d of node.devices)
      await this.send(
        `${NAMESPACE}/${this.o.group}/DBIRTH/${node.id}/${d.id}`,
        encodePayload({
          timestamp: t,
          seq: this.next(node),
          metrics: d.cls.sensors.map((name) => ({
            name,
            alias: SENSORS.indexOf(name) + 1,
            type: 'Double' as const,
            value: null as unknown as number,
            isNull: true,
          })),
        }),
      );
  }

  /** One DDATA per reading: the values it has, by alias, at its own time. */
  async readings(equipment: string, buffer: ReadingBuffer): Promise<void> {
    const node = this.nodeOf.get(equipment);
    if (node === undefined) return;
    for (let i = 0; i < buffer.n; i++) {
      const row = buffer.row(i);
      const metrics = [];
      for (let j = 0; j < SENSORS.length; j++) {
        const v = row[j] as number;
        if (v === v) metrics.push({ alias: j + 1, type: 'Double' as const, value: v });
      }
      if (metrics.length === 0) continue;
      await this.send(
        `${NAMESPACE}/${this.o.group}/DDATA/${node.id}/${equipment}`,
        encodePayload({
          timestamp: Math.round((buffer.ts[i] as number) / 1000),
          seq: this.next(node),
          metrics,
        }),
      );
    }
  }

  /** Deaths for every device and node, then disconnects. */
  async close(): Promise<void> {
    for (const node of this.nodes.values()) {
      for (const d of node.devices)
        await this.send(
          `${NAMESPACE}/${this.o.group}/DDEATH/${node.id}/${d.id}`,
          encodePayload({ timestamp: Date.now(), seq: this.next(node), metrics: [] }),
        );
      await this.send(
        `${NAMESPACE}/${this.o.group}/NDEATH/${node.id}`,
        encodePayload({ metrics: [{ name: 'bdSeq', type: 'UInt64', value: 0 }] }),
      );
    }
    await this.client.endAsync();
  }
}

/** History to QuestDB, live telemetry to the broker (after `goLive()`); the rest to QuestDB. */
export class PublishingSink implements SimSink {
  private live = false;
  constructor(
    private readonly store: SimSink,
    private readonly publisher: SparkplugPublisher,
  ) {}

  goLive(): void {
    this.live = true;
  }

  async equipment(specs: readonly EquipmentSpec[], ts: number): Promise<void> {
    await this.store.equipment(specs, ts);
    await this.publisher.declare(specs);
  }

  async readings(equipment: string, buffer: ReadingBuffer): Promise<void> {
    if (this.live) await this.publisher.readings(equipment, buffer);
    else await this.store.readings(equipment, buffer);
  }

  async events(log: EventLog): Promise<void> {
    await this.store.events(log);
  }

  async flush(): Promise<void> {
    await this.store.flush();
  }

  async close(): Promise<void> {
    await this.store.close();
    await this.publisher.close();
  }
}
