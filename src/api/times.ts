/**
 * Instants in requests: RFC 3339 through the one strict reader (src/ingest/values.ts, shared with
 * file ingestion), refused with the field and the reason before anything is read or written.
 */
import { readInstant, readTime } from '../ingest/index.ts';
import { InvalidInput } from './plugins/app/problem.ts';

/** Epoch microseconds of an RFC 3339 field (zone required). */
export function instant(raw: string, field: string): number {
  const r = readInstant(raw, { zone: 'required' });
  if (!r.ok) throw new InvalidInput(field, `${JSON.stringify(raw.slice(0, 64))}: ${r.reason}`);
  return r.micros;
}

/** As instant, NaN when the field is absent (an optional time stored as missing). */
export function optionalInstant(raw: string | undefined, field: string): number {
  return raw === undefined ? NaN : instant(raw, field);
}

/** A reading's time: RFC 3339 text or epoch milliseconds (fractions kept to the microsecond). */
export function readingTime(raw: string | number, field: string): number {
  if (typeof raw === 'string') return instant(raw, field);
  const r = readTime(raw, 'ms');
  if (!r.ok) throw new InvalidInput(field, `${raw}: ${r.reason}`);
  return r.micros;
}
