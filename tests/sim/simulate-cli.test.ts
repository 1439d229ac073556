import { describe, expect, it } from 'vitest';
import { pdm } from '../helpers/cli.ts';
import { testConfig, testEnv, uniquePrefix } from '../helpers/store.ts';
import { connectStore, query, waitForWal } from '../../src/store/index.ts';

describe('pdm simulate into QuestDB', () => {
  const prefix = uniquePrefix('simcli');
  const env = testEnv({ PDM_TABLE_PREFIX: prefix });
  const args = [
    'simulate',
    '--equipment',
    '6',
    '--days',
    '4',
    '--sample-seconds',
    '20',
    '--seed',
    '9',
    '--start',
    '2025-02-01T00:00:00Z',
    '--json',
  ];

  it('writes what it reports, through the ingestion path; duplicates collapse; a re-run adds nothing', async () => {
    const first = await pdm(args, env);
    expect(first.code, first.stderr).toBe(0);
    const s = first.json as Record<string, never> & {
      stored: Record<string, number>;
      failures: Record<string, number>;
    };
    // One reading per sample interval, except while a machine is down for repair or PM (silent).
    const slots = (6 * 4 * 86400) / 20;
    expect(s.readings).toBeLessThan(slots);
    expect(s.readings).toBeGreaterThan(0.8 * slots);
    expect(s.stored).toEqual({
      readings: s.readings,
      failures: s.failures_total,
      batches: s.batches,
      orders: s.orders,
    });
    expect(s.batches).toBeGreaterThan(20);

    const again = await pdm(args, env);
    expect(again.code, again.stderr).toBe(0);
    expect(again.json.checksum).toBe(first.json.checksum);
    expect(again.json.stored).toEqual(s.stored);

    // Ground truth lands in its own tables, beside (not inside) what models see.
    const store = await connectStore(testConfig(), { start: false, tablePrefix: prefix });
    try {
      await waitForWal(store.pool, store.tables, store.tables.sim_health);
      const { rows } = await query<{ n: string; lo: number; hi: number }>(
        store.pool,
        `SELECT count() n, min(health) lo, max(health) hi FROM ${store.tables.sim_health}`,
      );
      expect(Number(rows[0]?.n)).toBe(6 * 4 * 144);
      expect(rows[0]?.lo).toBeGreaterThanOrEqual(0);
      expect(rows[0]?.hi).toBeLessThanOrEqual(1);
      const cols = await query<{ column: string }>(
        store.pool,
        `SELECT "column" FROM table_columns('${store.tables.telemetry}')`,
      );
      expect(cols.rows.map((r) => r.column)).not.toContain('health');
    } finally {
      await store.close();
    }
  }, 180_000);
});

describe('pdm simulate --live', () => {
  it('streams until Ctrl-C, then flushes and reports what QuestDB holds', async () => {
    const { spawn } = await import('node:child_process');
    const path = await import('node:path');
    const env = testEnv({ PDM_TABLE_PREFIX: uniquePrefix('simlive') });
    const bin = path.resolve(import.meta.dirname, '../../bin/pdm.js');
    const child = spawn(
      process.execPath,
      [bin, 'simulate', '--live', '--speed', '120', '--equipment', '2', '--sample-seconds', '5', '--json'],
      {
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    await new Promise((r) => setTimeout(r, 8000));
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code, stderr).toBe(0);
    const summary = JSON.parse(stdout.trim().split('\n').at(-1)!) as {
      readings: number;
      stored: { readings: number };
      end: string;
    };
    expect(summary.readings).toBeGreaterThan(0);
    expect(summary.stored.readings).toBe(summary.readings);
    // It caught up from the start of the hour to now and then ran ahead at 120x.
    expect(Date.parse(summary.end)).toBeGreaterThan(Date.now() - 60_000);
  }, 60_000);
});
