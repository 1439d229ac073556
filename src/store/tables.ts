/**
 * Table names of one schema. Production uses the plain names; tests give each file its own
 * prefix so files can run in parallel against one server. Names are validated once here, which
 * is what makes it safe to place them into SQL text (values always go in as bind parameters).
 */
export const TABLE_KEYS = [
  'migrations',
  'telemetry',
  'equipment',
  'maintenance',
  'orders',
  'batches',
  'quality',
  'forecasts',
  'cmapss',
  'sim_health',
  'sim_failures',
  'sim_quality_truth',
  'features',
  'vibration_bursts',
  'job_runs',
  'events',
  'plant_versions',
  'sparkplug_births',
  'alerts',
  'alert_deliveries',
] as const;

export type TableKey = (typeof TABLE_KEYS)[number];
export type Tables = Readonly<Record<TableKey, string>>;

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,126}$/;

export function assertIdentifier(name: string, what = 'identifier'): string {
  if (!IDENTIFIER.test(name)) {
    throw new Error(
      `Invalid ${what} ${JSON.stringify(name)}: use lowercase letters, digits and _ (not first)`,
    );
  }
  return name;
}

/** The prefix `makeTables` was given (another connection to the same tables opens with it). */
export function prefixOf(tables: Tables): string {
  return tables.migrations.slice(0, -'pdm_migrations'.length);
}

export function makeTables(prefix = ''): Tables {
  if (prefix !== '') assertIdentifier(prefix, 'table prefix');
  const entries = TABLE_KEYS.map((key) => {
    const base = key === 'migrations' ? 'pdm_migrations' : key;
    return [key, assertIdentifier(prefix + base, 'table name')] as const;
  });
  return Object.fromEntries(entries) as Record<TableKey, string>;
}
