/**
 * `pdm ingest FILE`: streams a file line by line through a format parser into the writer.
 * A bad row is counted and described (row, field, reason) and never stops the file; good rows
 * around it are kept. Memory is bounded by the writer's two batches, whatever the file size.
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../config.ts';
import { ErrorCodes, PdmError } from '../errors.ts';
import type { Tables } from '../store/tables.ts';
import { boundedLines } from './bounded-lines.ts';
import { isGzip, openBytes } from './data-file.ts';
import { cmapssParser } from './cmapss.ts';
import { csvParser } from './csv.ts';
import type { MappingOptions } from './mapping.ts';
import { ndjsonParser } from './ndjson.ts';
import { ingestLines } from './ingest-lines.ts';
import type { LinesOptions, LinesResult } from './ingest-lines.ts';
import type { LineParser, Rejection } from './types.ts';

export type FileFormat = 'csv' | 'ndjson' | 'cmapss';

/** A line longer than this is not telemetry (a 10 MB header once became 42 MB of output). */
const FILE_MAX_LINE = 1 << 20;

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
  /** Each row's values checked for its equipment (the plant's plausible ranges); see LinesOptions. */
  readonly validate?: LinesOptions['validate'];
  /** Filled with each equipment's latest accepted reading time (µs), when given. */
  readonly lastByEquipment?: Map<string, number>;
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
  /** What a person should check: an assumed time unit, times that look wrong. */
  readonly warnings: readonly string[];
}

export function detectFormat(file: string): FileFormat {
  // data.csv.gz is a CSV: the format is the extension under the compression.
  const name = isGzip(file) ? file.slice(0, -3) : file;
  const ext = path.extname(name).toLowerCase();
  if (ext === '.csv' || ext === '.tsv') return 'csv';
  if (ext === '.ndjson' || ext === '.jsonl') return 'ndjson';
  if (/^(train|test)_FD00\d\.txt$/i.test(path.basename(name))) return 'cmapss';
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
        dataset:
          o.dataset ??
          path
            .basename(file)
            .replace(/\.gz$/i, '')
            .replace(/\.[^.]*$/, ''),
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

/**
 * Files go to telemetry (or the C-MAPSS table): the engine's own context tables (maintenance,
 * batches, forecasts...) have routes that check what they store, and a CSV mapped onto one once
 * wrote 10,000 junk maintenance events.
 */
function refuseContextTable(tables: Tables, format: FileFormat, table: string | undefined): void {
  if (table === undefined) return;
  const allowed = format === 'cmapss' ? [tables.cmapss, tables.telemetry] : [tables.telemetry];
  const own = Object.entries(tables).find(([, name]) => name === table && !allowed.includes(name));
  if (own !== undefined)
    throw new PdmError(
      ErrorCodes.INGEST_INPUT,
      `--table ${table} is the engine's ${own[0]} table: files are ingested as telemetry (the default) or into a table of your own; ` +
        'MES and maintenance records go through their API routes (POST /v1/maintenance, /v1/mes/batches, ...), which validate them',
    );
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
  refuseContextTable(tables, format, options.table);
  const started = performance.now();
  const { bytes, raw: stream } = openBytes(file);
  // Bounded lines, strict UTF-8 and no BOM: the same reader as the API's NDJSON intake.
  const lines = boundedLines(bytes, {
    maxBytes: Number.MAX_SAFE_INTEGER,
    maxLine: FILE_MAX_LINE,
    declaredLength: isGzip(file) ? NaN : size,
    what: path.basename(file),
    settings: { bytes: '-', line: 'a line of at most 1 Mi characters' },
  });
  let result: LinesResult;
  try {
    result = await ingestLines(config, lines, (first) => makeParser(format, first, file, tables, options), {
      maxRejections: options.maxRejections,
      // C-MAPSS rows are not plant readings (their own table); the rest are checked when asked.
      ...(format === 'cmapss' ? {} : { validate: options.validate }),
      lastByEquipment: options.lastByEquipment,
      onProgress:
        options.onProgress &&
        ((p) => options.onProgress?.({ ...p, bytesRead: stream.bytesRead, bytesTotal: size })),
    });
  } finally {
    await lines.return(undefined);
    bytes.destroy();
    stream.destroy();
  }
  const { rowsRead, rejected, rejections, accepted, table } = result;
  const warnings: string[] = [];
  if (result.epochTimes > 0 && options.timeUnit === undefined && format !== 'cmapss') {
    const unit = 'milliseconds (the default)';
    const early = result.maxTs < Date.UTC(2000, 0, 1) * 1000;
    warnings.push(
      `${result.epochTimes} rows had epoch-number times, read as ${unit}` +
        (early
          ? `: they all fall before 2000 (latest ${new Date(result.maxTs / 1000).toISOString()}), so they were probably seconds: ingest again with --time-unit s`
          : '; pass --time-unit s|ms|us|ns to say which'),
    );
  }
  options.onProgress?.({ bytesRead: size, bytesTotal: size, rowsRead, accepted, rejected });
  const duration = (performance.now() - started) / 1000;
  return {
    file,
    format,
    table: table ?? options.table ?? (format === 'cmapss' ? tables.cmapss : tables.telemetry),
    rows_read: rowsRead,
    accepted,
    rejected,
    rejections,
    duration_s: Math.round(duration * 1000) / 1000,
    rows_per_s: duration > 0 ? Math.round(accepted / duration) : 0,
    warnings,
  };
}
