/**
 * SQL text lives in `sql/` as .sql files, loaded by name. `{{telemetry}}`-style placeholders name
 * tables of the current schema (validated identifiers); values are `$n` bind parameters.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ErrorCodes, PdmError } from '../errors.ts';
import { assertIdentifier } from './tables.ts';
import type { TableKey, Tables } from './tables.ts';

export const SQL_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../sql');

const cache = new Map<string, string>();

function readSql(relative: string): string {
  let text = cache.get(relative);
  if (text === undefined) {
    try {
      text = readFileSync(path.join(SQL_DIR, relative), 'utf8');
    } catch (err) {
      throw new PdmError(ErrorCodes.SQL_NOT_FOUND, `SQL file sql/${relative} not found`, { cause: err });
    }
    cache.set(relative, text);
  }
  return text;
}

/**
 * Replaces `{{key}}` with the schema's table name, or with a validated, comma-separated list of
 * column names from `columns` (e.g. the sensors of a feature set); an unknown key is an error.
 * `{{key|bucket_stats}}` expands each column c of the list to its per-group count, sum, minimum,
 * maximum and sum of squares (`count(c) c__n, sum(c) c__sum, min(c) c__min, max(c) c__max,
 * sum(c * c) c__sq`), for queries that bucket readings in QuestDB.
 */
export function bindTables(
  text: string,
  tables: Tables,
  columns: Readonly<Record<string, readonly string[]>> = {},
): string {
  return text.replace(/\{\{(\w+)(?:\|(\w+))?\}\}/g, (_, key: string, form: string | undefined) => {
    const list = columns[key];
    if (list !== undefined) {
      const names = list.map((c) => assertIdentifier(c, 'column name'));
      if (form === undefined) return names.join(', ');
      if (form === 'bucket_stats')
        return names
          .map(
            (c) =>
              `count(${c}) ${c}__n, sum(${c}) ${c}__sum, min(${c}) ${c}__min, max(${c}) ${c}__max, sum(${c} * ${c}) ${c}__sq`,
          )
          .join(', ');
      throw new PdmError(ErrorCodes.SQL_NOT_FOUND, `Unknown form {{${key}|${form}}}`);
    }
    const name = form === undefined ? tables[key as TableKey] : undefined;
    if (name === undefined) throw new PdmError(ErrorCodes.SQL_NOT_FOUND, `Unknown placeholder {{${key}}}`);
    return name;
  });
}

/** A query from sql/queries/<name>.sql with the schema's table names (and column lists) filled in. */
export function sql(
  name: string,
  tables: Tables,
  columns?: Readonly<Record<string, readonly string[]>>,
): string {
  return bindTables(readSql(`queries/${name}.sql`), tables, columns)
    .trim()
    .replace(/;\s*$/, '');
}

export interface Migration {
  readonly id: number;
  readonly name: string;
  /** Statements in order; QuestDB's PG wire runs one statement per query. */
  readonly statements: readonly string[];
  readonly checksum: string;
}

/** Splits a script on `;` at line ends; migrations hold DDL only, never `;` inside literals. */
export function splitStatements(text: string): string[] {
  return text
    .split(/;\s*(?:\n|$)/)
    .map((s) =>
      s
        .split('\n')
        .filter((line) => !line.trim().startsWith('--'))
        .join('\n')
        .trim(),
    )
    .filter((s) => s.length > 0);
}

function checksum(text: string): string {
  // FNV-1a: enough to notice an edited migration, no crypto needed.
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

/** Numbered migrations from sql/migrations (`0001_name.sql`), in order. */
export function loadMigrations(tables: Tables): Migration[] {
  const files = readdirSync(path.join(SQL_DIR, 'migrations'))
    .filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f))
    .sort();
  return files.map((file) => {
    const raw = readSql(`migrations/${file}`);
    return {
      id: Number(file.slice(0, 4)),
      name: file.slice(5, -4),
      statements: splitStatements(bindTables(raw, tables)),
      checksum: checksum(raw),
    };
  });
}
