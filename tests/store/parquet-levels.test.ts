import { describe, expect, it } from 'vitest';
import { readDefinitionLevels } from '../../src/store/parquet.ts';
import { Rng } from '../../src/sim/rng.ts';

/** ULEB128, as Parquet's hybrid encoding writes run headers. */
function varint(n: number, out: number[]): void {
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
}

/**
 * The reference encoder: levels of bit width 1 as a random mix of RLE runs (header n << 1, one
 * byte of value) and bit-packed groups of 8 (header groups << 1 | 1, least significant bit first,
 * the last group padded), the two ways the format allows.
 */
function encode(levels: Uint8Array, rng: Rng): Uint8Array {
  const out: number[] = [];
  let i = 0;
  while (i < levels.length) {
    if (rng.chance(0.5)) {
      let n = 1;
      while (i + n < levels.length && levels[i + n] === levels[i] && n < 300) n++;
      varint(n << 1, out);
      out.push(levels[i] as number);
      i += n;
    } else {
      const groups = Math.min(Math.ceil((levels.length - i) / 8), 1 + rng.int(0, 20));
      varint((groups << 1) | 1, out);
      for (let g = 0; g < groups; g++) {
        let b = 0;
        for (let k = 0; k < 8; k++) if (i + k < levels.length && levels[i + k] === 1) b |= 1 << k;
        out.push(b);
        i += 8;
      }
    }
  }
  return Uint8Array.from(out);
}

describe("Parquet's definition levels (RLE / bit-packed hybrid, bit width 1)", () => {
  const rng = new Rng(99, 'parquet-levels');
  for (let trial = 0; trial < 20; trial++) {
    it(`decodes what the reference encoder wrote, trial ${trial}`, () => {
      const n = rng.int(1, 5000);
      const levels = new Uint8Array(n);
      // Runs of present and missing values of random lengths (outages), and scattered gaps.
      for (let i = 0, v = 1; i < n;) {
        const len = rng.int(1, rng.chance(0.3) ? 400 : 12);
        for (let k = 0; k < len && i < n; k++) levels[i++] = v === 1 && rng.chance(0.05) ? 0 : v;
        v = 1 - v;
      }
      const bytes = encode(levels, rng);
      // Inside a larger buffer, at an offset, as in a page.
      const page = new Uint8Array(bytes.length + 10);
      page.set(bytes, 3);
      const defs = new Uint8Array(n);
      readDefinitionLevels(page, 3, 3 + bytes.length, n, defs);
      expect(defs).toEqual(levels);
    });
  }
  it('refuses levels that end before the values do', () => {
    const bytes = Uint8Array.from([4 << 1, 1]); // a run of four present values
    expect(() => readDefinitionLevels(bytes, 0, 2, 5, new Uint8Array(5))).toThrow(
      /definition levels end early/,
    );
  });
});
