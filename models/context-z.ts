/**
 * Context z-scores: a sensor feature read against its normal value under the operating context,
 * as extra inputs of a failure forest.
 *
 * A failing seal lowers a pump's pressure by a third; so does running it at half load. A forest
 * given the pressure and the load can learn that interaction only through many splits, and on a
 * few weeks of history it mostly does not: its trees split on the raw level, which the load
 * moves more than the wear does. The anomaly model (anomaly.ts) already fits, per equipment class
 * and on normal instants only, each feature's expected value and spread under the context
 * (load, load², idle, product). `z = (x - mu(c)) / sigma(c)` is the departure the wear makes,
 * with the load's share taken out, and a forest splits on it directly.
 *
 * The fit is the anomaly model's location and scale (its reference quantiles are not needed);
 * the z columns are appended after the feature set's own, named `<feature>__z`, so a model's
 * feature names say which inputs are which and a driver reads as its sensor.
 */
import { groupKey, zOf } from './anomaly.ts';
import type { AnomalyGroup, AnomalyModel } from './anomaly.ts';

export type ContextZGroup = Pick<AnomalyGroup, 'products' | 'location' | 'scale' | 'floor'>;

export interface ContextZ {
  /** Source features, in the order their z columns are appended. */
  readonly features: string[];
  readonly load: string | null;
  readonly product: string | null;
  readonly group: string | null;
  readonly groups: Record<string, ContextZGroup>;
}

/** Name of a feature's context z column. */
export const zName = (feature: string): string => `${feature}__z`;

/** The normaliser of a fitted anomaly model: its location and scale fits, nothing else. */
export function contextZOf(model: AnomalyModel): ContextZ {
  const groups: Record<string, ContextZGroup> = {};
  for (const [key, g] of Object.entries(model.groups))
    groups[key] = { products: g.products, location: g.location, scale: g.scale, floor: g.floor };
  return { features: model.features, load: model.load, product: model.product, group: model.group, groups };
}

/**
 * Appends the z columns to vectors in the order of `baseNames` (a feature set's columns): a row
 * at a time for serving, or whole columns for training and backtests. Features or context absent
 * from `baseNames` read as missing (NaN z), as an absent sensor does.
 */
export class ContextZExpander {
  readonly width: number;
  private readonly src: Int32Array;
  private readonly ctx: readonly [number, number, number];
  private readonly x: Float64Array;
  private readonly z: Float64Array;
  private readonly d: Float64Array;

  constructor(
    readonly cz: ContextZ,
    readonly baseNames: readonly string[],
  ) {
    const at = (n: string | null) => (n === null ? -1 : baseNames.indexOf(n));
    this.src = Int32Array.from(cz.features, (f) => at(f));
    this.ctx = [at(cz.load), at(cz.product), at(cz.group)];
    this.width = baseNames.length + cz.features.length;
    this.x = new Float64Array(cz.features.length);
    this.z = new Float64Array(cz.features.length);
    const products = Math.max(0, ...Object.values(cz.groups).map((g) => g.products.length));
    this.d = new Float64Array(4 + products);
  }

  /** Names of the expanded vector: the base names, then each z column's. */
  names(): string[] {
    return [...this.baseNames, ...this.cz.features.map(zName)];
  }

  /** The fit of the class `v` (a group column's value; NaN: none), if there is one. */
  private groupOf(v: number): ContextZGroup | undefined {
    return this.cz.groups[groupKey(v)] ?? (this.cz.group === null ? this.cz.groups.all : undefined);
  }

  /** z of one base row into `z` (NaN where there is no group for its class or no value). */
  private zAt(get: (j: number) => number): void {
    const v = (j: number) => (j < 0 ? NaN : get(j));
    const g = this.groupOf(v(this.ctx[2]));
    if (g === undefined) {
      this.z.fill(NaN);
      return;
    }
    for (let k = 0; k < this.src.length; k++) this.x[k] = v(this.src[k] as number);
    this.zOfX(g, v(this.ctx[0]), v(this.ctx[1]));
  }

  /** z of the source values in `x` under `g`'s fit, into `z`. */
  private zOfX(g: ContextZGroup, load: number, product: number): void {
    // A model fitted without a load column scores with load 0, as its fit saw it.
    zOf(g, this.x, this.cz.load === null ? 0 : load, product, this.d, this.z);
  }

  /** The expanded vector of one base vector (into `out`, which it returns; allocated if absent). */
  expandRow(x: ArrayLike<number>, out: Float64Array = new Float64Array(this.width)): Float64Array {
    const n = this.baseNames.length;
    for (let j = 0; j < n; j++) out[j] = x[j] as number;
    this.zAt((j) => x[j] as number);
    out.set(this.z, n);
    return out;
  }

  /** The expanded columns of base columns (the base ones are reused, not copied). */
  expandColumns(columns: readonly Float64Array[]): Float64Array[] {
    const rows = columns.length === 0 ? 0 : (columns[0] as Float64Array).length;
    const zs = this.cz.features.map(() => new Float64Array(rows));
    // The row loop of zAt without a closure per row, and the class's fit looked up once per run of
    // rows of the same class (its key is a string made from the value): the same z.
    const col = (j: number) => (j < 0 ? undefined : (columns[j] as Float64Array));
    const srcCols = Array.from(this.src, (j) => col(j));
    const [loadCol, productCol, groupCol] = this.ctx.map(col) as (Float64Array | undefined)[];
    const { x, z } = this;
    let lastKey = NaN;
    let g = this.groupOf(NaN);
    for (let i = 0; i < rows; i++) {
      const key = groupCol === undefined ? NaN : (groupCol[i] as number);
      if (!Object.is(key, lastKey)) {
        g = this.groupOf(key);
        lastKey = key;
      }
      if (g === undefined) {
        for (const c of zs) c[i] = NaN;
        continue;
      }
      for (let k = 0; k < srcCols.length; k++) x[k] = srcCols[k]?.[i] ?? NaN;
      this.zOfX(g, loadCol?.[i] ?? NaN, productCol?.[i] ?? NaN);
      for (let k = 0; k < zs.length; k++) (zs[k] as Float64Array)[i] = z[k] as number;
    }
    return [...columns, ...zs];
  }
}
