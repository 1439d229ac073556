/**
 * The ingestion loop every line source shares (a file for `pdm ingest`, a request body for
 * `POST /v1/telemetry`): the first non-empty line chooses the parser, each data line is parsed
 * into a reused row and appended to the writer; a bad line is counted and described (row, field,
 * reason) and never stops the rest. Memory is bounded by the writer's two batches.
 */
import type { Config } from '../config.ts';
import { Writer } from '../store/writer.ts';
import type { WriterOptions } from '../store/writer.ts';
import { newRow } from './types.ts';
import type { LineParser, Rejection } from './types.ts';

export interface LinesProgress {
  readonly rowsRead: number;
  readonly accepted: number;
  readonly rejected: number;
}

export interface LinesResult extends LinesProgress {
  readonly rejections: readonly Rejection[];
  /** The table written to; undefined when there was no data line. */
  readonly table: string | undefined;
  /** Rows whose time was an epoch number, and the range of accepted times (µs; NaN without rows). */
  readonly epochTimes: number;
  readonly minTs: number;
  readonly maxTs: number;
}

export interface LinesOptions {
  /** How many rejections to describe (all are counted); default 20. */
  readonly maxRejections?: number;
  readonly onProgress?: (p: LinesProgress) => void;
  /** Checked once, on the parser the first line chose (e.g. the API refuses columns the table lacks). */
  readonly checkParser?: (parser: LineParser) => void;
  /** Writer options (the API bounds retries to answer within its request timeout). */
  readonly writer?: WriterOptions;
  /**
   * A check of each parsed row's values for its equipment (the plant's plausible ranges): the
   * field at fault and why, or null. Rows refused are counted and described like parse errors.
   */
  readonly validate?: (
    equipment: string,
    columns: readonly string[],
    values: ArrayLike<number>,
  ) => { field: string; reason: string } | null;
  /** Filled with each equipment's latest accepted reading time (µs), when given. */
  readonly lastByEquipment?: Map<string, number>;
}

export async function ingestLines(
  config: Config,
  lines: AsyncIterable<string>,
  makeParser: (firstLine: string) => LineParser,
  o: LinesOptions = {},
): Promise<LinesResult> {
  const maxRejections = o.maxRejections ?? 20;
  let parser: LineParser | undefined;
  let writer: Writer | undefined;
  let row: ReturnType<typeof newRow> | undefined;
  let lineNo = 0;
  let rowsRead = 0;
  let rejected = 0;
  const rejections: Rejection[] = [];
  let lastProgress = 0;
  let minTs = NaN;
  let maxTs = NaN;
  try {
    for await (const line of lines) {
      lineNo++;
      if (parser === undefined) {
        if (line.trim() === '') continue;
        parser = makeParser(line);
        o.checkParser?.(parser);
        writer = await Writer.open(config.questdb, config.ingest, parser.layout, o.writer);
        row = newRow(parser.layout);
        if (parser.headerLines > 0) continue;
      }
      if (line.trim() === '') continue;
      rowsRead++;
      const rejection = parser.parse(line, lineNo, row as NonNullable<typeof row>);
      const r = row as NonNullable<typeof row>;
      const why =
        rejection === null && o.validate !== undefined
          ? o.validate(r.symbols[0] ?? '', parser.layout.doubles, r.doubles)
          : null;
      if (rejection !== null || why !== null) {
        rejected++;
        if (rejections.length < maxRejections)
          rejections.push(rejection ?? { row: lineNo, ...(why as { field: string; reason: string }) });
        continue;
      }
      if (!(r.ts >= minTs)) minTs = r.ts;
      if (!(r.ts <= maxTs)) maxTs = r.ts;
      if (o.lastByEquipment !== undefined) {
        const eq = r.symbols[0] ?? '';
        if (!((o.lastByEquipment.get(eq) ?? -Infinity) >= r.ts)) o.lastByEquipment.set(eq, r.ts);
      }
      await (writer as Writer).append(r.ts, r.symbols, r.doubles, r.ints);
      if ((rowsRead & 0x3fff) === 0 && o.onProgress) {
        const now = performance.now();
        if (now - lastProgress > 200) {
          lastProgress = now;
          o.onProgress({ rowsRead, accepted: writer?.stats.rowsAcknowledged ?? 0, rejected });
        }
      }
    }
    await writer?.close();
  } catch (err) {
    await writer?.close().catch(() => {});
    throw err;
  }
  return {
    rowsRead,
    accepted: writer?.stats.rowsAcknowledged ?? 0,
    rejected,
    rejections,
    table: parser?.layout.table,
    epochTimes: parser?.epochTimes?.() ?? 0,
    minTs,
    maxTs,
  };
}
