import { describe, expect, it } from 'vitest';
import { parse } from 'csv-parse/sync';
import { toCsv } from '../../src/api/csv.ts';

describe('CSV answers', () => {
  it('quote commas, quotes and newlines, and neutralise cells a spreadsheet would run as formulas', () => {
    const text = toCsv(
      ['batch', 'product', 'p'],
      [
        ['B-1,2', 'say "hi"\nthere', 0.25],
        ['=HYPERLINK("http://x","y")', '+1', -3],
        ['@SUM(A1)', '-cmd', null],
      ],
    );
    const rows = parse(text) as string[][];
    expect(rows).toEqual([
      ['batch', 'product', 'p'],
      ['B-1,2', 'say "hi"\nthere', '0.25'],
      [`'=HYPERLINK("http://x","y")`, "'+1", '-3'],
      ["'@SUM(A1)", "'-cmd", ''],
    ]);
  });
});
