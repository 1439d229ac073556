import { afterEach, describe, expect, it, vi } from 'vitest';
import { handleStopSignals } from '../../src/jobs/shutdown.ts';

/** Stop signals end the process within the deadline whatever the orderly stop is waiting for. */
describe('handleStopSignals', () => {
  afterEach(() => vi.useRealTimers());
  const setup = (stop: () => Promise<number | void>) => {
    const handlers = new Map<string, () => void>();
    const exits: number[] = [];
    const forced: number[] = [];
    handleStopSignals({
      stop,
      force: () => forced.push(1),
      deadlineMs: 10_000,
      log: () => {},
      exit: (c) => exits.push(c),
      on: (s, h) => handlers.set(s, h),
    });
    return { handlers, exits, forced };
  };

  it('exits 0 after an orderly stop', async () => {
    const { handlers, exits, forced } = setup(async () => {});
    handlers.get('SIGINT')!();
    await new Promise((r) => setImmediate(r));
    expect(exits).toEqual([0]);
    expect(forced).toEqual([]);
  });

  it('forces the stop and exits 1 when the orderly stop hangs past the deadline', async () => {
    vi.useFakeTimers();
    const { handlers, exits, forced } = setup(() => new Promise(() => {})); // a flush that never settles
    handlers.get('SIGTERM')!();
    await vi.advanceTimersByTimeAsync(9_000);
    expect(exits).toEqual([]);
    await vi.advanceTimersByTimeAsync(1_001);
    expect(forced).toEqual([1]);
    expect(exits).toEqual([1]);
  });

  it('a second signal stops at once', () => {
    const { handlers, exits, forced } = setup(() => new Promise(() => {}));
    handlers.get('SIGINT')!();
    handlers.get('SIGINT')!();
    expect(forced).toEqual([1]);
    expect(exits).toEqual([1]);
  });

  it('exits with the code the stop gives (1 after an error)', async () => {
    const { handlers, exits } = setup(async () => 1);
    handlers.get('SIGINT')!();
    await new Promise((r) => setImmediate(r));
    expect(exits).toEqual([1]);
  });
});
