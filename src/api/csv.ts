/**
 * CSV answers through csv-stringify (quoting commas, quotes and newlines), with cells that a
 * spreadsheet would read as a formula (`=`, `+`, `-`, `@`, tab, CR first) neutralised by a leading
 * apostrophe, so an MES string like `=HYPERLINK(...)` in a batch id stays text. Numbers are written
 * as numbers (a negative number is not a formula).
 */
import { stringify } from 'csv-stringify/sync';

const FORMULA = /^[=+\-@\t\r]/;

export function toCsv(header: readonly string[], rows: readonly (readonly unknown[])[]): string {
  const safe = rows.map((r) =>
    r.map((v) =>
      v === null || v === undefined ? '' : typeof v === 'string' && FORMULA.test(v) ? `'${v}` : v,
    ),
  );
  return stringify([header as string[], ...safe], { record_delimiter: '\n' });
}
