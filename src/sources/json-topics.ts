/**
 * Plain JSON over MQTT, mapped by the plant file: a topic pattern whose named levels say which
 * equipment (`plant1/+line/+equipment/telemetry`: the level under `+equipment` is the id), the
 * JSON field holding the time (epoch milliseconds or RFC 3339), and which fields are which sensors
 * (by default a field named like a sensor is that sensor). A message is one reading object or an
 * array of them. Pure: the MQTT source feeds messages in and writes what comes out.
 */
import { readTime } from '../ingest/values.ts';
import type { SourceEvent, SourceRow } from './sparkplug.ts';

export interface TopicMapping {
  /** MQTT topic filter with named single-level wildcards: `+equipment`, `+line`; `#` last. */
  readonly pattern: string;
  /** The equipment, when the topic does not name it. */
  readonly equipment?: string;
  /** JSON field with the reading time (default `ts`). */
  readonly time?: string;
  /** JSON field -> sensor (default: every other field, named as the sensor it is). */
  readonly fields?: Readonly<Record<string, string>>;
}

/** The subscription filter of a pattern: named wildcards become plain ones. */
export function filterOf(pattern: string): string {
  return pattern
    .split('/')
    .map((l) => (l.startsWith('+') ? '+' : l))
    .join('/');
}

/** The named levels of `topic` under `pattern`, or null when it does not match. */
export function matchTopic(pattern: string, topic: string): Record<string, string> | null {
  const p = pattern.split('/');
  const t = topic.split('/');
  const named: Record<string, string> = {};
  for (let i = 0; i < p.length; i++) {
    const level = p[i]!;
    if (level === '#') return i === p.length - 1 ? named : null;
    const v = t[i];
    if (v === undefined) return null;
    if (level.startsWith('+')) {
      if (level.length > 1) named[level.slice(1)] = v;
    } else if (level !== v) return null;
  }
  return t.length === p.length ? named : null;
}

/** Rows of one JSON message on `topic` under `m`; what cannot be read, as events. */
export function decodeJson(
  m: TopicMapping,
  topic: string,
  payload: Uint8Array,
): { rows: SourceRow[]; events: SourceEvent[] } {
  const rows: SourceRow[] = [];
  const events: SourceEvent[] = [];
  const named = matchTopic(m.pattern, topic) ?? {};
  const equipment = named.equipment ?? m.equipment ?? '';
  const reject = (detail: string) =>
    events.push({ kind: 'mqtt_rejected', equipment, detail: `${topic}: ${detail}` });
  if (equipment === '') {
    reject('the topic names no equipment (+equipment in the pattern) and the mapping gives none');
    return { rows, events };
  }
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(payload).toString('utf8'));
  } catch (err) {
    reject(`not JSON (${(err as Error).message.slice(0, 80)})`);
    return { rows, events };
  }
  const timeField = m.time ?? 'ts';
  for (const [i, item] of (Array.isArray(doc) ? doc : [doc]).entries()) {
    const where = Array.isArray(doc) ? `item ${i}: ` : '';
    if (item === null || typeof item !== 'object' || Array.isArray(item)) {
      reject(`${where}expected a JSON object`);
      continue;
    }
    const obj = item as Record<string, unknown>;
    const t = readTime(obj[timeField], 'ms');
    if (!t.ok) {
      reject(`${where}${timeField}: ${t.reason}`);
      continue;
    }
    const values: Record<string, number> = {};
    let bad: string | null = null;
    for (const [field, raw] of Object.entries(obj)) {
      if (field === timeField) continue;
      const sensor = m.fields === undefined ? field : m.fields[field];
      if (sensor === undefined) continue; // a field the mapping does not take
      if (raw === null) values[sensor] = NaN;
      else if (typeof raw === 'number' && Number.isFinite(raw)) values[sensor] = raw;
      else if (typeof raw === 'boolean') values[sensor] = raw ? 1 : 0;
      else {
        bad = `${where}${field}: ${JSON.stringify(raw)?.slice(0, 40)} is not a number`;
        break;
      }
    }
    if (bad !== null) reject(bad);
    else if (Object.keys(values).length === 0) reject(`${where}no sensor field`);
    else rows.push({ equipment, ts: t.micros, values });
  }
  return { rows, events };
}
