/**
 * The OPC UA source: subscribes to the nodes the plant file lists (one monitored item per node,
 * with its sampling interval and absolute deadband) on each server, and writes each value as a
 * reading of its equipment's sensor, at the value's source timestamp.
 *
 * - Reconnects with back-off (1 s doubling to 30 s, for ever) and re-creates its session and
 *   subscription; the server's monitored-item queue holds changes between publishes.
 * - A value whose status is not Good is stored as missing (the sensor's column left empty) with an
 *   `opcua_bad_quality` event naming the status; a value outside the sensor's plausible range or
 *   not a number is refused with an `opcua_rejected` event.
 * - Each node is a source of one sensor: its rows are keyed by that sensor alone, so two nodes (or
 *   a node and an MQTT topic) reporting sensors of one machine at the same instant never
 *   overwrite each other.
 * - OPC UA has no acknowledgement of delivery to hold back: while QuestDB does not take a batch
 *   the readings wait in memory (at most `maxPending`, the oldest dropped beyond, with an event
 *   saying how many) and are written when it does.
 *
 * node-opcua is loaded when an OPC UA source starts, not with the engine.
 */
import type {
  ClientMonitoredItem,
  ClientSession,
  ClientSubscription,
  DataValue,
  OPCUAClient,
} from 'node-opcua-client';
import type * as OpcUaClient from 'node-opcua-client';
import { errorMessage } from '../errors.ts';
import { readingCheck } from '../plant/index.ts';
import type { OpcUaServerSpec, Plant } from '../plant/index.ts';
import type { Store } from '../store/index.ts';
import { SourceWriter } from './source-writer.ts';
import type { SourceEvent, SourceRow } from './sparkplug.ts';

type OpcUa = typeof OpcUaClient;

export interface OpcUaSourceOptions {
  readonly plant: Plant;
  readonly store: Store;
  /** How often received values are written (ms). */
  readonly batchMs?: number;
  /** Readings kept while QuestDB does not take them; beyond, the oldest are dropped (and said). */
  readonly maxPending?: number;
  readonly onLog?: (line: string) => void;
}

export interface OpcUaSourceStats {
  values: number;
  rows: number;
  badQuality: number;
  rejected: number;
  dropped: number;
  batches: number;
  writeFailures: number;
  connections: number;
  monitored: number;
}

interface Server {
  readonly spec: OpcUaServerSpec;
  client: OPCUAClient | undefined;
  session: ClientSession | undefined;
  subscription: ClientSubscription | undefined;
  items: ClientMonitoredItem[];
}

export class OpcUaSource {
  readonly stats: OpcUaSourceStats = {
    values: 0,
    rows: 0,
    badQuality: 0,
    rejected: 0,
    dropped: 0,
    batches: 0,
    writeFailures: 0,
    connections: 0,
    monitored: 0,
  };
  private readonly writer: SourceWriter;
  private readonly check;
  private rows: SourceRow[] = [];
  private events: SourceEvent[] = [];
  private readonly servers: Server[];
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private stopped = false;
  private ua: OpcUa | undefined;

  private constructor(private readonly o: OpcUaSourceOptions) {
    this.writer = new SourceWriter(o.store, [
      ...new Set(Object.values(o.plant.classes).flatMap((c) => c.sensors.map((s) => s.name))),
    ]);
    this.check = readingCheck(o.plant);
    this.servers = (o.plant.opcua?.servers ?? []).map((spec) => ({
      spec,
      client: undefined,
      session: undefined,
      subscription: undefined,
      items: [],
    }));
  }

  /** Starts subscribing to every server of the plant file (each connects in the background). */
  static async start(o: OpcUaSourceOptions): Promise<OpcUaSource> {
    const s = new OpcUaSource(o);
    s.ua = await import('node-opcua-client');
    for (const server of s.servers) void s.run(server);
    s.schedule();
    return s;
  }

  private log(line: string): void {
    this.o.onLog?.(`opcua: ${line}`);
  }

  /** Connects, subscribes, and on a lost connection starts over after a growing pause. */
  private async run(server: Server): Promise<void> {
    const ua = this.ua!;
    let delay = 1000;
    while (!this.stopped) {
      try {
        const client = ua.OPCUAClient.create({
          applicationName: 'pdm-engine',
          endpointMustExist: false,
          securityMode: ua.MessageSecurityMode.None,
          securityPolicy: ua.SecurityPolicy.None,
          // One attempt per call: the loop here owns the back-off, and starts a fresh session.
          connectionStrategy: { maxRetry: 0, initialDelay: 1000, maxDelay: 1000 },
          keepSessionAlive: true,
        });
        server.client = client;
        const lost = new Promise<void>((resolve) => {
          client.on('connection_lost', () => resolve());
          client.on('close', () => resolve());
        });
        await client.connect(server.spec.endpoint);
        const session = await client.createSession();
        server.session = session;
        const subscription = await session.createSubscription2({
          requestedPublishingInterval: server.spec.publishing_ms,
          requestedMaxKeepAliveCount: 10,
          requestedLifetimeCount: 100,
          maxNotificationsPerPublish: 10_000,
          publishingEnabled: true,
          priority: 10,
        });
        server.subscription = subscription;
        server.items = [];
        for (const n of server.spec.nodes) {
          const item = await subscription.monitor(
            { nodeId: n.node, attributeId: ua.AttributeIds.Value },
            {
              samplingInterval: n.sampling_ms,
              discardOldest: true,
              queueSize: 1000,
              ...(n.deadband > 0
                ? {
                    filter: new ua.DataChangeFilter({
                      trigger: ua.DataChangeTrigger.StatusValue,
                      deadbandType: ua.DeadbandType.Absolute,
                      deadbandValue: n.deadband,
                    }),
                  }
                : {}),
            },
            ua.TimestampsToReturn.Both,
          );
          item.on('changed', (dv: DataValue) => this.receive(n, dv));
          item.on('err', (message: string) =>
            this.events.push({
              kind: 'opcua_rejected',
              equipment: n.equipment,
              sensor: n.sensor,
              detail: `${server.spec.endpoint} ${n.node}: ${message}`,
            }),
          );
          server.items.push(item);
        }
        this.stats.connections++;
        this.stats.monitored = this.servers.reduce((k, sv) => k + sv.items.length, 0);
        this.log(`connected to ${server.spec.endpoint}, ${server.items.length} nodes monitored`);
        delay = 1000;
        await lost;
        if (!this.stopped) this.log(`lost ${server.spec.endpoint}: reconnecting`);
      } catch (err) {
        if (!this.stopped)
          this.log(`${server.spec.endpoint}: ${errorMessage(err)}; trying again in ${delay / 1000} s`);
      }
      await this.close(server);
      if (this.stopped) return;
      await new Promise((r) => setTimeout(r, delay).unref());
      delay = Math.min(30_000, delay * 2);
    }
  }

  private async close(server: Server): Promise<void> {
    const { client, session, subscription } = server;
    server.client = undefined;
    server.session = undefined;
    server.subscription = undefined;
    server.items = [];
    await subscription?.terminate().catch(() => {});
    await session?.close().catch(() => {});
    await client?.disconnect().catch(() => {});
  }

  /** One value: a reading at its source time, missing (with an event) when its status is not Good. */
  private receive(n: OpcUaServerSpec['nodes'][number], dv: DataValue): void {
    this.stats.values++;
    // The source's time (the device's), else the server's, else now; microseconds.
    const ts = (dv.sourceTimestamp ?? dv.serverTimestamp ?? new Date()).getTime() * 1000;
    const where = `${n.node} (${n.equipment}.${n.sensor})`;
    if (!dv.statusCode.isGood()) {
      this.stats.badQuality++;
      this.push({ equipment: n.equipment, ts, values: { [n.sensor]: NaN } });
      this.events.push({
        kind: 'opcua_bad_quality',
        equipment: n.equipment,
        sensor: n.sensor,
        detail: `${where}: status ${dv.statusCode.name}: stored as missing`,
      });
      return;
    }
    const raw: unknown = dv.value?.value;
    const v =
      typeof raw === 'number'
        ? raw
        : typeof raw === 'boolean'
          ? raw
            ? 1
            : 0
          : typeof raw === 'bigint'
            ? Number(raw)
            : NaN;
    if (!Number.isFinite(v)) {
      this.stats.rejected++;
      this.events.push({
        kind: 'opcua_rejected',
        equipment: n.equipment,
        sensor: n.sensor,
        detail: `${where}: ${JSON.stringify(raw)?.slice(0, 40)} is not a number`,
      });
      return;
    }
    const bad = this.check.check(n.equipment, [n.sensor], [v]);
    if (bad !== null) {
      this.stats.rejected++;
      this.events.push({
        kind: 'opcua_rejected',
        equipment: n.equipment,
        sensor: n.sensor,
        detail: `${where}: ${bad.reason}`,
      });
      return;
    }
    this.push({ equipment: n.equipment, ts, values: { [n.sensor]: v } });
  }

  private push(row: SourceRow): void {
    this.rows.push(row);
    const max = this.o.maxPending ?? 200_000;
    if (this.rows.length > max) {
      const over = this.rows.length - max;
      this.rows.splice(0, over);
      this.stats.dropped += over;
    }
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.writing = this.writing.then(() => this.write()).finally(() => this.schedule());
    }, this.o.batchMs ?? 200);
  }

  private async write(): Promise<void> {
    const rows = this.rows;
    const events = this.events;
    if (rows.length === 0 && events.length === 0) return;
    this.rows = [];
    this.events = [];
    if (this.stats.dropped > 0) {
      events.push({
        kind: 'opcua_rejected',
        equipment: '',
        detail: `${this.stats.dropped} readings dropped while QuestDB did not take them (more than ${this.o.maxPending ?? 200_000} waited)`,
      });
      this.stats.dropped = 0;
    }
    try {
      if (rows.length > 0) await this.writer.writeRows(rows);
      if (events.length > 0) await this.writer.writeEvents(events, (l) => this.log(l));
      this.stats.rows += rows.length;
      this.stats.batches++;
    } catch (err) {
      // Kept for the next write, ahead of what arrived since (bounded by maxPending).
      this.stats.writeFailures++;
      this.log(
        `QuestDB did not take ${rows.length} readings (${errorMessage(err)}): kept, written when it does`,
      );
      await this.writer.drop();
      this.rows = [...rows, ...this.rows];
      this.events = [...events, ...this.events];
    }
  }

  /** Writes what was received and closes every session. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    await this.writing.catch(() => {});
    await this.write().catch(() => {});
    for (const s of this.servers) await this.close(s);
    await this.writer.drop();
  }
}
