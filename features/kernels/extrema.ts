/**
 * Rolling min and max with monotonic deques (each index enters and leaves once: O(n)); NaN is
 * skipped; NaN when the window holds no valid value. Peak-to-peak is max - min.
 */

function rollingExtreme(
  x: Float64Array,
  starts: Int32Array,
  out: Float64Array,
  wantMax: boolean,
): Float64Array {
  const dq = new Int32Array(x.length); // indices; values monotonic from head to tail
  let head = 0;
  let tail = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i] as number;
    if (v === v) {
      if (wantMax) while (tail > head && (x[dq[tail - 1] as number] as number) <= v) tail--;
      else while (tail > head && (x[dq[tail - 1] as number] as number) >= v) tail--;
      dq[tail++] = i;
    }
    const start = starts[i] as number;
    while (tail > head && (dq[head] as number) < start) head++;
    out[i] = tail > head ? (x[dq[head] as number] as number) : NaN;
  }
  return out;
}

export function rollingMin(x: Float64Array, starts: Int32Array, out: Float64Array): Float64Array {
  return rollingExtreme(x, starts, out, false);
}

export function rollingMax(x: Float64Array, starts: Int32Array, out: Float64Array): Float64Array {
  return rollingExtreme(x, starts, out, true);
}
