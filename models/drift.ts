/**
 * Quality drift: how a characteristic moves with time (or running hours, or cycles since the tool
 * change), when it will cross a spec limit, and the process capability now and then. Candidate
 * fits from ml-regression (linear, quadratic, robust Theil-Sen, exponential, and a shifted power
 * law fitted as a linear regression in x^p) are chosen by their
 * error on the latest points, held out in time, then refitted on everything.
 */
import {
  ExponentialRegression,
  PolynomialRegression,
  SimpleLinearRegression,
  TheilSenRegression,
} from 'ml-regression';

export interface DriftFit {
  readonly kind: 'linear' | 'quadratic' | 'theil-sen' | 'exponential' | 'power';
  predict(x: number): number;
  /** Refits on residual-bootstrap samples, of every law that validated nearly as well: the curve's uncertainty. */
  readonly replicates: readonly ((x: number) => number)[];
  /** Residual standard deviation on all points. */
  readonly sigma: number;
  /** Error on the held-out latest points (that chose this fit, unless the shape was pooled). */
  readonly validationRmse: number;
  /** The power law's exponent when it was pooled over maintenance cycles, else null. */
  readonly exponent: number | null;
}

export interface DriftForecast {
  readonly fit: DriftFit['kind'];
  /** Units of x from `now` until the predicted mean crosses a limit; Infinity if not within `horizon`. */
  readonly toLimit: number;
  /** 90 % interval of the crossing time from the bootstrap refits (earliest, latest). */
  readonly toLimitLow: number;
  readonly toLimitHigh: number;
  readonly limit: 'usl' | 'lsl' | null;
  readonly cpkNow: number;
  /**
   * Cpk at the horizon, NaN when the predicted mean is beyond a spec limit there: a capability
   * index of a process centred outside its spec (-46 was shown) is an extrapolation that says
   * nothing; `beyondSpecAtHorizon` and `toLimit` say what there is to say.
   */
  readonly cpkAtHorizon: number;
  /** The predicted mean at the horizon lies beyond a spec limit. */
  readonly beyondSpecAtHorizon: boolean;
  readonly predictedAtHorizon: number;
}

/** The exponents a power law may take: running in (< 1) to strongly accelerating wear (3). */
const EXPONENTS = Array.from({ length: 11 }, (_, k) => 0.5 + 0.25 * k);

/** Sum of squared residuals of y = a + b x^p fitted by least squares (NaN below 3 points). */
function powerSse(x: readonly number[], y: readonly number[], p: number): number {
  if (x.length < 3) return NaN;
  const xp = x.map((v) => Math.pow(Math.max(0, v), p));
  const m = new SimpleLinearRegression(xp, y as number[]);
  let err = 0;
  for (let i = 0; i < xp.length; i++) err += ((m.predict(xp[i] as number) as number) - (y[i] as number)) ** 2;
  return err;
}

/**
 * The wear law's shape learned across maintenance cycles: the exponent p of y = a_c + b_c x^p that
 * fits all of them best, each cycle with its own level and rate (a tool starts a little worn or
 * not, a recipe mix wears it faster or slower; the law's curvature is the tool's). A single cycle's
 * first points cannot tell a line from a curve; a few cycles can. Null below 2 cycles.
 */
export function poolExponent(
  cycles: readonly { readonly x: readonly number[]; readonly y: readonly number[] }[],
): PooledShape | null {
  const usable = cycles.filter((c) => c.x.length >= 6 && c.x.length === c.y.length);
  if (usable.length < 2) return null;
  const sse = EXPONENTS.map((p) => usable.reduce((s, c) => s + powerSse(c.x, c.y, p), 0));
  let k = -1;
  sse.forEach((v, j) => {
    if (Number.isFinite(v) && (k < 0 || v < (sse[k] as number))) k = j;
  });
  if (k < 0) return null;
  // The neighbouring exponents stay plausible: their refits widen the interval by the shape's uncertainty.
  const plausible = EXPONENTS.slice(Math.max(0, k - 1), k + 2);
  return { exponent: EXPONENTS[k] as number, plausible, cycles: usable.length };
}

export interface PooledShape {
  readonly exponent: number;
  /** Exponents whose refits count towards the interval (the best and its neighbours on the grid). */
  readonly plausible: readonly number[];
  readonly cycles: number;
}

/**
 * Shifted power law y = a + b * x^p (wear curves: p > 1 accelerating, p < 1 running in), the
 * exponent chosen on the training points by least squares over a grid, then a linear fit in x^p.
 */
function trainPower(
  x: number[],
  y: number[],
  exponents: readonly number[] = EXPONENTS,
): (v: number) => number {
  let best: { err: number; p: number; m: SimpleLinearRegression } | undefined;
  for (const p of exponents) {
    const xp = x.map((v) => Math.pow(Math.max(0, v), p));
    const m = new SimpleLinearRegression(xp, y);
    let err = 0;
    for (let i = 0; i < xp.length; i++)
      err += ((m.predict(xp[i] as number) as number) - (y[i] as number)) ** 2;
    if (Number.isFinite(err) && (best === undefined || err < best.err)) best = { err, p, m };
  }
  if (best === undefined) throw new RangeError('power law: no finite fit');
  const { p, m } = best;
  return (v) => m.predict(Math.pow(Math.max(0, v), p)) as number;
}

type Candidate = { kind: DriftFit['kind']; train: (x: number[], y: number[]) => (v: number) => number };

const CANDIDATES: Candidate[] = [
  { kind: 'power', train: trainPower },
  {
    kind: 'linear',
    train: (x, y) => {
      const m = new SimpleLinearRegression(x, y);
      return (v) => m.predict(v) as number;
    },
  },
  {
    kind: 'quadratic',
    train: (x, y) => {
      const m = new PolynomialRegression(x, y, 2);
      return (v) => m.predict(v) as number;
    },
  },
  {
    kind: 'theil-sen',
    train: (x, y) => {
      const m = new TheilSenRegression(x, y);
      return (v) => m.predict(v) as number;
    },
  },
  {
    kind: 'exponential',
    // Exponential fits need positive values: fit the distance from a floor below the data.
    train: (x, y) => {
      const floor = Math.min(...y) - (Math.max(...y) - Math.min(...y) || 1);
      const m = new ExponentialRegression(
        x,
        y.map((v) => v - floor),
      );
      return (v) => (m.predict(v) as number) + floor;
    },
  },
];

function rmseOf(f: (v: number) => number, x: number[], y: number[]): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += (f(x[i] as number) - (y[i] as number)) ** 2;
  return Math.sqrt(s / Math.max(1, x.length));
}

/**
 * Chooses and fits the drift model; needs at least 6 points. With `exponent` (the shape pooled
 * over maintenance cycles, see poolExponent) the law is that power law, its level and rate fitted on
 * this cycle's points; without, the candidate with the least error on the latest quarter of points.
 */
export function fitDrift(
  x: readonly number[],
  y: readonly number[],
  o: { exponent?: number; plausible?: readonly number[] } = {},
): DriftFit {
  if (x.length !== y.length || x.length < 6)
    throw new RangeError(`fitDrift needs >= 6 paired points, got ${x.length} and ${y.length}`);
  const order = x.map((_, i) => i).sort((a, b) => (x[a] as number) - (x[b] as number));
  const xs = order.map((i) => x[i] as number);
  const ys = order.map((i) => y[i] as number);
  const cut = Math.max(4, Math.floor(xs.length * 0.75));
  let best: { kind: DriftFit['kind']; err: number } | undefined;
  const errors = new Map<DriftFit['kind'], number>();
  for (const c of CANDIDATES) {
    try {
      const f = c.train(xs.slice(0, cut), ys.slice(0, cut));
      const err = rmseOf(f, xs.slice(cut), ys.slice(cut));
      if (!Number.isFinite(err)) continue;
      errors.set(c.kind, err);
      if (best === undefined || err < best.err) best = { kind: c.kind, err };
    } catch {
      // a candidate that cannot fit these points (e.g. degenerate x) is skipped
    }
  }
  const pooled: Candidate | undefined =
    o.exponent === undefined
      ? undefined
      : { kind: 'power', train: (xx, yy) => trainPower(xx, yy, [o.exponent as number]) };
  const chosen = pooled ?? (CANDIDATES.find((c) => c.kind === (best?.kind ?? 'linear')) as Candidate);
  const f = chosen.train(xs, ys);
  const residuals = xs.map((v, i) => (ys[i] as number) - f(v));
  // Residual bootstrap (fixed seed: the same data gives the same interval).
  let state = 0x9e3779b9;
  const random = () =>
    (state = (Math.imul(state ^ (state >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0) / 4294967296;
  // The curve's uncertainty has two parts: noise (residual bootstrap) and the choice of law itself
  // (extrapolating w^1.5 with an exponential is wrong in a way no bootstrap shows). So every law
  // that validated nearly as well as the chosen one (within 1.5x) contributes bootstrap refits.
  // With a pooled shape the law is known up to its exponent: refits at the plausible exponents.
  const plausible = pooled
    ? (o.plausible ?? [o.exponent as number]).map((p): Candidate => ({
        kind: 'power',
        train: (xx, yy) => trainPower(xx, yy, [p]),
      }))
    : CANDIDATES.filter((c) => (errors.get(c.kind) ?? Infinity) <= 1.5 * (best?.err ?? Infinity));
  const replicates: ((x: number) => number)[] = [];
  for (const c of plausible.length > 0 ? plausible : [chosen]) {
    for (let b = 0; b < 40; b++) {
      const yb = xs.map((v) => f(v) + (residuals[Math.floor(random() * residuals.length)] as number));
      try {
        replicates.push(c.train(xs, yb));
      } catch {
        // skip a degenerate resample
      }
    }
  }
  return {
    kind: chosen.kind,
    predict: f,
    replicates,
    sigma: rmseOf(f, xs, ys),
    validationRmse: pooled
      ? rmseOf(pooled.train(xs.slice(0, cut), ys.slice(0, cut)), xs.slice(cut), ys.slice(cut))
      : (best?.err ?? NaN),
    exponent: o.exponent ?? null,
  };
}

function cpk(mean: number, sigma: number, lsl: number, usl: number): number {
  return sigma > 0 ? Math.min(usl - mean, mean - lsl) / (3 * sigma) : NaN;
}

/** First x in (now, now + horizon] where g(x) is true, scanning in `steps`; Infinity if none. */
function firstCrossing(g: (v: number) => boolean, now: number, horizon: number, steps = 2000): number {
  for (let k = 1; k <= steps; k++) {
    const v = now + (horizon * k) / steps;
    if (g(v)) return v - now;
  }
  return Infinity;
}

/** Forecast from a fitted drift: time to the nearest spec limit (with interval) and Cpk now and later. */
export function forecastDrift(
  fit: DriftFit,
  now: number,
  horizon: number,
  lsl: number,
  usl: number,
): DriftForecast {
  const s = fit.sigma;
  const meanNow = fit.predict(now);
  const later = fit.predict(now + horizon);
  const up = later >= meanNow;
  const limit = up ? usl : lsl;
  const beyond = (v: number, m: number) => (up ? m >= v : m <= v);
  const toLimit = beyond(limit, meanNow)
    ? 0
    : firstCrossing((v) => beyond(limit, fit.predict(v)), now, horizon);
  // Interval: 5th and 95th percentiles of the crossing times of the bootstrap refits.
  const crossings = fit.replicates
    .map((g) => (beyond(limit, g(now)) ? 0 : firstCrossing((v) => beyond(limit, g(v)), now, horizon, 500)))
    .sort((a, b) => a - b);
  const q = (p: number) =>
    crossings.length > 0
      ? (crossings[Math.min(crossings.length - 1, Math.floor(p * crossings.length))] as number)
      : toLimit;
  const toLimitLow = q(0.05);
  const toLimitHigh = q(0.95);
  return {
    fit: fit.kind,
    toLimit,
    toLimitLow: Math.min(toLimitLow, toLimit),
    toLimitHigh: Math.max(toLimitHigh, toLimit),
    limit: Number.isFinite(toLimit) || Number.isFinite(toLimitLow) ? (up ? 'usl' : 'lsl') : null,
    cpkNow: cpk(meanNow, s, lsl, usl),
    cpkAtHorizon: later > usl || later < lsl ? NaN : cpk(later, s, lsl, usl),
    beyondSpecAtHorizon: later > usl || later < lsl,
    predictedAtHorizon: later,
  };
}
