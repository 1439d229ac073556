/** What every command shares: human text or one JSON object as the last line, a progress bar on a TTY. */
import type { Table } from 'apache-arrow';
import { Type } from 'apache-arrow';

export interface Output {
  readonly json: boolean;
  /** Human-readable line (suppressed with --json). */
  info(line: string): void;
  /** Something a person should check, on stderr (also with --json: the JSON result carries it too). */
  warn(line: string): void;
  /** The command's result: a JSON object as the last line with --json, else `human` lines. */
  result(value: object, human?: string): void;
}

export function makeOutput(json: boolean): Output {
  return {
    json,
    info(line: string) {
      if (!json) process.stdout.write(line + '\n');
    },
    warn(line: string) {
      process.stderr.write(line + '\n');
    },
    result(value: object, human?: string) {
      if (json) process.stdout.write(JSON.stringify(value, jsonSafe) + '\n');
      else if (human !== undefined) process.stdout.write(human + '\n');
    },
  };
}

/** BigInt (LONG columns) as a number when exact, else a string. */
export function jsonSafe(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') {
    return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER)
      ? Number(value)
      : String(value);
  }
  return value;
}

/** A redrawn one-line progress bar on stderr when it is a terminal; silent otherwise. */
export function progressBar(label: string): {
  update(done: number, total: number, extra: string): void;
  end(): void;
} {
  const tty = process.stderr.isTTY === true;
  let drawn = false;
  let lastLine = performance.now();
  return {
    update(done, total, extra) {
      const frac = total > 0 ? Math.min(1, done / total) : 0;
      if (!tty) {
        // A log, not a terminal: one line every 10 s, so a long step is never silent.
        const now = performance.now();
        if (now - lastLine < 10_000) return;
        lastLine = now;
        process.stderr.write(`${label}: ${(frac * 100).toFixed(0)}% ${extra}\n`);
        return;
      }
      const width = 30;
      const filled = Math.round(frac * width);
      process.stderr.write(
        `\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(frac * 100).toFixed(0).padStart(3)}% ${extra}\x1b[K`,
      );
      drawn = true;
    },
    end() {
      if (tty && drawn) process.stderr.write('\n');
      drawn = false; // once: a second end() (e.g. in a finally) writes nothing
    },
  };
}

/** Rows of an Arrow table as plain objects: timestamps as ISO text, dictionary values as strings. */
export function tableRows(table: Table): Record<string, unknown>[] {
  const fields = table.schema.fields;
  const columns = fields.map((f) => table.getChild(f.name));
  const rows: Record<string, unknown>[] = [];
  for (let i = 0; i < table.numRows; i++) {
    const row: Record<string, unknown> = {};
    fields.forEach((f, j) => {
      const v = columns[j]?.get(i) as unknown;
      if (v === null || v === undefined) row[f.name] = null;
      else if (f.type.typeId === Type.Timestamp) row[f.name] = new Date(Number(v)).toISOString();
      else if (typeof v === 'number' && Number.isNaN(v)) row[f.name] = null;
      else row[f.name] = v;
    });
    rows.push(row);
  }
  return rows;
}

/** A fixed-width text table for the terminal. */
export function formatTable(rows: readonly Record<string, unknown>[], columns: readonly string[]): string {
  const cells = rows.map((r) => columns.map((c) => (r[c] === null ? 'NULL' : String(jsonSafe('', r[c])))));
  const widths = columns.map((c, j) =>
    Math.min(40, Math.max(c.length, ...cells.map((row) => (row[j] as string).length))),
  );
  const line = (vals: readonly string[]) =>
    vals
      .map((v, j) => v.slice(0, 40).padEnd(widths[j] as number))
      .join('  ')
      .trimEnd();
  return [line(columns), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}
