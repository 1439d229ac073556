import { afterEach, describe, expect, it, vi } from 'vitest';
import { ContextIndex } from '../../features/index.ts';
import { Scorer } from '../../src/scoring/scorer.ts';
import { simPlant } from '../helpers/plant.ts';

/**
 * The live context's reload policy, with the store's queries replaced by promises the test settles
 * (the policy is what is under test; the queries themselves are covered by the API tests against
 * QuestDB).
 */
describe('live scores and the MES context reload', () => {
  afterEach(() => vi.restoreAllMocks());

  function scorerWithLoads() {
    const { scope } = simPlant(2);
    const scorer = Reflect.construct(Scorer as unknown as new (...a: unknown[]) => Scorer, [
      undefined,
      scope,
      {},
      undefined,
    ]) as Scorer;
    const loads: { resolve: (c: ContextIndex) => void; reject: (e: Error) => void }[] = [];
    vi.spyOn(scorer, 'contextFor').mockImplementation(
      () => new Promise<ContextIndex>((resolve, reject) => loads.push({ resolve, reject })),
    );
    const live = (
      scorer as unknown as { contextLive(e: string, at: number): Promise<ContextIndex> }
    ).contextLive.bind(scorer);
    const ctx = () => new ContextIndex({ maintenance: [], batches: [] });
    return { live, loads, ctx };
  }

  it('answers from the previous period while a reload runs, and waits when there is none that recent', async () => {
    const { live, loads, ctx } = scorerWithLoads();
    const now = vi.spyOn(Date, 'now');
    now.mockReturnValue(1_000_000_000_000);
    const first = live('cnc-001', 1);
    expect(loads.length).toBe(1);
    const a = ctx();
    loads[0]!.resolve(a);
    expect(await first).toBe(a);
    expect(await live('cnc-001', 1)).toBe(a); // same period: no reload
    expect(loads.length).toBe(1);

    // The next period: a reload starts and does not answer; requests get the previous context.
    now.mockReturnValue(1_000_000_005_000);
    expect(await live('cnc-001', 1)).toBe(a);
    expect(await live('cnc-001', 1)).toBe(a);
    expect(loads.length).toBe(2);
    const b = ctx();
    loads[1]!.resolve(b);
    await Promise.resolve();
    expect(await live('cnc-001', 1)).toBe(b);

    // Two periods later with nothing in between: too old to answer from, so the request waits.
    now.mockReturnValue(1_000_000_020_000);
    let settled = false;
    const waiting = live('cnc-001', 1).then((c) => ((settled = true), c));
    await new Promise((r) => setTimeout(r, 10));
    expect(settled).toBe(false);
    const c = ctx();
    loads[2]!.resolve(c);
    expect(await waiting).toBe(c);
  });

  it('a failed reload is dropped: the next request loads again', async () => {
    const { live, loads, ctx } = scorerWithLoads();
    vi.spyOn(Date, 'now').mockReturnValue(1_000_000_000_000);
    const first = live('pump-001', 1);
    loads[0]!.reject(new Error('QuestDB went away'));
    await expect(first).rejects.toThrow('QuestDB went away');
    const again = live('pump-001', 1);
    expect(loads.length).toBe(2);
    const a = ctx();
    loads[1]!.resolve(a);
    expect(await again).toBe(a);
  });
});
