/**
 * Sparkplug B as the engine reads it: topics `spBv1.0/<group>/<type>/<edge node>[/<device>]`,
 * payloads in Eclipse Tahu's protobuf encoding (`sparkplug-payload`). Pure state, no I/O: the MQTT
 * source feeds it messages and writes what comes out.
 *
 * - NBIRTH/DBIRTH declare a node's or device's metrics with their aliases; NDATA/DDATA carry values
 *   by alias (or by name). A data message that names an alias its birth did not declare cannot be
 *   read: a rebirth is requested from the edge node (an NCMD with `Node Control/Rebirth`), and the
 *   message is reported, not guessed.
 * - Sequence numbers (0..255 per edge node across all its messages, reset by NBIRTH) are checked:
 *   a gap is an event, never silent.
 * - NDEATH/DDEATH mark the node's devices or the device offline: an event per equipment.
 * - A device is an equipment (its id, or as the plant file maps `edge/device`), a metric a sensor
 *   (its name, or as mapped); values are grouped by their timestamp into one row per equipment and
 *   instant, with the sensors that message reported (report by exception sends only what changed).
 */
import { get } from 'sparkplug-payload';
import type { UMetric, UPayload } from 'sparkplug-payload/lib/sparkplugbpayload.js';

const codec = get('spBv1.0')!;

export const NAMESPACE = 'spBv1.0';
export const REBIRTH_METRIC = 'Node Control/Rebirth';
const TYPES = ['NBIRTH', 'NDEATH', 'DBIRTH', 'DDEATH', 'NDATA', 'DDATA', 'NCMD', 'DCMD', 'STATE'] as const;
export type MessageType = (typeof TYPES)[number];

export interface SparkplugTopic {
  readonly group: string;
  readonly type: MessageType;
  readonly node: string;
  readonly device: string | null;
}

/** Parses a Sparkplug B topic; null when it is not one. */
export function parseTopic(topic: string): SparkplugTopic | null {
  const p = topic.split('/');
  if (p[0] !== NAMESPACE || p.length < 4 || p.length > 5) return null;
  const type = p[2] as MessageType;
  if (!TYPES.includes(type) || p[1] === '' || p[3] === '') return null;
  return { group: p[1]!, type, node: p[3]!, device: p[4] ?? null };
}

/** A reading row: one equipment at one instant, the sensors that message reported. */
export interface SourceRow {
  readonly equipment: string;
  /** µs */
  readonly ts: number;
  readonly values: Readonly<Record<string, number>>;
}

/** Something to record about the stream (the events table): what, for which equipment, why. */
export interface SourceEvent {
  readonly kind:
    | 'mqtt_rejected'
    | 'offline'
    | 'sequence_gap'
    | 'rebirth_requested'
    | 'opcua_bad_quality'
    | 'opcua_rejected';
  readonly equipment: string;
  /** The sensor concerned, where one is (the events table's key has a sensor column). */
  readonly sensor?: string;
  readonly detail: string;
}

/** A birth's alias map, to be kept in the store (sparkplug_births) and restored by the next reader. */
export interface BirthRecord {
  readonly group: string;
  readonly node: string;
  /** null: the node's own metrics. */
  readonly device: string | null;
  /** µs */
  readonly ts: number;
  readonly aliases: readonly (readonly [number, string])[];
}

export interface Decoded {
  readonly rows: SourceRow[];
  readonly events: SourceEvent[];
  /** The birth this message was, to remember. */
  birth?: BirthRecord;
  /** An edge node to ask for a rebirth (its NCMD topic), when a message could not be read. */
  rebirth: { topic: string; payload: Uint8Array } | null;
}

export interface SparkplugMapping {
  /** `edge/device` (or `edge` for node metrics) -> equipment id; unmapped: the device (or node) id. */
  readonly devices?: Readonly<Record<string, string>>;
  /** Metric name -> sensor; unmapped: the name itself. */
  readonly metrics?: Readonly<Record<string, string>>;
}

const num = (v: unknown): number => {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (v !== null && typeof v === 'object' && 'toNumber' in v) return (v as { toNumber(): number }).toNumber();
  return NaN;
};

/** A metric's value as a reading: numbers and booleans; anything else is not a sensor value. */
function readingOf(m: UMetric): number | undefined {
  if (typeof m.value === 'boolean') return m.value ? 1 : 0;
  const v = num(m.value);
  return Number.isFinite(v) ? v : undefined;
}

/** Encodes a Sparkplug B payload (the simulator's publisher and the tests use it). */
export function encodePayload(p: UPayload): Uint8Array {
  return codec.encodePayload(p);
}

/** Decodes a Sparkplug B payload; throws on bytes that are not one. */
export function decodePayload(bytes: Uint8Array): UPayload {
  return codec.decodePayload(bytes);
}

interface Source {
  /** alias -> metric name, from the birth. */
  readonly aliases: Map<number, string>;
}

/** The engine's view of the Sparkplug namespace it reads: births, aliases, sequence numbers. */
export class SparkplugState {
  private readonly nodes = new Map<string, { seq: number | null; devices: Set<string> } & Source>();
  private readonly devices = new Map<string, Source>();
  /** Edge nodes asked for a rebirth, and when (ms): asked again at most every 30 s. */
  private readonly asked = new Map<string, number>();

  constructor(
    private readonly mapping: SparkplugMapping = {},
    /** Check sequence numbers: only one reader sees every message of a node (not with shared subscriptions). */
    private readonly checkSequence = true,
    private readonly now: () => number = Date.now,
  ) {}

  private equipmentOf(node: string, device: string | null): string {
    const key = device === null ? node : `${node}/${device}`;
    return this.mapping.devices?.[key] ?? device ?? node;
  }

  private sensorOf(metric: string): string {
    return this.mapping.metrics?.[metric] ?? metric;
  }

  /** An NCMD asking the edge node for a rebirth, at most one per node every 30 s. */
  private rebirth(t: SparkplugTopic): Decoded['rebirth'] {
    const key = `${t.group}/${t.node}`;
    const last = this.asked.get(key) ?? -Infinity;
    if (this.now() - last < 30_000) return null;
    this.asked.set(key, this.now());
    return {
      topic: `${NAMESPACE}/${t.group}/NCMD/${t.node}`,
      payload: encodePayload({
        timestamp: this.now(),
        metrics: [{ name: REBIRTH_METRIC, type: 'Boolean', value: true }],
      }),
    };
  }

  /**
   * Takes births remembered in the store: a reader that restarts (or shares the stream with other
   * workers) reads data queued for it by alias without waiting for a rebirth. Sequence numbers start
   * unchecked until the node's next message.
   */
  restore(births: readonly BirthRecord[]): void {
    for (const b of births) {
      const nodeKey = `${b.group}/${b.node}`;
      let node = this.nodes.get(nodeKey);
      if (node === undefined) {
        node = { seq: null, devices: new Set(), aliases: new Map() };
        this.nodes.set(nodeKey, node);
      }
      if (b.device === null) for (const [a, n] of b.aliases) node.aliases.set(a, n);
      else {
        node.devices.add(b.device);
        this.devices.set(`${nodeKey}/${b.device}`, { aliases: new Map(b.aliases) });
      }
    }
  }

  /** Reads one message; `receivedAt` (µs) times metrics that carry no timestamp of their own. */
  decode(topic: string, payload: Uint8Array, receivedAt: number): Decoded {
    const t = parseTopic(topic);
    const out: Decoded = { rows: [], events: [], rebirth: null };
    if (t === null) {
      out.events.push({ kind: 'mqtt_rejected', equipment: '', detail: `${topic}: not a Sparkplug B topic` });
      return out;
    }
    if (t.type === 'NCMD' || t.type === 'DCMD' || t.type === 'STATE') return out; // commands: not readings
    const equipment = this.equipmentOf(t.node, t.device);
    let p: UPayload;
    try {
      p = codec.decodePayload(payload);
    } catch (err) {
      out.events.push({
        kind: 'mqtt_rejected',
        equipment,
        detail: `${topic}: not a Sparkplug B payload (${(err as Error).message.slice(0, 80)})`,
      });
      return out;
    }
    const nodeKey = `${t.group}/${t.node}`;
    const seq = p.seq === null || p.seq === undefined ? null : num(p.seq);
    if (t.type === 'NBIRTH') {
      const node = { seq, devices: new Set<string>(), aliases: new Map<number, string>() };
      for (const m of p.metrics ?? [])
        if (m.name && m.alias !== null && m.alias !== undefined) node.aliases.set(num(m.alias), m.name);
      this.nodes.set(nodeKey, node);
      this.asked.delete(nodeKey);
      out.birth = { group: t.group, node: t.node, device: null, ts: receivedAt, aliases: [...node.aliases] };
    } else if (t.type !== 'NDEATH') {
      // Every other message of the node carries the next sequence number.
      const node = this.nodes.get(nodeKey);
      if (node !== undefined && seq !== null && this.checkSequence) {
        const expected = node.seq === null ? null : (node.seq + 1) % 256;
        if (expected !== null && seq !== expected)
          out.events.push({
            kind: 'sequence_gap',
            equipment,
            detail: `${topic}: sequence ${seq} after ${node.seq} (expected ${expected}): messages were lost or reordered`,
          });
      }
      if (node !== undefined && seq !== null) node.seq = seq;
    }
    if (t.type === 'DBIRTH' && t.device !== null) {
      const aliases = new Map<number, string>();
      for (const m of p.metrics ?? [])
        if (m.name && m.alias !== null && m.alias !== undefined) aliases.set(num(m.alias), m.name);
      this.devices.set(`${nodeKey}/${t.device}`, { aliases });
      this.nodes.get(nodeKey)?.devices.add(t.device);
      out.birth = { group: t.group, node: t.node, device: t.device, ts: receivedAt, aliases: [...aliases] };
    }
    if (t.type === 'NDEATH' || t.type === 'DDEATH') {
      const gone = t.type === 'DDEATH' ? [t.device as string] : [...(this.nodes.get(nodeKey)?.devices ?? [])];
      if (t.type === 'NDEATH')
        out.events.push({ kind: 'offline', equipment, detail: `${topic}: edge node offline` });
      for (const d of gone)
        out.events.push({
          kind: 'offline',
          equipment: this.equipmentOf(t.node, d),
          detail: `${topic}: ${t.type === 'NDEATH' ? 'its edge node went offline' : 'device offline'}`,
        });
      if (t.type === 'DDEATH') this.devices.delete(`${nodeKey}/${t.device}`);
      else {
        for (const d of gone) this.devices.delete(`${nodeKey}/${d}`);
        this.nodes.delete(nodeKey);
      }
      return out;
    }
    // Births carry current values too; data messages carry the changes.
    const source = t.device === null ? this.nodes.get(nodeKey) : this.devices.get(`${nodeKey}/${t.device}`);
    const byTs = new Map<number, Record<string, number>>();
    const payloadTs = p.timestamp === null || p.timestamp === undefined ? NaN : num(p.timestamp) * 1000;
    for (const m of p.metrics ?? []) {
      let name = m.name ?? undefined;
      if (name === undefined || name === '') {
        const alias = m.alias === null || m.alias === undefined ? undefined : num(m.alias);
        name = alias === undefined ? undefined : source?.aliases.get(alias);
        if (name === undefined) {
          out.events.push({
            kind: 'mqtt_rejected',
            equipment,
            detail: `${topic}: metric alias ${alias ?? '(none)'} is not in ${source === undefined ? 'any birth seen' : 'its birth'}: rebirth requested`,
          });
          out.rebirth ??= this.rebirth(t);
          continue;
        }
      }
      if (name.startsWith('Node Control/') || name.startsWith('Properties/') || name === 'bdSeq') continue;
      // A metric without a current value (a birth declaring it, say) is no reading at all.
      if (m.isNull === true || m.value === null || m.value === undefined) continue;
      const v = readingOf(m);
      if (v === undefined) {
        out.events.push({
          kind: 'mqtt_rejected',
          equipment,
          detail: `${topic}: metric ${JSON.stringify(name).slice(0, 60)} is a ${m.type}, not a number`,
        });
        continue;
      }
      const ts =
        m.timestamp === null || m.timestamp === undefined
          ? payloadTs === payloadTs
            ? payloadTs
            : receivedAt
          : num(m.timestamp) * 1000;
      let row = byTs.get(ts);
      if (row === undefined) byTs.set(ts, (row = {}));
      row[this.sensorOf(name)] = v;
    }
    if (
      source === undefined &&
      (t.type === 'NDATA' || t.type === 'DDATA') &&
      out.rebirth === null &&
      byTs.size > 0
    )
      out.rebirth = this.rebirth(t);
    for (const [ts, values] of byTs) out.rows.push({ equipment, ts, values });
    return out;
  }
}
