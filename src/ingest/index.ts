/** Sources into the store: file formats (CSV, NDJSON, C-MAPSS) and value parsing shared with HTTP intake. */
export { ingestFile, detectFormat } from './ingest-file.ts';
export type { FileFormat, IngestFileOptions, IngestProgress, IngestSummary } from './ingest-file.ts';
export { parseSensorList } from './mapping.ts';
export type { MappingOptions, SensorMapping } from './mapping.ts';
export { parseReading, parseTime, readTime, readInstant, parseEquipment, parseIsoMicros } from './values.ts';
export type { TimeUnit, TimeRead } from './values.ts';
export type { Rejection } from './types.ts';
export { cmapssLayout, CMAPSS_SENSORS, CMAPSS_SETTINGS } from './cmapss.ts';
export { ingestLines } from './ingest-lines.ts';
export type { LinesOptions, LinesProgress, LinesResult } from './ingest-lines.ts';
export { ndjsonParser } from './ndjson.ts';
export { boundedLines } from './bounded-lines.ts';
export type { LineLimits } from './bounded-lines.ts';
export { dataFile, readText, isGzip } from './data-file.ts';
