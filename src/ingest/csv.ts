/**
 * CSV with a header line, or without one when the fields are named (`--columns`) (RFC 4180
 * quoting: "a,b" and "" inside quotes; one record per line). The delimiter is a character, or
 * `whitespace`: runs of spaces and tabs, leading and trailing ones ignored (as test-rig and
 * historian text exports write them). Rows whose field count differs from the header are
 * rejected, not guessed.
 */
import type { TableLayout } from '../store/writer.ts';
import { equipmentOf, resolveSensors } from './mapping.ts';
import type { MappingOptions } from './mapping.ts';
import type { LineParser, ParsedRow, Rejection } from './types.ts';
import { parseReading, readTime, quoted } from './values.ts';

/** The delimiter that stands for runs of spaces and tabs. */
export const WHITESPACE = 'whitespace';

/** Splits one CSV line; returns undefined for an unterminated quote. */
export function splitCsvLine(line: string, delimiter = ','): string[] | undefined {
  if (delimiter === WHITESPACE) return line.trim().split(/[ \t]+/);
  if (!line.includes('"')) return line.split(delimiter);
  const out: string[] = [];
  let field = '';
  let i = 0;
  let quoted = false;
  while (i < line.length) {
    const c = line[i] as string;
    if (quoted) {
      if (c === '"') {
        if (line[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
      } else field += c;
    } else if (c === '"') quoted = true;
    else if (c === delimiter) {
      out.push(field);
      field = '';
    } else field += c;
    i++;
  }
  if (quoted) return undefined;
  out.push(field);
  return out;
}

export function csvParser(headerLine: string, options: MappingOptions, delimiter = ','): LineParser {
  const header =
    options.columns !== undefined
      ? [...options.columns]
      : (splitCsvLine(headerLine.replace(/^\uFEFF/, ''), delimiter) ?? []).map((h) => h.trim());
  const sensors = resolveSensors(header, options);
  const timeIdx = header.indexOf(options.timeField ?? 'ts');
  const eqIdx = options.equipment === undefined ? header.indexOf(options.equipmentField ?? 'equipment') : -1;
  const sensorIdx = sensors.map((s) => header.indexOf(s.field));
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
    headerLines: options.columns !== undefined ? 0 : 1,
    parse(line: string, row: number, out: ParsedRow): Rejection | null {
      const f = splitCsvLine(line, delimiter);
      if (f === undefined) return { row, field: '*', reason: 'unterminated quoted field' };
      if (f.length !== header.length) {
        return {
          row,
          field: '*',
          reason: `expected ${header.length} fields as in the header, found ${f.length}`,
        };
      }
      const t = readTime(f[timeIdx], unit, options.cycle);
      if (!t.ok)
        return {
          row,
          field: header[timeIdx] as string,
          reason: `${quoted(f[timeIdx])}: ${t.reason}`,
        };
      const ts = t.micros;
      if (typeof f[timeIdx] === 'number' || /^[+-]?\d+(\.\d+)?$/.test(String(f[timeIdx]).trim())) epoch++;
      const equipment = equipmentOf(eqIdx < 0 ? undefined : f[eqIdx], options);
      if (equipment === undefined) {
        return {
          row,
          field: header[eqIdx] as string,
          reason: `not a valid equipment id: ${quoted(f[eqIdx])}`,
        };
      }
      for (let j = 0; j < sensorIdx.length; j++) {
        const v = parseReading(f[sensorIdx[j] as number]);
        if (v === undefined) {
          return {
            row,
            field: sensors[j]!.field,
            reason: `not a number: ${quoted(f[sensorIdx[j] as number])}`,
          };
        }
        out.doubles[j] = v;
      }
      out.ts = ts;
      out.symbols[0] = equipment;
      return null;
    },
  };
}
