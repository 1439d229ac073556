/**
 * The pg pool against QuestDB's PG wire. QuestDB sends TIMESTAMP as type 1114 (no time zone, UTC)
 * and LONG as text: both are kept as raw strings here and converted where the caller knows what
 * it wants, so neither the local time zone nor float rounding can touch them.
 */
import pg from 'pg';
import type { QuestDbConfig } from '../config.ts';
import { ErrorCodes, PdmError } from '../errors.ts';

export const PG_TYPES = {
  BOOL: 16,
  INT8: 20,
  INT2: 21,
  INT4: 23,
  TEXT: 25,
  FLOAT4: 700,
  FLOAT8: 701,
  VARCHAR: 1043,
  CHAR: 1042,
  DATE: 1082,
  TIMESTAMP: 1114,
  TIMESTAMPTZ: 1184,
} as const;

const RAW = (value: string) => value;

/** Type parsers for this pool only; pg's global parsers are left alone. */
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === PG_TYPES.TIMESTAMP || oid === PG_TYPES.TIMESTAMPTZ || oid === PG_TYPES.INT8) return RAW;
    return pg.types.getTypeParser(oid, format);
  },
} as pg.CustomTypesConfig;

export function createPool(cfg: QuestDbConfig, max = 4): pg.Pool {
  const pool = new pg.Pool({
    host: cfg.host,
    port: cfg.pgPort,
    user: cfg.pgUser,
    password: cfg.pgPassword,
    database: cfg.pgDatabase,
    max,
    types,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: 10_000,
  });
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pool.on('error', () => {});
  return pool;
}

/** Runs one statement with bind parameters; errors name the statement's first line. */
export async function query<R extends pg.QueryResultRow = pg.QueryResultRow>(
  pool: pg.Pool,
  text: string,
  values: readonly unknown[] = [],
): Promise<pg.QueryResult<R>> {
  try {
    return await pool.query<R>(text, values as unknown[]);
  } catch (err) {
    const head = text.split('\n').find((l) => l.trim() !== '' && !l.trim().startsWith('--')) ?? text;
    throw new PdmError(
      ErrorCodes.QUERY_FAILED,
      `Query failed (${head.trim().slice(0, 120)}): ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
}

/**
 * Epoch microseconds from QuestDB's text timestamp ("2024-03-01 12:00:00.123456", UTC).
 * NaN for null or an unparseable value.
 */
export function parseTimestampMicros(text: string | null): number {
  if (text === null) return NaN;
  const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?/.exec(text);
  if (!m) return NaN;
  const ms = Date.parse(`${m[1]}T${m[2]}Z`);
  const frac = (m[3] ?? '').padEnd(6, '0').slice(0, 6);
  return ms * 1000 + Number(frac);
}

/** ISO-8601 text for binding a timestamp in microseconds (`$1::timestamp`), keeping microseconds. */
export function microsToIso(micros: number): string {
  const ms = Math.floor(micros / 1000);
  const rest = Math.round(micros - ms * 1000);
  const iso = new Date(ms).toISOString(); // yyyy-mm-ddThh:mm:ss.mmmZ
  return `${iso.slice(0, 23)}${String(rest).padStart(3, '0')}Z`;
}
