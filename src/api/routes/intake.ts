/**
 * MES context and telemetry intake. MES records come as JSON arrays checked whole before anything
 * is written: the schema first, then every instant through the strict RFC 3339 reader, the domain
 * checks (end before start, a failure without a mode, spec limits) and the equipment being known;
 * one bad item and the request is refused (400 naming body.<index>.<field>) with nothing written,
 * so an MES integration error never leaves half a batch behind. Writes are idempotent by natural
 * keys (QuestDB DEDUP UPSERT KEYS), so a retried request changes nothing. Telemetry also takes
 * NDJSON, streamed through the CLI's ingestion path within the body and line limits: bad lines are
 * rejected one by one (row, field, reason) and the good ones kept, as `pdm ingest` does.
 */
import type { Readable } from 'node:stream';
import { Type } from 'typebox';
import type { Static, TSchema } from 'typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  appendMaintenance,
  boundedLines,
  ingestLines,
  maintenanceLayout,
  ndjsonParser,
} from '../../ingest/index.ts';
import { query, sql, telemetrySensors, Writer } from '../../store/index.ts';
import type { Store, TableLayout } from '../../store/index.ts';
import { currentPlant, failureMode, readingCheck } from '../../plant/index.ts';
import type { Plant, ReadingCheck } from '../../plant/index.ts';
import { InvalidInput } from '../plugins/app/problem.ts';
import { answers, Id, Text, Time } from '../schemas.ts';
import { instant, optionalInstant, readingTime } from '../times.ts';

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
    speed_setpoint: Type.Optional(Num("the recipe's rate set-point (normalised)")),
    temp_setpoint: Type.Optional(Num('temperature setpoint offset')),
  },
  { additionalProperties: false },
);

export const QualityItem = Type.Object(
  {
    ts: Time('when measured'),
    equipment: Id('equipment id'),
    batch_id: Id('batch measured'),
    characteristic: Id('quality characteristic (one its class declares in the plant file)'),
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
    mode: Type.Optional(Id('failure mode: a name or code its class declares in the plant file')),
    end: Type.Optional(Time('when the event ended')),
    work_order: Type.Optional(Text(128, 'CMMS work order')),
    note: Type.Optional(Text(2000, 'free text')),
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
    equipment_class: Id('equipment class (one the plant file declares)'),
    name: Type.Optional(Text(256, 'display name')),
    installed_at: Type.Optional(Time('installation date')),
  },
  { additionalProperties: false },
);

/** A sensor's value in a reading: a number, or null for "this sensor, no value". */
export const SensorValue = Type.Union([Type.Number(), Type.Null()], {
  description: 'a sensor of the equipment (a telemetry column: the plant file declares them)',
});
export const ReadingItem = Type.Object(
  {
    ts: Type.Union([Time('reading time'), Type.Number({ minimum: 0, description: 'epoch milliseconds' })]),
    equipment: Id('equipment id'),
  },
  {
    additionalProperties: SensorValue,
    description: 'a reading: its time, its equipment, and a value per sensor of its class ("<sensor>": 61.2)',
  },
);

export const IntakeReply = Type.Object({
  table: Type.String(),
  accepted: Type.Integer(),
  rejected: Type.Integer(),
  rejections: Type.Array(Type.Object({ row: Type.Integer(), field: Type.String(), reason: Type.String() })),
});

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

/** Refuses an end before its start, naming the end's field. */
function ordered(
  start: number,
  end: number,
  field: string,
  startText: string,
  endText: string | undefined,
): void {
  if (end < start) throw new InvalidInput(field, `ends (${endText}) before it starts (${startText})`);
}

/**
 * Writes rows already parsed and checked through one writer; returns how many QuestDB acknowledged.
 * Every check is done before this is called, so a refused request writes nothing.
 */
async function writeAll<T>(
  store: Store,
  layout: TableLayout,
  items: readonly T[],
  put: (w: Writer, item: T) => Promise<void>,
): Promise<number> {
  const w = await Writer.open(store.config.questdb, store.config.ingest, layout, API_WRITES);
  try {
    for (const it of items) await put(w, it);
    await w.close();
  } catch (err) {
    await w.close().catch(() => {});
    throw err;
  }
  return w.stats.rowsAcknowledged;
}

/**
 * A request must be answered within the request timeout: one short retry instead of the file
 * ingester's patient ones (a QuestDB that went away is a 503 the client retries, not a hang).
 */
const API_WRITES = { flushTimeoutMs: 5000, maxRetries: 1 } as const;

const reply = (table: string, accepted: number) => ({ table, accepted, rejected: 0, rejections: [] });

const intake: FastifyPluginAsyncTypebox = async (app) => {
  const { store } = app.services;
  const t = store.tables;
  // The plant in force (its checks of readings, modes, characteristics and classes) and the
  // telemetry columns, re-read at most every 5 s: an apply reaches intake within seconds.
  let cached: { at: number; plant: Plant | null; check: ReadingCheck; sensors: Set<string> } | undefined;
  const plantNow = async () => {
    if (cached === undefined || Date.now() - cached.at > 5000) {
      const plant = (await currentPlant(store))?.plant ?? null;
      cached = {
        at: Date.now(),
        plant,
        check: readingCheck(plant),
        sensors: new Set(await telemetrySensors(store)),
      };
    }
    return cached;
  };
  const common = (summary: string, body: TSchema, roles: ('mes' | 'engineer')[]) => ({
    schema: { summary, tags: ['intake'], body, response: answers(IntakeReply) },
    config: { roles, store: true },
  });

  app.post<{ Body: Static<typeof EquipmentItem>[] }>(
    '/v1/equipment',
    common(
      'Register or move equipment in the ISA-95 tree (a new record per change; all or nothing)',
      batchOf(EquipmentItem),
      ['engineer'],
    ),
    async (req) => {
      const now = Date.now() * 1000;
      const { plant } = await plantNow();
      const rows = req.body.map((e, i) => {
        // With a plant file in force, equipment belongs to one of its classes.
        if (plant !== null && plant.classes[e.equipment_class] === undefined)
          throw new InvalidInput(
            `body.${i}.equipment_class`,
            `${JSON.stringify(e.equipment_class)} is not a class of the plant in force (${Object.keys(plant.classes).join(', ')})`,
            'declare the class (and the equipment) in the plant file: pdm plant apply FILE or PUT /v1/plant',
          );
        return { e, installed: optionalInstant(e.installed_at, `body.${i}.installed_at`) };
      });
      const n = await writeAll(
        store,
        {
          table: t.equipment,
          symbols: ['equipment', 'site', 'area', 'line', 'cell', 'equipment_class'],
          doubles: [],
          timestamps: ['installed_at'],
          strings: ['name'],
        },
        rows,
        (w, { e, installed }) =>
          w.append(
            now,
            [e.equipment, e.site, e.area ?? null, e.line, e.cell ?? null, e.equipment_class],
            [],
            [],
            [installed],
            [e.name ?? null],
          ),
      );
      return reply(t.equipment, n);
    },
  );

  app.post<{ Body: Static<typeof OrderItem>[] }>(
    '/v1/mes/orders',
    common(
      'MES production orders (idempotent on released_at + order_id; all or nothing)',
      batchOf(OrderItem),
      ['mes'],
    ),
    async (req) => {
      const rows = req.body.map((o, i) => ({
        o,
        released: instant(o.released_at, `body.${i}.released_at`),
        due: optionalInstant(o.due_at, `body.${i}.due_at`),
      }));
      const n = await writeAll(
        store,
        {
          table: t.orders,
          symbols: ['order_id', 'product', 'line', 'status'],
          doubles: ['quantity'],
          timestamps: ['due_at'],
        },
        rows,
        (w, { o, released, due }) =>
          w.append(
            released,
            [o.order_id, o.product, o.line ?? null, o.status],
            [o.quantity ?? NaN],
            [],
            [due],
          ),
      );
      return reply(t.orders, n);
    },
  );

  app.post<{ Body: Static<typeof BatchItem>[] }>(
    '/v1/mes/batches',
    common(
      'MES batches, planned to done (idempotent on start + equipment + batch_id; all or nothing)',
      batchOf(BatchItem),
      ['mes'],
    ),
    async (req) => {
      const plan = (b: Static<typeof BatchItem>) => b.status === 'planned' || b.status === 'replanned';
      const rows = req.body.map((b, i) => {
        const start = instant(b.start, `body.${i}.start`);
        const end = optionalInstant(b.end, `body.${i}.end`);
        const plannedEnd = optionalInstant(b.planned_end, `body.${i}.planned_end`);
        ordered(start, end, `body.${i}.end`, b.start, b.end);
        ordered(start, plannedEnd, `body.${i}.planned_end`, b.start, b.planned_end);
        if (b.end !== undefined && b.status === 'running')
          throw new InvalidInput(
            `body.${i}.end`,
            'a running batch has not ended yet: send its expected end as planned_end',
          );
        if (b.end !== undefined && b.planned_end !== undefined && plan(b) && end !== plannedEnd)
          throw new InvalidInput(
            `body.${i}.end`,
            `a ${b.status} batch's end is its planned end: give one of end, planned_end`,
          );
        // A plan's end is planned, not actual: ended_at stays empty until the batch is done.
        const times = plan(b) ? [NaN, Number.isNaN(plannedEnd) ? end : plannedEnd] : [end, plannedEnd];
        return { b, start, times };
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
        rows,
        (w, { b, start, times }) =>
          w.append(
            start,
            [b.equipment, b.batch_id, b.order_id, b.product, b.recipe ?? null, b.status],
            [b.load ?? NaN, b.speed_setpoint ?? NaN, b.temp_setpoint ?? NaN],
            [],
            times,
          ),
      );
      return reply(t.batches, n);
    },
  );

  app.post<{ Body: Static<typeof QualityItem>[] }>(
    '/v1/quality',
    common('Quality measurements with the spec limits in force (all or nothing)', batchOf(QualityItem), [
      'mes',
    ]),
    async (req) => {
      const { plant } = await plantNow();
      const rows = req.body.map((q, i) => {
        const ts = instant(q.ts, `body.${i}.ts`);
        if (!(q.lsl < q.usl))
          throw new InvalidInput(`body.${i}.usl`, `usl (${q.usl}) must exceed lsl (${q.lsl})`);
        // Equipment the plant file lists measures the characteristics its class declares.
        const e = plant?.equipment.find((x) => x.id === q.equipment);
        const cls = e === undefined ? undefined : plant?.classes[e.class];
        if (
          e !== undefined &&
          cls !== undefined &&
          !cls.quality.some((c) => c.characteristic === q.characteristic)
        )
          throw new InvalidInput(
            `body.${i}.characteristic`,
            `${JSON.stringify(q.characteristic)} is not a quality characteristic of class ${e.class} (the plant file declares ${
              cls.quality.map((c) => c.characteristic).join(', ') || 'none'
            })`,
          );
        return { q, ts };
      });
      await checkEquipment(store, req.body);
      const n = await writeAll(
        store,
        {
          table: t.quality,
          symbols: ['equipment', 'batch_id', 'characteristic'],
          doubles: ['value', 'lsl', 'usl'],
        },
        rows,
        (w, { q, ts }) => w.append(ts, [q.equipment, q.batch_id, q.characteristic], [q.value, q.lsl, q.usl]),
      );
      return reply(t.quality, n);
    },
  );

  app.post<{ Body: Static<typeof MaintenanceItem>[] }>(
    '/v1/maintenance',
    common(
      'Failures, repairs, preventive maintenance and inspections (all or nothing)',
      batchOf(MaintenanceItem),
      ['mes', 'engineer'],
    ),
    async (req) => {
      const { plant } = await plantNow();
      const rows = req.body.map((m, i) => {
        const ts = instant(m.ts, `body.${i}.ts`);
        const end = optionalInstant(m.end, `body.${i}.end`);
        ordered(ts, end, `body.${i}.end`, m.ts, m.end);
        if (m.kind === 'failure' && m.mode === undefined)
          throw new InvalidInput(
            `body.${i}.mode`,
            "a failure needs its mode: a failure mode (name or code) of the equipment's class in the plant file",
          );
        let mode = m.mode ?? null;
        if (plant !== null && mode !== null) {
          const known = failureMode(plant, m.equipment, mode);
          if (typeof known === 'object' && known !== null)
            throw new InvalidInput(`body.${i}.mode`, known.reason);
          if (typeof known === 'string') mode = known;
        }
        return { m, ts, end, mode };
      });
      await checkEquipment(store, req.body);
      const n = await writeAll(store, maintenanceLayout(t), rows, (w, { m, ts, end, mode }) =>
        appendMaintenance(w, {
          ts,
          equipment: m.equipment,
          kind: m.kind,
          mode,
          end,
          workOrder: m.work_order ?? null,
          note: m.note ?? null,
        }),
      );
      return reply(t.maintenance, n);
    },
  );

  // Telemetry: a JSON array (validated whole) or an NDJSON stream (line by line, as the CLI).
  const limits = store.config.api;
  const plantCheck = async (): Promise<ReadingCheck> => (await plantNow()).check;
  /** Refuses a sensor the telemetry table has no column for (a plant file declares the sensors). */
  const sensorColumns = async (): Promise<Set<string>> => (await plantNow()).sensors;
  app.addContentTypeParser('application/x-ndjson', (_req, payload, done) => done(null, payload));
  app.post<{ Body: Static<typeof ReadingItem>[] | Readable }>(
    '/v1/telemetry',
    {
      bodyLimit: 64 << 20,
      schema: {
        summary:
          'Equipment readings: a JSON array (refused whole if any item is invalid) or application/x-ndjson (bad lines rejected one by one, the rest kept)',
        tags: ['intake'],
        // NDJSON bodies are streams, checked line by line: the array schema is for JSON.
        body: {
          content: {
            'application/json': { schema: batchOf(ReadingItem) },
            'application/x-ndjson': { schema: {} },
          },
        },
        response: answers(IntakeReply),
      },
      config: { roles: ['mes'], store: true },
    },
    async (req) => {
      const check = await plantCheck();
      const columns = await sensorColumns();
      if (!Array.isArray(req.body)) {
        const known = await knownEquipment(store);
        // readline drops lines emitted before iteration starts: nothing may be awaited between here and ingestLines.
        const lines = boundedLines(req.body as Readable, {
          maxBytes: limits.ndjsonMaxBytes,
          maxLine: limits.ndjsonMaxLine,
          declaredLength: Number(req.headers['content-length'] ?? NaN),
        });
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
            writer: API_WRITES,
            validate: check.check,
            checkParser: (p) => {
              const bad = p.layout.doubles.find((c) => !columns.has(c));
              if (bad !== undefined)
                throw new InvalidInput(
                  `body.line 1.${bad}`,
                  'not a telemetry sensor',
                  `sensors: ${[...columns].join(', ')} (a plant file declares the sensors: pdm plant apply FILE)`,
                );
            },
          },
        );
        if (r.table === undefined) throw new InvalidInput('body', 'no NDJSON line: the body is empty');
        return {
          table: t.telemetry,
          accepted: r.accepted,
          rejected: r.rejected,
          rejections: [...r.rejections],
        };
      }
      const items = req.body;
      // A reading's sensors are the fields it names (null included: "this sensor, no value"); items
      // naming the same sensors are one source's rows, written with that sensor set (its DEDUP key).
      const bySet = new Map<
        string,
        { sensors: string[]; rows: { equipment: string; ts: number; values: Float64Array }[] }
      >();
      items.forEach((r, i) => {
        const ts = readingTime(r.ts, `body.${i}.ts`);
        const sensors = Object.keys(r)
          .filter((k) => k !== 'ts' && k !== 'equipment')
          .sort();
        if (sensors.length === 0)
          throw new InvalidInput(
            `body.${i}`,
            'a reading names at least one sensor of its class, as "<sensor>": <value>',
          );
        const unknown = sensors.find((k) => !columns.has(k));
        if (unknown !== undefined)
          throw new InvalidInput(
            `body.${i}.${unknown}`,
            'not a telemetry sensor',
            `sensors: ${[...columns].join(', ')} (a plant file declares the sensors: pdm plant apply FILE)`,
          );
        const values = sensors.map((k) => {
          const v = (r as Record<string, unknown>)[k];
          return typeof v === 'number' ? v : NaN;
        });
        const bad = check.check(r.equipment, sensors, values);
        if (bad !== null) throw new InvalidInput(`body.${i}.${bad.field}`, bad.reason);
        const key = sensors.join(',');
        let group = bySet.get(key);
        if (group === undefined) bySet.set(key, (group = { sensors, rows: [] }));
        group.rows.push({ equipment: r.equipment, ts, values: Float64Array.from(values) });
      });
      await checkEquipment(store, items);
      let n = 0;
      for (const g of bySet.values())
        n += await writeAll(
          store,
          { table: t.telemetry, symbols: ['equipment'], doubles: g.sensors, readings: true },
          g.rows,
          (w, r) => w.append(r.ts, [r.equipment], r.values),
        );
      return reply(t.telemetry, n);
    },
  );
};

export default intake;
