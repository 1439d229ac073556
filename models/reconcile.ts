/**
 * One story per machine: the failure probability within the primary horizon H and the RUL
 * distribution come from different models and can contradict each other ("p = 0.91 within 24 h"
 * beside "RUL 62 h, at least 23 h"). The documented rule: the calibrated probability within H is
 * authoritative near term, because it is what the walk-forward calibrates; the RUL's reported
 * quantiles (low = 10 %, hours = 50 %, high = 90 %) are moved so that its distribution agrees with
 * it at H, i.e. P(RUL <= H) = p at those levels:
 *   a quantile at level u lies within H exactly when p >= u.
 * A quantile on the wrong side of H is set to H (p >= u) or just past it (p < u); the three are
 * then kept in order. Beyond H the RUL model is untouched.
 */

export interface RulQuantiles {
  readonly hours: number;
  readonly low: number;
  readonly high: number;
}

/** How far past H a quantile is put when it must lie beyond H (the figures are rounded to 0.1 h). */
const PAST = 0.1;

export function reconcile(
  p: number,
  horizonHours: number,
  rul: RulQuantiles,
): RulQuantiles & { readonly reconciled: boolean } {
  if (!(p === p) || !(horizonHours > 0)) return { ...rul, reconciled: false };
  const move = (q: number, level: number) => {
    if (!(q === q)) return q;
    if (p >= level && q > horizonHours) return horizonHours;
    if (p < level && q <= horizonHours) return horizonHours + PAST;
    return q;
  };
  const moved = [move(rul.low, 0.1), move(rul.hours, 0.5), move(rul.high, 0.9)];
  // In order again (moving keeps how many lie within H, so sorting keeps the rule); an unknown
  // bound (NaN) stays where it is.
  const [low, hours, high] = (moved.every((v) => v === v) ? moved.sort((a, b) => a - b) : moved) as [
    number,
    number,
    number,
  ];
  const reconciled = low !== rul.low || hours !== rul.hours || high !== rul.high;
  return { low, hours, high, reconciled };
}
