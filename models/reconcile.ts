/**
 * One story per machine: the failure probability within the primary horizon H and the RUL
 * distribution come from different models and can contradict each other ("p = 0.91 within 24 h"
 * beside "RUL 62 h, at least 23 h"). The documented rule: the calibrated probability within H is
 * authoritative for whether the machine fails within H, because it is what the walk-forward
 * calibrates; the RUL model gives the shape on either side of H. The reconciled distribution
 * puts mass p within H and 1 - p beyond it, each spread as the RUL model spreads its own mass
 * there. With the RUL model's quantile function Q (through (0, 0), its 10 %, 50 % and 90 %
 * quantiles and (1, cap)) and m = Q^-1(H), its own probability within H, the reconciled quantile is
 *   R(u) = Q(u / p * m)                              for u <= p,
 *   R(u) = Q(m + (u - p) / (1 - p) * (1 - m))        for u > p,
 * so R(u) <= H exactly when u <= p, and a forecast that already agrees (m = p) is unchanged.
 */

export interface RulQuantiles {
  readonly hours: number;
  readonly low: number;
  readonly high: number;
}

/** Piecewise-linear interpolation through (x, y) points with increasing x. */
function interpolate(xs: readonly number[], ys: readonly number[], x: number): number {
  for (let k = 1; k < xs.length; k++) {
    const x0 = xs[k - 1] as number;
    const x1 = xs[k] as number;
    if (x <= x1 || k === xs.length - 1) {
      const y0 = ys[k - 1] as number;
      const y1 = ys[k] as number;
      return x1 === x0 ? y1 : y0 + ((x - x0) / (x1 - x0)) * (y1 - y0);
    }
  }
  return ys[ys.length - 1] as number;
}

export function reconcile(
  p: number,
  horizonHours: number,
  rul: RulQuantiles,
  capHours: number,
): RulQuantiles & { readonly reconciled: boolean } {
  const { low, hours, high } = rul;
  if (!(p >= 0 && p <= 1) || !(horizonHours > 0) || ![low, hours, high].every((v) => v === v))
    return { ...rul, reconciled: false };
  // The RUL model's quantile function, kept monotone (its bounds come from residual quantiles).
  const u = [0, 0.1, 0.5, 0.9, 1];
  const q = [0, low, hours, high, Math.max(capHours, high)];
  for (let k = 1; k < q.length; k++) q[k] = Math.max(q[k] as number, q[k - 1] as number);
  // Its own probability within H: where Q crosses H (Q's inverse at H).
  let m = 1;
  for (let k = 1; k < q.length; k++)
    if ((q[k] as number) >= horizonHours) {
      const y0 = q[k - 1] as number;
      const y1 = q[k] as number;
      m =
        y1 === y0
          ? (u[k] as number)
          : (u[k - 1] as number) +
            ((horizonHours - y0) / (y1 - y0)) * ((u[k] as number) - (u[k - 1] as number));
      break;
    }
  // Q(m) is H up to rounding: the side of H is decided by the level against p, exactly.
  const at = (level: number) =>
    level <= p
      ? Math.min(horizonHours, interpolate(u, q, p === 0 ? 0 : (level / p) * m))
      : Math.max(horizonHours + 1e-9, interpolate(u, q, m + ((level - p) / (1 - p)) * (1 - m)));
  const out = { low: at(0.1), hours: at(0.5), high: at(0.9) };
  const moved = (a: number, b: number) => Math.abs(a - b) > 1e-9;
  return { ...out, reconciled: moved(out.low, low) || moved(out.hours, hours) || moved(out.high, high) };
}
