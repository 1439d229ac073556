import { describe, expect, it } from 'vitest';
import { loopLateness } from '../../benchmarks/loop-delay.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * bench:api's event-loop figures: how late the loop ran, not the interval of Node's sampling
 * timer (which reads its resolution on an idle loop, and made every figure 5 ms too high).
 */
describe('event-loop lateness', () => {
  it('reads near zero on an idle loop, not the sampling interval', async () => {
    // A coarse resolution, so that a loop slowed by the other test files still reads well below it.
    const loop = loopLateness(20);
    expect(loop.percentileMs(50)).toBeNaN();
    loop.enable();
    await sleep(600);
    loop.disable();
    expect(loop.percentileMs(50)).toBeGreaterThanOrEqual(0);
    expect(loop.percentileMs(50)).toBeLessThan(10);
  });

  it('reads a stall as its length', async () => {
    const loop = loopLateness(5);
    loop.enable();
    await sleep(50);
    const until = performance.now() + 100;
    while (performance.now() < until); // the loop blocked for 100 ms
    await sleep(50);
    loop.disable();
    // The tick before the stall came at most 5 ms before it began: the interval is >= 100 ms.
    expect(loop.maxMs()).toBeGreaterThanOrEqual(95);
    expect(loop.percentileMs(100)).toBe(loop.maxMs());
  });
});
