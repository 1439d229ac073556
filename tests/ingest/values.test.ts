import { describe, expect, it } from 'vitest';
import {
  parseEquipment,
  parseIsoMicros,
  parseReading,
  parseTime,
  readInstant,
} from '../../src/ingest/values.ts';

describe('parseReading', () => {
  it('accepts decimal numbers and treats empty/null/NaN as missing', () => {
    expect(parseReading('1.5')).toBe(1.5);
    expect(parseReading(' -2e3 ')).toBe(-2000);
    expect(parseReading(7)).toBe(7);
    expect(parseReading('')).toBeNaN();
    expect(parseReading(null)).toBeNaN();
    expect(parseReading('NaN')).toBeNaN();
  });
  it('rejects what Number() would silently accept or mangle', () => {
    expect(parseReading('0x10')).toBeUndefined();
    expect(parseReading('12abc')).toBeUndefined();
    expect(parseReading('Infinity')).toBeUndefined();
    expect(parseReading(Infinity)).toBeUndefined();
    expect(parseReading(true)).toBeUndefined();
  });
});

describe('parseTime', () => {
  it('reads ISO text as UTC when it has no zone, keeping microseconds', () => {
    expect(parseIsoMicros('2024-03-01T12:00:00.123456Z')).toBe(Date.UTC(2024, 2, 1, 12) * 1000 + 123456);
    expect(parseIsoMicros('2024-03-01 12:00:00.5')).toBe(Date.UTC(2024, 2, 1, 12) * 1000 + 500000);
    expect(parseIsoMicros('2024-03-01T14:00:00+02:00')).toBe(Date.UTC(2024, 2, 1, 12) * 1000);
    expect(parseIsoMicros('2024-03-01T14:00:00+0200')).toBe(Date.UTC(2024, 2, 1, 12) * 1000);
  });
  it('reads epoch numbers in the given unit', () => {
    const ms = Date.UTC(2024, 0, 1);
    expect(parseTime(ms, 'ms')).toBe(ms * 1000);
    expect(parseTime(String(ms / 1000), 's')).toBe(ms * 1000);
    expect(parseTime(ms * 1000, 'us')).toBe(ms * 1000);
    expect(parseTime(String(ms * 1e6), 'ns')).toBe(ms * 1000);
  });
  it('rejects garbage and times outside QuestDB range', () => {
    expect(parseTime('yesterday', 'ms')).toBeUndefined();
    expect(parseTime('2024-13-45T00:00:00Z', 'ms')).toBeUndefined();
    expect(parseTime(-5, 'ms')).toBeUndefined();
    expect(parseTime('9999-01-01T00:00:00Z', 'ms')).toBeUndefined();
    expect(parseTime(null, 'ms')).toBeUndefined();
  });
});

describe('parseEquipment', () => {
  it('accepts ids and rejects empty or control characters', () => {
    expect(parseEquipment(' pump-7 ')).toBe('pump-7');
    expect(parseEquipment(12)).toBe('12');
    expect(parseEquipment('')).toBeUndefined();
    expect(parseEquipment('a\nb')).toBeUndefined();
    expect(parseEquipment(undefined)).toBeUndefined();
  });
});

describe('readInstant (RFC 3339, the one reader of instants)', () => {
  const req = (t: string) => readInstant(t, { zone: 'required' });
  it('agrees with Date.parse on random instants, zones and millisecond fractions', () => {
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 2000; i++) {
      const ms = Math.floor(rnd() * Date.UTC(2200, 0, 1));
      const offMin = Math.floor(rnd() * 28 - 14) * 60 + (rnd() < 0.2 ? 30 : 0);
      const local = new Date(ms + offMin * 60_000).toISOString().slice(0, 23);
      const sign = offMin < 0 ? '-' : '+';
      const a = Math.abs(offMin);
      const zone =
        offMin === 0 && rnd() < 0.5
          ? 'Z'
          : `${sign}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
      const text = `${local}${zone}`;
      const r = req(text);
      expect(r.ok && r.micros, text).toBe(Date.parse(text) * 1000);
    }
  });
  it('keeps microseconds, rounds nanoseconds half up, refuses a tenth digit', () => {
    expect(req('2025-06-01T00:00:00.123456Z')).toEqual({
      ok: true,
      micros: Date.UTC(2025, 5, 1) * 1000 + 123456,
    });
    expect(req('2025-06-01T00:00:00.1234565Z')).toEqual({
      ok: true,
      micros: Date.UTC(2025, 5, 1) * 1000 + 123457,
    });
    expect(req('2025-06-01T00:00:00.123456789Z')).toEqual({
      ok: true,
      micros: Date.UTC(2025, 5, 1) * 1000 + 123457,
    });
    expect(req('2025-06-01T00:00:00.1234567891Z')).toMatchObject({
      ok: false,
      reason: /10 fractional digits/,
    });
  });
  it('reads a leap second at 23:59:60 UTC (in any offset) as the last microsecond of that minute', () => {
    const last = Date.UTC(2016, 11, 31, 23, 59, 59) * 1000 + 999_999;
    expect(req('2016-12-31T23:59:60Z')).toEqual({ ok: true, micros: last });
    expect(req('2017-01-01T00:59:60+01:00')).toEqual({ ok: true, micros: last });
    expect(req('2016-12-31T12:00:60Z')).toMatchObject({ ok: false, reason: /only at 23:59:60 UTC/ });
  });
  it('refuses what a loose parser would guess at, with the reason', () => {
    for (const [t, why] of [
      ['2025-06-01T12:00:00+05', /ambiguous/],
      ['2025-06-01T12:00:00+0500', /\+HH:MM/],
      ['2025-06-01T12:00:00', /no time zone/],
      ['2025-06-01', /without a time/],
      ['2025-02-29T00:00:00Z', /day 29/],
      ['2025-13-01T00:00:00Z', /month 13/],
      ['2025-06-01T24:00:00Z', /hour 24/],
      ['1969-12-31T23:59:59Z', /before 1970/],
      ['2262-01-01T00:00:00Z', /after 2262/],
      ['2025-06-01T12:00:00+24:00', /not a valid offset/],
      ['yesterday', /not an RFC 3339/],
    ] as const)
      expect(req(t), t).toMatchObject({ ok: false, reason: why });
    expect(req('2024-02-29T00:00:00Z').ok).toBe(true);
  });
  it('reads zone-less file times as UTC, as historians export them', () => {
    expect(readInstant('2025-06-01 12:00:00', { zone: 'utc-default' })).toEqual({
      ok: true,
      micros: Date.UTC(2025, 5, 1, 12) * 1000,
    });
  });
});
