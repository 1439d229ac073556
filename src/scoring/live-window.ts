/**
 * The last 24 h of readings of the equipment being scored live, kept in typed arrays so a score
 * request costs one small query (the readings since the last refresh) instead of a day of rows.
 * Refreshes are single-flight per equipment and at most every `refreshMs`; the whole window is
 * reloaded every `reloadMs` so late readings (earlier than the newest one seen) get in too.
 * Least-recently scored equipment are dropped beyond `maxEquipment` (memory: about 7 MB per
 * equipment at one reading a second and 10 sensors).
 */
import { float64Values, timestampMicros } from '../../features/index.ts';
import { loadEquipmentWindow } from '../../pipelines/data.ts';
import { microsToIso, query, queryTable, sql } from '../store/index.ts';
import type { Store } from '../store/index.ts';

export interface WindowView {
  /** Reading times (µs) and one array per sensor, oldest first; views into the cache, do not keep. */
  readonly ts: Float64Array;
  readonly values: readonly Float64Array[];
  /** The newest reading time: part of cache keys downstream. */
  readonly lastTs: number;
}

/**
 * Window arrays live in SharedArrayBuffers so the feature worker reads a view in place. A view's
 * rows are never written again: refreshes append past them, compaction and full reloads move to
 * new arrays.
 */
function sharedFloat64(length: number): Float64Array {
  return new Float64Array(new SharedArrayBuffer(length * 8));
}

class Window {
  ts: Float64Array = new Float64Array(0);
  values: Float64Array[] = [];
  start = 0;
  end = 0;
  lastTs = -Infinity;
  refreshedAt = 0;
  loadedAt = 0;
  /** The table's applied WAL transactions when this window last read it (`AppliedTxn`). */
  txn: number | undefined;
  inflight: Promise<void> | undefined;
  /** The view handed out until the next refresh changes the window (no garbage per request). */
  view: WindowView | undefined;
}

export interface LiveWindowOptions {
  readonly windowMicros?: number;
  readonly refreshMs?: number;
  readonly reloadMs?: number;
  readonly maxEquipment?: number;
  readonly now?: () => number;
}

export class LiveWindows {
  private readonly windows = new Map<string, Window>();
  private readonly windowMicros: number;
  private readonly refreshMs: number;
  private readonly reloadMs: number;
  private readonly maxEquipment: number;
  private readonly now: () => number;

  constructor(
    private readonly store: Store,
    private readonly sensors: readonly string[],
    o: LiveWindowOptions = {},
  ) {
    this.windowMicros = o.windowMicros ?? 86_400e6;
    this.refreshMs = o.refreshMs ?? 200;
    this.reloadMs = o.reloadMs ?? 600_000;
    this.maxEquipment = o.maxEquipment ?? 32;
    this.now = o.now ?? Date.now;
  }

  /** The window ending now; undefined when the equipment has no readings in it. */
  async get(equipment: string): Promise<WindowView | undefined> {
    let w = this.windows.get(equipment);
    const nowMs = this.now();
    if (w === undefined) {
      w = new Window();
      this.windows.set(equipment, w);
      if (this.windows.size > this.maxEquipment) this.evict(equipment);
    } else {
      // Map order is recency order: move it to the back.
      this.windows.delete(equipment);
      this.windows.set(equipment, w);
    }
    if (w.inflight === undefined && nowMs - w.refreshedAt >= this.refreshMs) {
      // Never loaded anything (a silent or unknown equipment): a full load, not a refresh after -Infinity.
      const full = nowMs - w.loadedAt >= this.reloadMs || !Number.isFinite(w.lastTs);
      const cur = w;
      cur.inflight = this.refresh(equipment, cur, nowMs * 1000, full).finally(() => {
        cur.inflight = undefined;
      });
    }
    if (
      w.inflight !== undefined &&
      (w.end === 0 || w.refreshedAt === 0 || nowMs - w.refreshedAt >= 5 * this.refreshMs)
    )
      await w.inflight; // never loaded, or too stale to answer from: wait for the data
    if (w.end - w.start === 0) return undefined;
    const cur = w;
    w.view ??= {
      ts: cur.ts.subarray(cur.start, cur.end),
      values: cur.values.map((v) => v.subarray(cur.start, cur.end)),
      lastTs: cur.lastTs,
    };
    return w.view;
  }

  private evict(keep: string): void {
    for (const k of this.windows.keys()) {
      if (this.windows.size <= this.maxEquipment) return;
      if (k !== keep) this.windows.delete(k);
    }
  }

  private async refresh(equipment: string, w: Window, nowMicros: number, full: boolean): Promise<void> {
    const from = nowMicros - this.windowMicros;
    // Read before the readings, so that what the query sees is at least as new as the count kept.
    const txn = await appliedTxn(this.store).read(nowMicros / 1000, this.refreshMs);
    if (!full && txn !== undefined && txn === w.txn) {
      // Nothing was applied to the table since this window last read it: no query, only the
      // oldest readings leave the window.
      const start = w.start;
      while (w.start < w.end && (w.ts[w.start] as number) < from) w.start++;
      if (w.start !== start) w.view = undefined;
      w.refreshedAt = nowMicros / 1000;
      return;
    }
    // A full load reads a day (the export's path, as a score at a past instant does); a refresh,
    // the few readings since the last one, over the PG wire.
    const table = full
      ? await loadEquipmentWindow(this.store, this.sensors, equipment, { from, to: nowMicros + 1 })
      : await queryTable(
          this.store.pool,
          sql('readings_equipment_after', this.store.tables, { sensors: this.sensors }),
          [equipment, microsToIso(w.lastTs), microsToIso(nowMicros + 1)],
        );
    const n = table.numRows;
    const ts = n > 0 ? timestampMicros(table.getChild('ts')!) : new Float64Array(0);
    const cols = this.sensors.map((s) => (n > 0 ? float64Values(table.getChild(s)!) : new Float64Array(0)));
    if (full) {
      w.start = 0;
      w.end = 0;
      w.lastTs = -Infinity;
      w.loadedAt = nowMicros / 1000;
      // Into new arrays: a view handed out earlier may still be read (by the feature worker).
      w.ts = new Float64Array(0) as Float64Array;
      w.values = [];
    }
    // Drop what left the window, compact, grow when needed, append.
    while (w.start < w.end && (w.ts[w.start] as number) < from) w.start++;
    const live = w.end - w.start;
    if (w.ts.length < live + n || w.start > w.ts.length / 2) {
      const cap = Math.max(1024, Math.ceil((live + n) * 1.5));
      const nts = sharedFloat64(Math.max(cap, w.ts.length < live + n ? cap : w.ts.length));
      nts.set(w.ts.subarray(w.start, w.end));
      w.values = this.sensors.map((_, j) => {
        const nv = sharedFloat64(nts.length);
        if (w.values[j] !== undefined) nv.set((w.values[j] as Float64Array).subarray(w.start, w.end));
        return nv;
      });
      w.ts = nts;
      w.start = 0;
      w.end = live;
    }
    if (n > 0) {
      w.ts.set(ts, w.end);
      cols.forEach((c, j) => (w.values[j] as Float64Array).set(c, w.end));
      w.end += n;
      w.lastTs = Math.max(w.lastTs, ts[n - 1] as number);
    }
    while (w.start < w.end && (w.ts[w.start] as number) < from) w.start++;
    w.view = undefined; // rebuilt on the next get: cheap, and at most once per refresh
    w.refreshedAt = nowMicros / 1000;
    w.txn = txn;
  }
}

/**
 * How many WAL transactions QuestDB has applied to the telemetry table (`wal_tables().writerTxn`),
 * read at most once per `everyMs` and shared by every live window of a store. Readings become
 * visible only when their transaction is applied, so a window that last read at the same count has
 * nothing new to read: with the plant streaming a reading a second per machine, live scoring asked
 * QuestDB 40 times a second for the 8 machines (5 refreshes each), most answers empty; measured
 * alone, 40 such queries a second took 22 % of a core in QuestDB and 5.5 % in the engine, 8 a
 * second 10 % and 1.5 %. Undefined when it cannot be read (a table without WAL, a QuestDB without
 * `wal_tables()`): every refresh then queries, and the count is tried again a minute later.
 */
class AppliedTxn {
  private value: number | undefined;
  private readAt = -Infinity;
  private failedAt = -Infinity;
  private inflight: Promise<number | undefined> | undefined;

  constructor(private readonly store: Store) {}

  read(nowMs: number, everyMs: number): Promise<number | undefined> {
    if (nowMs - this.failedAt < 60_000) return Promise.resolve(undefined);
    if (nowMs - this.readAt < everyMs) return Promise.resolve(this.value);
    this.inflight ??= query<{ writerTxn: string }>(this.store.pool, sql('wal_pending', this.store.tables), [
      this.store.tables.telemetry,
    ])
      .then(({ rows }) => {
        const v = rows[0] === undefined ? NaN : Number(rows[0].writerTxn);
        if (!Number.isFinite(v)) throw new Error('no WAL count for the telemetry table');
        this.value = v;
        this.readAt = nowMs;
        return v;
      })
      .catch(() => {
        this.failedAt = nowMs;
        this.value = undefined;
        return undefined;
      })
      .finally(() => {
        this.inflight = undefined;
      });
    return this.inflight;
  }
}

const applied = new WeakMap<Store, AppliedTxn>();

function appliedTxn(store: Store): AppliedTxn {
  let a = applied.get(store);
  if (a === undefined) applied.set(store, (a = new AppliedTxn(store)));
  return a;
}
