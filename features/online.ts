/**
 * The full feature vector of one equipment at its latest reading, for online scoring: every sensor,
 * window and statistic of the feature set in `fs.columns` order (context columns are filled by the
 * caller, who knows the MES state). One pass per window over that window's rows only.
 */
import { statsAtLast } from './at-instant.ts';
import type { FeatureSet } from './feature-set.ts';

/**
 * `t` in seconds, `sensors[k]` the readings of `fs.sensors[k]` aligned with `t`, time-ordered.
 * Writes into `out` (length fs.columns.length) and returns it.
 */
export function featuresAtLast(
  fs: FeatureSet,
  t: Float64Array,
  sensors: readonly Float64Array[],
  out: Float64Array = new Float64Array(fs.columns.length),
): Float64Array {
  let k = 0;
  const perWindow = fs.stats.length;
  for (let si = 0; si < fs.sensors.length; si++) {
    const x = sensors[si] as Float64Array;
    for (const w of fs.windows) {
      statsAtLast(t, x, w, fs.stats, out, k);
      k += perWindow;
    }
    if (fs.loadNormalised) out[k++] = NaN; // needs the running batch's load: the caller's
  }
  for (let c = 0; c < (fs.context?.length ?? 0); c++) out[k++] = NaN;
  return out;
}
