/**
 * How a shop-floor source writes: readings into telemetry (one row per equipment and instant,
 * keyed by the sensors its message reported, so sources never overwrite each other), events into
 * the events table (one instant per event, so a burst keeps every one). The writers are kept
 * between batches and dropped after a failure (a fresh Sender next time). A batch must land
 * within a few seconds, or the source lets its upstream hold the data.
 */
import { sensorSetOf, Writer } from '../store/index.ts';
import type { Store } from '../store/index.ts';
import type { SourceEvent, SourceRow } from './sparkplug.ts';

export const WRITES = { flushTimeoutMs: 10_000, maxRetries: 1 } as const;

export class SourceWriter {
  private rowWriter: Writer | undefined;
  private eventWriter: Writer | undefined;
  private lastEventTs = 0;
  /** Flushes QuestDB did not take at the first attempt (retried within the deadline). */
  retries = 0;

  constructor(
    private readonly store: Store,
    /** Every sensor the plant declares: the telemetry columns a row may fill. */
    private readonly sensors: readonly string[],
  ) {}

  async writeRows(rows: readonly SourceRow[]): Promise<void> {
    this.rowWriter ??= await Writer.open(
      this.store.config.questdb,
      this.store.config.ingest,
      { table: this.store.tables.telemetry, symbols: ['equipment', 'sensor_set'], doubles: this.sensors },
      WRITES,
    );
    const w = this.rowWriter;
    const values = new Float64Array(this.sensors.length);
    for (const r of rows) {
      for (let j = 0; j < this.sensors.length; j++) values[j] = r.values[this.sensors[j] as string] ?? NaN;
      // The row's sensor set is the sensors its message reported: its own DEDUP key.
      await w.append(r.ts, [r.equipment, sensorSetOf(Object.keys(r.values))], values);
    }
    const before = w.stats.retries;
    try {
      await w.flush();
    } finally {
      this.retries += w.stats.retries - before;
    }
  }

  async writeEvents(events: readonly SourceEvent[], log?: (line: string) => void): Promise<void> {
    this.eventWriter ??= await Writer.open(
      this.store.config.questdb,
      this.store.config.ingest,
      {
        table: this.store.tables.events,
        symbols: ['equipment', 'kind', 'sensor'],
        doubles: [],
        strings: ['detail'],
        timestamps: ['detected_at'],
      },
      WRITES,
    );
    for (const e of events) {
      const ts = Math.max(Date.now() * 1000, this.lastEventTs + 1);
      this.lastEventTs = ts;
      await this.eventWriter.append(ts, [e.equipment, e.kind, e.sensor ?? ''], [], [], [ts], [e.detail]);
      log?.(`${e.kind}: ${e.detail}`);
    }
    await this.eventWriter.flush();
  }

  /** Closes the writers (after a failure: the next batch opens fresh ones). */
  async drop(): Promise<void> {
    const ws = [this.rowWriter, this.eventWriter];
    this.rowWriter = undefined;
    this.eventWriter = undefined;
    for (const w of ws) await w?.close().catch(() => {});
  }
}
