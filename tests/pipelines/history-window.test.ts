import { describe, expect, it } from 'vitest';
import { historyWindow } from '../../pipelines/data.ts';
import { loadConfig } from '../../src/config.ts';
import { isPdmError } from '../../src/errors.ts';

const DAY = 86_400e6;

describe('the history window training and backtests read', () => {
  it('is the last PDM_TRAIN_HISTORY_DAYS days (30 by default), all of a shorter history, all with 0', () => {
    expect(loadConfig({}).models.historyDays).toBe(30);
    const year = { from: 0, to: 365 * DAY };
    expect(historyWindow(year, 30)).toEqual({ from: 335 * DAY, to: 365 * DAY });
    expect(historyWindow({ from: 10 * DAY, to: 17 * DAY }, 30)).toEqual({ from: 10 * DAY, to: 17 * DAY });
    expect(historyWindow(year, 0)).toEqual(year);
    expect(loadConfig({ PDM_TRAIN_HISTORY_DAYS: '0' }).models.historyDays).toBe(0);
  });

  it('refuses a negative or fractional window, and keeps at least one unpromoted version', () => {
    for (const bad of ['-1', '2.5', 'month']) {
      let err: unknown;
      try {
        loadConfig({ PDM_TRAIN_HISTORY_DAYS: bad });
      } catch (e) {
        err = e;
      }
      expect(isPdmError(err) && err.message).toContain('PDM_TRAIN_HISTORY_DAYS');
    }
    expect(loadConfig({}).models.keepUnpromoted).toBe(10);
    expect(() => loadConfig({ PDM_MODELS_KEEP_UNPROMOTED: '0' })).toThrow(/PDM_MODELS_KEEP_UNPROMOTED/);
  });
});
