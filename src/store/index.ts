/** The QuestDB side of the engine: the managed server, migrations, the ILP writer and Arrow queries. */
export { storeUnavailable } from './availability.ts';
export { startServer, stopServerByPid, serverStatus, ping, httpUrlOf } from './questdb-server.ts';
export type { ManagedServer, ServerStatus, StartOptions } from './questdb-server.ts';
export { findJava } from './questdb-java.ts';
export { createPool, query, parseTimestampMicros, microsToIso } from './pg.ts';
export { migrate } from './migrate.ts';
export type { MigrationResult } from './migrate.ts';
export { makeTables, prefixOf, assertIdentifier, TABLE_KEYS } from './tables.ts';
export type { Tables, TableKey } from './tables.ts';
export { sql } from './sql.ts';
export { Writer, senderConfig, sensorSetOf } from './writer.ts';
export type { RowWriter, TableLayout, WriterOptions, WriterStats } from './writer.ts';
export { waitForWal } from './wal.ts';
export { queryBatches, queryTable } from './query.ts';
export { exportTable, inlineInstants, inlineParams, inlineSafeSymbol } from './export.ts';
export { exportParquet, joinBySymbol, readParquet } from './parquet.ts';
export type { ExportColumn, ExportKind, InlineValue } from './export.ts';
export type { QueryOptions } from './query.ts';
export { connectStore } from './store.ts';
export type { Store } from './store.ts';
export { TELEMETRY_SENSORS, telemetrySensors } from './telemetry.ts';
export { ParallelWriter } from './parallel-writer.ts';

/** A row of sql/queries/equipment_current.sql: an equipment's current ISA-95 place and class. */
export interface EquipmentPlace {
  readonly equipment: string;
  readonly site: string | null;
  readonly area: string | null;
  readonly line: string | null;
  readonly cell: string | null;
  readonly equipment_class: string | null;
  /** As QuestDB returns a TIMESTAMP over PG wire (parseTimestampMicros reads it); null when not known. */
  readonly installed_at: string | null;
}
