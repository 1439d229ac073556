/**
 * Newline-delimited JSON, one reading object per line. The sensor set comes from --sensors or
 * from the first record; a later record with a field outside that set is rejected (and named),
 * so a typo in a sensor name never silently creates nothing.
 */
import { ErrorCodes, PdmError } from '../errors.ts';
import type { TableLayout } from '../store/writer.ts';
import { equipmentOf, resolveSensors } from './mapping.ts';
import type { MappingOptions } from './mapping.ts';
import type { LineParser, ParsedRow, Rejection } from './types.ts';
import { parseReading, readTime, quoted } from './values.ts';

function parseObject(line: string): Record<string, unknown> | string {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (err) {
    return `invalid JSON: ${(err as Error).message}`;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'expected a JSON object';
  return value as Record<string, unknown>;
}

export function ndjsonParser(firstLine: string, options: MappingOptions): LineParser {
  const first = parseObject(firstLine);
  // The first record names the fields: without one there is nothing to map (a 400, not an empty set).
  if (typeof first === 'string') throw new PdmError(ErrorCodes.INGEST_INPUT, `line 1: ${first}`);
  const fields = Object.keys(first);
  const sensors = resolveSensors(fields, options);
  const timeField = options.timeField ?? 'ts';
  const equipmentField = options.equipmentField ?? 'equipment';
  const known = new Set([
    timeField,
    ...(options.equipment === undefined ? [equipmentField] : []),
    ...sensors.map((s) => s.field),
  ]);
  // With an explicit --sensors list, other fields are deliberately left out; without one, an
  // unknown field is more likely a typo than something to drop.
  const strict = options.sensors === undefined;
  const unit = options.timeUnit ?? 'ms';
  const layout: TableLayout = {
    table: options.table,
    symbols: ['equipment'],
    doubles: sensors.map((s) => s.column),
    readings: true,
  };
  let epoch = 0;
  return {
    layout,
    epochTimes: () => epoch,
    headerLines: 0,
    parse(line: string, row: number, out: ParsedRow): Rejection | null {
      const obj = parseObject(line);
      if (typeof obj === 'string') return { row, field: '*', reason: obj };
      for (const key in obj) {
        if (strict && !known.has(key))
          return { row, field: key, reason: 'unexpected field (not in the first record)' };
      }
      const t = readTime(obj[timeField], unit, options.cycle);
      if (!t.ok) return { row, field: timeField, reason: `${quoted(obj[timeField])}: ${t.reason}` };
      const ts = t.micros;
      if (typeof obj[timeField] === 'number' || /^[+-]?\d+(\.\d+)?$/.test(String(obj[timeField]).trim()))
        epoch++;
      const equipment = equipmentOf(obj[equipmentField], options);
      if (equipment === undefined) {
        return {
          row,
          field: equipmentField,
          reason: `not a valid equipment id: ${quoted(obj[equipmentField])}`,
        };
      }
      for (let j = 0; j < sensors.length; j++) {
        const field = sensors[j]!.field;
        const v = parseReading(obj[field]);
        if (v === undefined) return { row, field, reason: `not a number: ${quoted(obj[field])}` };
        out.doubles[j] = v;
      }
      out.ts = ts;
      out.symbols[0] = equipment;
      return null;
    },
  };
}
