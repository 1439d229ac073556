/**
 * The plant as data: the ISA-95 equipment list, equipment classes with their sensors (unit,
 * plausible range, nominal sample interval, high-rate or not), failure modes (codes and names,
 * ISO 14224-style codes welcome), quality characteristics with spec limits per product, and an
 * optional feature set per class. A plant file (YAML or JSON) is checked whole here: every mistake
 * is reported with its path in the file (`classes.pump.sensors[2].unit: required`), and a file
 * with any mistake is applied not at all.
 */

import { STATS } from '../../features/feature-set.ts';
import { DEFAULT_ALERT_POLICY, readAlertPolicy } from './alerts.ts';
import type { AlertPolicy } from './alerts.ts';
import { readInstant } from '../ingest/values.ts';

export interface SensorSpec {
  readonly name: string;
  readonly unit: string;
  /** Plausible range [low, high]: readings outside it are not real values of this sensor. */
  readonly range: readonly [number, number];
  /** Nominal seconds between readings. */
  readonly sample_seconds: number;
  /** Bursts of high-rate samples (vibration waveforms) rather than a steady stream. */
  readonly high_rate: boolean;
}

export interface FailureModeSpec {
  readonly code: string;
  readonly name: string;
}

export interface QualitySpec {
  readonly characteristic: string;
  readonly unit: string;
  /** Spec limits per product. */
  readonly limits: Readonly<Record<string, { readonly lsl: number; readonly usl: number }>>;
}

export interface FeatureSpec {
  readonly sensors: readonly string[];
  readonly windows_seconds: readonly number[];
  readonly stats: readonly string[];
  /** Maintenance and MES context features (default: all of CONTEXT). */
  readonly context: readonly string[];
}

export interface ClassSpec {
  readonly sensors: readonly SensorSpec[];
  readonly failure_modes: readonly FailureModeSpec[];
  readonly quality: readonly QualitySpec[];
  /** Absent in the file: derived from the sensors (see defaultFeatures). */
  readonly features: FeatureSpec;
  /**
   * Models of its own (`own`), or pooled with the plant's other small classes with the class as a
   * feature (`pooled`); `auto` (the default): own from OWN_MODELS_FROM equipment (pipelines/scopes.ts).
   */
  readonly models: 'own' | 'pooled' | 'auto';
  /** Its alert policy: the plant's `alerts:` with the class's own `alerts:` over it. */
  readonly alerts: AlertPolicy;
}

export interface EquipmentSpec {
  readonly id: string;
  readonly class: string;
  readonly site: string;
  readonly area: string | null;
  readonly line: string;
  readonly cell: string | null;
  readonly name: string | null;
  /**
   * When it was installed or commissioned (RFC 3339, UTC as written back): the start of its first
   * life, the clock `hours_since_maintenance` counts from until a maintenance resets it.
   */
  readonly installed_at: string | null;
}

export interface Plant {
  readonly name: string;
  /** IANA time zone the plant's people read times in (answers stay UTC). */
  readonly timezone: string;
  readonly classes: Readonly<Record<string, ClassSpec>>;
  readonly equipment: readonly EquipmentSpec[];
  /** How its MQTT telemetry maps onto equipment and sensors (`pdm connect mqtt`); null: none. */
  readonly mqtt: MqttSpec | null;
  /** The OPC UA servers and nodes to subscribe to (`pdm connect opcua`); null: none. */
  readonly opcua: OpcUaSpec | null;
  /** The alert policy of every class that states none of its own (defaults filled in). */
  readonly alerts: AlertPolicy;
}

/** One monitored node: which equipment's which sensor its value is, sampled how. */
export interface OpcUaNodeSpec {
  /** The node id, e.g. `ns=2;s=Press7.Force`. */
  readonly node: string;
  readonly equipment: string;
  readonly sensor: string;
  /** Sampling interval the server is asked for (ms). */
  readonly sampling_ms: number;
  /** Absolute deadband: a change smaller than this is not reported (0: every change). */
  readonly deadband: number;
}

export interface OpcUaServerSpec {
  /** `opc.tcp://host:4840[/path]` */
  readonly endpoint: string;
  /** How often the server publishes the changes (ms). */
  readonly publishing_ms: number;
  readonly nodes: readonly OpcUaNodeSpec[];
}

export interface OpcUaSpec {
  readonly servers: readonly OpcUaServerSpec[];
}

/** Sparkplug B: which groups to read, and how devices and metrics map onto equipment and sensors. */
export interface SparkplugSpec {
  /** Sparkplug groups to subscribe to (`+`: all). */
  readonly groups: readonly string[];
  /** `edge/device` (or `edge`) -> equipment id; unmapped: the device id is the equipment id. */
  readonly devices: Readonly<Record<string, string>>;
  /** Metric name -> sensor; unmapped: the metric name is the sensor name. */
  readonly metrics: Readonly<Record<string, string>>;
}

/** A plain JSON topic: see src/sources/json-topics.ts. */
export interface JsonTopicSpec {
  readonly pattern: string;
  readonly equipment?: string;
  readonly time?: string;
  readonly fields?: Readonly<Record<string, string>>;
}

export interface MqttSpec {
  readonly sparkplug: SparkplugSpec | null;
  readonly topics: readonly JsonTopicSpec[];
}

/** The statistics a feature set may ask for: every one the feature kernels compute. */
export { STATS } from '../../features/feature-set.ts';
/** The context features a class may ask for (the engine adds equipment_class when it pools classes). */
export const CONTEXT = [
  'hours_since_maintenance',
  'running_hours_since_repair',
  'batch_load',
  'product_code',
] as const;
const DEFAULT_WINDOWS = [600, 3600, 21600];
const DEFAULT_STATS = ['mean', 'std', 'min', 'max', 'slope'];

/**
 * A feature set when a class declares none: every steady sensor, three windows (10 min, 1 h, 6 h)
 * or, for sensors sampled less often than every minute, windows of 5, 15 and 30 samples, five
 * statistics and every context feature.
 */
export function defaultFeatures(sensors: readonly SensorSpec[]): FeatureSpec {
  const steady = sensors.filter((s) => !s.high_rate);
  const every = Math.max(1, ...steady.map((s) => s.sample_seconds));
  return {
    sensors: steady.map((s) => s.name),
    windows_seconds: every > 60 ? [5, 15, 30].map((k) => k * every) : DEFAULT_WINDOWS,
    stats: DEFAULT_STATS,
    context: [...CONTEXT],
  };
}

export class PlantFileError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(
      `the plant file has ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n  ${problems.join('\n  ')}`,
    );
    this.name = 'PlantFileError';
  }
}

const IDENT = /^[a-z][a-z0-9_]{0,62}$/;
// eslint-disable-next-line no-control-regex -- control characters are exactly what an id refuses
const ID = /^[^\s\u0000-\u001f\u007f][^\u0000-\u001f\u007f]{0,127}$/;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Checks a parsed plant file; returns the plant with defaults filled in, or throws every problem. */
export function validatePlant(doc: unknown): Plant {
  const problems: string[] = [];
  const bad = (path: string, reason: string) => problems.push(`${path}: ${reason}`);
  const known = (o: Obj, path: string, keys: readonly string[]) => {
    for (const k of Object.keys(o))
      if (!keys.includes(k))
        bad(path === '' ? k : `${path}.${k}`, `unknown field (expected one of ${keys.join(', ')})`);
  };
  const str = (
    o: Obj,
    key: string,
    path: string,
    pattern: RegExp,
    what: string,
    optional = false,
  ): string | null => {
    const v = o[key];
    const at = path === '' ? key : `${path}.${key}`;
    if (v === undefined || v === null) {
      if (!optional) bad(at, 'required');
      return null;
    }
    if (typeof v !== 'string') {
      bad(at, `expected ${what}, got ${Array.isArray(v) ? 'a list' : typeof v}`);
      return null;
    }
    if (!pattern.test(v)) {
      bad(at, `${JSON.stringify(v.slice(0, 60))} is not ${what}`);
      return null;
    }
    return v;
  };
  const num = (v: unknown, at: string, check: (n: number) => boolean, what: string): number | null => {
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      bad(at, v === undefined ? 'required' : `expected ${what}, got ${JSON.stringify(v)}`);
      return null;
    }
    if (!check(v)) {
      bad(at, `${v} is not ${what}`);
      return null;
    }
    return v;
  };

  if (!isObj(doc)) throw new PlantFileError(['(top): expected a mapping with name, classes and equipment']);
  known(doc, '', ['version', 'name', 'timezone', 'classes', 'equipment', 'mqtt', 'opcua', 'alerts']);
  const alerts = readAlertPolicy(doc.alerts, 'alerts', DEFAULT_ALERT_POLICY, bad);
  if (doc.version !== undefined && doc.version !== 1)
    bad('version', `${JSON.stringify(doc.version)}: this engine reads version 1`);
  const name = str(doc, 'name', '', ID, 'a plant name') ?? '';
  const timezone =
    str(doc, 'timezone', '', /^[A-Za-z_+\-/0-9]{1,64}$/, 'an IANA time zone (e.g. Europe/Berlin)', true) ??
    'UTC';
  try {
    new Intl.DateTimeFormat('en', { timeZone: timezone });
  } catch {
    bad('timezone', `${JSON.stringify(timezone)} is not an IANA time zone (e.g. UTC, Europe/Berlin)`);
  }

  const classes: Record<string, ClassSpec> = {};
  if (!isObj(doc.classes) || Object.keys(doc.classes).length === 0)
    bad('classes', 'required: at least one equipment class');
  for (const [cls, raw] of Object.entries(isObj(doc.classes) ? doc.classes : {})) {
    const at = `classes.${cls}`;
    if (!IDENT.test(cls)) bad(at, 'a class name is lowercase letters, digits and _');
    if (!isObj(raw)) {
      bad(at, 'expected a mapping with sensors');
      continue;
    }
    known(raw, at, ['sensors', 'failure_modes', 'quality', 'features', 'models', 'alerts']);
    const classAlerts = readAlertPolicy(raw.alerts, `${at}.alerts`, alerts, bad);
    const models = raw.models ?? 'auto';
    if (models !== 'own' && models !== 'pooled' && models !== 'auto')
      bad(`${at}.models`, `${JSON.stringify(models)} is not one of own, pooled, auto`);
    const sensors: SensorSpec[] = [];
    if (!Array.isArray(raw.sensors) || raw.sensors.length === 0)
      bad(`${at}.sensors`, 'required: at least one sensor');
    (Array.isArray(raw.sensors) ? raw.sensors : []).forEach((s: unknown, i: number) => {
      const sp = `${at}.sensors[${i}]`;
      if (!isObj(s)) return bad(sp, 'expected a mapping with name, unit, range');
      known(s, sp, ['name', 'unit', 'range', 'sample_seconds', 'high_rate']);
      const n = str(s, 'name', sp, IDENT, 'a sensor name (lowercase letters, digits and _, as a column)');
      if (n !== null && ['ts', 'equipment', 'sensor_set'].includes(n))
        bad(`${sp}.name`, `${n} is a key column of telemetry`);
      if (n !== null && sensors.some((x) => x.name === n))
        bad(`${sp}.name`, `${n} is declared twice in ${cls}`);
      const unit = str(s, 'unit', sp, /^.{1,32}$/u, 'a unit (e.g. mm/s, degC, bar, 1 for none)');
      let range: [number, number] | null = null;
      if (!Array.isArray(s.range) || s.range.length !== 2)
        bad(`${sp}.range`, s.range === undefined ? 'required' : 'expected [low, high]');
      else {
        const lo = num(s.range[0], `${sp}.range[0]`, () => true, 'a number');
        const hi = num(s.range[1], `${sp}.range[1]`, () => true, 'a number');
        if (lo !== null && hi !== null) {
          if (!(lo < hi)) bad(`${sp}.range`, `low ${lo} must be below high ${hi}`);
          else range = [lo, hi];
        }
      }
      const every =
        s.sample_seconds === undefined
          ? 1
          : num(
              s.sample_seconds,
              `${sp}.sample_seconds`,
              (v) => v > 0 && v <= 86400,
              'seconds in (0, 86400]',
            );
      if (s.high_rate !== undefined && typeof s.high_rate !== 'boolean')
        bad(`${sp}.high_rate`, 'expected true or false');
      const dup = n !== null && sensors.some((x) => x.name === n);
      if (n !== null && !dup && unit !== null && range !== null && every !== null)
        sensors.push({ name: n, unit, range, sample_seconds: every, high_rate: s.high_rate === true });
    });
    const modes: FailureModeSpec[] = [];
    if (raw.failure_modes !== undefined && !Array.isArray(raw.failure_modes))
      bad(`${at}.failure_modes`, 'expected a list of {code, name}');
    (Array.isArray(raw.failure_modes) ? raw.failure_modes : []).forEach((m: unknown, i: number) => {
      const mp = `${at}.failure_modes[${i}]`;
      if (!isObj(m)) return bad(mp, 'expected a mapping with code and name');
      known(m, mp, ['code', 'name']);
      const code = str(m, 'code', mp, /^[A-Za-z0-9_.-]{1,32}$/, 'a failure code (e.g. BRD, VIB, ELU)');
      const mn = str(m, 'name', mp, IDENT, 'a mode name (lowercase letters, digits and _)');
      if (mn !== null && modes.some((x) => x.name === mn))
        bad(`${mp}.name`, `${mn} is declared twice in ${cls}`);
      if (code !== null && modes.some((x) => x.code === code))
        bad(`${mp}.code`, `${code} is declared twice in ${cls}`);
      if (code !== null && mn !== null) modes.push({ code, name: mn });
    });
    const quality: QualitySpec[] = [];
    if (raw.quality !== undefined && !Array.isArray(raw.quality))
      bad(`${at}.quality`, 'expected a list of characteristics');
    (Array.isArray(raw.quality) ? raw.quality : []).forEach((q: unknown, i: number) => {
      const qp = `${at}.quality[${i}]`;
      if (!isObj(q)) return bad(qp, 'expected a mapping with characteristic, unit, limits');
      known(q, qp, ['characteristic', 'unit', 'limits']);
      const c = str(q, 'characteristic', qp, IDENT, 'a characteristic name (e.g. diameter_mm)');
      const unit = str(q, 'unit', qp, /^.{1,32}$/u, 'a unit');
      const limits: Record<string, { lsl: number; usl: number }> = {};
      if (!isObj(q.limits) || Object.keys(q.limits).length === 0)
        bad(`${qp}.limits`, 'required: spec limits per product, e.g. {shaft-A: {lsl: 24.95, usl: 25.05}}');
      for (const [product, l] of Object.entries(isObj(q.limits) ? q.limits : {})) {
        const lp = `${qp}.limits.${product}`;
        if (!isObj(l)) {
          bad(lp, 'expected {lsl, usl}');
          continue;
        }
        known(l, lp, ['lsl', 'usl']);
        const lsl = num(l.lsl, `${lp}.lsl`, () => true, 'a number');
        const usl = num(l.usl, `${lp}.usl`, () => true, 'a number');
        if (lsl !== null && usl !== null) {
          if (!(lsl < usl)) bad(`${lp}.usl`, `usl ${usl} must exceed lsl ${lsl}`);
          else limits[product] = { lsl, usl };
        }
      }
      if (c !== null && unit !== null) quality.push({ characteristic: c, unit, limits });
    });
    let features = defaultFeatures(sensors);
    if (raw.features !== undefined) {
      const fp = `${at}.features`;
      if (!isObj(raw.features)) bad(fp, 'expected {sensors, windows_seconds, stats, context}');
      else {
        const f = raw.features;
        known(f, fp, ['sensors', 'windows_seconds', 'stats', 'context']);
        const names = sensors.map((s) => s.name);
        const fs = f.sensors === undefined ? features.sensors : f.sensors;
        if (!Array.isArray(fs) || fs.length === 0)
          bad(`${fp}.sensors`, 'expected a list of the class sensors');
        else
          fs.forEach((s: unknown, i: number) => {
            if (typeof s !== 'string' || !names.includes(s))
              bad(
                `${fp}.sensors[${i}]`,
                `${JSON.stringify(s)} is not a sensor of ${cls} (${names.join(', ')})`,
              );
          });
        const ws = f.windows_seconds === undefined ? features.windows_seconds : f.windows_seconds;
        if (!Array.isArray(ws) || ws.length === 0)
          bad(`${fp}.windows_seconds`, 'expected a list of window lengths in seconds');
        else
          ws.forEach((w: unknown, i: number) =>
            num(
              w,
              `${fp}.windows_seconds[${i}]`,
              (v) => Number.isInteger(v) && v >= 10 && v <= 30 * 86400,
              'whole seconds in [10, 2592000]',
            ),
          );
        const st = f.stats === undefined ? features.stats : f.stats;
        if (!Array.isArray(st) || st.length === 0)
          bad(`${fp}.stats`, `expected a list of ${STATS.join(', ')}`);
        else
          st.forEach((s: unknown, i: number) => {
            if (!(STATS as readonly unknown[]).includes(s))
              bad(`${fp}.stats[${i}]`, `${JSON.stringify(s)} is not one of ${STATS.join(', ')}`);
          });
        const cx = f.context === undefined ? features.context : f.context;
        if (!Array.isArray(cx)) bad(`${fp}.context`, `expected a list of ${CONTEXT.join(', ')} (or [])`);
        else
          cx.forEach((c: unknown, i: number) => {
            if (!(CONTEXT as readonly unknown[]).includes(c))
              bad(`${fp}.context[${i}]`, `${JSON.stringify(c)} is not one of ${CONTEXT.join(', ')}`);
          });
        if (Array.isArray(fs) && new Set(fs).size !== fs.length)
          bad(`${fp}.sensors`, 'a sensor is listed twice');
        if (Array.isArray(ws) && new Set(ws).size !== ws.length)
          bad(`${fp}.windows_seconds`, 'a window is listed twice');
        features = {
          sensors: fs as string[],
          windows_seconds: ws as number[],
          stats: st as string[],
          context: cx as string[],
        };
      }
    }
    classes[cls] = {
      sensors,
      failure_modes: modes,
      quality,
      features,
      models: models as ClassSpec['models'],
      alerts: classAlerts,
    };
  }

  // A sensor is one telemetry column: two classes may share a name only with the same unit.
  const units = new Map<string, string>();
  for (const [cls, c] of Object.entries(classes))
    c.sensors.forEach((s, i) => {
      const u = units.get(s.name);
      if (u !== undefined && u !== s.unit)
        bad(
          `classes.${cls}.sensors[${i}].unit`,
          `${s.name} is in ${u} in another class: one column, one unit`,
        );
      units.set(s.name, s.unit);
    });

  const equipment: EquipmentSpec[] = [];
  if (!Array.isArray(doc.equipment) || doc.equipment.length === 0)
    bad('equipment', 'required: at least one equipment');
  (Array.isArray(doc.equipment) ? doc.equipment : []).forEach((e: unknown, i: number) => {
    const ep = `equipment[${i}]`;
    if (!isObj(e)) return bad(ep, 'expected a mapping with id, class, site, line');
    known(e, ep, ['id', 'class', 'site', 'area', 'line', 'cell', 'name', 'installed_at']);
    const id = str(e, 'id', ep, ID, 'an equipment id');
    if (id !== null && equipment.some((x) => x.id === id)) bad(`${ep}.id`, `${id} is declared twice`);
    const cls = str(e, 'class', ep, /^.{1,63}$/, 'a class name');
    if (cls !== null && isObj(doc.classes) && !(cls in doc.classes))
      bad(
        `${ep}.class`,
        `${JSON.stringify(cls)} is not a class of this file (${Object.keys(classes).join(', ')})`,
      );
    const site = str(e, 'site', ep, ID, 'a site');
    const line = str(e, 'line', ep, ID, 'a line');
    const area = str(e, 'area', ep, ID, 'an area', true);
    const cell = str(e, 'cell', ep, ID, 'a cell', true);
    // eslint-disable-next-line no-control-regex -- a display name has no control characters
    const nm = str(e, 'name', ep, /^[^\u0000-\u001f\u007f]{1,256}$/, 'a display name', true);
    // YAML reads an unquoted date-time as a Date: both forms are taken, written back as RFC 3339 UTC.
    const rawInstalled = e.installed_at instanceof Date ? e.installed_at.toISOString() : e.installed_at;
    let installed: string | null = null;
    if (rawInstalled !== undefined && rawInstalled !== null) {
      const t = typeof rawInstalled === 'string' ? readInstant(rawInstalled, { zone: 'required' }) : null;
      if (t === null || !t.ok)
        bad(
          `${ep}.installed_at`,
          `${JSON.stringify(rawInstalled)}: ${t === null ? 'expected an RFC 3339 date-time' : t.reason}`,
        );
      else installed = new Date(Math.floor(t.micros / 1000)).toISOString();
    }
    if (id !== null && cls !== null && site !== null && line !== null)
      equipment.push({ id, class: cls, site, area, line, cell, name: nm, installed_at: installed });
  });

  const mqtt = doc.mqtt === undefined || doc.mqtt === null ? null : mqttSpec(doc.mqtt, classes, bad);
  const opcua =
    doc.opcua === undefined || doc.opcua === null ? null : opcuaSpec(doc.opcua, classes, equipment, bad);
  if (problems.length > 0) throw new PlantFileError(problems);
  return { name, timezone, classes, equipment, mqtt, opcua, alerts };
}

/** An MQTT topic filter with named single-level wildcards (`plant1/+line/+equipment/#`). */
// eslint-disable-next-line no-control-regex -- MQTT forbids NUL in topics: a level may not hold one
const FILTER_LEVEL = /^(\+([a-z][a-z0-9_]{0,31})?|#|[^+#\u0000]{1,128})$/;

function mqttSpec(
  raw: unknown,
  classes: Readonly<Record<string, ClassSpec>>,
  bad: (path: string, reason: string) => void,
): MqttSpec | null {
  if (!isObj(raw)) {
    bad('mqtt', 'expected a mapping with sparkplug and/or topics');
    return null;
  }
  for (const k of Object.keys(raw))
    if (k !== 'sparkplug' && k !== 'topics')
      bad(`mqtt.${k}`, 'unknown field (expected one of sparkplug, topics)');
  const sensors = new Set(Object.values(classes).flatMap((c) => c.sensors.map((x) => x.name)));
  const sensorMap = (v: unknown, at: string): Record<string, string> => {
    if (v === undefined) return {};
    if (!isObj(v)) {
      bad(at, 'expected a mapping of name -> sensor');
      return {};
    }
    const out: Record<string, string> = {};
    for (const [k, x] of Object.entries(v)) {
      if (typeof x !== 'string' || !sensors.has(x))
        bad(`${at}.${k}`, `${JSON.stringify(x)} is not a sensor the plant's classes declare`);
      else out[k] = x;
    }
    return out;
  };
  let sparkplug: SparkplugSpec | null = null;
  if (raw.sparkplug !== undefined) {
    const sp = raw.sparkplug;
    if (!isObj(sp)) bad('mqtt.sparkplug', 'expected {groups, devices, metrics}');
    else {
      for (const k of Object.keys(sp))
        if (!['groups', 'devices', 'metrics'].includes(k))
          bad(`mqtt.sparkplug.${k}`, 'unknown field (expected one of groups, devices, metrics)');
      const groups = sp.groups ?? ['+'];
      if (!Array.isArray(groups) || groups.length === 0)
        bad('mqtt.sparkplug.groups', 'expected a list of Sparkplug group ids (+ for all)');
      const gs = (Array.isArray(groups) ? groups : []).filter((g: unknown, i: number) => {
        // eslint-disable-next-line no-control-regex -- MQTT forbids NUL in topics
        const ok = typeof g === 'string' && (g === '+' || /^[^/+#\u0000]{1,128}$/.test(g));
        if (!ok) bad(`mqtt.sparkplug.groups[${i}]`, `${JSON.stringify(g)} is not a group id`);
        return ok;
      }) as string[];
      const devices: Record<string, string> = {};
      if (sp.devices !== undefined && !isObj(sp.devices))
        bad('mqtt.sparkplug.devices', 'expected edge/device -> equipment');
      for (const [k, v] of Object.entries(isObj(sp.devices) ? sp.devices : {})) {
        if (typeof v !== 'string' || v === '') bad(`mqtt.sparkplug.devices.${k}`, 'expected an equipment id');
        else devices[k] = v;
      }
      sparkplug = { groups: gs, devices, metrics: sensorMap(sp.metrics, 'mqtt.sparkplug.metrics') };
    }
  }
  const topics: JsonTopicSpec[] = [];
  if (raw.topics !== undefined && !Array.isArray(raw.topics))
    bad('mqtt.topics', 'expected a list of {pattern, ...}');
  (Array.isArray(raw.topics) ? raw.topics : []).forEach((t: unknown, i: number) => {
    const at = `mqtt.topics[${i}]`;
    if (!isObj(t)) return bad(at, 'expected {pattern, time, fields, equipment}');
    for (const k of Object.keys(t))
      if (!['pattern', 'equipment', 'time', 'fields'].includes(k))
        bad(`${at}.${k}`, 'unknown field (expected one of pattern, equipment, time, fields)');
    const pattern = t.pattern;
    if (typeof pattern !== 'string' || pattern === '')
      return bad(`${at}.pattern`, 'required: a topic filter');
    const levels = pattern.split('/');
    levels.forEach((l, j) => {
      if (!FILTER_LEVEL.test(l) || (l === '#' && j !== levels.length - 1))
        bad(`${at}.pattern`, `level ${JSON.stringify(l)}: a name, +, +name or a final #`);
    });
    if (!levels.includes('+equipment') && typeof t.equipment !== 'string')
      bad(at, 'name the equipment: a +equipment level in the pattern, or equipment: <id>');
    if (t.time !== undefined && typeof t.time !== 'string')
      bad(`${at}.time`, 'expected the JSON field with the time');
    topics.push({
      pattern,
      ...(typeof t.equipment === 'string' ? { equipment: t.equipment } : {}),
      ...(typeof t.time === 'string' ? { time: t.time } : {}),
      ...(t.fields !== undefined ? { fields: sensorMap(t.fields, `${at}.fields`) } : {}),
    });
  });
  return { sparkplug, topics };
}

function opcuaSpec(
  raw: unknown,
  classes: Readonly<Record<string, ClassSpec>>,
  equipment: readonly EquipmentSpec[],
  bad: (path: string, reason: string) => void,
): OpcUaSpec | null {
  if (!isObj(raw) || !Array.isArray(raw.servers)) {
    bad('opcua', 'expected {servers: [{endpoint, nodes: [...]}]}');
    return null;
  }
  for (const k of Object.keys(raw))
    if (k !== 'servers') bad(`opcua.${k}`, 'unknown field (expected servers)');
  const servers: OpcUaServerSpec[] = [];
  raw.servers.forEach((sv: unknown, i: number) => {
    const at = `opcua.servers[${i}]`;
    if (!isObj(sv)) return bad(at, 'expected {endpoint, publishing_ms, nodes}');
    for (const k of Object.keys(sv))
      if (!['endpoint', 'publishing_ms', 'nodes'].includes(k))
        bad(`${at}.${k}`, 'unknown field (expected one of endpoint, publishing_ms, nodes)');
    const endpoint = sv.endpoint;
    if (typeof endpoint !== 'string' || !/^opc\.tcp:\/\/[^\s/]+(\/\S*)?$/.test(endpoint))
      bad(`${at}.endpoint`, `${JSON.stringify(endpoint)} is not an OPC UA endpoint (opc.tcp://host:4840)`);
    const pub = sv.publishing_ms ?? 1000;
    if (typeof pub !== 'number' || !(pub >= 50 && pub <= 3_600_000))
      bad(`${at}.publishing_ms`, 'expected milliseconds in [50, 3600000]');
    const nodes: OpcUaNodeSpec[] = [];
    if (!Array.isArray(sv.nodes) || sv.nodes.length === 0) bad(`${at}.nodes`, 'required: at least one node');
    (Array.isArray(sv.nodes) ? sv.nodes : []).forEach((n: unknown, j: number) => {
      const np = `${at}.nodes[${j}]`;
      if (!isObj(n)) return bad(np, 'expected {node, equipment, sensor}');
      for (const k of Object.keys(n))
        if (!['node', 'equipment', 'sensor', 'sampling_ms', 'deadband'].includes(k))
          bad(`${np}.${k}`, 'unknown field (expected one of node, equipment, sensor, sampling_ms, deadband)');
      const node = n.node;
      if (typeof node !== 'string' || !/^(ns=\d+;)?[isgb]=.+$/.test(node))
        bad(`${np}.node`, `${JSON.stringify(node)} is not a node id (e.g. ns=2;s=Press7.Force)`);
      const e = equipment.find((x) => x.id === n.equipment);
      if (e === undefined)
        bad(`${np}.equipment`, `${JSON.stringify(n.equipment)} is not an equipment of this file`);
      const cls = e === undefined ? undefined : classes[e.class];
      if (cls !== undefined && !cls.sensors.some((x) => x.name === n.sensor))
        bad(
          `${np}.sensor`,
          `${JSON.stringify(n.sensor)} is not a sensor of class ${e!.class} (${cls.sensors.map((x) => x.name).join(', ')})`,
        );
      const sampling = n.sampling_ms ?? 1000;
      if (typeof sampling !== 'number' || !(sampling >= 0 && sampling <= 3_600_000))
        bad(`${np}.sampling_ms`, 'expected milliseconds in [0, 3600000]');
      const deadband = n.deadband ?? 0;
      if (typeof deadband !== 'number' || !(deadband >= 0))
        bad(`${np}.deadband`, 'expected an absolute deadband >= 0');
      if (typeof node === 'string' && e !== undefined && typeof n.sensor === 'string')
        nodes.push({
          node,
          equipment: e.id,
          sensor: n.sensor,
          sampling_ms: sampling as number,
          deadband: deadband as number,
        });
    });
    if (typeof endpoint === 'string') servers.push({ endpoint, publishing_ms: pub as number, nodes });
  });
  return { servers };
}
