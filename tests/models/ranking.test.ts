/**
 * The two sorts a training run spends most of its ranking time in, against plain reference
 * implementations on random inputs: ROC-AUC (every pair counted, ties half) and the quantile bin
 * edges (a comparator sort of a number[]); the radix sort under both against the typed array's own
 * sort, and the bins of every value against a binary search.
 */
import { describe, expect, it } from 'vitest';
import { applyBins, binOf, fitBins, fitBinsOfSubsets, rocAuc } from '../../models/index.ts';
import { sortDoubles, sortDoublesWithIndex } from '../../models/sort.ts';
import { Rng } from '../../src/sim/rng.ts';

/** ROC-AUC by its definition: the share of (positive, negative) pairs ranked right, ties half. */
function pairwiseAuc(score: ArrayLike<number>, label: ArrayLike<number>): number {
  let right = 0;
  let pos = 0;
  let neg = 0;
  for (let i = 0; i < score.length; i++) {
    if (label[i] === 1) pos++;
    else neg++;
  }
  for (let i = 0; i < score.length; i++) {
    if (label[i] !== 1) continue;
    for (let k = 0; k < score.length; k++) {
      if (label[k] === 1) continue;
      const a = score[i] as number;
      const b = score[k] as number;
      right += a > b ? 1 : a === b ? 0.5 : 0;
    }
  }
  return pos === 0 || neg === 0 ? NaN : right / (pos * neg);
}

/** The edges as the earlier code computed them: a comparator sort of the sampled valid values. */
function referenceBins(col: Float64Array, maxBins: number, sample: number): Float64Array {
  const step = Math.max(1, Math.floor(col.length / sample));
  const vals: number[] = [];
  for (let i = 0; i < col.length; i += step) if (col[i] === col[i]) vals.push(col[i] as number);
  if (vals.length === 0) return Float64Array.of(Infinity);
  vals.sort((a, b) => a - b);
  const distinct: number[] = [];
  for (const v of vals) if (distinct.length === 0 || v !== distinct[distinct.length - 1]) distinct.push(v);
  if (distinct.length <= maxBins - 1) return Float64Array.from([...distinct.slice(0, -1), Infinity]);
  const edges: number[] = [];
  for (let b = 1; b < maxBins - 1; b++) {
    const q = vals[Math.min(vals.length - 1, Math.floor((b * vals.length) / (maxBins - 1)))] as number;
    if (edges.length === 0 || q > (edges[edges.length - 1] as number)) edges.push(q);
  }
  edges.push(Infinity);
  return Float64Array.from(edges);
}

/** Scores with many ties, infinities, signed zeros and (optionally) NaN. */
function scores(rng: Rng, n: number, nan: boolean): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const u = rng.next();
    out[i] =
      u < 0.1
        ? -Infinity
        : u < 0.15
          ? Infinity
          : u < 0.2
            ? -0
            : u < 0.25
              ? 0
              : u < 0.5
                ? Math.round(rng.normal() * 3) / 2
                : nan && u < 0.55
                  ? NaN
                  : rng.normal();
  }
  return out;
}

describe('rocAuc', () => {
  it('equals the pairwise definition on random scores with ties, infinities and signed zeros', () => {
    const rng = new Rng(101, 'auc');
    for (let t = 0; t < 60; t++) {
      const n = 1 + Math.floor(rng.next() * 400);
      const s = scores(rng, n, false);
      const share = rng.next();
      const y = Float64Array.from({ length: n }, () => (rng.next() < share ? 1 : 0));
      const want = pairwiseAuc(s, y);
      if (Number.isNaN(want)) expect(rocAuc(s, y)).toBeNaN();
      else expect(rocAuc(s, y)).toBeCloseTo(want, 12);
    }
  });

  it('NaN with one class only; labels other than 1 count as negatives', () => {
    expect(rocAuc([0.1, 0.2], [1, 1])).toBeNaN();
    expect(rocAuc([0.1, 0.2], [0, 0])).toBeNaN();
    expect(rocAuc([0.1, 0.2, 0.3], [2, 0, 1])).toBeCloseTo(1, 12);
  });

  it('scores with NaN still get an answer in [0, 1] (the comparator path)', () => {
    const rng = new Rng(5, 'auc-nan');
    const s = scores(rng, 300, true);
    expect([...s].some((v) => Number.isNaN(v))).toBe(true);
    const y = Float64Array.from(s, (_, i) => (i % 3 === 0 ? 1 : 0));
    const a = rocAuc(s, y);
    expect(a).toBeGreaterThanOrEqual(0);
    expect(a).toBeLessThanOrEqual(1);
  });
});

describe('sortDoubles', () => {
  /** Values of every kind a feature takes: ties, both zeros, infinities, subnormals, huge, integers. */
  function doubles(rng: Rng, n: number): Float64Array {
    const kind = Math.floor(rng.next() * 6);
    const out = new Float64Array(n);
    if (kind === 5) {
      // One value but for a single other, which one digit alone tells apart.
      out.fill(42.5);
      if (n > 0)
        out[Math.floor(rng.next() * n)] = [42.5 + 2 ** -40, 43, -42.5, 0][Math.floor(rng.next() * 4)]!;
      return out;
    }
    for (let i = 0; i < n; i++) {
      const u = rng.next();
      out[i] =
        kind === 0
          ? 42.5 // one value throughout: every pass skipped
          : kind === 1
            ? Math.round(rng.normal() * 40) // integers: the low word's passes skipped
            : u < 0.05
              ? [-Infinity, Infinity, -0, 0, 5e-324, -5e-324, Number.MAX_VALUE, -Number.MAX_VALUE][
                  Math.floor(rng.next() * 8)
                ]!
              : kind === 2
                ? rng.normal() * 10 ** Math.floor(rng.next() * 40 - 20)
                : kind === 3
                  ? 50 + rng.normal()
                  : -rng.next();
    }
    return out;
  }

  it('orders as the typed array sort does (-0 before 0) on random doubles of every size', () => {
    const rng = new Rng(11, 'radix');
    for (let t = 0; t < 80; t++) {
      const n = t < 10 ? t * 40 : Math.floor(rng.next() * 20_000);
      const src = doubles(rng, n);
      const want = src.slice().sort();
      const got = sortDoubles(src.slice());
      expect(got.length).toBe(n);
      for (let i = 0; i < n; i++) if (!Object.is(got[i], want[i])) expect([i, got[i]]).toEqual([i, want[i]]);
    }
  });

  it('sorts more values than it keeps buffers for (300,000), and smaller ones after', () => {
    const rng = new Rng(14, 'radix-large');
    for (const n of [300_000, 5_000]) {
      const src = Float64Array.from({ length: n }, () => rng.normal() * 100);
      const want = src.slice().sort();
      const got = sortDoubles(src.slice());
      for (let i = 0; i < n; i++) if (!Object.is(got[i], want[i])) expect([i, got[i]]).toEqual([i, want[i]]);
    }
  });

  it("with an index: the same order, each value's index moved with it, equal values in their first order", () => {
    const rng = new Rng(15, 'radix-index');
    // The typed array's order (-0 before 0), equal values by their position: a stable argsort.
    const order = (a: number, b: number) =>
      a < b
        ? -1
        : a > b
          ? 1
          : Object.is(a, -0) && Object.is(b, 0)
            ? -1
            : Object.is(a, 0) && Object.is(b, -0)
              ? 1
              : 0;
    for (let t = 0; t < 60; t++) {
      const n = t < 10 ? t * 30 : Math.floor(rng.next() * (t === 59 ? 300_000 : 20_000));
      const src = doubles(rng, n);
      const want = Array.from({ length: n }, (_, i) => i).sort((i, j) => order(src[i]!, src[j]!) || i - j);
      const values = src.slice();
      const index = Uint32Array.from({ length: n }, (_, i) => i);
      sortDoublesWithIndex(values, index);
      for (let k = 0; k < n; k++) {
        if (index[k] !== want[k]) expect([k, index[k]]).toEqual([k, want[k]]);
        if (!Object.is(values[k], src[want[k]!])) expect([k, values[k]]).toEqual([k, src[want[k]!]]);
      }
    }
    expect(() => sortDoublesWithIndex(new Float64Array(3), new Uint32Array(2))).toThrow(
      /2 entries for 3 values/,
    );
  });

  it('sorts a view in place, leaving the rest of its buffer alone', () => {
    const rng = new Rng(12, 'radix-view');
    const all = Float64Array.from({ length: 3000 }, () => rng.normal());
    const before = all.slice();
    const view = all.subarray(700, 2700);
    const want = view.slice().sort();
    expect(sortDoubles(view)).toBe(view);
    expect(Array.from(view)).toEqual(Array.from(want));
    expect(Array.from(all.subarray(0, 700))).toEqual(Array.from(before.subarray(0, 700)));
    expect(Array.from(all.subarray(2700))).toEqual(Array.from(before.subarray(2700)));
  });
});

describe('applyBins', () => {
  it('gives every value the bin binOf gives it, for edges of any length, with NaN and values above the last edge', () => {
    const rng = new Rng(13, 'apply-bins');
    for (let t = 0; t < 30; t++) {
      const len = 1 + Math.floor(rng.next() * 255);
      const fromFit = t % 2 === 0;
      // Edges from fitBins end in +Infinity; other edges (a model read back, a test) may not.
      const raw = Float64Array.from({ length: len }, () => Math.round(rng.normal() * 20) / 4).sort();
      const edges = fromFit ? raw.map((v, i) => (i === len - 1 ? Infinity : v)) : raw;
      const rows = Math.floor(rng.next() * 500);
      const cols = [0, 1, 2].map(() =>
        Float64Array.from({ length: rows }, () => {
          const u = rng.next();
          return u < 0.05
            ? NaN
            : u < 0.08
              ? Infinity
              : u < 0.1
                ? -Infinity
                : Math.round(rng.normal() * 60) / 8;
        }),
      );
      const b = applyBins(cols, [edges, edges, edges]);
      for (let f = 0; f < 3; f++)
        for (let r = 0; r < rows; r++) {
          const want = binOf(edges, cols[f]![r]!);
          if (b.codes[r * 3 + f] !== want) expect([f, r, b.codes[r * 3 + f]]).toEqual([f, r, want]);
        }
    }
  });
});

describe('fitBinsOfSubsets', () => {
  it("each subset's edges are fitBins' over its rows picked, sampled in the subset's order", () => {
    const rng = new Rng(16, 'bins-subsets');
    // Edges compared with -0 and 0 told apart: the same sort gives the same edges, bit for bit.
    const bits = (e: readonly Float64Array[]) =>
      e.map((x) => Array.from(x, (v) => (Object.is(v, -0) ? '-0' : v)));
    for (let t = 0; t < 30; t++) {
      const n = Math.floor(rng.next() * 3000);
      const cols = [0, 1, 2].map(() =>
        scores(rng, n, true).map((v) => (Number.isFinite(v) || Number.isNaN(v) ? v : -0)),
      );
      const maxBins = [4, 16, 256][t % 3] as number;
      const sample = [50, 1000, 200_000][Math.floor(t / 3) % 3] as number;
      // Blocks of rows as a cross-fit holds them (ascending), shuffled ones, all rows, none.
      const subsets = Array.from({ length: 1 + Math.floor(rng.next() * 6) }, (_, s) => {
        const rows = Array.from({ length: n }, (_, i) => i).filter(
          () => rng.next() < [0.75, 0.3, 1, 0][s % 4]!,
        );
        if (s % 2 === 1)
          for (let i = rows.length - 1; i > 0; i--) {
            const j = Math.floor(rng.next() * (i + 1));
            [rows[i], rows[j]] = [rows[j]!, rows[i]!];
          }
        return rows;
      });
      const got = fitBinsOfSubsets(cols, subsets, maxBins, sample);
      expect(got.length).toBe(subsets.length);
      subsets.forEach((rows, s) => {
        const picked = cols.map((c) => Float64Array.from(rows, (r) => c[r]!));
        expect(bits(got[s]!)).toEqual(bits(fitBins(picked, maxBins, sample)));
      });
    }
  });

  it('takes more subsets than a row mask has bits (a cross-fit of 40 blocks), each still its own', () => {
    const rng = new Rng(18, 'bins-many');
    const cols = [0, 1].map(() => scores(rng, 500, true));
    const subsets = Array.from({ length: 70 }, (_, s) =>
      Array.from({ length: 500 }, (_, i) => i).filter((i) => i % 70 !== s),
    );
    const got = fitBinsOfSubsets(cols, subsets, 16);
    expect(got.length).toBe(70);
    subsets.forEach((rows, s) => {
      const picked = cols.map((c) => Float64Array.from(rows, (r) => c[r]!));
      expect(got[s]!.map((e) => Array.from(e))).toEqual(fitBins(picked, 16).map((e) => Array.from(e)));
    });
  });

  it('refuses a row listed twice and a row beyond the columns', () => {
    const cols = [Float64Array.of(1, 2, 3)];
    expect(() => fitBinsOfSubsets(cols, [[0, 2, 0]])).toThrow(/subset 0: row 0 is listed twice/);
    expect(() => fitBinsOfSubsets(cols, [[1], [3]])).toThrow(/subset 1: row 3 is not a row of columns of 3/);
  });
});

describe('applyBins at row positions', () => {
  it('gives the codes of the rows picked into columns of their own', () => {
    const rng = new Rng(17, 'apply-at');
    const cols = [0, 1, 2, 3].map(() => scores(rng, 2000, true));
    const at = Array.from({ length: 900 }, () => Math.floor(rng.next() * 2000));
    const picked = cols.map((c) => Float64Array.from(at, (r) => c[r]!));
    const edges = fitBins(picked, 64);
    expect(Array.from(applyBins(cols, edges, at).codes)).toEqual(Array.from(applyBins(picked, edges).codes));
  });
});

describe('fitBins', () => {
  it('the same edges as a comparator sort, on random columns with NaN, ties and signed zeros', () => {
    const rng = new Rng(7, 'bins');
    for (let t = 0; t < 40; t++) {
      const n = Math.floor(rng.next() * 3000);
      const col = scores(rng, n, true).map((v) => (Number.isFinite(v) || Number.isNaN(v) ? v : 0));
      const maxBins = [4, 16, 256][t % 3] as number;
      const sample = [50, 1000, 200_000][Math.floor(t / 3) % 3] as number;
      const [got] = fitBins([col], maxBins, sample);
      const want = referenceBins(col, maxBins, sample);
      // -0 and 0 compare equal, so an edge of either splits the same way.
      const plain = (e: Float64Array) => Array.from(e, (v) => (v === 0 ? 0 : v));
      expect(plain(got as Float64Array)).toEqual(plain(want));
    }
  });
});
