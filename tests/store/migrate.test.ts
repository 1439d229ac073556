import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, query } from '../../src/store/index.ts';
import type { Store } from '../../src/store/index.ts';
import { loadMigrations } from '../../src/store/sql.ts';
import { openTestStore } from '../helpers/store.ts';

describe('migrations', () => {
  let store: Store;
  beforeAll(async () => {
    store = await openTestStore('migrate');
  });
  afterAll(async () => store?.close());

  it('creates every table, WAL with dedup keys, and records each migration once', async () => {
    const all = loadMigrations(store.tables);
    expect(store.migrations.applied).toHaveLength(all.length);
    const { rows } = await query<{
      table_name: string;
      walEnabled: boolean;
      dedup: boolean;
      designatedTimestamp: string;
    }>(
      store.pool,
      'SELECT table_name, walEnabled, dedup, designatedTimestamp FROM tables() WHERE table_name LIKE $1::varchar',
      [`${store.tables.telemetry.replace(/telemetry$/, '')}%`],
    );
    const byName = new Map(rows.map((r) => [r.table_name, r]));
    for (const key of [
      'telemetry',
      'equipment',
      'maintenance',
      'orders',
      'batches',
      'quality',
      'forecasts',
      'cmapss',
    ] as const) {
      const t = byName.get(store.tables[key]);
      expect(t, key).toBeDefined();
      expect(t?.walEnabled, key).toBe(true);
      expect(t?.dedup, key).toBe(true);
    }
  });

  it('is idempotent: a second run applies nothing', async () => {
    const again = await migrate(store.pool, store.tables);
    expect(again.applied).toEqual([]);
    expect(again.alreadyApplied).toBe(loadMigrations(store.tables).length);
  });
});
