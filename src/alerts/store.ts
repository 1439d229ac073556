/**
 * Alerts in QuestDB: every change one row of the `alerts` table (the audit trail: who, when, what),
 * an alert's state its latest row. Times are epoch microseconds here, ISO 8601 UTC in answers.
 */
import { microsToIso, parseTimestampMicros, query, sql, waitForWal, Writer } from '../store/index.ts';
import type { Store } from '../store/index.ts';
import type { AlertCause, AlertTier } from '../plant/index.ts';

export type AlertState = 'open' | 'acknowledged' | 'resolved' | 'suppressed';
export type AlertChangeKind = 'opened' | 'escalated' | 'acknowledged' | 'resolved' | 'suppressed';

export interface AlertRow {
  readonly ts: number;
  readonly alert_id: string;
  readonly change: AlertChangeKind;
  readonly state: AlertState;
  readonly equipment: string;
  readonly line: string;
  readonly cause: AlertCause;
  readonly tier: AlertTier;
  readonly top_tier: AlertTier;
  readonly group_id: string;
  readonly opened_at: number;
  /** Suppressed until (µs); NaN otherwise. */
  readonly until: number;
  readonly value: number;
  readonly reason: string;
  readonly model_version: string | null;
  readonly order_id: string | null;
  readonly batch_id: string | null;
  readonly product: string | null;
  /** `engine`, or the API key (or person) that made the change. */
  readonly actor: string;
  readonly note: string | null;
}

/** An alert as answers show it (times ISO 8601 UTC). */
export interface AlertView {
  readonly id: string;
  readonly state: AlertState;
  readonly equipment: string;
  readonly line: string;
  readonly cause: AlertCause;
  readonly tier: AlertTier;
  /** The highest tier it reached: `work_order` means a work order was requested. */
  readonly top_tier: AlertTier;
  readonly group_id: string;
  readonly opened_at: string;
  readonly changed_at: string;
  readonly last_change: AlertChangeKind;
  readonly suppressed_until: string | null;
  readonly value: number | null;
  readonly reason: string;
  readonly model_version: string | null;
  readonly mes: { order_id: string | null; batch_id: string | null; product: string | null };
  readonly by: string;
  readonly note: string | null;
}

export function viewOf(r: AlertRow): AlertView {
  return {
    id: r.alert_id,
    state: r.state,
    equipment: r.equipment,
    line: r.line,
    cause: r.cause,
    tier: r.tier,
    top_tier: r.top_tier,
    group_id: r.group_id,
    opened_at: microsToIso(r.opened_at),
    changed_at: microsToIso(r.ts),
    last_change: r.change,
    suppressed_until: Number.isFinite(r.until) ? microsToIso(r.until) : null,
    value: Number.isFinite(r.value) ? r.value : null,
    reason: r.reason,
    model_version: r.model_version,
    mes: { order_id: r.order_id, batch_id: r.batch_id, product: r.product },
    by: r.actor,
    note: r.note,
  };
}

const LAYOUT = (table: string) => ({
  table,
  symbols: [
    'alert_id',
    'change',
    'state',
    'equipment',
    'line',
    'cause',
    'tier',
    'top_tier',
    'group_id',
    'model_version',
    'product',
  ],
  doubles: ['value'],
  timestamps: ['opened_at', 'until'],
  strings: ['reason', 'order_id', 'batch_id', 'actor', 'note'],
});

/** Writes alert changes (one row each) and waits until they can be read back. */
export async function writeAlertRows(store: Store, rows: readonly AlertRow[]): Promise<void> {
  if (rows.length === 0) return;
  const w = await Writer.open(store.config.questdb, store.config.ingest, LAYOUT(store.tables.alerts));
  try {
    for (const r of rows)
      await w.append(
        r.ts,
        [
          r.alert_id,
          r.change,
          r.state,
          r.equipment,
          r.line,
          r.cause,
          r.tier,
          r.top_tier,
          r.group_id,
          r.model_version,
          r.product,
        ],
        [r.value],
        [],
        [r.opened_at, r.until],
        [r.reason, r.order_id, r.batch_id, r.actor, r.note],
      );
    await w.close();
  } catch (err) {
    await w.close().catch(() => {});
    throw err;
  }
  await waitForWal(store.pool, store.tables, store.tables.alerts);
}

interface RawRow {
  ts: string;
  alert_id: string;
  change: string;
  state: string;
  equipment: string;
  line: string | null;
  cause: string;
  tier: string;
  top_tier: string;
  group_id: string;
  opened_at: string | null;
  until: string | null;
  value: number | null;
  reason: string | null;
  model_version: string | null;
  order_id: string | null;
  batch_id: string | null;
  product: string | null;
  actor: string | null;
  note: string | null;
}

function rowOf(r: RawRow): AlertRow {
  return {
    ts: parseTimestampMicros(r.ts),
    alert_id: r.alert_id,
    change: r.change as AlertChangeKind,
    state: r.state as AlertState,
    equipment: r.equipment,
    line: r.line ?? '',
    cause: r.cause as AlertCause,
    tier: r.tier as AlertTier,
    top_tier: r.top_tier as AlertTier,
    group_id: r.group_id,
    opened_at: parseTimestampMicros(r.opened_at),
    until: parseTimestampMicros(r.until),
    value: r.value ?? NaN,
    reason: r.reason ?? '',
    model_version: r.model_version,
    order_id: r.order_id,
    batch_id: r.batch_id,
    product: r.product,
    actor: r.actor ?? 'engine',
    note: r.note,
  };
}

/** Every alert's latest row changed at or after `sinceMicros` (0: all), latest first. */
export async function latestAlerts(store: Store, sinceMicros = 0): Promise<AlertRow[]> {
  const { rows } = await query<RawRow>(store.pool, sql('alerts_latest', store.tables), [
    microsToIso(sinceMicros),
  ]);
  return rows.map(rowOf);
}

/** One alert's changes, oldest first (empty: no such alert). */
export async function alertHistory(store: Store, id: string): Promise<AlertRow[]> {
  const { rows } = await query<RawRow>(store.pool, sql('alert_history', store.tables), [id]);
  return rows.map(rowOf);
}
