import { readText } from '../../src/ingest/index.ts';
import {
  Float64,
  Int32,
  Table,
  TimestampMicrosecond,
  Utf8,
  makeData,
  vectorFromArray,
  Vector,
} from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import {
  computeFeatures,
  defineFeatureSet,
  featuresAtLast,
  Float64Ranges,
  float64Values,
  STATS,
} from '../../features/index.ts';
import type { FeatureSet, Stat } from '../../features/index.ts';
import { rollingStats } from '../../features/rolling.ts';
import { Rng } from '../../src/sim/rng.ts';
import { cmapssFile } from '../helpers/data.ts';
import { close, randomSeries } from '../helpers/series.ts';

function readingsTable(ts: Float64Array, equipment: string[], sensors: Record<string, Float64Array>): Table {
  const big = BigInt64Array.from(ts, (v) => BigInt(Math.round(v)));
  const cols: Record<string, Vector> = {
    ts: new Vector([makeData({ type: new TimestampMicrosecond(), length: ts.length, data: big })]),
    equipment: vectorFromArray(equipment, new Utf8()),
  };
  for (const [k, v] of Object.entries(sensors))
    cols[k] = new Vector([makeData({ type: new Float64(), length: v.length, data: v })]);
  return new Table(cols);
}

const FS: FeatureSet = defineFeatureSet({
  name: 'test',
  sensors: ['a', 'b'],
  windows: [
    { kind: 'time', seconds: 30 },
    { kind: 'count', rows: 7 },
  ],
  stats: [...STATS],
});

describe('feature set declaration', () => {
  it('is validated, named and hashed canonically', () => {
    const a = defineFeatureSet({
      name: 'x',
      sensors: ['s1'],
      windows: [{ kind: 'time', seconds: 600 }],
      stats: ['std', 'mean'],
    });
    const b = defineFeatureSet({
      name: 'x',
      sensors: ['s1'],
      windows: [{ kind: 'time', seconds: 600 }],
      stats: ['mean', 'std'],
    });
    expect(a.hash).toBe(b.hash);
    expect(a.columns).toEqual(['s1__mean__10m', 's1__std__10m']);
    const c = defineFeatureSet({
      name: 'x',
      sensors: ['s1'],
      windows: [{ kind: 'time', seconds: 601 }],
      stats: ['mean'],
    });
    expect(c.hash).not.toBe(a.hash);
    expect(() =>
      defineFeatureSet({
        name: 'x',
        sensors: ['s1'],
        windows: [{ kind: 'time', seconds: 0 }],
        stats: ['mean'],
      }),
    ).toThrow(/windows\[0\]\.seconds: must be > 0/);
    expect(() =>
      defineFeatureSet({
        name: 'x',
        sensors: ['S 1'],
        windows: [{ kind: 'count', rows: 3 }],
        stats: ['mean'],
      }),
    ).toThrow(/sensors/);
    expect(() =>
      defineFeatureSet({
        name: 'x',
        sensors: ['s'],
        windows: [{ kind: 'count', rows: 3 }],
        stats: ['median' as Stat],
      }),
    ).toThrow(/unknown "median"/);
  });
});

describe('computeFeatures', () => {
  const rng = new Rng(11, 'compute');
  const parts = ['e1', 'e2', 'e3'].map((eq) => {
    const a = randomSeries(rng, 300);
    const b = randomSeries(rng, 300);
    return { eq, t: a.t, a: a.x, b: Float64Array.from(b.x) };
  });

  it('groups by equipment and sorts by time: shuffled input gives the per-equipment kernels', () => {
    const rows = parts.flatMap((p) =>
      Array.from(p.t, (_, i) => ({
        eq: p.eq,
        ts: Math.round((p.t[i] as number) * 1e6),
        a: p.a[i] as number,
        b: p.b[i] as number,
      })),
    );
    for (let i = rows.length - 1; i > 0; i--) {
      const j = Math.floor(rng.next() * (i + 1));
      [rows[i], rows[j]] = [rows[j]!, rows[i]!];
    }
    const table = readingsTable(
      Float64Array.from(rows, (r) => r.ts),
      rows.map((r) => r.eq),
      { a: Float64Array.from(rows, (r) => r.a), b: Float64Array.from(rows, (r) => r.b) },
    );
    const out = computeFeatures(table, FS);
    expect(out.numRows).toBe(900);
    const eqs = out.getChild('equipment')!.toArray() as string[];
    for (const p of parts) {
      // The reference: this equipment's rows in time order, ties in (shuffled) input order.
      const mine = rows.map((r, k) => ({ ...r, k })).filter((r) => r.eq === p.eq);
      mine.sort((x, y) => x.ts - y.ts || x.k - y.k);
      const t = Float64Array.from(mine, (r) => r.ts / 1e6);
      const a = Float64Array.from(mine, (r) => r.a);
      const first = eqs.indexOf(p.eq);
      for (const w of FS.windows) {
        const outs = Object.fromEntries(STATS.map((s) => [s, new Float64Array(300)])) as Record<
          Stat,
          Float64Array
        >;
        rollingStats(t, a, w, STATS, outs);
        for (const s of ['mean', 'max', 'slope', 'kurt', 'last'] as const) {
          const col = float64Values(out.getChild(`a__${s}__${w.kind === 'time' ? '30s' : '7n'}`)!);
          for (let i = 0; i < 300; i++) {
            expect(
              Object.is(col[first + i], outs[s][i]),
              `${p.eq} ${s} row ${i}: ${col[first + i]} vs ${outs[s][i]}`,
            ).toBe(true);
          }
        }
      }
    }
  });

  it('is point-in-time correct: changing, adding or shuffling rows after T leaves features up to T unchanged', () => {
    const p = parts[0]!;
    const T = p.t[200] as number;
    const base = readingsTable(
      Float64Array.from(p.t, (v) => v * 1e6),
      Array(300).fill('e1'),
      { a: p.a, b: p.b },
    );
    const before = computeFeatures(base, FS);
    // The future: rows after T get new values, extra rows, and a scrambled order.
    const keep = Array.from({ length: 300 }, (_, i) => i).filter((i) => (p.t[i] as number) <= T);
    const future = Array.from({ length: 150 }, () => T + rng.uniform(0.001, 500)).sort(
      () => rng.next() - 0.5,
    );
    const ts = Float64Array.from([
      ...keep.map((i) => (p.t[i] as number) * 1e6),
      ...future.map((v) => v * 1e6),
    ]);
    const a = Float64Array.from([
      ...keep.map((i) => p.a[i] as number),
      ...future.map(() => rng.normal() * 1e3),
    ]);
    const b = Float64Array.from([...keep.map((i) => p.b[i] as number), ...future.map(() => NaN)]);
    const after = computeFeatures(readingsTable(ts, Array(ts.length).fill('e1'), { a, b }), FS);
    for (const c of FS.columns) {
      const x = float64Values(before.getChild(c)!);
      const y = float64Values(after.getChild(c)!);
      for (let i = 0; i < keep.length; i++)
        expect(Object.is(x[i], y[i]) || x[i] === y[i], `${c} row ${i}`).toBe(true);
    }
  });

  it('samples one row per equipment per interval: the last reading in it', () => {
    const ts = Float64Array.from([0, 10, 59, 60, 61, 130, 5, 70].map((s) => s * 1e6));
    const eq = ['x', 'x', 'x', 'x', 'x', 'x', 'y', 'y'];
    const v = Float64Array.from([1, 2, 3, 4, 5, 6, 7, 8]);
    const fs = defineFeatureSet({
      name: 's',
      sensors: ['v'],
      windows: [{ kind: 'count', rows: 100 }],
      stats: ['last', 'count'],
    });
    const out = computeFeatures(readingsTable(ts, eq, { v }), fs, { everySeconds: 60 });
    expect(Array.from(float64Values(out.getChild('v__last__100n')!))).toEqual([3, 5, 6, 7, 8]);
    expect(Array.from(float64Values(out.getChild('v__count__100n')!))).toEqual([3, 5, 6, 1, 2]);
    expect(out.getChild('equipment')!.toArray()).toEqual(['x', 'x', 'x', 'y', 'y']);
  });

  it('sampled output (statistics at the sampled rows only) equals every-row output at those rows', () => {
    // Several equipment, shuffled, with gaps and NaN runs; a 60 s sampling keeps about one row in
    // 40, so the sampled path (at-rows.ts) computes them; a 1 h window spans many samples.
    const fs = defineFeatureSet({
      name: 'sampled',
      sensors: ['a', 'b'],
      windows: [
        { kind: 'time', seconds: 45 },
        { kind: 'time', seconds: 3600 },
        { kind: 'count', rows: 500 },
      ],
      stats: [...STATS],
    });
    const local = new Rng(12, 'sampled');
    const series = ['e1', 'e2', 'e3'].map((eq) => ({
      eq,
      a: randomSeries(local, 4000),
      b: randomSeries(local, 4000),
    }));
    const ts = Float64Array.from(series.flatMap((s) => Array.from(s.a.t, (v) => Math.round(v * 1e6))));
    const eq = series.flatMap((s) => Array(4000).fill(s.eq) as string[]);
    const a = Float64Array.from(series.flatMap((s) => Array.from(s.a.x)));
    const b = Float64Array.from(series.flatMap((s) => Array.from(s.b.x)));
    const table = readingsTable(ts, eq, { a, b });
    const all = computeFeatures(table, fs);
    const sampled = computeFeatures(table, fs, { everySeconds: 60 });
    expect(sampled.numRows).toBeLessThan(all.numRows / 8);
    // Every sampled row is the every-row output at the same (equipment, instant, last such row).
    const key = (t: Table, i: number) =>
      `${t.getChild('equipment')!.get(i) as string}@${String(t.getChild('ts')!.get(i))}`;
    const rowOf = new Map<string, number>();
    for (let i = 0; i < all.numRows; i++) rowOf.set(key(all, i), i);
    for (const c of fs.columns) {
      const x = float64Values(all.getChild(c)!);
      const y = float64Values(sampled.getChild(c)!);
      const stat = c.split('__')[1] as Stat;
      const rel = stat === 'skew' || stat === 'kurt' ? 1e-5 : stat === 'slope' ? 1e-7 : 1e-9;
      for (let q = 0; q < sampled.numRows; q++) {
        const i = rowOf.get(key(sampled, q)) as number;
        const mag =
          stat === 'skew' || stat === 'kurt' ? 1 : stat === 'slope' ? Math.abs(x[i] as number) : 1e6;
        expect(close(y[q] as number, x[i] as number, rel, mag), `${c} row ${q}: ${y[q]} vs ${x[i]}`).toBe(
          true,
        );
      }
    }
  });

  it('the online vector at the latest reading equals the last training row', () => {
    const p = parts[1]!;
    const table = readingsTable(
      Float64Array.from(p.t, (v) => v * 1e6),
      Array(300).fill('e2'),
      { a: p.a, b: p.b },
    );
    const rolled = computeFeatures(table, FS);
    const online = featuresAtLast(FS, p.t, [p.a, p.b]);
    FS.columns.forEach((c, j) => {
      const r = float64Values(rolled.getChild(c)!)[299] as number;
      const stat = c.split('__')[1];
      const mag = stat === 'skew' || stat === 'kurt' ? 1 : 1e3;
      expect(close(online[j] as number, r, 1e-7, mag), `${c}: ${online[j]} vs ${r}`).toBe(true);
    });
  });

  it('reports a missing column by name', () => {
    const table = readingsTable(Float64Array.from([1]), ['x'], { a: Float64Array.from([1]) });
    expect(() => computeFeatures(table, FS)).toThrow(/no sensor column b/);
  });
});

describe('golden values on C-MAPSS FD001 unit 1 (pandas 1.5.3 rolling(30), numpy polyfit)', () => {
  const lines = readText(cmapssFile('train_FD001.txt')).trim().split('\n');
  const unit1 = lines.map((l) => l.trim().split(/\s+/).map(Number)).filter((r) => r[0] === 1);
  const t = Float64Array.from(unit1, (r) => r[1] as number); // one cycle = one second here
  const col = (k: number) => Float64Array.from(unit1, (r) => r[k + 4] as number); // s_k
  // sensor -> stat -> values at cycles 30, 100, 192
  const golden: Record<string, Record<string, number[]>> = {
    s2: {
      mean: [642.3283333333333, 642.3333333333334, 643.3420000000001],
      std: [0.32849797494086186, 0.3274597457055029, 0.42840844191452304],
      min: [641.71, 641.84, 642.64],
      max: [643.07, 642.96, 644.21],
      skew: [0.3499359960175074, 0.4336071363140712, 0.2861723211637603],
      kurt: [0.2776915802139004, -0.9827498079496272, -0.5018579718775584],
      slope: [0.005724137931041054, 0.0019443826473922977, 0.030616240266959843],
    },
    s7: {
      mean: [554.1056666666667, 553.8109999999999, 551.9036666666667],
      std: [0.3745681037779527, 0.407383154392427, 0.5853527279278448],
      skew: [-0.01718129773156584, -0.5892028991285874, -0.20638622705470516],
      kurt: [-0.886386273030316, 1.161865457141254, -0.599620216614344],
      slope: [-0.00014460511678558908, -0.011610678531695435, -0.04372636262513986],
    },
    s11: {
      mean: [47.282666666666664, 47.395, 47.995333333333335],
      std: [0.11646912668713703, 0.10533198747866869, 0.1445977376970553],
      slope: [0.0013570634037828736, 0.0036685205784206913, 0.0132591768631809],
    },
  };
  for (const [sensor, stats] of Object.entries(golden)) {
    it(`${sensor}`, () => {
      const x = col(Number(sensor.slice(1)));
      expect(x.length).toBe(192);
      const outs = Object.fromEntries(STATS.map((s) => [s, new Float64Array(192)])) as Record<
        Stat,
        Float64Array
      >;
      rollingStats(t, x, { kind: 'count', rows: 30 }, STATS, outs);
      for (const [stat, values] of Object.entries(stats)) {
        [29, 99, 191].forEach((row, k) => {
          expect(
            close(outs[stat as Stat][row] as number, values[k] as number, 1e-9, 1e-3),
            `${sensor} ${stat} at cycle ${row + 1}`,
          ).toBe(true);
        });
      }
    });
  }
});

/** A column of `values` (NaN: NULL when `nulls`) cut into chunks of the given lengths, each with its own validity bitmap. */
function chunkedColumn(values: Float64Array, cuts: number[], nulls: boolean): Vector {
  const chunks = [];
  let at = 0;
  for (const len of [...cuts, values.length - cuts.reduce((s, c) => s + c, 0)]) {
    const part = values.slice(at, at + len);
    at += len;
    const bitmap = new Uint8Array(Math.ceil(len / 8));
    let nullCount = 0;
    for (let i = 0; i < len; i++)
      if (nulls && Number.isNaN(part[i])) {
        nullCount++;
        part[i] = 12345; // a null slot's value is undefined in Arrow: never read as a reading
      } else bitmap[i >> 3]! |= 1 << (i & 7);
    chunks.push(makeData({ type: new Float64(), length: len, nullCount, nullBitmap: bitmap, data: part }));
  }
  return new Vector(chunks);
}

describe('Float64Ranges', () => {
  const rng = new Rng(17, 'float64-ranges');
  it('reads any range of a chunked column with NULL, into a reused scratch (and float64Values the whole)', () => {
    for (let trial = 0; trial < 40; trial++) {
      const n = 1 + Math.floor(rng.uniform(0, 3000));
      const values = Float64Array.from({ length: n }, () => (rng.chance(0.1) ? NaN : rng.normal()));
      const cuts: number[] = [];
      for (let left = n; rng.chance(0.7) && left > 1;) {
        const c = 1 + Math.floor(rng.uniform(0, Math.min(left - 1, 700)));
        cuts.push(c);
        left -= c;
      }
      const nulls = rng.chance(0.7);
      // Also a sliced column: its chunks' bitmaps start at an offset.
      const whole = chunkedColumn(values, cuts, nulls);
      const skip = Math.floor(rng.uniform(0, n / 2));
      const sliced = rng.chance(0.5);
      const col = sliced ? whole.slice(skip) : whole;
      // The readings themselves (NULL where they were NaN), from where the column starts.
      const expected = sliced ? values.subarray(skip) : values;
      expect(col.length).toBe(expected.length);
      expect(Array.from(float64Values(col))).toEqual(Array.from(expected));
      const ranges = new Float64Ranges(col);
      const scratch = new Float64Array(expected.length);
      for (let r = 0; r < 10; r++) {
        const from = Math.floor(rng.uniform(0, expected.length));
        const to = from + Math.floor(rng.uniform(0, expected.length - from + 1));
        const got = ranges.read(from, to, scratch);
        expect(got.length).toBe(to - from);
        expect(Array.from(got)).toEqual(Array.from(expected.subarray(from, to)));
      }
    }
  });

  it('reads integer and timestamp columns as numbers, and refuses a scratch too short', () => {
    const ints = vectorFromArray([1, 2, null, 4], new Int32());
    expect(Array.from(new Float64Ranges(ints).read(1, 4, new Float64Array(3)))).toEqual([2, NaN, 4]);
    const big = new Vector([
      makeData({ type: new TimestampMicrosecond(), length: 3, data: BigInt64Array.from([5n, 6n, 7n]) }),
    ]);
    expect(Array.from(new Float64Ranges(big).read(0, 3, new Float64Array(3)))).toEqual([5, 6, 7]);
    const col = chunkedColumn(Float64Array.from([1, NaN, 3, 4]), [2], true);
    expect(() => new Float64Ranges(col).read(0, 4, new Float64Array(2))).toThrow(RangeError);
  });
});

describe('computeFeatures over a chunked input with NULL', () => {
  it('equals the same readings as one chunk with NaN, every row and sampled, load-normalised too', () => {
    const rng = new Rng(23, 'chunked-input');
    const fs = defineFeatureSet({
      name: 'chunked',
      sensors: ['a', 'b'],
      windows: [
        { kind: 'time', seconds: 60 },
        { kind: 'time', seconds: 600 },
        { kind: 'count', rows: 9 },
      ],
      stats: [...STATS],
      loadNormalised: true,
    });
    const eqs = ['e1', 'e2', 'e3'];
    const ts: number[] = [];
    const equipment: string[] = [];
    const batches = [];
    for (const eq of eqs) {
      const n = 400 + Math.floor(rng.uniform(0, 400));
      let t = 1.7e9;
      for (let i = 0; i < n; i++) {
        t += rng.chance(0.05) ? 30 : 5;
        ts.push(t * 1e6);
        equipment.push(eq);
      }
      batches.push({
        equipment: eq,
        ts: 1.7e9 * 1e6,
        endedAt: NaN,
        load: 0.5 + rng.uniform(0, 1),
        product: 'p',
      });
    }
    const n = ts.length;
    const a = Float64Array.from({ length: n }, () => (rng.chance(0.08) ? NaN : 10 + rng.normal()));
    const b = Float64Array.from({ length: n }, (_, i) => (i % 97 < 20 ? NaN : rng.normal()));
    const single = readingsTable(Float64Array.from(ts), equipment, { a, b });
    const cuts = [137, 400, 1, 250, 333];
    const chunked = new Table({
      ts: single.getChild('ts')!,
      equipment: single.getChild('equipment')!,
      a: chunkedColumn(a, cuts, true),
      b: chunkedColumn(b, [n - 5], true),
    });
    const context = { maintenance: [], batches };
    for (const options of [{ context }, { context, everySeconds: 60 }]) {
      const want = computeFeatures(single, fs, options);
      const got = computeFeatures(chunked, fs, options);
      expect(got.numRows).toBe(want.numRows);
      for (const c of ['ts', ...fs.columns])
        expect(Array.from(float64Values(got.getChild(c)!)), c).toEqual(
          Array.from(float64Values(want.getChild(c)!)),
        );
      // The load-normalised reading: the reading at the output row over its equipment's batch load.
      const loadOf = new Map(batches.map((x) => [x.equipment, x.load]));
      const outTs = float64Values(got.getChild('ts')!);
      const outEq = got.getChild('equipment')!.toArray() as string[];
      const perLoad = float64Values(got.getChild('a__per_load')!);
      const rowOf = new Map(ts.map((t, i) => [`${equipment[i]} ${t}`, i]));
      for (let q = 0; q < got.numRows; q++) {
        const i = rowOf.get(`${outEq[q]} ${outTs[q]}`) as number;
        expect(perLoad[q]).toBe((a[i] as number) / (loadOf.get(outEq[q] as string) as number));
      }
    }
  });
});
