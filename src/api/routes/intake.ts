/**
 * MES context and telemetry intake. MES records come as JSON arrays validated whole: one bad item
 * and the request is refused (400 naming body.<index>.<field>) with nothing written, so an MES
 * integration error never leaves half a batch behind. Writes are idempotent by natural keys
 * (QuestDB DEDUP UPSERT KEYS), so a retried request changes nothing. Telemetry also takes NDJSON,
 * streamed through the CLI's ingestion path: bad lines are rejected one by one (row, field,
 * reason) and the good ones kept, as `pdm ingest` does.
 */
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { Static, TSchema } from 'typebox';
import { ingestLines, ndjsonParser, parseIsoMicros } from '../../ingest/index.ts';
import { query, sql, TELEMETRY_SENSORS, Writer } from '../../store/index.ts';
import type { Store, TableLayout } from '../../store/index.ts';
import { InvalidInput } from '../problem.ts';

const Id = (description: string) =>
  Type.String({ minLength: 1, maxLength: 128, pattern: '^[^\\s]', description });
const Time = (description: string) => Type.String({ format: 'date-time', description });
const Num = (description: string) => Type.Number({ description });
const MAX_ITEMS = 10_000;
const batchOf = <T extends TSchema>(item: T) => Type.Array(item, { minItems: 1, maxItems: MAX_ITEMS });

export const OrderItem = Type.Object(
  {
    order_id: Id('MES order id'),
    released_at: Time('when the order was released (its key with order_id)'),
    product: Id('product code'),
    line: Type.Optional(Id('production line')),
    quantity: Type.Optional(Type.Number({ minimum: 0 })),
    due_at: Type.Optional(Time('due date')),
    status: Type.Union([Type.Literal('released'), Type.Literal('completed'), Type.Literal('cancelled')]),
  },
  { additionalProperties: false },
);

const BATCH_STATUS = ['planned', 'replanned', 'running', 'done', 'aborted'] as const;
export const BatchItem = Type.Object(
  {
    batch_id: Id('MES batch (lot) id'),
    equipment: Id('equipment id'),
    order_id: Id('order the batch belongs to'),
    product: Id('product code'),
    recipe: Type.Optional(Id('recipe')),
    status: Type.Union(BATCH_STATUS.map((s) => Type.Literal(s))),
    start: Time('planned or actual start (its key with equipment and batch_id)'),
    end: Type.Optional(
      Time('done or aborted: the actual end; planned or replanned: the planned end (stored as planned_end)'),
    ),
    planned_end: Type.Optional(Time('when the plan has the batch end (a running batch: its expected end)')),
    load: Type.Optional(Type.Number({ minimum: 0, maximum: 2 })),
    speed_setpoint: Type.Optional(Num('speed setpoint (normalised)')),
    temp_setpoint: Type.Optional(Num('temperature setpoint offset')),
  },
  { additionalProperties: false },
);

export const QualityItem = Type.Object(
  {
    ts: Time('when measured'),
    equipment: Id('equipment id'),
    batch_id: Id('batch measured'),
    characteristic: Id('quality characteristic, e.g. diameter_mm'),
    value: Num('measured value'),
    lsl: Num('lower spec limit in force'),
    usl: Num('upper spec limit in force'),
  },
  { additionalProperties: false },
);

export const MaintenanceItem = Type.Object(
  {
    ts: Time('when the event started'),
    equipment: Id('equipment id'),
    kind: Type.Union([
      Type.Literal('failure'),
      Type.Literal('repair'),
      Type.Literal('preventive'),
      Type.Literal('inspection'),
    ]),
    mode: Type.Optional(Id('failure mode, e.g. bearing')),
    end: Type.Optional(Time('when the event ended')),
    work_order: Type.Optional(Type.String({ maxLength: 128 })),
    note: Type.Optional(Type.String({ maxLength: 2000 })),
  },
  { additionalProperties: false },
);

export const EquipmentItem = Type.Object(
  {
    equipment: Id('equipment id'),
    site: Id('ISA-95 site'),
    area: Type.Optional(Id('ISA-95 area')),
    line: Id('ISA-95 line'),
    cell: Type.Optional(Id('ISA-95 work cell')),
    equipment_class: Id('class, e.g. cnc, pump'),
    name: Type.Optional(Type.String({ maxLength: 256 })),
    installed_at: Type.Optional(Time('installation date')),
  },
  { additionalProperties: false },
);

const sensorProps = Object.fromEntries(
  TELEMETRY_SENSORS.map((s) => [s, Type.Optional(Type.Union([Type.Number(), Type.Null()]))]),
);
export const ReadingItem = Type.Object(
  {
    ts: Type.Union([Time('reading time'), Type.Number({ minimum: 0, description: 'epoch milliseconds' })]),
    equipment: Id('equipment id'),
    ...sensorProps,
  },
  { additionalProperties: false },
);

export const IntakeReply = Type.Object({
  table: Type.String(),
  accepted: Type.Integer(),
  rejected: Type.Integer(),
  rejections: Type.Array(Type.Object({ row: Type.Integer(), field: Type.String(), reason: Type.String() })),
});

const µs = (iso: string | undefined) => (iso === undefined ? NaN : parseIsoMicros(iso));

async function knownEquipment(store: Store): Promise<Set<string>> {
  const { rows } = await query<{ equipment: string }>(store.pool, sql('equipment_current', store.tables));
  return new Set(rows.map((r) => r.equipment));
}

/** Refuses the whole request if any item names an equipment the engine does not know. */
async function checkEquipment(store: Store, items: readonly { equipment: string }[]): Promise<void> {
  const known = await knownEquipment(store);
  const i = items.findIndex((it) => !known.has(it.equipment));
  if (i >= 0)
    throw new InvalidInput(
      `body.${i}.equipment`,
      `unknown equipment ${JSON.stringify(items[i]!.equipment)}`,
      'register it first with POST /v1/equipment (GET /v1/equipment lists the known ones)',
    );
}

/** Writes rows through one writer and returns how many QuestDB acknowledged. */
async function writeAll<T>(
  store: Store,
  layout: TableLayout,
  items: readonly T[],
  put: (w: Writer, item: T) => Promise<void>,
): Promise<number> {
  const w = await Writer.open(store.config.questdb, store.config.ingest, layout);
  try {
    for (const it of items) await put(w, it);
    await w.close();
  } catch (err) {
    await w.close().catch(() => {});
    throw err;
  }
  return w.stats.rowsAcknowledged;
}

const reply = (table: string, accepted: number) => ({ table, accepted, rejected: 0, rejections: [] });

export function registerIntake(app: FastifyInstance, store: Store): void {
  const t = store.tables;
  const common = (summary: string, body: TSchema, roles: ('mes' | 'engineer')[]) => ({
    schema: { summary, body, response: { 200: IntakeReply } },
    config: { roles },
  });

  app.post<{ Body: Static<typeof EquipmentItem>[] }>(
    '/v1/equipment',
    common(
      'Register or move equipment in the ISA-95 tree (a new record per change)',
      batchOf(EquipmentItem),
      ['engineer'],
    ),
    async (req) => {
      const now = Date.now() * 1000;
      const n = await writeAll(
        store,
        {
          table: t.equipment,
          symbols: ['equipment', 'site', 'area', 'line', 'cell', 'equipment_class'],
          doubles: [],
          timestamps: ['installed_at'],
          strings: ['name'],
        },
        req.body,
        (w, e) =>
          w.append(
            now,
            [e.equipment, e.site, e.area ?? null, e.line, e.cell ?? null, e.equipment_class],
            [],
            [],
            [µs(e.installed_at)],
            [e.name ?? null],
          ),
      );
      return reply(t.equipment, n);
    },
  );

  app.post<{ Body: Static<typeof OrderItem>[] }>(
    '/v1/mes/orders',
    common('MES production orders (idempotent on released_at + order_id)', batchOf(OrderItem), ['mes']),
    async (req) => {
      const n = await writeAll(
        store,
        {
          table: t.orders,
          symbols: ['order_id', 'product', 'line', 'status'],
          doubles: ['quantity'],
          timestamps: ['due_at'],
        },
        req.body,
        (w, o) =>
          w.append(
            µs(o.released_at),
            [o.order_id, o.product, o.line ?? null, o.status],
            [o.quantity ?? NaN],
            [],
            [µs(o.due_at)],
          ),
      );
      return reply(t.orders, n);
    },
  );

  app.post<{ Body: Static<typeof BatchItem>[] }>(
    '/v1/mes/batches',
    common('MES batches, planned to done (idempotent on start + equipment + batch_id)', batchOf(BatchItem), [
      'mes',
    ]),
    async (req) => {
      const plan = (b: Static<typeof BatchItem>) => b.status === 'planned' || b.status === 'replanned';
      req.body.forEach((b, i) => {
        if (b.end !== undefined && µs(b.end) < µs(b.start))
          throw new InvalidInput(`body.${i}.end`, `ends (${b.end}) before it starts (${b.start})`);
        if (b.planned_end !== undefined && µs(b.planned_end) < µs(b.start))
          throw new InvalidInput(
            `body.${i}.planned_end`,
            `ends (${b.planned_end}) before it starts (${b.start})`,
          );
        if (b.end !== undefined && b.status === 'running')
          throw new InvalidInput(
            `body.${i}.end`,
            'a running batch has not ended yet: send its expected end as planned_end',
          );
        if (b.end !== undefined && b.planned_end !== undefined && plan(b) && b.end !== b.planned_end)
          throw new InvalidInput(
            `body.${i}.end`,
            `a ${b.status} batch's end is its planned end: give one of end, planned_end`,
          );
      });
      await checkEquipment(store, req.body);
      const n = await writeAll(
        store,
        {
          table: t.batches,
          symbols: ['equipment', 'batch_id', 'order_id', 'product', 'recipe', 'status'],
          doubles: ['load', 'speed_setpoint', 'temp_setpoint'],
          timestamps: ['ended_at', 'planned_end'],
        },
        req.body,
        (w, b) =>
          w.append(
            µs(b.start),
            [b.equipment, b.batch_id, b.order_id, b.product, b.recipe ?? null, b.status],
            [b.load ?? NaN, b.speed_setpoint ?? NaN, b.temp_setpoint ?? NaN],
            [],
            // A plan's end is planned, not actual: ended_at stays empty until the batch is done.
            plan(b) ? [NaN, µs(b.planned_end ?? b.end)] : [µs(b.end), µs(b.planned_end)],
          ),
      );
      return reply(t.batches, n);
    },
  );

  app.post<{ Body: Static<typeof QualityItem>[] }>(
    '/v1/quality',
    common('Quality measurements with the spec limits in force', batchOf(QualityItem), ['mes']),
    async (req) => {
      req.body.forEach((q, i) => {
        if (!(q.lsl < q.usl))
          throw new InvalidInput(`body.${i}.usl`, `usl (${q.usl}) must exceed lsl (${q.lsl})`);
      });
      await checkEquipment(store, req.body);
      const n = await writeAll(
        store,
        {
          table: t.quality,
          symbols: ['equipment', 'batch_id', 'characteristic'],
          doubles: ['value', 'lsl', 'usl'],
        },
        req.body,
        (w, q) => w.append(µs(q.ts), [q.equipment, q.batch_id, q.characteristic], [q.value, q.lsl, q.usl]),
      );
      return reply(t.quality, n);
    },
  );

  app.post<{ Body: Static<typeof MaintenanceItem>[] }>(
    '/v1/maintenance',
    common('Failures, repairs, preventive maintenance and inspections', batchOf(MaintenanceItem), [
      'mes',
      'engineer',
    ]),
    async (req) => {
      req.body.forEach((m, i) => {
        if (m.end !== undefined && µs(m.end) < µs(m.ts))
          throw new InvalidInput(`body.${i}.end`, `ends (${m.end}) before it starts (${m.ts})`);
        if (m.kind === 'failure' && m.mode === undefined)
          throw new InvalidInput(`body.${i}.mode`, 'a failure needs its mode (e.g. bearing)');
      });
      await checkEquipment(store, req.body);
      const n = await writeAll(
        store,
        {
          table: t.maintenance,
          symbols: ['equipment', 'kind', 'mode'],
          doubles: [],
          timestamps: ['ended_at'],
          strings: ['work_order', 'note'],
        },
        req.body,
        (w, m) =>
          w.append(
            µs(m.ts),
            [m.equipment, m.kind, m.mode ?? null],
            [],
            [],
            [µs(m.end)],
            [m.work_order ?? null, m.note ?? null],
          ),
      );
      return reply(t.maintenance, n);
    },
  );

  // Telemetry: a JSON array (validated whole) or an NDJSON stream (line by line, as the CLI).
  app.addContentTypeParser('application/x-ndjson', (_req, payload, done) => done(null, payload));
  app.post<{ Body: Static<typeof ReadingItem>[] | Readable }>(
    '/v1/telemetry',
    {
      bodyLimit: 64 << 20,
      schema: {
        summary:
          'Equipment readings: a JSON array (refused whole if any item is invalid) or application/x-ndjson (bad lines rejected one by one, the rest kept)',
        // NDJSON bodies are streams, checked line by line: the array schema is for JSON.
        body: {
          content: {
            'application/json': { schema: batchOf(ReadingItem) },
            'application/x-ndjson': { schema: {} },
          },
        },
        response: { 200: IntakeReply },
      },
      config: { roles: ['mes'] },
    },
    async (req) => {
      if (!Array.isArray(req.body)) {
        const known = await knownEquipment(store);
        // readline drops lines emitted before iteration starts: nothing may be awaited between here and ingestLines.
        const stream = req.body as Readable;
        stream.setEncoding('utf8');
        const lines = createInterface({ input: stream, crlfDelay: Infinity });
        const r = await ingestLines(
          store.config,
          lines,
          (first) => {
            const p = ndjsonParser(first, { table: t.telemetry, timeUnit: 'ms' });
            // Unknown equipment and columns the table lacks are refused per line, never created.
            return {
              ...p,
              parse(line, row, out) {
                const rej = p.parse(line, row, out);
                if (rej !== null) return rej;
                const eq = out.symbols[0] as string;
                return known.has(eq)
                  ? null
                  : { row, field: 'equipment', reason: `unknown equipment ${JSON.stringify(eq)}` };
              },
            };
          },
          {
            checkParser: (p) => {
              const bad = p.layout.doubles.find((c) => !(TELEMETRY_SENSORS as readonly string[]).includes(c));
              if (bad !== undefined)
                throw new InvalidInput(
                  `line 1.${bad}`,
                  'not a telemetry sensor',
                  `sensors: ${TELEMETRY_SENSORS.join(', ')}`,
                );
            },
          },
        );
        return {
          table: t.telemetry,
          accepted: r.accepted,
          rejected: r.rejected,
          rejections: [...r.rejections],
        };
      }
      const items = req.body;
      await checkEquipment(store, items);
      const row = new Float64Array(TELEMETRY_SENSORS.length);
      const n = await writeAll(
        store,
        { table: t.telemetry, symbols: ['equipment'], doubles: [...TELEMETRY_SENSORS] },
        items,
        (w, r) => {
          TELEMETRY_SENSORS.forEach((s, j) => {
            const v = (r as Record<string, unknown>)[s];
            row[j] = typeof v === 'number' ? v : NaN;
          });
          return w.append(typeof r.ts === 'number' ? r.ts * 1000 : µs(r.ts), [r.equipment], row);
        },
      );
      return reply(t.telemetry, n);
    },
  );
}
