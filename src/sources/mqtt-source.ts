/**
 * The MQTT source: a long-running worker that reads the plant's telemetry from a broker (Sparkplug
 * B and plain JSON topics, as the plant file maps them) into QuestDB, at least once.
 *
 * - QoS 1 on a persistent MQTT 5 session: what is published while the worker is down is delivered
 *   when it comes back.
 * - A message is acknowledged only after QuestDB accepted its readings (deferred-acks.ts): every
 *   `batchMs` the readings received are written through one writer, flushed, and then their
 *   messages acknowledged. A crash before that loses nothing (the broker re-sends); a re-sent
 *   message writes the same rows again, which DEDUP keys make a no-op.
 * - Bounded memory and backpressure: the broker holds at most `receiveMaximum` unacknowledged
 *   messages in flight to the worker; while QuestDB does not take a batch, the worker drops the
 *   connection (nothing acknowledged), waits with back-off and reconnects, and the broker keeps the
 *   backlog.
 * - Scale-out on the broker: workers given the same `share` group read one MQTT 5 shared
 *   subscription (`$share/<group>/...`), each message to one of them. Births and deaths are read by
 *   every worker (not shared), so each knows every alias; sequence numbers can then only be checked
 *   with one worker, and are.
 * - Every message that cannot be read, mapped or validated (against the plant's equipment, sensors
 *   and ranges) is reported as an `events` row with the reason; the valid ones beside it are kept.
 *   Readings of different sensors are rows of their own sensor set (the telemetry DEDUP key), so
 *   two sources of one machine never overwrite each other.
 */
import { hostname } from 'node:os';
import mqtt from 'mqtt';
import type { IClientOptions, MqttClient } from 'mqtt';
import { errorMessage } from '../errors.ts';
import { readingCheck } from '../plant/index.ts';
import type { Plant } from '../plant/index.ts';
import { parseTimestampMicros, query, sql, Writer } from '../store/index.ts';
import type { Store } from '../store/index.ts';
import { DeferredAcks } from './deferred-acks.ts';
import { decodeJson, filterOf, matchTopic } from './json-topics.ts';
import { SourceWriter, WRITES } from './source-writer.ts';
import { NAMESPACE, SparkplugState } from './sparkplug.ts';
import type { BirthRecord, SourceEvent, SourceRow } from './sparkplug.ts';

export interface MqttSourceOptions {
  readonly url: string;
  readonly plant: Plant;
  /** Where readings, events and Sparkplug births go. */
  readonly store: Store;
  /** Default `pdm-<host>-<pid>`; a fixed id keeps the persistent session across restarts. */
  readonly clientId?: string;
  /** Shared-subscription group: workers with the same group split the stream. */
  readonly share?: string;
  /** How often received readings are written and acknowledged (ms). */
  readonly batchMs?: number;
  /** Unacknowledged messages the broker may have in flight to this worker. */
  readonly receiveMaximum?: number;
  /** How long the broker keeps the session while the worker is down (s). */
  readonly sessionExpirySeconds?: number;
  /** A larger message is refused (reported, not read): a reading is small, a flood is not. */
  readonly maxMessageBytes?: number;
  readonly onLog?: (line: string) => void;
}

export interface MqttSourceStats {
  messages: number;
  rows: number;
  rejected: number;
  events: number;
  acknowledged: number;
  batches: number;
  /** Writes QuestDB did not take at the first attempt (retried within the batch's deadline). */
  writeRetries: number;
  /** Batches QuestDB did not take at all: the connection was dropped, the broker re-sent them. */
  writeFailures: number;
  connections: number;
}

interface Pending {
  readonly rows: SourceRow[];
  readonly events: SourceEvent[];
  readonly births: BirthRecord[];
  readonly acks: number[];
  readonly connection: number;
}

export class MqttSource {
  readonly stats: MqttSourceStats = {
    messages: 0,
    rows: 0,
    rejected: 0,
    events: 0,
    acknowledged: 0,
    batches: 0,
    writeRetries: 0,
    writeFailures: 0,
    connections: 0,
  };
  private readonly client: MqttClient;
  private readonly acks: DeferredAcks;
  private readonly sparkplug: SparkplugState;
  private readonly check;
  private readonly known: Set<string>;
  private readonly writer: SourceWriter;
  private pending: Pending;
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private backoffMs = 0;
  private stopped = false;

  private constructor(private readonly o: MqttSourceOptions) {
    const spec = o.plant.mqtt;
    this.sparkplug = new SparkplugState(
      { devices: spec?.sparkplug?.devices, metrics: spec?.sparkplug?.metrics },
      o.share === undefined,
    );
    this.check = readingCheck(o.plant);
    this.known = new Set(o.plant.equipment.map((e) => e.id));
    this.writer = new SourceWriter(o.store, [
      ...new Set(Object.values(o.plant.classes).flatMap((c) => c.sensors.map((s) => s.name))),
    ]);
    const options: IClientOptions = {
      clientId: o.clientId ?? `pdm-${hostname()}-${process.pid}`,
      protocolVersion: 5,
      clean: false,
      reconnectPeriod: 1000,
      connectTimeout: 10_000,
      properties: {
        sessionExpiryInterval: o.sessionExpirySeconds ?? 7 * 86400,
        receiveMaximum: o.receiveMaximum ?? 2000,
      },
    };
    this.client = mqtt.connect(o.url, { ...options, manualConnect: true });
    this.acks = new DeferredAcks(this.client);
    this.pending = this.fresh();
    this.client.on('message', (topic, payload, packet) => this.receive(topic, payload, packet.messageId));
    this.client.on('connect', (ack) => {
      this.stats.connections++;
      // A resumed session keeps its subscriptions; a new one (or one the broker lost) subscribes.
      if (!ack.sessionPresent) this.subscribe();
      this.log(
        `mqtt: connected to ${o.url} (${ack.sessionPresent ? 'session resumed' : 'new session'}${o.share ? `, shared as ${o.share}` : ''})`,
      );
    });
    this.client.on('error', (err) => this.log(`mqtt: ${errorMessage(err)}`));
  }

  /** Connects and starts reading; resolves once connected the first time. */
  static async start(o: MqttSourceOptions): Promise<MqttSource> {
    const s = new MqttSource(o);
    // The births other workers (or this one, before a restart) read: data queued by alias decodes.
    const { rows } = await query<{
      ts: string;
      grp: string;
      node: string;
      device: string | null;
      aliases: string;
    }>(o.store.pool, sql('sparkplug_births_latest', o.store.tables));
    s.sparkplug.restore(
      rows.map((r) => ({
        group: r.grp,
        node: r.node,
        device: r.device === null || r.device === '' ? null : r.device,
        ts: parseTimestampMicros(r.ts),
        aliases: JSON.parse(r.aliases) as [number, string][],
      })),
    );
    await new Promise<void>((resolve, reject) => {
      const fail = (err: Error) => {
        s.client.end(true);
        reject(new Error(`cannot connect to the MQTT broker at ${o.url}: ${errorMessage(err)}`));
      };
      s.client.once('connect', () => {
        s.client.off('error', fail);
        resolve();
      });
      s.client.once('error', fail);
      s.client.connect();
    });
    s.schedule();
    return s;
  }

  /** The topic filters read: shared data streams, and births/deaths for every worker. */
  filters(): { shared: string[]; everyWorker: string[] } {
    const spec = this.o.plant.mqtt;
    const shared: string[] = [];
    const everyWorker: string[] = [];
    for (const g of spec?.sparkplug?.groups ?? []) {
      shared.push(`${NAMESPACE}/${g}/NDATA/+`, `${NAMESPACE}/${g}/DDATA/+/+`);
      everyWorker.push(
        `${NAMESPACE}/${g}/NBIRTH/+`,
        `${NAMESPACE}/${g}/DBIRTH/+/+`,
        `${NAMESPACE}/${g}/NDEATH/+`,
        `${NAMESPACE}/${g}/DDEATH/+/+`,
      );
    }
    for (const t of spec?.topics ?? []) shared.push(filterOf(t.pattern));
    return { shared, everyWorker };
  }

  private subscribe(): void {
    const { shared, everyWorker } = this.filters();
    const share = this.o.share;
    const all = [...shared.map((f) => (share === undefined ? f : `$share/${share}/${f}`)), ...everyWorker];
    if (all.length === 0) {
      this.log('mqtt: the plant file maps no MQTT topic (mqtt.sparkplug or mqtt.topics): nothing to read');
      return;
    }
    this.client.subscribe(all, { qos: 1 }, (err) => {
      if (err) this.log(`mqtt: subscribing failed: ${errorMessage(err)}`);
    });
  }

  private fresh(): Pending {
    return { rows: [], events: [], births: [], acks: [], connection: this.acks?.connection ?? 0 };
  }

  private log(line: string): void {
    this.o.onLog?.(line);
  }

  /** One message: decoded, mapped and checked; its readings and events wait for the next write. */
  private receive(topic: string, payload: Buffer, messageId: number | undefined): void {
    this.stats.messages++;
    if (this.pending.connection !== this.acks.connection) {
      // A new connection: what was read on the old one is re-sent by the broker.
      this.pending = this.fresh();
    }
    const at = Date.now() * 1000;
    const max = this.o.maxMessageBytes ?? 1 << 20;
    if (payload.length > max) {
      this.stats.rejected++;
      this.pending.events.push({
        kind: 'mqtt_rejected',
        equipment: '',
        detail: `${topic.slice(0, 200)}: ${payload.length} bytes, over the ${max} a message may have`,
      });
      if (messageId !== undefined) this.pending.acks.push(messageId);
      this.onMessage();
      return;
    }
    const decoded = topic.startsWith(`${NAMESPACE}/`)
      ? this.sparkplug.decode(topic, payload, at)
      : this.decodeTopic(topic, payload);
    for (const row of decoded.rows) {
      const why = this.validate(row);
      if (why === null) this.pending.rows.push(row);
      else
        decoded.events.push({ kind: 'mqtt_rejected', equipment: row.equipment, detail: `${topic}: ${why}` });
    }
    if (decoded.events.some((e) => e.kind === 'mqtt_rejected')) this.stats.rejected++;
    this.pending.events.push(...decoded.events);
    if ('birth' in decoded && decoded.birth !== undefined) this.pending.births.push(decoded.birth);
    if ('rebirth' in decoded && decoded.rebirth)
      this.client.publish(decoded.rebirth.topic, Buffer.from(decoded.rebirth.payload), { qos: 0 });
    if (messageId !== undefined) this.pending.acks.push(messageId);
    this.onMessage();
  }

  private decodeTopic(topic: string, payload: Buffer): { rows: SourceRow[]; events: SourceEvent[] } {
    const m = this.o.plant.mqtt?.topics.find((t) => matchTopic(t.pattern, topic) !== null);
    if (m === undefined)
      return {
        rows: [],
        events: [
          {
            kind: 'mqtt_rejected',
            equipment: '',
            detail: `${topic}: no topic pattern of the plant file matches`,
          },
        ],
      };
    return decodeJson(m, topic, payload);
  }

  /** Null when the row can be stored; else why not (the plant's equipment, sensors, ranges). */
  private validate(row: SourceRow): string | null {
    if (!this.known.has(row.equipment))
      return `equipment ${JSON.stringify(row.equipment).slice(0, 60)} is not in the plant file`;
    const names = Object.keys(row.values);
    const bad = this.check.check(
      row.equipment,
      names,
      Float64Array.from(names, (n) => row.values[n] as number),
    );
    return bad === null ? null : `${bad.field}: ${bad.reason}`;
  }

  /**
   * Writes run one at a time: every `batchMs` while messages stream in, and as soon as the stream
   * pauses with acknowledgements held. A broker sends only so many unacknowledged messages (its
   * in-flight window; Mosquitto's default is 20) and then waits for acknowledgements: writing at
   * the first lull keeps that wait to one QuestDB round trip instead of a whole `batchMs`.
   */
  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(
      () => {
        this.requestWrite();
        this.schedule();
      },
      this.backoffMs > 0 ? this.backoffMs : (this.o.batchMs ?? 100),
    );
  }

  private writeQueued = false;
  private lull: NodeJS.Timeout | undefined;

  private requestWrite(): void {
    if (this.writeQueued) return;
    this.writeQueued = true;
    this.writing = this.writing.then(async () => {
      this.writeQueued = false;
      await this.writeBatch();
    });
  }

  /** Called per message: a write once no further message came for a moment (the broker waits on us). */
  private onMessage(): void {
    if (this.lull !== undefined) clearTimeout(this.lull);
    this.lull = setTimeout(() => this.requestWrite(), 3);
  }

  /** Writes what was received, then acknowledges it; on failure drops the connection instead. */
  private async writeBatch(): Promise<void> {
    const batch = this.pending;
    if (batch.rows.length === 0 && batch.events.length === 0 && batch.acks.length === 0) return;
    this.pending = this.fresh();
    try {
      if (batch.births.length > 0) await this.writeBirths(batch.births);
      if (batch.rows.length > 0) {
        const before = this.writer.retries;
        try {
          await this.writer.writeRows(batch.rows);
        } finally {
          this.stats.writeRetries += this.writer.retries - before;
        }
      }
      if (batch.events.length > 0) await this.writer.writeEvents(batch.events, (l) => this.log(`mqtt: ${l}`));
      this.stats.acknowledged += this.acks.release(batch.acks, batch.connection);
      this.stats.rows += batch.rows.length;
      this.stats.events += batch.events.length;
      this.stats.batches++;
      this.backoffMs = 0;
    } catch (err) {
      // Nothing of this batch is acknowledged: drop the connection so the broker re-sends it (and
      // holds the backlog) while QuestDB is away; reconnect after a growing pause.
      this.stats.writeFailures++;
      this.backoffMs = Math.min(30_000, Math.max(1000, this.backoffMs * 2));
      this.log(
        `mqtt: QuestDB did not take ${batch.rows.length} readings (${errorMessage(err)}); reconnecting in ${this.backoffMs / 1000} s, the broker re-sends them`,
      );
      this.pending = this.fresh();
      await this.writer.drop();
      this.client.end(true, () => {
        if (!this.stopped) setTimeout(() => this.client.reconnect(), this.backoffMs).unref();
      });
    }
  }

  private async writeBirths(births: readonly BirthRecord[]): Promise<void> {
    const w = await Writer.open(
      this.o.store.config.questdb,
      this.o.store.config.ingest,
      {
        table: this.o.store.tables.sparkplug_births,
        symbols: ['grp', 'node', 'device'],
        doubles: [],
        strings: ['aliases'],
      },
      WRITES,
    );
    try {
      for (const b of births)
        await w.append(b.ts, [b.group, b.node, b.device ?? ''], [], [], [], [JSON.stringify(b.aliases)]);
      await w.close();
    } catch (err) {
      await w.close().catch(() => {});
      throw err;
    }
  }

  /** Writes and acknowledges what was received, then disconnects (the session stays on the broker). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (this.lull !== undefined) clearTimeout(this.lull);
    await this.writing.catch(() => {});
    await this.writeBatch().catch(() => {});
    await new Promise<void>((resolve) => this.client.end(false, {}, () => resolve()));
    await this.writer.drop();
  }
}
