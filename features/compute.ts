/**
 * A feature set over an Arrow table of readings: grouped by equipment, in time order, every
 * declared statistic over every declared window, causal (a row's features use only rows at or
 * before it). Optionally one output row per equipment every `everySeconds` (the last reading in
 * each interval), which is how training samples prediction instants.
 */
import type { Table } from 'apache-arrow';
import { Float64Ranges, float64Values, featureTable, stringCodes, timestampMicros } from './arrow-io.ts';
import { ContextIndex } from './context.ts';
import type { ContextData } from './context.ts';
import { windowLabel as labelOf } from './feature-set.ts';
import type { FeatureSet, Stat } from './feature-set.ts';
import { isDense } from './kernels/dense.ts';
import { rollingStats, windowStarts } from './rolling.ts';
import { rowBlocks, statsAtRows } from './at-rows.ts';

export interface ComputeOptions {
  readonly everySeconds?: number;
  readonly context?: ContextData;
  /** Only these equipment (the rest of the input is skipped: no rows, no work). */
  readonly only?: ReadonlySet<string>;
  /** Column names in the input (defaults ts, equipment). */
  readonly tsColumn?: string;
  readonly equipmentColumn?: string;
}

export class FeatureInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FeatureInputError';
  }
}

/** Row order grouped by equipment, by time within it, input order for ties (stable). */
function groupOrder(codes: Int32Array, ts: Float64Array): Int32Array | undefined {
  let sorted = true;
  for (let i = 1; i < ts.length && sorted; i++) {
    const c = (codes[i] as number) - (codes[i - 1] as number);
    if (c < 0 || (c === 0 && (ts[i] as number) < (ts[i - 1] as number))) sorted = false;
  }
  if (sorted) return undefined; // already grouped and in time order: work on the input's buffers
  const order = Int32Array.from({ length: ts.length }, (_, i) => i);
  order.sort(
    (a, b) => (codes[a] as number) - (codes[b] as number) || (ts[a] as number) - (ts[b] as number) || a - b,
  );
  return order;
}

function gather(src: Float64Array, order: Int32Array | undefined): Float64Array {
  if (order === undefined) return src;
  const out = new Float64Array(order.length);
  for (let i = 0; i < order.length; i++) out[i] = src[order[i] as number] as number;
  return out;
}

export function computeFeatures(input: Table, fs: FeatureSet, options: ComputeOptions = {}): Table {
  const tsCol = input.getChild(options.tsColumn ?? 'ts');
  const eqCol = input.getChild(options.equipmentColumn ?? 'equipment');
  if (tsCol === null) throw new FeatureInputError(`input has no ${options.tsColumn ?? 'ts'} column`);
  if (eqCol === null)
    throw new FeatureInputError(`input has no ${options.equipmentColumn ?? 'equipment'} column`);
  const { codes: rawCodes, labels } = stringCodes(eqCol);
  const rawTs = timestampMicros(tsCol);
  const order = groupOrder(rawCodes, rawTs);
  const codes = order === undefined ? rawCodes : Int32Array.from(order, (i) => rawCodes[i] as number);
  const ts = gather(rawTs, order);
  const sensorColumns = fs.sensors.map((name) => {
    const col = input.getChild(name);
    if (col === null)
      throw new FeatureInputError(`input has no sensor column ${name} (feature set ${fs.name})`);
    return col;
  });
  const n = ts.length;
  // Each equipment's rows [a, b): grouped input (as the store returns it) is read a group at a
  // time into scratch arrays of the longest group's length (or viewed in place); other input is
  // gathered into grouped copies of its columns first.
  const groupEnds: number[] = [];
  let longest = 0;
  for (let a = 0; a < n;) {
    let b = a + 1;
    while (b < n && codes[b] === codes[a]) b++;
    groupEnds.push(b);
    longest = Math.max(longest, b - a);
    a = b;
  }
  const sensorRows: (a: number, b: number, si: number) => Float64Array =
    order === undefined
      ? (() => {
          const ranges = sensorColumns.map((c) => new Float64Ranges(c));
          const scratch = sensorColumns.map(() => new Float64Array(0));
          return (a, b, si) => {
            const r = ranges[si] as Float64Ranges;
            let buf = scratch[si] as Float64Array;
            if (buf.length < b - a) buf = scratch[si] = new Float64Array(longest);
            return r.read(a, b, buf);
          };
        })()
      : (() => {
          const gathered = sensorColumns.map((c) => gather(float64Values(c), order));
          return (a, b, si) => (gathered[si] as Float64Array).subarray(a, b);
        })();
  const tScratch = new Float64Array(longest);
  /** The group's instants in seconds. */
  const secondsOf = (a: number, b: number) => {
    const t = tScratch.subarray(0, b - a);
    for (let i = a; i < b; i++) t[i - a] = (ts[i] as number) / 1e6;
    return t;
  };

  // Output rows: every row, or the last row of each `everySeconds` bucket per equipment.
  const every = options.everySeconds;
  const only = options.only;
  const included =
    only === undefined ? undefined : Uint8Array.from(labels, (l) => (only.has(l as string) ? 1 : 0));
  const picked: number[] = [];
  for (let i = 0; i < n; i++) {
    if (included !== undefined && included[codes[i] as number] === 0) continue;
    const lastOfGroup = i === n - 1 || codes[i + 1] !== codes[i];
    if (
      every === undefined ||
      lastOfGroup ||
      Math.floor((ts[i + 1] as number) / 1e6 / every) !== Math.floor((ts[i] as number) / 1e6 / every)
    )
      picked.push(i);
  }
  const m = picked.length;
  const columns = fs.columns;
  const outputs = columns.map(() => new Float64Array(m));
  const colIndex = new Map(columns.map((c, j) => [c, j]));
  const stats = fs.stats as readonly Stat[];
  const pickedValues = fs.loadNormalised ? fs.sensors.map(() => new Float64Array(m)) : [];
  // Scratch for the every-row kernels, sized to the longest group once something needs it: the
  // sampled path needs one array (EWMA's recursion), the every-row path one per statistic.
  let scratchArrays: Record<Stat, Float64Array> | undefined;
  let startsArray: Int32Array | undefined;
  let ewmaArray: Float64Array | undefined;
  const scratchOf = () =>
    (scratchArrays ??= Object.fromEntries(stats.map((s) => [s, new Float64Array(longest)])) as Record<
      Stat,
      Float64Array
    >);

  // Kernels run per equipment over its rows [a, b), each sensor read once (`sensorRows`).
  let p = 0;
  let a = 0;
  for (const b of groupEnds) {
    const pFrom = p;
    while (p < m && (picked[p] as number) < b) p++;
    if (p === pFrom) {
      a = b; // no output row in this group (an equipment left out): nothing to compute
      continue;
    }
    const t = secondsOf(a, b);
    // Sampled output (training's one instant per bucket): statistics at the output rows only,
    // exactly (at-rows.ts), when they are few enough for that to be the cheaper way.
    const rows =
      every !== undefined && (p - pFrom) * 8 <= b - a
        ? Int32Array.from(picked.slice(pFrom, p), (i) => i - a)
        : undefined;
    const ewmaScratch =
      rows !== undefined && stats.includes('ewma')
        ? (ewmaArray ??= scratchArrays?.ewma ?? new Float64Array(longest)).subarray(0, b - a)
        : undefined;
    const scratch = rows === undefined ? scratchOf() : undefined;
    const starts = rows === undefined ? (startsArray ??= new Int32Array(longest)) : undefined;
    for (let si = 0; si < fs.sensors.length; si++) {
      const x = sensorRows(a, b, si);
      const sensor = fs.sensors[si] as string;
      // The readings at the output rows, for the load-normalised columns below.
      if (fs.loadNormalised) {
        const at = pickedValues[si] as Float64Array;
        for (let q = pFrom; q < p; q++) at[q] = x[(picked[q] as number) - a] as number;
      }
      if (rows !== undefined) {
        const blocks = rowBlocks(t, x, rows);
        for (const w of fs.windows) {
          const outs = stats.map((s) =>
            (outputs[colIndex.get(`${sensor}__${s}__${labelOf(w)}`) as number] as Float64Array).subarray(
              pFrom,
              p,
            ),
          );
          statsAtRows(t, x, w, stats, blocks, outs, ewmaScratch);
        }
        continue;
      }
      const dense = isDense(x);
      for (const w of fs.windows) {
        const outs = Object.fromEntries(stats.map((s) => [s, scratch![s].subarray(0, b - a)])) as Record<
          Stat,
          Float64Array
        >;
        rollingStats(t, x, w, stats, outs, () => windowStarts(t, w, starts!.subarray(0, b - a)), dense);
        for (const s of stats) {
          const dest = outputs[colIndex.get(`${sensor}__${s}__${labelOf(w)}`) as number] as Float64Array;
          const src = outs[s];
          for (let q = pFrom; q < p; q++) dest[q] = src[(picked[q] as number) - a] as number;
        }
      }
    }
    a = b;
  }

  // Context and load-normalised readings, as of each output instant.
  const context = options.context ? new ContextIndex(options.context) : undefined;
  const ctxNames = fs.context ?? [];
  if (ctxNames.length > 0 || fs.loadNormalised) {
    const buf = new Float64Array(ctxNames.length);
    const loadBuf = new Float64Array(1);
    for (let q = 0; q < m; q++) {
      const i = picked[q] as number;
      const eq = labels[codes[i] as number] as string;
      if (context) context.at(eq, ts[i] as number, ctxNames, buf, 0);
      else buf.fill(NaN);
      ctxNames.forEach(
        (c, k) => ((outputs[colIndex.get(c) as number] as Float64Array)[q] = buf[k] as number),
      );
      if (fs.loadNormalised) {
        if (context) context.at(eq, ts[i] as number, ['batch_load'], loadBuf, 0);
        const load = context ? (loadBuf[0] as number) : NaN;
        fs.sensors.forEach((s, si) => {
          const v = (pickedValues[si] as Float64Array)[q] as number;
          (outputs[colIndex.get(`${s}__per_load`) as number] as Float64Array)[q] = load > 0 ? v / load : NaN;
        });
      }
    }
  }
  return featureTable(
    Float64Array.from(picked, (i) => ts[i] as number),
    Int32Array.from(picked, (i) => codes[i] as number),
    labels,
    columns,
    outputs,
  );
}
