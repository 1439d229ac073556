import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelRegistry } from '../../models/index.ts';
import { buildApp } from '../../src/api/app.ts';
import { KeyStore } from '../../src/api/keys.ts';
import { LiveScorer } from '../../src/scoring/scorer.ts';
import { QuestDbSink, simulate } from '../../src/sim/index.ts';
import { connectStore, query, waitForWal } from '../../src/store/index.ts';
import type { Store } from '../../src/store/index.ts';
import { testConfig, uniquePrefix } from '../helpers/store.ts';
import { simPlant } from '../helpers/plant.ts';

/** The simulator's plant of this file's machines, and its one model scope. */
const SIM = simPlant(3);

/**
 * Malformed requests generated from the OpenAPI document, against the real HTTP stack (inject)
 * and the real QuestDB: every operation the document lists, every field of its body and query
 * mutated (wrong types, bad instants, control characters, unknown and missing fields, numbers
 * out of range), arrays of good items with one bad item in every position, unreadable bodies and
 * wrong media types. No answer may be a 5xx, take over 2 s, or be an error that is not
 * problem+json naming the field; and no refused request may write a row.
 */

interface Schema {
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  anyOf?: Schema[];
  format?: string;
  enum?: unknown[];
  const?: unknown;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  nullable?: boolean;
}
interface Operation {
  parameters?: { in: string; name: string; schema: Schema }[];
  requestBody?: { content: Record<string, { schema: Schema }> };
}
interface Case {
  method: string;
  url: string;
  headers?: Record<string, string>;
  payload?: string | Buffer;
  what: string;
}

const START = Date.UTC(2025, 5, 1) / 1000;
const BAD_TIMES = [
  '2025-06-01T12:00:60Z', // a leap second not at 23:59 UTC
  '2025-06-01T12:00:00.1234567891Z', // 10 fractional digits
  '2025-06-01T12:00:00+05', // an offset without minutes
  '1969-12-31T23:59:59Z', // before 1970
  '2025-02-30T00:00:00Z', // no such day
  '2025-06-01T12:00:00', // no zone
  '2025-06-01',
  'yesterday',
  '9999-12-31T23:59:59Z',
  '2025-06-01T24:00:00Z',
  '',
];
const BAD_VALUES: [string, unknown][] = [
  ['null', null],
  ['true', true],
  ['an object', { a: 1 }],
  ['an array', [1]],
  ['a number', 123456789],
  ['a string', 'x'],
  ['a NUL', 'a\u0000b'],
  ['a control character', '\u001b[31m'],
  ['a long string', 'x'.repeat(5000)],
  ['a leading space', ' cnc-001'],
  ['a fraction', 0.5],
  ['a negative', -1],
  ['a huge number', 1e308],
];

/** The good item of each array route, unique per call so that a write would add a row. */
let serial = 0;
const at = (s: number) => new Date((START + 2 * 86400 + s) * 1000).toISOString();
const GOOD: Record<string, () => Record<string, unknown>> = {
  '/v1/equipment': () => ({ equipment: `fz-${++serial}`, site: 's', line: 'L', equipment_class: 'cnc' }),
  '/v1/mes/orders': () => ({
    order_id: `O-${++serial}`,
    released_at: at(serial),
    product: 'p',
    status: 'released',
  }),
  '/v1/mes/batches': () => ({
    batch_id: `B-${++serial}`,
    equipment: 'cnc-001',
    order_id: 'O-1',
    product: 'p',
    status: 'done',
    start: at(serial),
    end: at(serial + 60),
  }),
  '/v1/quality': () => ({
    ts: at(++serial),
    equipment: 'cnc-001',
    batch_id: 'B-1',
    characteristic: 'd',
    value: 1,
    lsl: 0,
    usl: 2,
  }),
  '/v1/maintenance': () => ({ ts: at(++serial), equipment: 'cnc-001', kind: 'inspection' }),
  '/v1/telemetry': () => ({ ts: at(++serial), equipment: 'cnc-001', vibration_rms: 1 }),
};
const GOOD_OBJECT: Record<string, () => Record<string, unknown>> = {
  '/v1/alerts/{id}/ack': () => ({ note: 'on it' }),
  '/v1/alerts/{id}/resolve': () => ({ note: 'inspected' }),
  '/v1/alerts/{id}/suppress': () => ({ until: '2099-01-01T00:00:00Z', note: 'retooling' }),
  '/v1/plant': () => ({
    name: 'fuzz',
    classes: { cnc: { sensors: [{ name: 'vibration_rms', unit: 'mm/s', range: [0, 50] }] } },
    equipment: [{ id: 'cnc-001', class: 'cnc', site: 's', line: 'L' }],
  }),
  '/v1/score': () => ({
    equipment: 'cnc-001',
    at: at(3600),
    readings: [{ ts: at(3000), vibration_rms: 1 }],
    mes: { batch_id: 'B-1', batch_end: at(4000) },
  }),
};

/** Whether a value is valid for a (simple) schema: a mutation that is valid is not malformed. */
function fits(s: Schema, v: unknown): boolean {
  if (v === null && s.nullable === true) return true;
  if (s.anyOf) return s.anyOf.some((a) => fits(a, v));
  if ('const' in s) return v === s.const;
  if (s.enum) return s.enum.includes(v);
  switch (s.type) {
    case 'string':
      return (
        typeof v === 'string' &&
        v.length >= (s.minLength ?? 0) &&
        v.length <= (s.maxLength ?? Infinity) &&
        (s.pattern === undefined || new RegExp(s.pattern, 'u').test(v)) &&
        s.format === undefined
      );
    case 'number':
    case 'integer':
      return (
        typeof v === 'number' &&
        (s.type === 'number' || Number.isInteger(v)) &&
        v >= (s.minimum ?? -Infinity) &&
        v <= (s.maximum ?? Infinity)
      );
    case 'null':
      return v === null;
    case 'boolean':
      return typeof v === 'boolean';
    default:
      return false;
  }
}

/** Each mutation of the value at `path` inside `base` (a deep copy per case). */
function mutations(
  schema: Schema,
  prefix: string[],
): { path: string[]; value: unknown; what: string; drop?: boolean }[] {
  const out: { path: string[]; value: unknown; what: string; drop?: boolean }[] = [];
  const props = schema.properties ?? {};
  for (const [name, sub] of Object.entries(props)) {
    const p = [...prefix, name];
    const key = p.join('.');
    if (schema.required?.includes(name))
      out.push({ path: p, value: undefined, what: `${key} missing`, drop: true });
    for (const [what, v] of BAD_VALUES)
      if (!fits(sub, v)) out.push({ path: p, value: v, what: `${key} as ${what}` });
    const leaves = sub.anyOf ?? [sub];
    if (leaves.some((s) => s.format === 'date-time'))
      for (const t of BAD_TIMES) out.push({ path: p, value: t, what: `${key} = ${JSON.stringify(t)}` });
    if (sub.type === 'object') out.push(...mutations(sub, p));
    if (sub.type === 'array' && sub.items?.type === 'object') out.push(...mutations(sub.items, [...p, '0']));
  }
  out.push({
    path: [...prefix, 'unexpected_field'],
    value: 1,
    what: `${prefix.join('.') || 'body'} with an unknown field`,
  });
  return out;
}

function setPath(obj: unknown, p: string[], value: unknown, drop: boolean): void {
  let cur = obj as Record<string, unknown>;
  for (const k of p.slice(0, -1)) cur = cur[k] as Record<string, unknown>;
  const last = p[p.length - 1] as string;
  if (drop) delete cur[last];
  else cur[last] = value;
}

function cases(doc: { paths: Record<string, Record<string, Operation>> }, key: string): Case[] {
  const out: Case[] = [];
  const auth = { authorization: `Bearer ${key}` };
  const json = { ...auth, 'content-type': 'application/json' };
  for (const [route, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const m = method.toUpperCase();
      const url = route.replace('{id}', 'cnc-001');
      // Query strings: each parameter with values it must refuse, and one it does not know.
      for (const param of (op.parameters ?? []).filter((q) => q.in === 'query')) {
        for (const v of ['', 'abc', '-1', '99999999', '%00', 'x'.repeat(3000), '1.5', '%E0%A4%A'])
          out.push({
            method: m,
            url: `${url}?${param.name}=${v}`,
            headers: auth,
            what: `${route} ?${param.name}=${v.slice(0, 20)}`,
          });
        out.push({
          method: m,
          url: `${url}?${param.name}=1&${param.name}=2`,
          headers: auth,
          what: `${route} repeated ?${param.name}`,
        });
      }
      if ((op.parameters ?? []).some((q) => q.in === 'query') || m === 'GET')
        out.push({ method: m, url: `${url}?nonsense=1`, headers: auth, what: `${route} unknown query` });
      if (route.includes('{id}'))
        for (const id of ['%00', 'a'.repeat(300), '%E0%A4%A', '..%2F..%2Fetc', '%20x'])
          out.push({
            method: m,
            url: route.replace('{id}', id),
            headers: auth,
            what: `${route} id ${id.slice(0, 10)}`,
          });
      const schema = op.requestBody?.content['application/json']?.schema;
      if (schema === undefined) continue;
      // Unreadable bodies and wrong media types.
      for (const [what, payload, type] of [
        ['no body', undefined, 'application/json'],
        ['empty body', '', 'application/json'],
        ['invalid JSON', '{"a":', 'application/json'],
        ['a JSON string', '"x"', 'application/json'],
        ['JSON null', 'null', 'application/json'],
        ['a BOM before JSON', '\uFEFF[]', 'application/json'],
        ['1e999', '[{"value":1e999}]', 'application/json'],
        ['text/plain', '[]', 'text/plain'],
        ['form data', 'a=1', 'application/x-www-form-urlencoded'],
        ['xml', '<a/>', 'application/xml'],
        ['no content type', '[]', ''],
      ] as [string, string | undefined, string][]) {
        const headers: Record<string, string> = { ...auth };
        if (type !== '') headers['content-type'] = type;
        out.push({ method: m, url, headers, payload, what: `${route} ${what}` });
      }
      const good = schema.type === 'array' ? GOOD[route] : GOOD_OBJECT[route];
      if (good === undefined) throw new Error(`no good example for ${m} ${route}: add one to the fuzz test`);
      if (schema.type === 'array') {
        // Four good items and one of them bad, in every position.
        for (const mu of mutations(schema.items as Schema, [])) {
          for (let pos = 0; pos < 4; pos++) {
            const items = [good(), good(), good(), good()];
            setPath(items[pos], mu.path, mu.value, mu.drop === true);
            out.push({
              method: m,
              url,
              headers: json,
              payload: JSON.stringify(items),
              what: `${route} [${pos}] ${mu.what}`,
            });
          }
        }
      } else {
        for (const mu of mutations(schema, [])) {
          const body = good();
          setPath(body, mu.path, mu.value, mu.drop === true);
          out.push({
            method: m,
            url,
            headers: json,
            payload: JSON.stringify(body),
            what: `${route} ${mu.what}`,
          });
        }
      }
    }
  }
  // NDJSON telemetry that must not write anything.
  const nd = { ...auth, 'content-type': 'application/x-ndjson' };
  for (const [what, payload] of [
    ['an array first', '[1,2]\n'],
    ['a string first', '"x"\n'],
    ['no equipment or sensors', '{"ts":1}\n'],
    ['an empty object', '{}\n'],
    ['a BOM and an array', '\uFEFF[]\n'],
    ['nothing', ''],
    ['blank lines', '\n\n\n'],
    ['a leap second', `{"ts":"2025-06-01T12:00:60Z","equipment":"cnc-001","vibration_rms":1}\n`],
    ['an unknown equipment', `{"ts":"${at(1)}","equipment":"nope","vibration_rms":1}\n`],
    ['an unknown sensor', `{"ts":"${at(1)}","equipment":"cnc-001","colour":1}\n`],
    ['1e999', `{"ts":"${at(1)}","equipment":"cnc-001","vibration_rms":1e999}\n`],
    [
      'a line over the limit',
      `{"ts":"${at(1)}","equipment":"cnc-001","vibration_rms":1,"x":"${'y'.repeat(70_000)}"}\n`,
    ],
    ['pre-1970 epoch', '{"ts":-5,"equipment":"cnc-001","vibration_rms":1}\n'],
  ] as [string, string][])
    out.push({ method: 'POST', url: '/v1/telemetry', headers: nd, payload, what: `ndjson ${what}` });
  out.push({
    method: 'POST',
    url: '/v1/telemetry',
    headers: nd,
    payload: Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d, 0x0a]),
    what: 'ndjson invalid UTF-8',
  });
  // Keys in every wrong shape (they must be refused, never crash).
  for (const a of [
    'Bearer',
    'Bearer ',
    'Basic pdm_000000000000_',
    `Bearer pdm_${'0'.repeat(12)}_${'x'.repeat(30)}`,
    'Bearer \u00e9',
    `Bearer ${key}x`,
  ])
    out.push({
      method: 'GET',
      url: '/v1/models',
      headers: { authorization: a },
      what: `auth ${a.slice(0, 20)}`,
    });
  return out;
}

describe('the API under malformed input generated from its OpenAPI document', () => {
  let store: Store;
  let app: FastifyInstance;
  let key = '';
  const tables = () => [
    store.tables.telemetry,
    store.tables.orders,
    store.tables.batches,
    store.tables.quality,
    store.tables.maintenance,
    store.tables.equipment,
  ];
  const counts = async () => {
    const out: Record<string, number> = {};
    for (const t of tables()) {
      await waitForWal(store.pool, store.tables, t);
      const { rows } = await query<{ n: string }>(store.pool, `SELECT count() n FROM ${t}`);
      out[t] = Number(rows[0]!.n);
    }
    return out;
  };

  beforeAll(async () => {
    store = await connectStore(testConfig(), { start: false, tablePrefix: uniquePrefix('fuzz') });
    const sink = await QuestDbSink.open(store.config, store.tables);
    await simulate(sink, { equipment: 3, days: 2, seed: 3, start: START, sampleSeconds: 120 });
    await sink.close();
    const registry = new ModelRegistry(mkdtempSync(path.join(os.tmpdir(), 'pdm-fuzz-models-')));
    const keys = new KeyStore(path.join(mkdtempSync(path.join(os.tmpdir(), 'pdm-fuzz-keys-')), 'k.json'));
    key = keys.create('admin').key;
    app = await buildApp({ store, registry, scorer: new LiveScorer(store, registry, SIM.plant), keys });
  }, 120_000);
  afterAll(async () => {
    await app?.close();
    await store?.close();
  });

  it('documents every operation: a summary, and a schema for its answer and its errors', () => {
    const doc = app.swagger() as unknown as {
      paths: Record<string, Record<string, { summary?: string; responses?: Record<string, unknown> }>>;
    };
    const ops = Object.entries(doc.paths).flatMap(([route, o]) =>
      Object.entries(o).map(([m, op]) => ({ route, m, op })),
    );
    expect(ops.length).toBeGreaterThanOrEqual(14);
    for (const { route, m, op } of ops) {
      expect(op.summary, `${m} ${route}`).toBeTruthy();
      if (route === '/metrics') continue; // Prometheus text, not JSON
      expect(op.responses?.['200'], `${m} ${route}`).toBeDefined();
      expect(op.responses?.['400'], `${m} ${route}`).toBeDefined();
    }
  });

  it('answers at least 2,000 malformed requests with 4xx problem+json naming the field, fast, writing nothing', async () => {
    const doc = app.swagger() as unknown as { paths: Record<string, Record<string, Operation>> };
    const all = cases(doc, key);
    expect(all.length).toBeGreaterThanOrEqual(2000);
    const before = await counts();
    const failures: string[] = [];
    const statuses = new Map<number, number>();
    for (const c of all) {
      const t0 = performance.now();
      const res = await app.inject({
        method: c.method as 'GET',
        url: c.url,
        headers: c.headers,
        ...(c.payload === undefined ? {} : { payload: c.payload }),
      });
      const ms = performance.now() - t0;
      statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
      // /ready answers 503 by design while no model is promoted (a readiness probe's job).
      const probe = c.url.startsWith('/ready') && res.statusCode === 503;
      if (res.statusCode >= 500 && !probe)
        failures.push(`${c.what}: ${res.statusCode} ${res.body.slice(0, 200)}`);
      if (ms > 2000) failures.push(`${c.what}: took ${ms.toFixed(0)} ms`);
      if (res.statusCode >= 400) {
        if (!/application\/problem\+json/.test(String(res.headers['content-type'])))
          failures.push(`${c.what}: ${res.statusCode} as ${res.headers['content-type']}`);
        const p = res.json() as { field?: string; detail?: string; title?: string };
        if (res.statusCode === 400 && (p.field === undefined || !p.detail?.startsWith(p.field)))
          failures.push(`${c.what}: 400 without the field: ${res.body.slice(0, 200)}`);
      } else if (c.url === '/v1/telemetry' && c.headers?.['content-type'] === 'application/x-ndjson') {
        if (res.json().accepted !== 0) failures.push(`${c.what}: accepted ${res.json().accepted}`);
      } else if (c.payload !== undefined) {
        failures.push(`${c.what}: accepted with ${res.statusCode}`);
      }
    }
    if (process.env.PDM_FUZZ_REPORT) writeFileSync(process.env.PDM_FUZZ_REPORT, failures.join('\n'));
    expect(failures, failures.slice(0, 30).join('\n')).toEqual([]);
    // Nothing a refused request carried was written, not even the good items beside the bad one.
    expect(await counts()).toEqual(before);
    expect([...statuses.keys()].every((s) => s >= 400 || s === 200)).toBe(true);
    // Most are refused by the schema or the strict time reader; say what came back.
    console.log(`fuzz: ${all.length} requests, statuses ${JSON.stringify(Object.fromEntries(statuses))}`);
  }, 300_000);
});
