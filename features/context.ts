/**
 * Context features from maintenance and MES, as of each prediction instant (nothing after it):
 * - hours_since_maintenance: since the end of the latest maintenance event (any kind) that ended
 *   at or before t, or since the equipment's installation when that is later (a new machine's
 *   first life); 0 while one is in progress; NaN if neither is known.
 * - running_hours_since_repair: hours spent in batches since that event ended.
 * - batch_load: the running batch's load (as-of join on batch start, and t before its end); 0 idle.
 * - product_code: a stable numeric code of the running batch's product; NaN idle.
 * - equipment_class: a stable numeric code of the equipment's class (models pooled over several
 *   classes split on it); NaN when the class is not known.
 * Batch end times are used only as "still running at t", never their status (which would tell an
 * aborted batch, i.e. a coming failure).
 */

export interface MaintenanceEvent {
  readonly equipment: string;
  readonly ts: number; // µs
  readonly endedAt: number; // µs, NaN if open
}

export interface BatchSpan {
  readonly equipment: string;
  readonly ts: number; // start, µs
  readonly endedAt: number; // µs, NaN while running
  readonly load: number;
  readonly product: string;
}

export interface ContextData {
  readonly maintenance: readonly MaintenanceEvent[];
  readonly batches: readonly BatchSpan[];
  /** Each equipment's class (from the plant), for the equipment_class feature. */
  readonly classOf?: ReadonlyMap<string, string>;
  /** Each equipment's installation instant (µs, from the plant file), where known. */
  readonly installedAt?: ReadonlyMap<string, number>;
}

/** FNV-1a of a name (a product, a class), as a number a tree can split on (stable across runs and processes). */
export function productCode(product: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < product.length; i++) h = Math.imul(h ^ product.charCodeAt(i), 0x01000193);
  return (h >>> 0) % 1_000_000;
}

/** Last index with key <= value in a sorted array, or -1. */
function lastAtOrBefore(sorted: Float64Array, value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((sorted[mid] as number) <= value) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

interface EquipmentContext {
  maintStart: Float64Array; // sorted by start
  maintEnd: Float64Array;
  maintEndSorted: Float64Array; // ends that are known, sorted
  batchStart: Float64Array; // sorted
  batchEnd: Float64Array;
  batchLoad: Float64Array;
  batchProduct: Float64Array;
  /** Cumulative batch running µs up to each batch's start (for running hours between instants). */
  cumRun: Float64Array;
}

export class ContextIndex {
  private readonly byEquipment = new Map<string, EquipmentContext>();
  private readonly classCode = new Map<string, number>();
  private readonly installed: ReadonlyMap<string, number>;

  constructor(data: ContextData) {
    for (const [eq, cls] of data.classOf ?? []) this.classCode.set(eq, productCode(cls));
    this.installed = data.installedAt ?? new Map();
    const group = <T extends { equipment: string; ts: number }>(rows: readonly T[]) => {
      const m = new Map<string, T[]>();
      for (const r of rows) {
        const list = m.get(r.equipment);
        if (list) list.push(r);
        else m.set(r.equipment, [r]);
      }
      for (const list of m.values()) list.sort((a, b) => a.ts - b.ts);
      return m;
    };
    const maint = group(data.maintenance);
    const batches = group(data.batches);
    for (const eq of new Set([...maint.keys(), ...batches.keys()])) {
      const ms = maint.get(eq) ?? [];
      const bs = batches.get(eq) ?? [];
      const cumRun = new Float64Array(bs.length + 1);
      bs.forEach((b, i) => {
        const dur = b.endedAt === b.endedAt ? Math.max(0, b.endedAt - b.ts) : 0;
        cumRun[i + 1] = (cumRun[i] as number) + dur;
      });
      this.byEquipment.set(eq, {
        maintStart: Float64Array.from(ms, (m) => m.ts),
        maintEnd: Float64Array.from(ms, (m) => m.endedAt),
        maintEndSorted: Float64Array.from(ms.map((m) => m.endedAt).filter((e) => e === e)).sort(),
        batchStart: Float64Array.from(bs, (b) => b.ts),
        batchEnd: Float64Array.from(bs, (b) => b.endedAt),
        batchLoad: Float64Array.from(bs, (b) => b.load),
        batchProduct: Float64Array.from(bs, (b) => productCode(b.product)),
        cumRun,
      });
    }
  }

  /** Running µs in batches between `from` and `t` (both µs), from batches started at or before t. */
  private runningBetween(c: EquipmentContext, from: number, t: number): number {
    const runUntil = (x: number) => {
      const i = lastAtOrBefore(c.batchStart, x);
      if (i < 0) return 0;
      const start = c.batchStart[i] as number;
      const end = c.batchEnd[i] as number;
      const open = end !== end || end > x ? x - start : end - start;
      return (c.cumRun[i] as number) + Math.max(0, open);
    };
    return Math.max(0, runUntil(t) - runUntil(from));
  }

  /** Writes the context features for equipment `eq` at instant `t` (µs) into `out`. */
  at(eq: string, t: number, names: readonly string[], out: Float64Array, offset: number): void {
    const c = this.byEquipment.get(eq);
    let sinceEnd = NaN;
    let batch = -1;
    if (c !== undefined) {
      const m = lastAtOrBefore(c.maintStart, t);
      const inProgress = m >= 0 && !((c.maintEnd[m] as number) <= t);
      const e = lastAtOrBefore(c.maintEndSorted, t);
      sinceEnd = inProgress ? t : e >= 0 ? (c.maintEndSorted[e] as number) : NaN;
      const b = lastAtOrBefore(c.batchStart, t);
      if (b >= 0 && !((c.batchEnd[b] as number) <= t)) batch = b;
    }
    // Installed after the last maintenance known (or with none): its life starts at installation.
    const installed = this.installed.get(eq);
    if (installed !== undefined && installed <= t && !(sinceEnd >= installed)) sinceEnd = installed;
    for (let k = 0; k < names.length; k++) {
      let v = NaN;
      switch (names[k]) {
        case 'hours_since_maintenance':
          v = sinceEnd === sinceEnd ? (t - sinceEnd) / 3.6e9 : NaN;
          break;
        case 'running_hours_since_repair':
          v = c !== undefined && sinceEnd === sinceEnd ? this.runningBetween(c, sinceEnd, t) / 3.6e9 : NaN;
          break;
        case 'batch_load':
          v = c === undefined ? NaN : batch >= 0 ? (c.batchLoad[batch] as number) : 0;
          break;
        case 'product_code':
          v = c !== undefined && batch >= 0 ? (c.batchProduct[batch] as number) : NaN;
          break;
        case 'equipment_class':
          v = this.classCode.get(eq) ?? NaN;
          break;
      }
      out[offset + k] = v;
    }
  }
}
