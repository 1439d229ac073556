/** Applies the numbered migrations in sql/migrations once each, recording them in a table. */
import type pg from 'pg';
import { ErrorCodes, PdmError } from '../errors.ts';
import { query } from './pg.ts';
import { loadMigrations, sql } from './sql.ts';
import type { Tables } from './tables.ts';

export interface MigrationResult {
  readonly applied: readonly string[];
  readonly alreadyApplied: number;
}

export async function migrate(pool: pg.Pool, tables: Tables): Promise<MigrationResult> {
  await query(pool, sql('migrations_create', tables));
  const done = new Map<number, { name: string; checksum: string }>();
  const rows = await query<{ id: number; name: string; checksum: string }>(
    pool,
    sql('migrations_applied', tables),
  );
  for (const r of rows.rows) done.set(r.id, r);
  const applied: string[] = [];
  for (const m of loadMigrations(tables)) {
    const previous = done.get(m.id);
    if (previous) {
      if (previous.checksum !== m.checksum) {
        throw new PdmError(
          ErrorCodes.MIGRATION_FAILED,
          `Migration ${m.id} (${m.name}) was changed after it was applied; add a new migration instead`,
        );
      }
      continue;
    }
    for (const statement of m.statements) {
      try {
        await query(pool, statement);
      } catch (err) {
        throw new PdmError(
          ErrorCodes.MIGRATION_FAILED,
          `Migration ${m.id} (${m.name}) failed: ${(err as Error).message}`,
          {
            cause: err,
          },
        );
      }
    }
    await query(pool, sql('migrations_record', tables), [m.id, m.name, m.checksum]);
    applied.push(`${String(m.id).padStart(4, '0')}_${m.name}`);
  }
  return { applied, alreadyApplied: done.size };
}
