/**
 * NASA C-MAPSS text files (train_FD00x.txt, test_FD00x.txt): 26 space-separated numbers per line,
 * two trailing spaces, no header. Unit number is the equipment, the cycle becomes time:
 * ts = start + cycle x cycleSeconds (cycles are flights; the set has no clock time).
 */
import { ErrorCodes, PdmError } from '../errors.ts';
import type { TableLayout } from '../store/writer.ts';
import { quoted } from './values.ts';
import type { LineParser, ParsedRow, Rejection } from './types.ts';

export const CMAPSS_SETTINGS = ['setting1', 'setting2', 'setting3'] as const;
export const CMAPSS_SENSORS = Array.from({ length: 21 }, (_, i) => `s${i + 1}`);

export interface CmapssOptions {
  readonly table: string;
  /** The dataset symbol, by default the file name without extension (train_FD001). */
  readonly dataset: string;
  /** Epoch microseconds of cycle 0. */
  readonly startMicros?: number;
  readonly cycleSeconds?: number;
}

export function cmapssLayout(table: string): TableLayout {
  return {
    table,
    symbols: ['dataset', 'equipment'],
    doubles: [...CMAPSS_SETTINGS, ...CMAPSS_SENSORS],
    ints: ['cycle'],
  };
}

export function cmapssParser(options: CmapssOptions): LineParser {
  const layout = cmapssLayout(options.table);
  const start = options.startMicros ?? Date.UTC(2000, 0, 1) * 1000;
  const cycleMicros = (options.cycleSeconds ?? 3600) * 1e6;
  if (!Number.isFinite(cycleMicros) || cycleMicros <= 0) {
    throw new PdmError(ErrorCodes.INGEST_INPUT, `cycle length must be a positive number of seconds`);
  }
  const names = ['unit', 'cycle', ...CMAPSS_SETTINGS, ...CMAPSS_SENSORS];
  return {
    layout,
    headerLines: 0,
    parse(line: string, row: number, out: ParsedRow): Rejection | null {
      const fields = line.trim().split(/\s+/);
      if (fields.length !== 26) {
        return { row, field: '*', reason: `expected 26 space-separated values, found ${fields.length}` };
      }
      const unit = Number(fields[0]);
      if (!Number.isInteger(unit) || unit <= 0)
        return { row, field: 'unit', reason: `not a positive integer: ${quoted(fields[0])}` };
      const cycle = Number(fields[1]);
      if (!Number.isInteger(cycle) || cycle <= 0)
        return { row, field: 'cycle', reason: `not a positive integer: ${quoted(fields[1])}` };
      for (let j = 2; j < 26; j++) {
        const s = fields[j] as string;
        const v = Number(s);
        if (s === '' || !Number.isFinite(v))
          return { row, field: names[j] as string, reason: `not a number: ${quoted(s)}` };
        out.doubles[j - 2] = v;
      }
      out.ts = start + cycle * cycleMicros;
      out.symbols[0] = options.dataset;
      out.symbols[1] = String(unit);
      out.ints[0] = cycle;
      return null;
    },
  };
}
