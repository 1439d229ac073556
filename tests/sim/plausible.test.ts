/**
 * The simulator's readings against its own plant file: every value it sends must lie within the
 * plausible range the file declares for its sensor, or the engine's sources (MQTT, OPC UA, HTTP)
 * refuse what the direct path stores, and a simulated plant streamed over a broker loses readings.
 */
import { describe, expect, it } from 'vitest';
import { readingCheck } from '../../src/plant/index.ts';
import { MemorySink, SENSORS, simulate, simulatedPlant } from '../../src/sim/index.ts';

describe("the simulator's readings", () => {
  it.each([1, 2, 3])(
    "lie within its plant file's plausible ranges (seed %i, 12 machines, 21 days)",
    async (seed) => {
      const sink = new MemorySink();
      await simulate(sink, {
        equipment: 12,
        days: 21,
        seed,
        start: Date.UTC(2025, 0, 6) / 1000,
        sampleSeconds: 30,
      });
      const check = readingCheck(simulatedPlant({ equipment: 12 }));
      const refused = new Map<string, { n: number; first: string }>();
      let readings = 0;
      for (const [equipment, s] of sink.series)
        for (const row of s.values) {
          readings++;
          const bad = check.check(equipment, SENSORS, row);
          if (bad !== null) {
            const r = refused.get(bad.field) ?? { n: 0, first: `${equipment}: ${bad.reason}` };
            r.n++;
            refused.set(bad.field, r);
          }
        }
      expect(readings).toBeGreaterThan(12 * 21 * 2000);
      expect(Object.fromEntries(refused)).toEqual({});
    },
    120_000,
  );
});
