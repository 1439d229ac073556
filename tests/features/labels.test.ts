import { describe, expect, it } from 'vitest';
import { failureWithin, qualityAtBatchEnd, remainingLife, timeToSpecLimit } from '../../features/index.ts';

const H = 3.6e9; // one hour in µs

describe('labels', () => {
  const failures = [
    { equipment: 'p1', ts: 10 * H, mode: 'bearing' },
    { equipment: 'p1', ts: 30 * H, mode: 'seal_wear' },
    { equipment: 'p2', ts: 5 * H, mode: 'bearing' },
  ];
  const instants = Float64Array.from([0, 9, 10, 11, 25, 40, 0, 6].map((h) => h * H));
  const equipment = ['p1', 'p1', 'p1', 'p1', 'p1', 'p1', 'p2', 'p2'];

  it('failure within a horizon looks strictly after the instant, per mode, and censors the unknown', () => {
    const any = failureWithin(instants, equipment, failures, 6 * H, 44 * H);
    expect(Array.from(any)).toEqual([0, 1, 0, 0, 1, NaN, 1, 0]);
    const bearing = failureWithin(instants, equipment, failures, 6 * H, 44 * H, 'bearing');
    expect(Array.from(bearing)).toEqual([0, 1, 0, 0, 0, NaN, 1, 0]);
  });

  it('an outcome not over by the end of observation is unknown whatever it is, and later failures are not seen', () => {
    // Observation ends at 32 h: the instant at 25 h has a failure at 30 h inside its horizon, but
    // its horizon (to 31 h) is over; the one at 27 h (to 33 h) is not, so it is unknown although a
    // failure fell inside it already, exactly like an instant with none.
    const at = Float64Array.from([25, 27, 28].map((h) => h * H));
    const eq = ['p1', 'p1', 'p2'];
    expect(Array.from(failureWithin(at, eq, failures, 6 * H, 32 * H))).toEqual([1, NaN, NaN]);
    // A failure at or after observedUntil does not exist for the labels.
    expect(Array.from(failureWithin(instants, equipment, failures, 6 * H, 30 * H))).toEqual(
      Array.from(
        failureWithin(instants, equipment, failures.slice(0, 1).concat(failures[2]!), 6 * H, 30 * H),
      ),
    );
    expect(Array.from(failureWithin(Float64Array.of(20 * H), ['p1'], failures, 6 * H, 30 * H))).toEqual([0]);
    expect(
      Array.from(remainingLife(Float64Array.of(11 * H, 31 * H), ['p1', 'p1'], failures, 30 * H, 100)),
    ).toEqual([NaN, NaN]);
  });

  it('RUL is the time to the next failure, capped; unknown without a failure or a reached cap', () => {
    const rul = remainingLife(instants, equipment, failures, 50 * H, 12);
    expect(Array.from(rul)).toEqual([10, 1, 12, 12, 5, NaN, 5, 12]);
  });

  it('quality labels come from the next measurement and the next out-of-spec one', () => {
    const q = [
      { equipment: 'c1', ts: 2 * H, value: 25.01, lsl: 24.95, usl: 25.05 },
      { equipment: 'c1', ts: 6 * H, value: 25.04, lsl: 24.95, usl: 25.05 },
      { equipment: 'c1', ts: 9 * H, value: 25.06, lsl: 24.95, usl: 25.05 },
    ];
    const at = Float64Array.from([0, 2, 3, 9].map((h) => h * H));
    const eq = ['c1', 'c1', 'c1', 'c1'];
    expect(Array.from(qualityAtBatchEnd(at, eq, q))).toEqual([25.01, 25.04, 25.04, NaN]);
    expect(Array.from(timeToSpecLimit(at, eq, q))).toEqual([9, 7, 6, NaN]);
  });
});
