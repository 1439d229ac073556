/**
 * Maintenance events as the store keeps them (failures, repairs, preventive work, inspections):
 * one layout and one row shape for every writer of them, the API's intake and the CLI's
 * run-to-failure import alike. Checks (times, a failure's mode against the plant) happen before.
 */
import type { Tables } from '../store/tables.ts';
import type { RowWriter, TableLayout } from '../store/writer.ts';

export type MaintenanceKind = 'failure' | 'repair' | 'preventive' | 'inspection';

export interface MaintenanceRecord {
  /** When it started (µs). */
  readonly ts: number;
  readonly equipment: string;
  readonly kind: MaintenanceKind;
  /** A failure's mode (the plant's mode name); null otherwise. */
  readonly mode: string | null;
  /** When it ended (µs), NaN when not known. */
  readonly end: number;
  readonly workOrder: string | null;
  readonly note: string | null;
}

export function maintenanceLayout(tables: Tables): TableLayout {
  return {
    table: tables.maintenance,
    symbols: ['equipment', 'kind', 'mode'],
    doubles: [],
    timestamps: ['ended_at'],
    strings: ['work_order', 'note'],
  };
}

export function appendMaintenance(w: RowWriter, m: MaintenanceRecord): Promise<void> {
  return w.append(m.ts, [m.equipment, m.kind, m.mode], [], [], [m.end], [m.workOrder, m.note]);
}
