/**
 * The anomaly model: what a feature's value is expected to be in normal operation *given the
 * operating context*, and how far an instant is from it. Learnt from normal periods only, no
 * failure label needed, so a plant with none gets a health index on day one.
 *
 * Per group (an equipment class), per scored feature j, two least-squares fits on the normal rows
 * over a small context design d(c) = [1, load, load², idle, one indicator per product seen]:
 *   location  mu_j(c) = d(c)·a_j          (the feature's normal value under that context)
 *   scale     sigma_j(c) = 1.2533 d(c)·b_j (its normal spread: the mean |residual| under that
 *                                         context, times sqrt(pi/2), which is sigma for a normal)
 * then z_j = (x_j - mu_j(c)) / sigma_j(c). The anomaly score is, per sensor, the median |z| of its
 * features (clipped at 10), and the largest of those over the sensors: below 1 in most normal
 * instants, growing with a sustained departure of any one sensor, in either direction. One
 * window's transient (a 10 min spread across a recipe change) moves one feature of a sensor, not
 * the median of its features; a degrading sensor moves them all. The largest |z| are the drivers.
 *
 * Why not an isolation forest on the engine's trees: its score saturates (every instant far
 * from normal gets the same short path), it does not say which sensor departs, and it cannot
 * separate "a different recipe" from "a different machine" unless the context is a split it
 * happens to draw. Conditioning on context explicitly is what stops a recipe change from
 * alarming; z-scores give exact, additive driver attributions; the score keeps growing with
 * degradation, which a health index needs to be monotone.
 *
 * Robust to a few abnormal instants hiding in "normal" (unlabelled degradation): after the first
 * fit the most anomalous `trim` share is dropped and both fits are redone once.
 *
 * The score is then read against a reference: the sorted scores of a later, purged slice of
 * normal instants that the fits never saw. Percentile = share of them at or below the score;
 * health index = 1 / (1 + max(0, s - q50) / (q99 - q50)): 1 up to the median normal instant, 0.5
 * at the 99th percentile, tending to 0 as the departure grows (it flattens only once every scored
 * feature is past the clip).
 */

export const Z_CLIP = 10;
/** Quantiles of the reference kept in a model (enough for a percentile to 0.1 %). */
export const REFERENCE_POINTS = 1001;

export interface AnomalyGroup {
  /** Product codes that have their own indicator in the design (seen often enough in training). */
  readonly products: number[];
  /** Per scored feature: location coefficients over the design, or null (never had a value). */
  readonly location: (number[] | null)[];
  /** Per scored feature: coefficients of the mean |residual| over the design. */
  readonly scale: (number[] | null)[];
  /** Per scored feature: the smallest sigma used (a tenth of its overall spread). */
  readonly floor: number[];
  /** Sorted anomaly scores of the reference slice (at most REFERENCE_POINTS quantiles). */
  readonly reference: number[];
  readonly q50: number;
  readonly q99: number;
  readonly rows: number;
}

export interface AnomalyModel {
  readonly kind: 'anomaly';
  /** Names of the scored features, in order. */
  readonly features: string[];
  /** Context columns of the design (null: absent, then the design is the intercept alone). */
  readonly load: string | null;
  readonly product: string | null;
  /** Column whose value names the group (an equipment class code), or null: one group `all`. */
  readonly group: string | null;
  readonly groups: Record<string, AnomalyGroup>;
}

export interface AnomalyFitOptions {
  /** Share of the most anomalous training rows dropped before the second fit (default 0.1). */
  readonly trim?: number;
  /** Rows a product needs in a group to get its own indicator (default 30). */
  readonly minProductRows?: number;
  readonly ridge?: number;
}

/** A feature matrix by column, with the names the model refers to. */
export interface Columns {
  readonly names: readonly string[];
  readonly columns: readonly Float64Array[];
}

export class AnomalyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AnomalyError';
  }
}

function col(data: Columns, name: string | null): Float64Array | null {
  if (name === null) return null;
  const j = data.names.indexOf(name);
  return j < 0 ? null : (data.columns[j] as Float64Array);
}

/** The context design of one row into `out` (length 4 + products). */
function design(load: number, product: number, products: readonly number[], out: Float64Array): void {
  const idle = !(product === product) || load === 0;
  const L = load === load ? load : 0;
  out[0] = 1;
  out[1] = L;
  out[2] = L * L;
  out[3] = idle ? 1 : 0;
  for (let k = 0; k < products.length; k++) out[4 + k] = products[k] === product ? 1 : 0;
}

/** Ridge least squares by Cholesky: (AᵀA + λI)β = Aᵀy from the accumulated normal equations. */
function solve(ata: Float64Array, aty: Float64Array, p: number, ridge: number): number[] | null {
  const m = Float64Array.from(ata);
  for (let i = 0; i < p; i++)
    m[i * p + i] = (m[i * p + i] as number) + ridge * (1 + (m[i * p + i] as number));
  const l = new Float64Array(p * p);
  for (let i = 0; i < p; i++) {
    for (let j = 0; j <= i; j++) {
      let s = m[i * p + j] as number;
      for (let k = 0; k < j; k++) s -= (l[i * p + k] as number) * (l[j * p + k] as number);
      if (i === j) {
        if (!(s > 0)) return null;
        l[i * p + i] = Math.sqrt(s);
      } else l[i * p + j] = s / (l[j * p + j] as number);
    }
  }
  const z = new Float64Array(p);
  for (let i = 0; i < p; i++) {
    let s = aty[i] as number;
    for (let k = 0; k < i; k++) s -= (l[i * p + k] as number) * (z[k] as number);
    z[i] = s / (l[i * p + i] as number);
  }
  const b = new Array<number>(p).fill(0);
  for (let i = p - 1; i >= 0; i--) {
    let s = z[i] as number;
    for (let k = i + 1; k < p; k++) s -= (l[k * p + i] as number) * (b[k] as number);
    b[i] = s / (l[i * p + i] as number);
  }
  return b;
}

function dot(b: readonly number[], d: Float64Array): number {
  let s = 0;
  for (let k = 0; k < b.length; k++) s += (b[k] as number) * (d[k] as number);
  return s;
}

interface Fitted {
  location: (number[] | null)[];
  scale: (number[] | null)[];
  floor: number[];
}

/** Both fits of every scored feature on `rows`. */
function fitGroup(
  x: readonly Float64Array[],
  load: Float64Array | null,
  product: Float64Array | null,
  products: readonly number[],
  rows: readonly number[],
  ridge: number,
): Fitted {
  const p = 4 + products.length;
  const d = new Float64Array(p);
  const designs = new Float64Array(rows.length * p);
  rows.forEach((i, r) => {
    design(load ? (load[i] as number) : 0, product ? (product[i] as number) : NaN, products, d);
    designs.set(d, r * p);
  });
  const location: (number[] | null)[] = [];
  const scale: (number[] | null)[] = [];
  const floor: number[] = [];
  const ata = new Float64Array(p * p);
  const aty = new Float64Array(p);
  const accumulate = (target: (r: number) => number) => {
    ata.fill(0);
    aty.fill(0);
    let n = 0;
    for (let r = 0; r < rows.length; r++) {
      const y = target(r);
      if (!(y === y)) continue;
      n++;
      const o = r * p;
      for (let a = 0; a < p; a++) {
        const da = designs[o + a] as number;
        if (da === 0) continue;
        aty[a] = (aty[a] as number) + da * y;
        for (let b = 0; b <= a; b++)
          ata[a * p + b] = (ata[a * p + b] as number) + da * (designs[o + b] as number);
      }
    }
    for (let a = 0; a < p; a++) for (let b = a + 1; b < p; b++) ata[a * p + b] = ata[b * p + a] as number;
    return n;
  };
  for (const c of x) {
    const n = accumulate((r) => c[rows[r] as number] as number);
    const a = n >= 2 ? solve(ata, aty, p, ridge) : null;
    if (a === null) {
      location.push(null);
      scale.push(null);
      floor.push(0);
      continue;
    }
    const absRes = (r: number) => {
      const v = c[rows[r] as number] as number;
      return Math.abs(v - dot(a, designs.subarray(r * p, r * p + p)));
    };
    let sum = 0;
    let cnt = 0;
    for (let r = 0; r < rows.length; r++) {
      const e = absRes(r);
      if (e === e) {
        sum += e;
        cnt++;
      }
    }
    accumulate(absRes);
    const b = solve(ata, aty, p, ridge);
    const overall = (1.2533 * sum) / Math.max(1, cnt);
    location.push(a);
    scale.push(b);
    // A constant channel (no spread at all) still needs a scale: relative to its level.
    floor.push(Math.max(0.1 * overall, 1e-6 * (Math.abs(a[0] as number) + 1)));
  }
  return { location, scale, floor };
}

/** Per-row z of each scored feature (NaN where the value or the fit is missing). */
export function zOf(
  g: Pick<AnomalyGroup, 'products' | 'location' | 'scale' | 'floor'>,
  x: ArrayLike<number>,
  load: number,
  product: number,
  d: Float64Array,
  z: Float64Array,
): void {
  design(load, product, g.products, d);
  for (let j = 0; j < z.length; j++) {
    const a = g.location[j];
    const b = g.scale[j];
    const v = x[j] as number;
    if (a === null || a === undefined || b === null || b === undefined || !(v === v)) {
      z[j] = NaN;
      continue;
    }
    const sigma = Math.max(1.2533 * dot(b, d), g.floor[j] as number);
    z[j] = (v - dot(a, d)) / sigma;
  }
}

/** Sensor index of each feature (the name before `__`; the whole name when there is none). */
export function sensorIndex(features: readonly string[]): { sensors: string[]; of: Int32Array } {
  const sensors: string[] = [];
  const of = Int32Array.from(features, (f) => {
    const k = f.indexOf('__');
    const s = k < 0 ? f : f.slice(0, k);
    let i = sensors.indexOf(s);
    if (i < 0) i = sensors.push(s) - 1;
    return i;
  });
  return { sensors, of };
}

/**
 * The anomaly score of one instant: per sensor, the median clipped |z| of its features (a single
 * window's transient, e.g. a 10 min standard deviation across a recipe change, does not carry a
 * sensor), then the largest over sensors (one departing sensor is enough, and is not averaged
 * away by the many that are fine).
 */
function combine(z: Float64Array, of: Int32Array, n: number, scratch: number[][]): number {
  for (let k = 0; k < n; k++) (scratch[k] as number[]).length = 0;
  for (let j = 0; j < z.length; j++) {
    const v = z[j] as number;
    if (v === v) (scratch[of[j] as number] as number[]).push(Math.min(Math.abs(v), Z_CLIP));
  }
  let best = NaN;
  for (let k = 0; k < n; k++) {
    const a = scratch[k] as number[];
    if (a.length === 0) continue;
    a.sort((x, y) => x - y);
    const m =
      a.length % 2 === 1
        ? (a[(a.length - 1) / 2] as number)
        : ((a[a.length / 2 - 1] as number) + (a[a.length / 2] as number)) / 2;
    if (!(m <= best)) best = m;
  }
  return best;
}

function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return (sorted[lo] as number) + (pos - lo) * ((sorted[hi] as number) - (sorted[lo] as number));
}

/** The key of the group an equipment-class code falls in (`all` when there is no class). */
export function groupKey(v: number): string {
  return v === v ? String(v) : 'all';
}

/**
 * Fits the model on `fitRows` (normal instants) and reads its reference off `referenceRows`
 * (later normal instants, purged from the fitting ones by the caller).
 */
export function fitAnomaly(
  data: Columns,
  features: readonly string[],
  context: { load: string | null; product: string | null; group: string | null },
  fitRows: readonly number[],
  referenceRows: readonly number[],
  options: AnomalyFitOptions = {},
): AnomalyModel {
  const trim = options.trim ?? 0.1;
  const minProduct = options.minProductRows ?? 30;
  const ridge = options.ridge ?? 1e-6;
  const x = features.map((f) => {
    const c = col(data, f);
    if (c === null) throw new AnomalyError(`feature ${f} is not in the data`);
    return c;
  });
  const load = col(data, context.load);
  const product = col(data, context.product);
  const groupCol = col(data, context.group);
  const byGroup = (rows: readonly number[]) => {
    const m = new Map<string, number[]>();
    for (const i of rows) {
      const k = groupKey(groupCol ? (groupCol[i] as number) : NaN);
      const list = m.get(k);
      if (list) list.push(i);
      else m.set(k, [i]);
    }
    return m;
  };
  const fitBy = byGroup(fitRows);
  const refBy = byGroup(referenceRows);
  const groups: Record<string, AnomalyGroup> = {};
  const z = new Float64Array(features.length);
  const si = sensorIndex(features);
  const scratch = si.sensors.map(() => [] as number[]);
  for (const [key, rows] of fitBy) {
    const counts = new Map<number, number>();
    if (product)
      for (const i of rows) {
        const v = product[i] as number;
        if (v === v) counts.set(v, (counts.get(v) ?? 0) + 1);
      }
    const products = [...counts]
      .filter(([, n]) => n >= minProduct)
      .map(([v]) => v)
      .sort((a, b) => a - b);
    const d = new Float64Array(4 + products.length);
    const scoreOf = (g: Fitted, i: number) => {
      const row = x.map((c) => c[i] as number);
      zOf(
        { ...g, products },
        row,
        load ? (load[i] as number) : 0,
        product ? (product[i] as number) : NaN,
        d,
        z,
      );
      return combine(z, si.of, si.sensors.length, scratch);
    };
    let fitted = fitGroup(x, load, product, products, rows, ridge);
    if (trim > 0 && rows.length >= 20) {
      const s = rows.map((i) => scoreOf(fitted, i));
      const cut = quantileSorted(
        s.filter((v) => v === v).sort((a, b) => a - b),
        1 - trim,
      );
      const kept = rows.filter((_, r) => !((s[r] as number) > cut));
      fitted = fitGroup(x, load, product, products, kept, ridge);
    }
    const ref = (refBy.get(key) ?? rows)
      .map((i) => scoreOf(fitted, i))
      .filter((v) => v === v)
      .sort((a, b) => a - b);
    if (ref.length === 0) continue;
    const reference =
      ref.length <= REFERENCE_POINTS
        ? ref
        : Array.from({ length: REFERENCE_POINTS }, (_, k) => quantileSorted(ref, k / (REFERENCE_POINTS - 1)));
    const q50 = quantileSorted(ref, 0.5);
    const q99 = Math.max(quantileSorted(ref, 0.99), q50 * (1 + 1e-9) + 1e-12);
    groups[key] = { products, ...fitted, reference, q50, q99, rows: rows.length };
  }
  if (Object.keys(groups).length === 0) throw new AnomalyError('no normal instant to learn from');
  return { kind: 'anomaly', features: [...features], ...context, groups };
}

export interface AnomalyDriver {
  readonly feature: string;
  /** Signed distance from the normal value, in normal spreads. */
  readonly z: number;
  readonly value: number;
  readonly expected: number;
}

export interface AnomalyScore {
  /** The largest per-sensor median |z| (see the module). NaN: nothing to score (no group, no value). */
  readonly score: number;
  /** Share of the reference's normal instants at or below this score. */
  readonly percentile: number;
  /** 1 healthy ... 0: see the module's comment. */
  readonly health: number;
  readonly group: string;
}

/** A compiled view of a model for scoring many rows (the design buffers reused). */
export class AnomalyScorer {
  private readonly d = new Float64Array(64);
  private readonly z: Float64Array;
  private readonly row: Float64Array;
  private readonly si: { sensors: string[]; of: Int32Array };
  private readonly scratch: number[][];

  constructor(readonly model: AnomalyModel) {
    this.si = sensorIndex(model.features);
    this.scratch = this.si.sensors.map(() => []);
    this.z = new Float64Array(model.features.length);
    this.row = new Float64Array(model.features.length);
  }

  /** The group that scores an instant: its own, or `all` when the model has no group column. */
  private groupFor(group: number): { key: string; g: AnomalyGroup | undefined } {
    const key = groupKey(group);
    return {
      key,
      g: this.model.groups[key] ?? (this.model.group === null ? this.model.groups.all : undefined),
    };
  }

  /** Scores one instant given the values of `model.features` and its context. */
  scoreRow(x: ArrayLike<number>, load: number, product: number, group: number): AnomalyScore {
    return this.explain(x, load, product, group, 0).score;
  }

  /** The `k` largest departures of one instant, largest first. */
  drivers(x: ArrayLike<number>, load: number, product: number, group: number, k = 3): AnomalyDriver[] {
    return this.explain(x, load, product, group, k).drivers;
  }

  /** Score and the `k` largest departures of one instant, from one computation of its z-scores. */
  explain(
    x: ArrayLike<number>,
    load: number,
    product: number,
    group: number,
    k: number,
  ): { score: AnomalyScore; drivers: AnomalyDriver[] } {
    const { key, g } = this.groupFor(group);
    if (g === undefined)
      return { score: { score: NaN, percentile: NaN, health: NaN, group: key }, drivers: [] };
    zOf(g, x, load, product, this.d, this.z); // leaves the context's design in this.d
    const score = combine(this.z, this.si.of, this.si.sensors.length, this.scratch);
    const drivers =
      k === 0
        ? []
        : Array.from(this.z, (z, j) => ({ j, z }))
            .filter((e) => e.z === e.z)
            .sort((a, b) => Math.abs(b.z) - Math.abs(a.z))
            .slice(0, k)
            .map(({ j, z }) => ({
              feature: this.model.features[j] as string,
              z,
              value: x[j] as number,
              expected: dot(g.location[j] as number[], this.d),
            }));
    return { score: { score, ...readScore(g, score), group: key }, drivers };
  }

  /** Scores rows of a column table (NaN context where a column is absent). */
  scoreColumns(data: Columns, rows: readonly number[]): AnomalyScore[] {
    const x = this.model.features.map((f) => col(data, f));
    const load = col(data, this.model.load);
    const product = col(data, this.model.product);
    const group = col(data, this.model.group);
    return rows.map((i) => {
      x.forEach((c, j) => (this.row[j] = c ? (c[i] as number) : NaN));
      return this.scoreRow(
        this.row,
        load ? (load[i] as number) : NaN,
        product ? (product[i] as number) : NaN,
        group ? (group[i] as number) : NaN,
      );
    });
  }
}

function readScore(g: AnomalyGroup, score: number): { percentile: number; health: number } {
  if (!(score === score)) return { percentile: NaN, health: NaN };
  // Share at or below: binary search for the first reference value above the score.
  let lo = 0;
  let hi = g.reference.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((g.reference[mid] as number) <= score) lo = mid + 1;
    else hi = mid;
  }
  return {
    percentile: lo / g.reference.length,
    health: 1 / (1 + Math.max(0, score - g.q50) / (g.q99 - g.q50)),
  };
}
