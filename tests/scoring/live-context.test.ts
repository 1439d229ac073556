import { afterEach, describe, expect, it, vi } from 'vitest';
import { ContextIndex } from '../../features/index.ts';
import { Scorer } from '../../src/scoring/scorer.ts';
import type { Score, ScoreInput } from '../../src/scoring/scorer.ts';
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

/**
 * Live scores while a new reading's score is computed (its features on the feature worker, behind
 * the other machines'): the previous score answers, for the same MES input and while it is recent;
 * otherwise the request waits. The computation itself is replaced by promises the test settles.
 */
describe('live scores while the next one is computed', () => {
  afterEach(() => vi.restoreAllMocks());

  function liveScorer() {
    const { scope } = simPlant(2);
    const view = { ts: new Float64Array(0), values: [] as Float64Array[], lastTs: 1_700_000_000e6 };
    const windows = { get: async () => view };
    const scorer = Reflect.construct(Scorer as unknown as new (...a: unknown[]) => Scorer, [
      undefined,
      scope,
      {},
      windows,
    ]) as Scorer;
    vi.spyOn(Date, 'now').mockReturnValue(1_000_000_000_000);
    vi.spyOn(scorer, 'contextFor').mockResolvedValue(new ContextIndex({ maintenance: [], batches: [] }));
    const computing: { resolve: (s: Score) => void; at: number }[] = [];
    const original = Scorer.prototype.score;
    vi.spyOn(scorer, 'score').mockImplementation((equipment, at, context, input) =>
      input?.live === true
        ? original.call(scorer, equipment, at, context, input)
        : new Promise<Score>((resolve) => computing.push({ resolve, at })),
    );
    const live = (mes?: ScoreInput['mes']) =>
      scorer.score('cnc-001', 0, undefined, { live: true, ...(mes === undefined ? {} : { mes }) });
    const scoreAt = (at: number) =>
      ({ equipment: 'cnc-001', at: new Date(at / 1000).toISOString() }) as Score;
    /** Settles the oldest computation still running, once one has started. */
    const finish = async () => {
      await vi.waitFor(() => expect(computing.length).toBeGreaterThan(0));
      const c = computing.shift()!;
      const s = scoreAt(c.at);
      c.resolve(s);
      return s;
    };
    const pending = async (p: Promise<Score>) => {
      let settled = false;
      void p.then(() => (settled = true));
      await new Promise((r) => setTimeout(r, 10));
      return !settled;
    };
    return { view, live, finish, pending };
  }

  it('answers a new reading with the previous score until its own is ready', async () => {
    const { view, live, finish, pending } = liveScorer();
    const first = live();
    const a = await finish();
    expect(await first).toBe(a);
    expect(await live()).toBe(a); // same reading, same period: the same score

    view.lastTs += 1e6; // a new reading: its score is computed, the previous answers meanwhile
    for (let k = 0; k < 2; k++) {
      const during = live();
      expect(await pending(during)).toBe(false);
      expect(await during).toBe(a);
    }
    const b = await finish();
    expect(b).not.toBe(a);
    expect(await live()).toBe(b);
  });

  it('waits when the previous score was for other MES input or is more than 10 s older', async () => {
    const { view, live, finish, pending } = liveScorer();
    const first = live();
    const a = await finish();
    expect(await first).toBe(a);

    // Other MES input: the previous score is not its answer.
    view.lastTs += 1e6;
    const withOrder = live({ order_id: 'o-17' });
    expect(await pending(withOrder)).toBe(true);
    const b = await finish();
    expect(await withOrder).toBe(b);

    // The same input again, 11 s of readings later: too old to answer for now.
    view.lastTs += 11e6;
    const later = live({ order_id: 'o-17' });
    expect(await pending(later)).toBe(true);
    const c = await finish();
    expect(await later).toBe(c);
  });
});
