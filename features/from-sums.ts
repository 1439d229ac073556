/**
 * Every statistic of a window from its shifted sums, shared by the online paths (`statsAtLast`
 * and the dense backward pass) so both derive the numbers the same way. Layout of `snap[o ..]`:
 * count, sums of d, d^2, d^3, d^4 (d = value - xs), unused, sums of a, a^2, a*d (a = time - ts0),
 * min, max, first value.
 */
import type { Stat } from './feature-set.ts';
import { timeResolution } from './kernels/trend.ts';

export const SUMS = 12;

export function statsFromSums(
  snap: Float64Array,
  o: number,
  xs: number,
  ts0: number,
  last: number,
  stats: readonly Stat[],
  ewma: number,
  out: Float64Array,
  offset: number,
  missing = 0,
): void {
  const cnt = snap[o] as number;
  const any = cnt > 0;
  const s1 = snap[o + 1] as number;
  const s2 = snap[o + 2] as number;
  const s3 = snap[o + 3] as number;
  const s4 = snap[o + 4] as number;
  const st = snap[o + 6] as number;
  const stt = snap[o + 7] as number;
  const stx = snap[o + 8] as number;
  const A = s1 / cnt;
  const B = s2 / cnt - A * A;
  const C = s3 / cnt - A * A * A - 3 * A * B;
  const D = s4 / cnt - A * A * A * A - 6 * B * A * A - 4 * C * A;
  const flat = !(B > 1e-12 * (s2 / cnt));
  const m2 = s2 - s1 * A;
  const ctt = stt - (st * st) / cnt;
  for (let k = 0; k < stats.length; k++) {
    let v: number;
    switch (stats[k]) {
      case 'mean':
        v = xs + A;
        break;
      case 'std':
        v = cnt > 1 ? Math.sqrt(m2 > 0 ? m2 / (cnt - 1) : 0) : NaN;
        break;
      case 'min':
        v = !any ? NaN : (snap[o + 9] as number);
        break;
      case 'max':
        v = !any ? NaN : (snap[o + 10] as number);
        break;
      case 'ptp':
        v = !any ? NaN : (snap[o + 10] as number) - (snap[o + 9] as number);
        break;
      case 'last':
        v = last;
        break;
      case 'delta':
        v = !any ? NaN : last - (snap[o + 11] as number);
        break;
      case 'slope':
        v = cnt > 1 && ctt > timeResolution(cnt, ts0 + st / cnt) ? (stx - (st * s1) / cnt) / ctt : NaN;
        break;
      case 'ewma':
        v = ewma;
        break;
      case 'rms': {
        // mean square = mean^2 + population variance, from the shifted sums already at hand
        const mean = xs + A;
        v = Math.sqrt(Math.max(0, mean * mean + B));
        break;
      }
      case 'skew':
        v = cnt < 3 || flat ? NaN : ((Math.sqrt(cnt * (cnt - 1)) / (cnt - 2)) * C) / Math.pow(B, 1.5);
        break;
      case 'kurt':
        v =
          cnt < 4 || flat
            ? NaN
            : ((cnt * cnt - 1) * (D / (B * B)) - 3 * (cnt - 1) * (cnt - 1)) / ((cnt - 2) * (cnt - 3));
        break;
      case 'count':
        v = cnt;
        break;
      case 'missing':
        v = missing;
        break;
      default:
        v = NaN;
    }
    out[offset + k] = v;
  }
}

/**
 * Shifted sums of the valid values in rows [from, to) into `acc[o ..]` (count, s1..s4, -, st,
 * stt, stx, min, max; the SUMS layout above, slots 5 and 11 untouched); returns the last valid value. A small function of its own so V8 optimises the loop.
 */
export function shiftedSums(
  t: Float64Array,
  x: Float64Array,
  from: number,
  to: number,
  shift: number,
  t0: number,
  acc: Float64Array,
  o: number,
): number {
  let cnt = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let s4 = 0;
  let st = 0;
  let stt = 0;
  let stx = 0;
  let min = Infinity;
  let max = -Infinity;
  let last = NaN;
  for (let i = from; i < to; i++) {
    const v = x[i] as number;
    if (v !== v) continue;
    cnt++;
    const e = v - shift;
    const e2 = e * e;
    s1 += e;
    s2 += e2;
    s3 += e2 * e;
    s4 += e2 * e2;
    const a = (t[i] as number) - t0;
    st += a;
    stt += a * a;
    stx += a * e;
    min = v < min ? v : min;
    max = v > max ? v : max;
    last = v;
  }
  acc[o + 0] = cnt;
  acc[o + 1] = s1;
  acc[o + 2] = s2;
  acc[o + 3] = s3;
  acc[o + 4] = s4;
  acc[o + 6] = st;
  acc[o + 7] = stt;
  acc[o + 8] = stx;
  acc[o + 9] = min;
  acc[o + 10] = max;
  return last;
}
