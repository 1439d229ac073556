/**
 * `pdm ingest FILE`: streams a file line by line through a format parser into the writer.
 * A bad row is counted and described (row, field, reason) and never stops the file; good rows
 * around it are kept. Memory is bounded by the writer's two batches, whatever the file size.
 */
import { createReadStream, statSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { Config } from '../config.ts';
import { ErrorCodes, PdmError } from '../errors.ts';
import type { Tables } from '../store/tables.ts';
import { Writer } from '../store/writer.ts';
import { cmapssParser } from './cmapss.ts';
import { csvParser } from './csv.ts';
import type { MappingOptions } from './mapping.ts';
import { ndjsonParser } from './ndjson.ts';
import { newRow } from './types.ts';
import type { LineParser, Rejection } from './types.ts';

export type FileFormat = 'csv' | 'ndjson' | 'cmapss';

export interface IngestFileOptions extends Omit<MappingOptions, 'table'> {
  readonly format?: FileFormat;
  /** Target table; default: the schema's telemetry table (cmapss: its cmapss table). */
  readonly table?: string;
  readonly delimiter?: string;
  /** How many rejections to describe in the summary (all are counted). */
  readonly maxRejections?: number;
  /** C-MAPSS: dataset symbol (default: file name without extension) and cycle length. */
  readonly dataset?: string;
  readonly cycleSeconds?: number;
  readonly onProgress?: (p: IngestProgress) => void;
}

export interface IngestProgress {
  readonly bytesRead: number;
  readonly bytesTotal: number;
  readonly rowsRead: number;
  readonly accepted: number;
  readonly rejected: number;
}

export interface IngestSummary {
  readonly file: string;
  readonly format: FileFormat;
  readonly table: string;
  readonly rows_read: number;
  readonly accepted: number;
  readonly rejected: number;
  readonly rejections: readonly Rejection[];
  readonly duration_s: number;
  readonly rows_per_s: number;
}

export function detectFormat(file: string): FileFormat {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.csv' || ext === '.tsv') return 'csv';
  if (ext === '.ndjson' || ext === '.jsonl') return 'ndjson';
  if (/^(train|test)_FD00\d\.txt$/i.test(path.basename(file))) return 'cmapss';
  throw new PdmError(
    ErrorCodes.INGEST_INPUT,
    `Cannot tell the format of ${file}: pass --format csv|ndjson|cmapss`,
  );
}

function makeParser(
  format: FileFormat,
  firstLine: string,
  file: string,
  tables: Tables,
  o: IngestFileOptions,
): LineParser {
  switch (format) {
    case 'cmapss':
      return cmapssParser({
        table: o.table ?? tables.cmapss,
        dataset: o.dataset ?? path.basename(file).replace(/\.[^.]*$/, ''),
        cycleSeconds: o.cycleSeconds,
      });
    case 'csv':
      return csvParser(
        firstLine,
        { ...o, table: o.table ?? tables.telemetry },
        o.delimiter ?? (file.endsWith('.tsv') ? '\t' : ','),
      );
    case 'ndjson':
      return ndjsonParser(firstLine, { ...o, table: o.table ?? tables.telemetry });
  }
}

export async function ingestFile(
  config: Config,
  tables: Tables,
  file: string,
  options: IngestFileOptions = {},
): Promise<IngestSummary> {
  let size: number;
  try {
    size = statSync(file).size;
  } catch (err) {
    throw new PdmError(ErrorCodes.INGEST_INPUT, `Cannot read ${file}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const format = options.format ?? detectFormat(file);
  const maxRejections = options.maxRejections ?? 20;
  const started = performance.now();
  const stream = createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 20 });
  const lines = createInterface({ input: stream, crlfDelay: Infinity });

  let parser: LineParser | undefined;
  let writer: Writer | undefined;
  let row: ReturnType<typeof newRow> | undefined;
  let lineNo = 0;
  let rowsRead = 0;
  let rejected = 0;
  const rejections: Rejection[] = [];
  let lastProgress = 0;
  const progress = () => {
    options.onProgress?.({
      bytesRead: stream.bytesRead,
      bytesTotal: size,
      rowsRead,
      accepted: writer?.stats.rowsAcknowledged ?? 0,
      rejected,
    });
  };
  try {
    for await (const line of lines) {
      lineNo++;
      if (parser === undefined) {
        if (line.trim() === '') continue;
        parser = makeParser(format, line, file, tables, options);
        writer = await Writer.open(config.questdb, config.ingest, parser.layout);
        row = newRow(parser.layout);
        if (parser.headerLines > 0) continue;
      }
      if (line.trim() === '') continue;
      rowsRead++;
      const rejection = parser.parse(line, lineNo, row as NonNullable<typeof row>);
      if (rejection !== null) {
        rejected++;
        if (rejections.length < maxRejections) rejections.push(rejection);
        continue;
      }
      const r = row as NonNullable<typeof row>;
      await (writer as Writer).append(r.ts, r.symbols, r.doubles, r.ints);
      if ((rowsRead & 0x3fff) === 0 && options.onProgress) {
        const now = performance.now();
        if (now - lastProgress > 200) {
          lastProgress = now;
          progress();
        }
      }
    }
    await writer?.close();
  } catch (err) {
    await writer?.close().catch(() => {});
    throw err;
  } finally {
    lines.close();
    stream.destroy();
  }
  progress();
  const duration = (performance.now() - started) / 1000;
  const accepted = writer?.stats.rowsAcknowledged ?? 0;
  return {
    file,
    format,
    table: parser?.layout.table ?? options.table ?? (format === 'cmapss' ? tables.cmapss : tables.telemetry),
    rows_read: rowsRead,
    accepted,
    rejected,
    rejections,
    duration_s: Math.round(duration * 1000) / 1000,
    rows_per_s: duration > 0 ? Math.round(accepted / duration) : 0,
  };
}
