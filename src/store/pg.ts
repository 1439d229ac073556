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

/** A query's first line that is not a comment (SQL files open with one), for error messages. */
export function queryHead(text: string): string {
  const line = text.split('\n').find((l) => l.trim() !== '' && !l.trim().startsWith('--')) ?? text;
  return line.trim().slice(0, 120);
}

/** Runs one statement with bind parameters; errors name the statement's first line (`queryHead`). */
export async function query<R extends pg.QueryResultRow = pg.QueryResultRow>(
  pool: pg.Pool,
  text: string,
  values: readonly unknown[] = [],
): Promise<pg.QueryResult<R>> {
  try {
    return await pool.query<R>(text, values as unknown[]);
  } catch (err) {
    throw new PdmError(
      ErrorCodes.QUERY_FAILED,
      `Query failed (${queryHead(text)}): ${(err as Error).message}`,
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
  const fast = fixedTimestampMicros(text);
  if (fast === fast) return fast;
  const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?/.exec(text);
  if (!m) return NaN;
  const ms = Date.parse(`${m[1]}T${m[2]}Z`);
  const frac = (m[3] ?? '').padEnd(6, '0').slice(0, 6);
  return ms * 1000 + Number(frac);
}

/** The day of the last timestamp read, and its epoch milliseconds: history arrives day by day. */
let lastDayKey = -1;
let lastDayMs = NaN;

function digits(text: string, from: number, count: number): number {
  let v = 0;
  for (let i = from; i < from + count; i++) {
    const c = text.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return NaN;
    v = v * 10 + c;
  }
  return v;
}

/**
 * "YYYY-MM-DD[ T]hh:mm:ss[.f{1,9}]" read by character codes, as QuestDB writes every timestamp
 * (reading history back parses millions of them): NaN for anything else, which the general parser
 * then takes. The day is validated once by Date.parse and remembered.
 */
function fixedTimestampMicros(text: string): number {
  if (text.length < 19) return NaN;
  const sep = text.charCodeAt(10);
  if (
    text.charCodeAt(4) !== 45 ||
    text.charCodeAt(7) !== 45 ||
    (sep !== 32 && sep !== 84) ||
    text.charCodeAt(13) !== 58 ||
    text.charCodeAt(16) !== 58
  )
    return NaN;
  const key = digits(text, 0, 4) * 10000 + digits(text, 5, 2) * 100 + digits(text, 8, 2);
  if (key !== key) return NaN;
  if (key !== lastDayKey) {
    const ms = Date.parse(`${text.slice(0, 10)}T00:00:00Z`);
    if (ms !== ms) return NaN;
    lastDayKey = key;
    lastDayMs = ms;
  }
  const h = digits(text, 11, 2);
  const mi = digits(text, 14, 2);
  const sec = digits(text, 17, 2);
  if (!(h < 24 && mi < 60 && sec < 60)) return NaN;
  let frac = 0;
  if (text.length > 19 && text.charCodeAt(19) === 46) {
    let k = 20;
    while (k < text.length && k < 29) {
      const c = text.charCodeAt(k) - 48;
      if (c < 0 || c > 9) break;
      if (k < 26) frac = frac * 10 + c;
      k++;
    }
    if (k === 20) return NaN;
    for (let pad = Math.min(k, 26); pad < 26; pad++) frac *= 10;
  }
  return (lastDayMs + ((h * 60 + mi) * 60 + sec) * 1000) * 1000 + frac;
}

/** ISO-8601 text for binding a timestamp in microseconds (`$1::timestamp`), keeping microseconds. */
export function microsToIso(micros: number): string {
  const ms = Math.floor(micros / 1000);
  const rest = Math.round(micros - ms * 1000);
  const iso = new Date(ms).toISOString(); // yyyy-mm-ddThh:mm:ss.mmmZ
  return `${iso.slice(0, 23)}${String(rest).padStart(3, '0')}Z`;
}
