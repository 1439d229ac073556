/** Rolling count of valid values and the missing ratio (NaN rows / rows in the window). */

export function rollingCount(x: Float64Array, starts: Int32Array, out: Float64Array): Float64Array {
  let n = 0;
  let lo = 0;
  for (let i = 0; i < x.length; i++) {
    if ((x[i] as number) === (x[i] as number)) n++;
    const start = starts[i] as number;
    for (; lo < start; lo++) {
      const r = x[lo] as number;
      if (r === r) n--;
    }
    out[i] = n;
  }
  return out;
}

export function rollingMissingRatio(x: Float64Array, starts: Int32Array, out: Float64Array): Float64Array {
  let missing = 0;
  let lo = 0;
  for (let i = 0; i < x.length; i++) {
    if ((x[i] as number) !== (x[i] as number)) missing++;
    const start = starts[i] as number;
    for (; lo < start; lo++) {
      const r = x[lo] as number;
      if (r !== r) missing--;
    }
    out[i] = missing / (i - start + 1);
  }
  return out;
}
