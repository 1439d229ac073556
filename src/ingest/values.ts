/** Parsing of single field values, shared by every file format and the HTTP intake. */

/** Epoch units, or `cycle`: a count of operating cycles of `CycleClock.seconds` each from its origin. */
export type TimeUnit = 's' | 'ms' | 'us' | 'ns' | 'cycle';

/** How a cycle count becomes an instant: the origin (µs) plus the count times the cycle length. */
export interface CycleClock {
  readonly seconds: number;
  readonly originMicros: number;
}

const MIN_MICROS = 0; // 1970-01-01
const MAX_MICROS = Date.UTC(2262, 0, 1) * 1000; // QuestDB's nanosecond range ends in 2262

/** A reading: a finite number, or NaN for missing (empty, null, "NaN"); undefined when invalid. */
export function parseReading(raw: unknown): number | undefined {
  if (raw === null || raw === undefined) return NaN;
  if (typeof raw === 'number') return Number.isFinite(raw) || Number.isNaN(raw) ? raw : undefined;
  if (typeof raw !== 'string') return undefined;
  const s = raw.trim();
  if (s === '' || s === 'NaN' || s === 'null' || s === 'NULL' || s === 'nan') return NaN;
  // Number('') is 0 and Number('0x10') is 16: accept decimal notation only.
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) return undefined;
  const n = Number(s);
  // "1e999" is decimal notation too, and Infinity: refused like "Infinity", never stored as NULL.
  return Number.isFinite(n) ? n : undefined;
}

/** Epoch microseconds from ISO 8601 text or an epoch number in `unit`; undefined when invalid. */
export function parseTime(raw: unknown, unit: TimeUnit, cycle?: CycleClock): number | undefined {
  const r = readTime(raw, unit, cycle);
  return r.ok ? r.micros : undefined;
}

export type TimeRead =
  { readonly ok: true; readonly micros: number } | { readonly ok: false; readonly reason: string };

const refuse = (reason: string): TimeRead => ({ ok: false, reason });

/** Checks the range every stored instant must be in (QuestDB's designated timestamps). */
function inRange(micros: number): TimeRead {
  if (!Number.isFinite(micros)) return refuse('not a finite instant');
  if (micros < MIN_MICROS) return refuse('before 1970-01-01T00:00:00Z (the earliest instant stored)');
  if (micros >= MAX_MICROS) return refuse('after 2262-01-01T00:00:00Z (the latest instant stored)');
  return { ok: true, micros };
}

/**
 * A time from a file or a request: ISO 8601 text (see readInstant, a missing zone is UTC) or an
 * epoch number in `unit` (a cycle count on `cycle`'s clock), rounded to the microsecond; with the
 * reason when it is refused.
 */
export function readTime(raw: unknown, unit: TimeUnit, cycle?: CycleClock): TimeRead {
  if (typeof raw === 'number' || (typeof raw === 'string' && /^[+-]?\d+(\.\d+)?$/.test(raw.trim()))) {
    const n = Number(raw);
    if (!Number.isFinite(n)) return refuse(`epoch ${unit} out of range`);
    if (unit === 'cycle') {
      if (cycle === undefined) return refuse('a cycle count needs the cycle length (--cycle-seconds)');
      if (n < 0) return refuse('a cycle count is not negative');
      return inRange(Math.round(cycle.originMicros + n * cycle.seconds * 1e6));
    }
    const micros = unit === 's' ? n * 1e6 : unit === 'ms' ? n * 1e3 : unit === 'us' ? n : n / 1e3;
    return inRange(Math.round(micros));
  }
  if (typeof raw === 'string') return readInstant(raw.trim(), { zone: 'utc-default' });
  return refuse(`expected ISO 8601 text or epoch ${unit}, got ${raw === null ? 'null' : typeof raw}`);
}

const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const leap = (y: number) => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;

/**
 * The one strict reader of instants, shared by the API (RFC 3339: `zone: 'required'`) and files
 * (`'utc-default'`: a date-time without a zone is UTC, as historians export it).
 * - fractions of up to 9 digits, rounded half up to the microsecond (QuestDB stores microseconds);
 *   more digits are refused, not silently cut;
 * - offsets `Z` or `+HH:MM` (files also `+HHMM`); `+05` is ambiguous and refused;
 * - a leap second (`:60`, only at 23:59 UTC as RFC 3339 allows) is read as the last microsecond
 *   of that minute: Unix time has no leap seconds, and the reading stays ordered before the next day;
 * - dates are checked (no 30 February), and the instant must lie in 1970..2262.
 * `Date.parse` alone would read a zone-less text as local time, accept `2024-02-30` and drop
 * microseconds.
 */
export function readInstant(s: string, o: { zone: 'required' | 'utc-default' }): TimeRead {
  const m =
    /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?(Z|z|[+-]\d{2}(?::?\d{2})?)?$/.exec(
      s,
    );
  if (!m) return refuse('not an RFC 3339 date-time (e.g. 2025-06-01T12:00:00Z)');
  const [, ys, mos, ds, hs, mis, ss, frac, zone] = m;
  const y = Number(ys);
  const mo = Number(mos);
  const d = Number(ds);
  const h = Number(hs ?? 0);
  const mi = Number(mis ?? 0);
  let sec = Number(ss ?? 0);
  if (mo < 1 || mo > 12) return refuse(`month ${mos} is not 01-12`);
  const dim = mo === 2 && !leap(y) ? 28 : (DAYS_IN_MONTH[mo - 1] as number);
  if (d < 1 || d > dim) return refuse(`day ${ds} is not in ${ys}-${mos}`);
  if (h > 23) return refuse(`hour ${hs} is not 00-23`);
  if (mi > 59) return refuse(`minute ${mis} is not 00-59`);
  if (sec > 60) return refuse(`second ${ss} is not 00-60`);
  if (frac !== undefined && frac.length > 9)
    return refuse(`${frac.length} fractional digits: at most 9 (nanoseconds)`);
  if (hs === undefined && o.zone === 'required')
    return refuse('a date without a time: give the full date-time');
  let offsetMinutes = 0;
  if (zone === undefined) {
    if (o.zone === 'required') return refuse('no time zone: end with Z or an offset like +02:00');
  } else if (zone !== 'Z' && zone !== 'z') {
    if (zone.length === 3) return refuse(`offset ${zone} is ambiguous: write it as ${zone}:00`);
    if (o.zone === 'required' && !zone.includes(':')) return refuse(`offset ${zone}: write it as +HH:MM`);
    const oh = Number(zone.slice(1, 3));
    const om = Number(zone.slice(-2));
    if (oh > 23 || om > 59) return refuse(`offset ${zone} is not a valid offset`);
    offsetMinutes = (zone[0] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  let leapSecond = false;
  if (sec === 60) {
    const utcMinutes = (((h * 60 + mi - offsetMinutes) % 1440) + 1440) % 1440;
    if (utcMinutes !== 23 * 60 + 59) return refuse('a leap second (:60) occurs only at 23:59:60 UTC');
    leapSecond = true;
    sec = 59;
  }
  // Microseconds from the fraction, rounded half up on the 7th digit.
  const digits = (frac ?? '').padEnd(9, '0');
  let micros = Number(digits.slice(0, 6)) + (Number(digits[6]) >= 5 ? 1 : 0);
  if (leapSecond) micros = 999_999;
  const ms = Date.UTC(y, mo - 1, d, h, mi, sec) - offsetMinutes * 60_000;
  return inRange(ms * 1000 + micros);
}

/** Lenient ISO 8601 (zone optional: UTC) for the CLI's own arguments; NaN when unreadable. */
export function parseIsoMicros(s: string): number {
  const r = readInstant(s.trim(), { zone: 'utc-default' });
  return r.ok ? r.micros : NaN;
}

/** An equipment id: non-empty, at most 128 characters, no control characters. */
export function parseEquipment(raw: unknown): string | undefined {
  if (typeof raw === 'number' && Number.isFinite(raw)) return String(raw);
  if (typeof raw !== 'string') return undefined;
  const s = raw.trim();
  // eslint-disable-next-line no-control-regex
  if (s === '' || s.length > 128 || /[\u0000-\u001f\u007f]/.test(s)) return undefined;
  return s;
}

/**
 * An equipment id made from a file's field by a template: `%s` is the field as it is, `%d` or
 * `%03d` the field as a whole number (zero-padded to 3 digits), e.g. `fd001-%03d` turns unit 7
 * into fd001-007. Undefined when the field does not fit the template.
 */
export function formatEquipment(raw: unknown, template: string): string | undefined {
  const field = parseEquipment(raw);
  if (field === undefined) return undefined;
  let bad = false;
  const id = template.replace(/%(0?\d*)d|%s/g, (spec: string, width: string | undefined) => {
    if (spec === '%s') return field;
    if (!/^\d+$/.test(field)) {
      bad = true;
      return '';
    }
    const n = String(Number(field));
    return width === undefined || width === '' ? n : n.padStart(Number(width), '0');
  });
  return bad ? undefined : parseEquipment(id);
}

/** A value quoted for a message, cut to `max` characters (a 10 MB field must not become 10 MB of output). */
export function quoted(v: unknown, max = 60): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length <= max ? s : `${s.slice(0, max)}…(${s.length} characters)`;
}

/** A list of field names for a message: the first dozen, each cut short, and how many there are. */
export function fieldList(fields: readonly string[]): string {
  const shown = fields.slice(0, 12).map((f) => (f.length > 40 ? `${f.slice(0, 40)}…` : f));
  return fields.length > 12 ? `${shown.join(', ')}, … (${fields.length} fields)` : shown.join(', ');
}
