/** WAL writes become visible asynchronously; this waits until a table has applied all of them. */
import type pg from 'pg';
import { setTimeout as sleep } from 'node:timers/promises';
import { ErrorCodes, PdmError } from '../errors.ts';
import { query } from './pg.ts';
import { sql } from './sql.ts';
import type { Tables } from './tables.ts';

export async function waitForWal(
  pool: pg.Pool,
  tables: Tables,
  table: string,
  timeoutMs = 60_000,
): Promise<void> {
  const text = sql('wal_pending', tables);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { rows } = await query<{ suspended: boolean; writerTxn: string; sequencerTxn: string }>(
      pool,
      text,
      [table],
    );
    const row = rows[0];
    if (row?.suspended) {
      throw new PdmError(
        ErrorCodes.WRITE_FAILED,
        `Table ${table} is suspended (WAL apply failed); see the QuestDB log`,
      );
    }
    if (row === undefined || BigInt(row.writerTxn) >= BigInt(row.sequencerTxn)) return;
    if (Date.now() > deadline) {
      throw new PdmError(ErrorCodes.WRITE_TIMEOUT, `WAL of ${table} not applied within ${timeoutMs} ms`);
    }
    await sleep(50);
  }
}
