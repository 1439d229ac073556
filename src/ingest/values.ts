/** Parsing of single field values, shared by every file format and the HTTP intake. */

export type TimeUnit = 's' | 'ms' | 'us' | 'ns';

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
  return Number(s);
}

/** Epoch microseconds from ISO 8601 text or an epoch number in `unit`; undefined when invalid. */
export function parseTime(raw: unknown, unit: TimeUnit): number | undefined {
  let micros: number;
  if (typeof raw === 'number' || (typeof raw === 'string' && /^[+-]?\d+(\.\d+)?$/.test(raw.trim()))) {
    const n = Number(raw);
    if (!Number.isFinite(n)) return undefined;
    micros = unit === 's' ? n * 1e6 : unit === 'ms' ? n * 1e3 : unit === 'us' ? n : n / 1e3;
    micros = Math.round(micros);
  } else if (typeof raw === 'string') {
    micros = parseIsoMicros(raw.trim());
  } else {
    return undefined;
  }
  return micros >= MIN_MICROS && micros < MAX_MICROS ? micros : undefined;
}

/**
 * ISO 8601 with optional fraction (to microseconds) and zone; text without a zone is UTC.
 * `Date.parse` alone would read a zone-less date-time as local time and drop microseconds.
 */
export function parseIsoMicros(s: string): number {
  const m =
    /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2})?)(?:\.(\d{1,9}))?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i.exec(s);
  if (!m) return NaN;
  const time = m[2] === undefined ? '00:00:00' : m[2].length === 5 ? `${m[2]}:00` : m[2];
  let zone = m[4] ?? 'Z';
  if (zone !== 'Z' && zone !== 'z' && !zone.includes(':')) zone = `${zone.slice(0, 3)}:${zone.slice(3)}`;
  const ms = Date.parse(`${m[1]}T${time}${zone.toUpperCase()}`);
  if (Number.isNaN(ms)) return NaN;
  const frac = (m[3] ?? '').padEnd(6, '0').slice(0, 6);
  return ms * 1000 + Number(frac);
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
