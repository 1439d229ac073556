/**
 * Reliability statistics from failure history with right-censoring: a Weibull fit (maximum
 * likelihood; censored running times count as "survived at least this long") with 95 % intervals
 * from the observed information, the Kaplan-Meier survival curve, MTBF, MTTR and availability.
 */

export interface Lifetimes {
  /** Running hours of each interval (to a failure, or to the end of observation). */
  readonly hours: readonly number[];
  /** 1 if the interval ended in a failure, 0 if censored. */
  readonly failed: readonly number[];
}

export interface WeibullFit {
  readonly shape: number;
  readonly scale: number;
  readonly shapeCi: [number, number];
  readonly scaleCi: [number, number];
  readonly failures: number;
  readonly censored: number;
}

function logLik(beta: number, eta: number, t: readonly number[], d: readonly number[]): number {
  let ll = 0;
  for (let i = 0; i < t.length; i++) {
    const z = (t[i] as number) / eta;
    if (d[i] === 1) ll += Math.log(beta / eta) + (beta - 1) * Math.log(z);
    ll -= Math.pow(z, beta);
  }
  return ll;
}

/** Weibull MLE with right-censoring; needs at least 2 failures and positive times. */
export function fitWeibull(data: Lifetimes): WeibullFit {
  const t = data.hours.filter((_, i) => (data.hours[i] as number) > 0);
  const d = data.failed.filter((_, i) => (data.hours[i] as number) > 0);
  const r = d.reduce((s, v) => s + v, 0);
  if (r < 2) throw new RangeError(`a Weibull fit needs at least 2 failures, got ${r}`);
  const sumLogFail = t.reduce((s, v, i) => s + (d[i] === 1 ? Math.log(v) : 0), 0) / r;
  // Profile equation in the shape: sum t^b ln t / sum t^b - 1/b - mean ln t_failed = 0 (increasing in b).
  const g = (b: number) => {
    let a = 0;
    let c = 0;
    for (const v of t) {
      const p = Math.pow(v, b);
      a += p * Math.log(v);
      c += p;
    }
    return a / c - 1 / b - sumLogFail;
  };
  let lo = 0.01;
  let hi = 50;
  for (let k = 0; k < 200; k++) {
    const mid = Math.sqrt(lo * hi);
    if (g(mid) > 0) hi = mid;
    else lo = mid;
  }
  const beta = Math.sqrt(lo * hi);
  const eta = Math.pow(t.reduce((s, v) => s + Math.pow(v, beta), 0) / r, 1 / beta);
  // 95 % intervals: observed information in (ln beta, ln eta), by finite differences.
  const f = (u: number, v: number) => logLik(Math.exp(u), Math.exp(v), t, d);
  const u0 = Math.log(beta);
  const v0 = Math.log(eta);
  const h = 1e-4;
  const fuu = (f(u0 + h, v0) - 2 * f(u0, v0) + f(u0 - h, v0)) / (h * h);
  const fvv = (f(u0, v0 + h) - 2 * f(u0, v0) + f(u0, v0 - h)) / (h * h);
  const fuv = (f(u0 + h, v0 + h) - f(u0 + h, v0 - h) - f(u0 - h, v0 + h) + f(u0 - h, v0 - h)) / (4 * h * h);
  const det = fuu * fvv - fuv * fuv;
  const varU = -fvv / det;
  const varV = -fuu / det;
  const z = 1.96;
  return {
    shape: beta,
    scale: eta,
    shapeCi: [beta * Math.exp(-z * Math.sqrt(varU)), beta * Math.exp(z * Math.sqrt(varU))],
    scaleCi: [eta * Math.exp(-z * Math.sqrt(varV)), eta * Math.exp(z * Math.sqrt(varV))],
    failures: r,
    censored: t.length - r,
  };
}

/** A step of the Kaplan-Meier curve, with its 95 % pointwise interval (null where undefined: S = 0 or 1). */
export interface KmPoint {
  readonly hours: number;
  readonly survival: number;
  readonly atRisk: number;
  readonly lo: number | null;
  readonly hi: number | null;
}

/**
 * Kaplan-Meier: survival just after each distinct failure time, with a 95 % pointwise interval from
 * Greenwood's variance on the log(-log S) scale (the "log-log" interval: it stays inside [0, 1],
 * unlike the plain Greenwood band, and is what Kalbfleisch & Prentice recommend).
 */
export function kaplanMeier(data: Lifetimes): KmPoint[] {
  return kaplanMeierWithCensors(data).curve;
}

/**
 * The curve and where each censored run sits on it (its running time and the survival there),
 * which a plot marks with a tick so a reader sees how much of the curve rests on censored runs.
 */
export function kaplanMeierWithCensors(data: Lifetimes): {
  curve: KmPoint[];
  censored: { hours: number; survival: number }[];
} {
  const idx = data.hours
    .map((_, i) => i)
    .sort(
      (a, b) =>
        (data.hours[a] as number) - (data.hours[b] as number) ||
        (data.failed[b] as number) - (data.failed[a] as number),
    );
  let atRisk = idx.length;
  let s = 1;
  let greenwood = 0;
  const curve: KmPoint[] = [];
  const censored: { hours: number; survival: number }[] = [];
  const z = 1.959963984540054;
  for (let k = 0; k < idx.length;) {
    const time = data.hours[idx[k] as number] as number;
    let deaths = 0;
    let leaving = 0;
    while (k < idx.length && data.hours[idx[k] as number] === time) {
      deaths += data.failed[idx[k] as number] as number;
      leaving++;
      k++;
    }
    if (deaths > 0) {
      s *= 1 - deaths / atRisk;
      greenwood += atRisk > deaths ? deaths / (atRisk * (atRisk - deaths)) : Infinity;
      const logS = Math.log(s);
      let lo: number | null = null;
      let hi: number | null = null;
      if (s > 0 && s < 1 && Number.isFinite(greenwood)) {
        const c = (z * Math.sqrt(greenwood)) / Math.abs(logS);
        lo = Math.pow(s, Math.exp(c));
        hi = Math.pow(s, Math.exp(-c));
      }
      curve.push({ hours: time, survival: s, atRisk, lo, hi });
    }
    // Censored runs at this time leave after its failures (the textbook order): they sit at the new S.
    for (let c = 0; c < leaving - deaths; c++) censored.push({ hours: time, survival: s });
    atRisk -= leaving;
  }
  return { curve, censored };
}

export interface Availability {
  readonly mtbf_h: number;
  readonly mttr_h: number;
  readonly availability: number;
}

export function availability(data: Lifetimes, repairHours: readonly number[]): Availability {
  const up = data.hours.reduce((s, v) => s + v, 0);
  const failures = data.failed.reduce((s, v) => s + v, 0);
  const mtbf = failures > 0 ? up / failures : Infinity;
  const mttr = repairHours.length > 0 ? repairHours.reduce((s, v) => s + v, 0) / repairHours.length : 0;
  return { mtbf_h: mtbf, mttr_h: mttr, availability: mtbf === Infinity ? 1 : mtbf / (mtbf + mttr) };
}

/** E[min(T - a, cap) | T > a + c] under the Weibull, by the trapezoid rule on 64 steps. */
export function expectedCappedRul(
  w: Pick<WeibullFit, 'shape' | 'scale'>,
  age: number,
  survived: number,
  cap: number,
): number {
  const S = (x: number) => Math.exp(-Math.pow(Math.max(0, x) / w.scale, w.shape));
  const s0 = S(age + survived);
  if (!(s0 > 1e-300) || survived >= cap) return Math.min(survived, cap);
  const steps = 64;
  const h = (cap - survived) / steps;
  let area = 0;
  let prev = 1;
  for (let k = 1; k <= steps; k++) {
    const cur = S(age + survived + k * h) / s0;
    area += (prev + cur) * 0.5 * h;
    prev = cur;
  }
  return survived + area;
}
