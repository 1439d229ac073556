import { describe, expect, it } from 'vitest';
import { parseEquipment, parseIsoMicros, parseReading, parseTime } from '../../src/ingest/values.ts';

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
