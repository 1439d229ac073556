/**
 * Where simulated rows go. The QuestDB sink sends each table through its own Writer (the engine's
 * real ingestion path); the checksum sink hashes every row in emission order, so two runs with the
 * same seed and start can be compared byte for byte without a database.
 */
import type { Config } from '../config.ts';
import type { Tables } from '../store/tables.ts';
import { ParallelWriter } from '../store/parallel-writer.ts';
import { Writer } from '../store/writer.ts';
import type { RowWriter, TableLayout } from '../store/writer.ts';
import type { EquipmentSpec } from './plant.ts';
import { SENSORS } from './plant.ts';
import { newEventLog } from './events.ts';
import type { EventLog } from './events.ts';
import type { ReadingBuffer } from './readings.ts';

export interface SimSink {
  equipment(specs: readonly EquipmentSpec[], ts: number): Promise<void>;
  readings(equipment: string, buffer: ReadingBuffer): Promise<void>;
  events(log: EventLog): Promise<void>;
  /** Makes everything sent so far durable (live mode calls it every tick). */
  flush(): Promise<void>;
  close(): Promise<void>;
}

export class ChecksumSink implements SimSink {
  private h1 = 0x811c9dc5;
  private h2 = 0x01000193;
  private readonly f64 = new Float64Array(1);
  private readonly words = new Uint32Array(this.f64.buffer);

  /** 64-bit FNV-style digest as hex. */
  digest(): string {
    return (this.h1 >>> 0).toString(16).padStart(8, '0') + (this.h2 >>> 0).toString(16).padStart(8, '0');
  }

  /** Mixes one 32-bit word (a double is two: a byte at a time made the digest a third of `pdm simulate`). */
  private word(w: number): void {
    this.h1 = Math.imul(this.h1 ^ w, 0x01000193);
    this.h2 = Math.imul(this.h2 ^ w, 0x5bd1e995) ^ (this.h1 >>> 15);
  }

  private num(v: number): void {
    this.f64[0] = v;
    this.word(this.words[0] as number);
    this.word(this.words[1] as number);
  }

  private str(s: string): void {
    for (let i = 0; i < s.length; i++) this.word(s.charCodeAt(i));
    this.word(0);
  }

  private values(o: object): void {
    for (const v of Object.values(o)) {
      if (typeof v === 'number') this.num(v);
      else if (typeof v === 'string') this.str(v);
      else if (v instanceof Float64Array) for (const x of v) this.num(x);
    }
  }

  async equipment(specs: readonly EquipmentSpec[], ts: number): Promise<void> {
    this.num(ts);
    for (const s of specs)
      this.values({ id: s.id, site: s.site, area: s.area, line: s.line, cell: s.cell, cls: s.cls.name });
  }

  async readings(equipment: string, buffer: ReadingBuffer): Promise<void> {
    this.str(equipment);
    const width = SENSORS.length;
    for (let i = 0; i < buffer.n; i++) {
      this.num(buffer.ts[i] as number);
      for (let j = 0; j < width; j++) this.num(buffer.values[i * width + j] as number);
    }
  }

  async events(log: EventLog): Promise<void> {
    for (const list of Object.values(log) as object[][]) for (const row of list) this.values(row);
  }

  async flush(): Promise<void> {}
  async close(): Promise<void> {}
}

/** Keeps everything in memory: for tests, plots and analyses of small runs. */
export class MemorySink implements SimSink {
  readonly specs: EquipmentSpec[] = [];
  readonly series = new Map<string, { ts: number[]; values: number[][] }>();
  readonly log: EventLog = newEventLog();

  async equipment(specs: readonly EquipmentSpec[]): Promise<void> {
    this.specs.push(...specs);
  }

  async readings(equipment: string, buffer: ReadingBuffer): Promise<void> {
    let r = this.series.get(equipment);
    if (r === undefined) this.series.set(equipment, (r = { ts: [], values: [] }));
    for (let i = 0; i < buffer.n; i++) {
      r.ts.push(buffer.ts[i] as number);
      r.values.push(Array.from(buffer.row(i)));
    }
  }

  async events(log: EventLog): Promise<void> {
    for (const [k, list] of Object.entries(log) as [keyof EventLog, object[]][])
      (this.log[k] as object[]).push(...list);
  }

  async flush(): Promise<void> {}
  async close(): Promise<void> {}
}

/** Sends to several sinks in order (QuestDB plus a checksum). */
export class TeeSink implements SimSink {
  constructor(private readonly sinks: readonly SimSink[]) {}
  async equipment(specs: readonly EquipmentSpec[], ts: number) {
    for (const s of this.sinks) await s.equipment(specs, ts);
  }
  async readings(equipment: string, buffer: ReadingBuffer) {
    for (const s of this.sinks) await s.readings(equipment, buffer);
  }
  async events(log: EventLog) {
    for (const s of this.sinks) await s.events(log);
  }
  async flush() {
    for (const s of this.sinks) await s.flush();
  }
  async close() {
    for (const s of this.sinks) await s.close();
  }
}

export function simLayouts(t: Tables) {
  return {
    telemetry: { table: t.telemetry, symbols: ['equipment'], doubles: [...SENSORS], readings: true },
    bursts: { table: t.vibration_bursts, symbols: ['equipment'], doubles: ['accel'] },
    equipment: {
      table: t.equipment,
      symbols: ['equipment', 'site', 'area', 'line', 'cell', 'equipment_class'],
      doubles: [],
      timestamps: ['installed_at'],
      strings: ['name'],
    },
    batches: {
      table: t.batches,
      symbols: ['equipment', 'batch_id', 'order_id', 'product', 'recipe', 'status'],
      doubles: ['load', 'speed_setpoint', 'temp_setpoint'],
      timestamps: ['ended_at', 'planned_end'],
    },
    orders: {
      table: t.orders,
      symbols: ['order_id', 'product', 'line', 'status'],
      doubles: ['quantity'],
      timestamps: ['due_at'],
    },
    maintenance: {
      table: t.maintenance,
      symbols: ['equipment', 'kind', 'mode'],
      doubles: [],
      timestamps: ['ended_at'],
      strings: ['work_order'],
    },
    quality: {
      table: t.quality,
      symbols: ['equipment', 'batch_id', 'characteristic'],
      doubles: ['value', 'lsl', 'usl'],
    },
    health: {
      table: t.sim_health,
      symbols: ['equipment'],
      doubles: ['health', 'bearing_wear', 'thermal_wear', 'tool_wear', 'seal_wear'],
    },
    failures: { table: t.sim_failures, symbols: ['equipment', 'mode'], doubles: ['wear'] },
    qualityTruth: {
      table: t.sim_quality_truth,
      symbols: ['equipment', 'batch_id', 'characteristic'],
      doubles: ['true_mean', 'time_to_limit_h'],
    },
  } satisfies Record<string, TableLayout>;
}

type Writers = Record<keyof ReturnType<typeof simLayouts>, RowWriter>;

export class QuestDbSink implements SimSink {
  private constructor(private readonly w: Writers) {}

  static async open(config: Config, tables: Tables): Promise<QuestDbSink> {
    const layouts = simLayouts(tables);
    const entries = await Promise.all(
      Object.entries(layouts).map(async ([k, layout]) => {
        // Telemetry is the heavy stream: encoded and sent from worker threads, so the simulation
        // keeps the main thread (a week at 1 s: 22 s this way, 30 s with the Writer on the main
        // thread). Context tables are small: modest batches keep live flushes cheap.
        if (k === 'telemetry')
          return [k, await ParallelWriter.open(config.questdb, config.ingest, layout)] as const;
        return [k, await Writer.open(config.questdb, config.ingest, layout, { batchRows: 5000 })] as const;
      }),
    );
    return new QuestDbSink(Object.fromEntries(entries) as Writers);
  }

  async equipment(specs: readonly EquipmentSpec[], ts: number): Promise<void> {
    for (const s of specs) {
      await this.w.equipment.append(
        ts,
        [s.id, s.site, s.area, s.line, s.cell, s.cls.name],
        [],
        [],
        [ts],
        [`${s.cls.name} ${s.id}`],
      );
    }
  }

  async readings(equipment: string, buffer: ReadingBuffer): Promise<void> {
    // One call per block: an await per reading was a third of the history's write time.
    await this.w.telemetry.appendBlock(buffer.n, buffer.ts, [equipment], buffer.values);
  }

  async events(log: EventLog): Promise<void> {
    const w = this.w;
    for (const s of log.bursts) await w.bursts.append(s.ts, [s.equipment], [s.accel]);
    for (const b of log.batches) {
      await w.batches.append(
        b.ts,
        [b.equipment, b.batchId, b.orderId, b.product, b.recipe, b.status],
        [b.load, b.speedSetpoint, b.tempSetpoint],
        [],
        [b.endedAt, b.plannedEnd],
      );
    }
    for (const o of log.orders)
      await w.orders.append(o.ts, [o.orderId, o.product, o.line, o.status], [o.quantity], [], [o.dueAt]);
    for (const m of log.maintenance) {
      await w.maintenance.append(
        m.ts,
        [m.equipment, m.kind, m.mode === '' ? null : m.mode],
        [],
        [],
        [m.endedAt],
        [m.workOrder],
      );
    }
    for (const q of log.quality)
      await w.quality.append(q.ts, [q.equipment, q.batchId, q.characteristic], [q.value, q.lsl, q.usl]);
    for (const h of log.health) await w.health.append(h.ts, [h.equipment], [h.health, ...h.wear]);
    for (const f of log.failures) await w.failures.append(f.ts, [f.equipment, f.mode], [f.wear]);
    for (const q of log.qualityTruth) {
      const ttl = Number.isFinite(q.timeToLimitH) ? q.timeToLimitH : NaN;
      await w.qualityTruth.append(q.ts, [q.equipment, q.batchId, q.characteristic], [q.trueMean, ttl]);
    }
  }

  async flush(): Promise<void> {
    for (const w of Object.values(this.w)) await w.flush();
  }

  async close(): Promise<void> {
    for (const w of Object.values(this.w)) await w.close();
  }
}
