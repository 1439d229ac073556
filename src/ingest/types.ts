import type { TableLayout } from '../store/writer.ts';

/** Why a row was not accepted: which row (1-based line number), which field, and the reason. */
export interface Rejection {
  readonly row: number;
  readonly field: string;
  readonly reason: string;
}

/** One parsed row, reused between calls (the parser fills it in place). */
export interface ParsedRow {
  ts: number;
  readonly symbols: (string | null)[];
  readonly doubles: Float64Array;
  readonly ints: Float64Array;
}

/**
 * A line-oriented format: a header decision (if any), then one call per data line that either
 * fills `out` and returns null, or returns the rejection.
 */
export interface LineParser {
  readonly layout: TableLayout;
  /** Lines before the first data line (e.g. a CSV header); the parser reads them here. */
  readonly headerLines: number;
  header?(line: string): void;
  parse(line: string, row: number, out: ParsedRow): Rejection | null;
  /** Rows whose time was an epoch number (read in the parser's unit), for the unit warning. */
  readonly epochTimes?: () => number;
}

export function newRow(layout: TableLayout): ParsedRow {
  return {
    ts: 0,
    symbols: new Array<string | null>(layout.symbols.length).fill(null),
    doubles: new Float64Array(layout.doubles.length),
    ints: new Float64Array(layout.ints?.length ?? 0),
  };
}
