import { describe, expect, it } from 'vitest';
import { cmapssParser } from '../../src/ingest/cmapss.ts';
import { csvParser, splitCsvLine } from '../../src/ingest/csv.ts';
import { ndjsonParser } from '../../src/ingest/ndjson.ts';
import { newRow } from '../../src/ingest/types.ts';

describe('splitCsvLine', () => {
  it('handles quotes, escaped quotes and delimiters inside quotes', () => {
    expect(splitCsvLine('a,"b,c","d""e",')).toEqual(['a', 'b,c', 'd"e', '']);
    expect(splitCsvLine('"open')).toBeUndefined();
    expect(splitCsvLine('x\ty', '\t')).toEqual(['x', 'y']);
  });
});

describe('csvParser', () => {
  const parser = csvParser('time,machine,Vib,temp', {
    table: 'telemetry',
    timeField: 'time',
    equipmentField: 'machine',
    sensors: [
      { column: 'vibration_rms', field: 'Vib' },
      { column: 'bearing_temp', field: 'temp' },
    ],
  });
  const row = newRow(parser.layout);

  it('maps fields onto columns', () => {
    expect(parser.layout.doubles).toEqual(['vibration_rms', 'bearing_temp']);
    expect(parser.parse('1700000000000,p1,0.5,', 2, row)).toBeNull();
    expect(row.ts).toBe(1_700_000_000_000_000);
    expect(row.symbols[0]).toBe('p1');
    expect(row.doubles[0]).toBe(0.5);
    expect(row.doubles[1]).toBeNaN();
  });

  it('rejects with row, field and reason', () => {
    expect(parser.parse('1700000000000,p1,abc,3', 5, row)).toEqual({
      row: 5,
      field: 'Vib',
      reason: 'not a number: "abc"',
    });
    expect(parser.parse('soon,p1,1,3', 6, row)).toMatchObject({ row: 6, field: 'time' });
    expect(parser.parse('1700000000000,,1,3', 7, row)).toMatchObject({ row: 7, field: 'machine' });
    expect(parser.parse('1700000000000,p1,1', 8, row)).toMatchObject({ row: 8, field: '*' });
  });

  it('explains a header it cannot use', () => {
    expect(() => csvParser('when,machine,x', { table: 't' })).toThrow(/Time field "ts" not found/);
    expect(() => csvParser('ts,equipment,Temp (C)', { table: 't' })).toThrow(
      /not a valid sensor column name/,
    );
  });
});

describe('ndjsonParser', () => {
  const first = '{"ts":"2024-01-01T00:00:00Z","equipment":"p1","flow":1.5}';
  const parser = ndjsonParser(first, { table: 'telemetry' });
  const row = newRow(parser.layout);
  it('takes its sensors from the first record and rejects unknown fields', () => {
    expect(parser.layout.doubles).toEqual(['flow']);
    expect(parser.parse(first, 1, row)).toBeNull();
    expect(row.doubles[0]).toBe(1.5);
    expect(parser.parse('{"ts":"2024-01-01T00:00:01Z","equipment":"p1","flw":2}', 2, row)).toEqual({
      row: 2,
      field: 'flw',
      reason: 'unexpected field (not in the first record)',
    });
    expect(parser.parse('{"ts":1,', 3, row)).toMatchObject({ row: 3, field: '*' });
    expect(parser.parse('[1,2]', 4, row)).toMatchObject({ reason: 'expected a JSON object' });
  });
});

describe('cmapssParser', () => {
  const parser = cmapssParser({ table: 'cmapss', dataset: 'train_FD001', cycleSeconds: 60, startMicros: 0 });
  const row = newRow(parser.layout);
  const line =
    '1 2 -0.0007 -0.0004 100.0 518.67 641.82 1589.70 1400.60 14.62 21.61 554.36 2388.06 9046.19 1.30 47.47 521.66 2388.02 8138.62 8.4195 0.03 392 2388 100.00 39.06 23.4190  ';
  it('reads a line with trailing spaces; unit is the equipment and cycles become time', () => {
    expect(parser.parse(line, 1, row)).toBeNull();
    expect(row.symbols).toEqual(['train_FD001', '1']);
    expect(row.ints[0]).toBe(2);
    expect(row.ts).toBe(120 * 1e6);
    expect(row.doubles[3]).toBe(518.67); // s1
    expect(row.doubles[23]).toBe(23.419); // s21
  });
  it('rejects short lines and non-numbers', () => {
    expect(parser.parse('1 2 3', 9, row)).toMatchObject({ row: 9, field: '*' });
    expect(parser.parse(line.replace('641.82', 'x'), 10, row)).toEqual({
      row: 10,
      field: 's2',
      reason: 'not a number: "x"',
    });
    expect(parser.parse(line.replace(/^1 2/, '1 0'), 11, row)).toMatchObject({ field: 'cycle' });
  });
});
